// A TCP socket set up before its first SYN, for BGP (RFC 4271 §8.2.1: the active side opens the
// connection): source address, TCP MD5 key (RFC 2385) and GTSM TTLs (RFC 5082) must all be on the
// socket before connect(), and Node creates a client's socket inside connect(). The fd is handed to
// `new net.Socket({ fd })`, whose connect() reuses it (libuv only creates a socket when it has none).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"
#include "sockets.h"

namespace herald {

namespace {

// Closes the fd when a setsockopt throws, so a failed call leaks nothing.
struct OwnedFd {
  int fd;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int Release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

void SetInt(Napi::Env env, int fd, int level, int option, int value, const char* syscall) {
  Check(env, setsockopt(fd, level, option, &value, sizeof value), syscall);
}

// ttl/minTtl < 0 leave the kernel's defaults. On an IPv6 socket the IPv4 options are set too:
// a dual-stack listener meets IPv4 peers as ::ffff:a.b.c.d, and the kernel checks their packets
// against IP_MINTTL (tcp_v4_rcv), not IPV6_MINHOPCOUNT.
void ApplyTtl(Napi::Env env, int fd, int family, int ttl, int minTtl) {
  if (ttl >= 0) {
    SetInt(env, fd, IPPROTO_IP, IP_TTL, ttl, "setsockopt(IP_TTL)");
    if (family == AF_INET6) SetInt(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "setsockopt(IPV6_UNICAST_HOPS)");
  }
  if (minTtl >= 0) {
    SetInt(env, fd, IPPROTO_IP, IP_MINTTL, minTtl, "setsockopt(IP_MINTTL)");
    if (family == AF_INET6) SetInt(env, fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl, "setsockopt(IPV6_MINHOPCOUNT)");
  }
}

int OptionalInt(const Napi::Value& v) { return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : -1; }

}  // namespace

// tcpSocket(family: 4 | 6, bind?: string, md5Peer?: string, md5Key?: Buffer, ttl?: number,
//           minTtl?: number): number — a non-blocking, close-on-exec TCP socket, bound (port 0)
// when `bind` is given, not yet connected. The caller owns the fd.
Napi::Value TcpSocket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int version = info[0].As<Napi::Number>().Int32Value();
  if (version != 4 && version != 6) throw Napi::TypeError::New(env, "family must be 4 or 6");
  int family = version == 4 ? AF_INET : AF_INET6;

  sockaddr_storage local{};
  socklen_t localLen = 0;
  if (info[1].IsString()) {
    std::string text = info[1].As<Napi::String>().Utf8Value();
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&local);
      a->sin_family = AF_INET;
      if (inet_pton(AF_INET, text.c_str(), &a->sin_addr) != 1) throw Napi::TypeError::New(env, "bind must be an IPv4 address");
      localLen = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&local);
      a->sin6_family = AF_INET6;
      if (inet_pton(AF_INET6, text.c_str(), &a->sin6_addr) != 1) throw Napi::TypeError::New(env, "bind must be an IPv6 address");
      localLen = sizeof *a;
    }
  }

  OwnedFd s{socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  Check(env, s.fd, "socket");
  if (localLen > 0) {
    SetInt(env, s.fd, SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
    // Port 0 is chosen at connect() time, per 4-tuple, instead of reserving a port for any
    // destination now (ip(7), Linux ≥ 4.2).
    SetInt(env, s.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
    Check(env, bind(s.fd, reinterpret_cast<sockaddr*>(&local), localLen), "bind");
  }
  if (info[2].IsString()) InstallMd5(env, s.fd, family, info[2].As<Napi::String>().Utf8Value(), info[3]);
  ApplyTtl(env, s.fd, family, OptionalInt(info[4]), OptionalInt(info[5]));
  return Napi::Number::New(env, s.Release());
}

// setTtl(fd: number, ttl?: number, minTtl?: number): undefined — for the passive side: on a
// listening socket, accepted connections inherit both (the SYN-ACK already goes out at `ttl`, and
// SYNs below `minTtl` are dropped, counted as TcpExt TCPMinTTLDrop).
Napi::Value SetTtl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  ApplyTtl(env, fd, SocketFamily(env, fd), OptionalInt(info[1]), OptionalInt(info[2]));
  return env.Undefined();
}

}  // namespace herald
