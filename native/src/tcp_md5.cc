// TCP MD5 signatures (RFC 2385) for BGP sessions: one key per peer address on a socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "common.h"
#include "sockets.h"

namespace herald {

// Installs (an empty key removes) the key for `peer` on `fd`, a socket of address family
// `family`. An IPv4 peer of an IPv6 socket is written as ::ffff:a.b.c.d (the kernel keys
// v4-mapped peers as IPv4).
void InstallMd5(Napi::Env env, int fd, int family, const std::string& peer, Napi::Value keyValue) {
  if (!keyValue.IsBuffer()) throw Napi::TypeError::New(env, "key must be a Buffer");
  auto key = keyValue.As<Napi::Buffer<uint8_t>>();
  if (key.Length() > TCP_MD5SIG_MAXKEYLEN) throw ErrnoError(env, EINVAL, "setsockopt(TCP_MD5SIG)");

  tcp_md5sig sig{};
  in_addr v4{};
  in6_addr v6{};
  bool isV4 = inet_pton(AF_INET, peer.c_str(), &v4) == 1;
  if (!isV4 && inet_pton(AF_INET6, peer.c_str(), &v6) != 1) throw Napi::TypeError::New(env, "peer must be an IP address");
  if (family == AF_INET) {
    if (!isV4) throw ErrnoError(env, EAFNOSUPPORT, "setsockopt(TCP_MD5SIG)");
    auto* a = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    a->sin_family = AF_INET;
    a->sin_addr = v4;
  } else if (family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    a->sin6_family = AF_INET6;
    if (isV4) {
      a->sin6_addr.s6_addr[10] = 0xff;
      a->sin6_addr.s6_addr[11] = 0xff;
      memcpy(&a->sin6_addr.s6_addr[12], &v4, sizeof v4);
    } else {
      a->sin6_addr = v6;
    }
  } else {
    throw ErrnoError(env, EAFNOSUPPORT, "setsockopt(TCP_MD5SIG)");
  }
  sig.tcpm_keylen = static_cast<uint16_t>(key.Length());
  memcpy(sig.tcpm_key, key.Data(), key.Length());
  Check(env, setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig), "setsockopt(TCP_MD5SIG)");
}

// The address family of socket `fd`, from getsockname (works before bind and connect).
int SocketFamily(Napi::Env env, int fd) {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  Check(env, getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len), "getsockname");
  return local.ss_family;
}

// setTcpMd5(fd: number, peer: string, key: Buffer): undefined — an empty key removes the peer's key.
Napi::Value SetTcpMd5(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  std::string peer = info[1].As<Napi::String>().Utf8Value();
  if (!info[2].IsBuffer()) throw Napi::TypeError::New(env, "key must be a Buffer");
  InstallMd5(env, fd, SocketFamily(env, fd), peer, info[2]);
  return env.Undefined();
}

}  // namespace herald
