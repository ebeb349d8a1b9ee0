// Raw ICMPv6 socket bound to one interface, for NDP (RFC 4861). The kernel computes and checks
// the ICMPv6 checksum on this socket type (RFC 3542 §3.1), so callers leave it zero.
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"
#include "sockets.h"

namespace herald {

namespace {
thread_local uint8_t rxbuf[65536];

in6_addr ParseAddress(Napi::Env env, const Napi::Value& v, const char* what) {
  in6_addr a{};
  if (!v.IsString() || inet_pton(AF_INET6, v.As<Napi::String>().Utf8Value().c_str(), &a) != 1) {
    throw Napi::TypeError::New(env, std::string(what) + " must be an IPv6 address");
  }
  return a;
}

Napi::String FormatAddress(Napi::Env env, const in6_addr& a) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, text, sizeof text);
  return Napi::String::New(env, text);
}
}  // namespace

// new Icmp6Socket(ifindex, types: number[], onMessage, onError)
//   onMessage(body: Buffer, source: string, destination: string, hopLimit: number, ifindex: number)
Icmp6Socket::Icmp6Socket(const Napi::CallbackInfo& info) : PolledSocket<Icmp6Socket>(info) {
  Napi::Env env = info.Env();
  ifindex_ = info[0].As<Napi::Number>().Int32Value();
  auto types = info[1].As<Napi::Array>();

  fd_ = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  Check(env, fd_, "socket");
  // Only the given ICMPv6 types (NS/NA/RS for the responder) reach us: RFC 3542 §3.2.
  icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  for (uint32_t i = 0; i < types.Length(); i++) {
    ICMP6_FILTER_SETPASS(types.Get(i).As<Napi::Number>().Uint32Value() & 0xff, &filter);
  }
  Check(env, setsockopt(fd_, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter), "setsockopt(ICMP6_FILTER)");
  // Receive and send on this interface only (SO_BINDTOIFINDEX: SO_BINDTODEVICE by index, Linux 5.0).
  Check(env, setsockopt(fd_, SOL_SOCKET, SO_BINDTOIFINDEX, &ifindex_, sizeof ifindex_), "setsockopt(SO_BINDTOIFINDEX)");
  int on = 1, off = 0;
  // Hop limit and destination/ifindex of every message as ancillary data (RFC 3542 §6): NDP
  // messages with a hop limit other than 255 must be dropped (RFC 4861 §7.1.1).
  Check(env, setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on), "setsockopt(IPV6_RECVHOPLIMIT)");
  Check(env, setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on), "setsockopt(IPV6_RECVPKTINFO)");
  // Our own multicast (unsolicited NAs) must not come back to us as if a neighbour had sent it.
  Check(env, setsockopt(fd_, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off), "setsockopt(IPV6_MULTICAST_LOOP)");
  Start(env, info[2].As<Napi::Function>(), info[3].As<Napi::Function>(), "HeraldIcmp6Socket");
}

bool Icmp6Socket::ReceiveOne() {
  Napi::Env env = Env();
  sockaddr_in6 from{};
  iovec iov{rxbuf, sizeof rxbuf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))];
  msghdr msg;
  ssize_t n = ReceiveMessage(msg, iov, &from, sizeof from, control, sizeof control);
  if (n < 0) return false;
  in6_addr destination{};
  int ifindex = 0, hopLimit = -1;  // -1: the kernel gave none (it always does once RECVHOPLIMIT is on)
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      destination = pi.ipi6_addr;
      ifindex = static_cast<int>(pi.ipi6_ifindex);
    } else if (c->cmsg_type == IPV6_HOPLIMIT) {
      memcpy(&hopLimit, CMSG_DATA(c), sizeof hopLimit);
    }
  }
  Emit({Napi::Buffer<uint8_t>::Copy(env, rxbuf, static_cast<size_t>(n)), FormatAddress(env, from.sin6_addr),
        FormatAddress(env, destination), Napi::Number::New(env, hopLimit), Napi::Number::New(env, ifindex)});
  return true;
}

// send(body: Buffer, destination: string, hopLimit: number, source?: string): number
// Interface and hop limit travel as ancillary data on each message (RFC 3542 §6), so one socket
// sends NDP with 255 whatever the socket defaults are. Without a source the kernel picks one of
// the interface's addresses (RFC 4861 §7.2.4: an address assigned to the interface).
Napi::Value Icmp6Socket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "sendmsg");
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "body must be a Buffer");
  auto body = info[0].As<Napi::Buffer<uint8_t>>();
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = ParseAddress(env, info[1], "destination");
  to.sin6_scope_id = static_cast<uint32_t>(ifindex_);  // link-local and multicast need a zone
  int hopLimit = info[2].As<Napi::Number>().Int32Value();
  in6_pktinfo pi{};
  pi.ipi6_ifindex = static_cast<unsigned>(ifindex_);
  if (!info[3].IsUndefined()) pi.ipi6_addr = ParseAddress(env, info[3], "source");

  alignas(cmsghdr) char control[CMSG_SPACE(sizeof pi) + CMSG_SPACE(sizeof hopLimit)] = {};
  iovec iov{body.Data(), body.Length()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof pi);
  memcpy(CMSG_DATA(c), &pi, sizeof pi);
  c = CMSG_NXTHDR(&msg, c);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_HOPLIMIT;
  c->cmsg_len = CMSG_LEN(sizeof hopLimit);
  memcpy(CMSG_DATA(c), &hopLimit, sizeof hopLimit);
  ssize_t n = sendmsg(fd_, &msg, 0);
  Check(env, static_cast<int>(n), "sendmsg");
  return Napi::Number::New(env, static_cast<double>(n));
}

// join(group) / leave(group): IPV6_JOIN_GROUP on the bound interface. Joining a solicited-node
// group (ff02::1:ffXX:XXXX, RFC 4291 §2.7.1) also programs the NIC's multicast filter, so
// Neighbor Solicitations for a VIP reach this host at all.
Napi::Value Icmp6Socket::Membership(const Napi::CallbackInfo& info, int option, const char* name) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, name);
  ipv6_mreq mreq{};
  mreq.ipv6mr_multiaddr = ParseAddress(env, info[0], "group");
  mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
  Check(env, setsockopt(fd_, IPPROTO_IPV6, option, &mreq, sizeof mreq), name);
  return env.Undefined();
}
Napi::Value Icmp6Socket::Join(const Napi::CallbackInfo& info) {
  return Membership(info, IPV6_JOIN_GROUP, "setsockopt(IPV6_JOIN_GROUP)");
}
Napi::Value Icmp6Socket::Leave(const Napi::CallbackInfo& info) {
  return Membership(info, IPV6_LEAVE_GROUP, "setsockopt(IPV6_LEAVE_GROUP)");
}

Napi::Function Icmp6Socket::Define(Napi::Env env) {
  return DefineClass(env, "Icmp6Socket",
                     {InstanceMethod("send", &Icmp6Socket::Send), InstanceMethod("join", &Icmp6Socket::Join),
                      InstanceMethod("leave", &Icmp6Socket::Leave), InstanceMethod("close", &Icmp6Socket::Close)});
}

}  // namespace herald
