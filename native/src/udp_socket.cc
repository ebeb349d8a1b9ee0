// A UDP socket that reports each datagram's received TTL (IPv4) or hop limit (IPv6) and its
// interface, and sends with a fixed TTL: BFD single hop (RFC 5881 §5) sends with 255 and must
// discard anything that arrived with less, which Node's dgram cannot tell (no ancillary data).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"
#include "sockets.h"

namespace herald {

namespace {
thread_local uint8_t rxbuf[65536];

void SetInt(Napi::Env env, int fd, int level, int option, int value, const char* syscall) {
  Check(env, setsockopt(fd, level, option, &value, sizeof value), syscall);
}

// Parses `text` into `out` for `family`; false when it is not an address of that family.
bool ParseSockaddr(int family, const std::string& text, int port, sockaddr_storage& out, socklen_t& len) {
  out = {};
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&out);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *a;
    return inet_pton(AF_INET, text.c_str(), &a->sin_addr) == 1;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&out);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(static_cast<uint16_t>(port));
  len = sizeof *a;
  return inet_pton(AF_INET6, text.c_str(), &a->sin6_addr) == 1;
}
}  // namespace

// new UdpSocket(family: 4 | 6, bind: string, port: number, ttl: number, onMessage, onError)
//   onMessage(body: Buffer, source: string, sourcePort: number, ttl: number, ifindex: number)
// `ttl` is the TTL / hop limit of every datagram sent. A received datagram's ttl is -1 only if the
// kernel gave none (it always does once IP_RECVTTL / IPV6_RECVHOPLIMIT is on).
UdpSocket::UdpSocket(const Napi::CallbackInfo& info) : PolledSocket<UdpSocket>(info) {
  Napi::Env env = info.Env();
  int version = info[0].As<Napi::Number>().Int32Value();
  if (version != 4 && version != 6) throw Napi::TypeError::New(env, "family must be 4 or 6");
  family_ = version == 4 ? AF_INET : AF_INET6;
  std::string bind = info[1].As<Napi::String>().Utf8Value();
  int port = info[2].As<Napi::Number>().Int32Value();
  int ttl = info[3].As<Napi::Number>().Int32Value();
  sockaddr_storage local{};
  socklen_t localLen = 0;
  if (!ParseSockaddr(family_, bind, port, local, localLen)) throw Napi::TypeError::New(env, "bind must be an address of the family");

  fd_ = socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  Check(env, fd_, "socket");
  int on = 1;
  if (family_ == AF_INET) {
    SetInt(env, fd_, IPPROTO_IP, IP_TTL, ttl, "setsockopt(IP_TTL)");
    SetInt(env, fd_, IPPROTO_IP, IP_RECVTTL, on, "setsockopt(IP_RECVTTL)");
    SetInt(env, fd_, IPPROTO_IP, IP_PKTINFO, on, "setsockopt(IP_PKTINFO)");
  } else {
    // IPv6 only: an IPv4 peer is served by the IPv4 socket, whose TTL checks are the IPv4 ones.
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_V6ONLY, on, "setsockopt(IPV6_V6ONLY)");
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "setsockopt(IPV6_UNICAST_HOPS)");
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on, "setsockopt(IPV6_RECVHOPLIMIT)");
    SetInt(env, fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, on, "setsockopt(IPV6_RECVPKTINFO)");
  }
  Check(env, ::bind(fd_, reinterpret_cast<sockaddr*>(&local), localLen), "bind");
  Start(env, info[4].As<Napi::Function>(), info[5].As<Napi::Function>(), "HeraldUdpSocket");
}

bool UdpSocket::ReceiveOne() {
  Napi::Env env = Env();
  sockaddr_storage from{};
  iovec iov{rxbuf, sizeof rxbuf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + 64];
  msghdr msg;
  ssize_t n = ReceiveMessage(msg, iov, &from, sizeof from, control, sizeof control);
  if (n < 0) return false;
  int ttl = -1, ifindex = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = pi.ipi_ifindex;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = static_cast<int>(pi.ipi6_ifindex);
    }
  }
  char text[INET6_ADDRSTRLEN] = "";
  int port = 0;
  if (from.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&from);
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&from);
    inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  Emit({Napi::Buffer<uint8_t>::Copy(env, rxbuf, static_cast<size_t>(n)), Napi::String::New(env, text),
        Napi::Number::New(env, port), Napi::Number::New(env, ttl), Napi::Number::New(env, ifindex)});
  return true;
}

// send(body: Buffer, destination: string, port: number): number
Napi::Value UdpSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "sendto");
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "body must be a Buffer");
  auto body = info[0].As<Napi::Buffer<uint8_t>>();
  sockaddr_storage to{};
  socklen_t toLen = 0;
  if (!ParseSockaddr(family_, info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::Number>().Int32Value(), to, toLen)) {
    throw Napi::TypeError::New(env, "destination must be an address of the socket's family");
  }
  ssize_t n = sendto(fd_, body.Data(), body.Length(), 0, reinterpret_cast<sockaddr*>(&to), toLen);
  Check(env, static_cast<int>(n), "sendto");
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Function UdpSocket::Define(Napi::Env env) {
  return DefineClass(env, "UdpSocket", {InstanceMethod("send", &UdpSocket::Send), InstanceMethod("close", &UdpSocket::Close)});
}

}  // namespace herald
