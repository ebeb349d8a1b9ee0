// AF_PACKET socket bound to one interface: raw Ethernet frames in and out (ARP replies,
// gratuitous ARP, NDP over Ethernet). packet(7).
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <ctime>

#include "common.h"
#include "sockets.h"

namespace herald {

namespace {
thread_local uint8_t rxbuf[65536];
}

// new PacketSocket(ifindex, protocol, onFrame, onError, timestamps, filter?)
//   onFrame(frame: Buffer, pktType: number, timestampNs: bigint | undefined)
//   onError(err: Error)   receive errors (ENETDOWN when the link goes down); the socket stays open
PacketSocket::PacketSocket(const Napi::CallbackInfo& info) : PolledSocket<PacketSocket>(info) {
  Napi::Env env = info.Env();
  int ifindex = info[0].As<Napi::Number>().Int32Value();
  uint16_t protocol = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
  timestamps_ = info[4].ToBoolean().Value();

  // Protocol 0 at creation: the socket receives nothing until bind() names the protocol and the
  // interface, so no frame from another interface slips in between the two calls.
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  Check(env, fd_, "socket");
  if (timestamps_) {
    int on = 1;  // kernel receive time, for the benchmark's reply-latency figures
    Check(env, setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on), "setsockopt(SO_TIMESTAMPNS)");
  }
  if (info[5].IsBuffer()) {
    // Classic BPF program: struct sock_filter[] (8 bytes each), attached before bind for the same reason.
    auto prog = info[5].As<Napi::Buffer<uint8_t>>();
    if (prog.Length() == 0 || prog.Length() % sizeof(sock_filter) != 0) throw ErrnoError(env, EINVAL, "setsockopt(SO_ATTACH_FILTER)");
    sock_fprog fprog{static_cast<unsigned short>(prog.Length() / sizeof(sock_filter)),
                     reinterpret_cast<sock_filter*>(prog.Data())};
    Check(env, setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog), "setsockopt(SO_ATTACH_FILTER)");
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(protocol);
  addr.sll_ifindex = ifindex;
  Check(env, bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), "bind");
  Start(env, info[2].As<Napi::Function>(), info[3].As<Napi::Function>(), "HeraldPacketSocket");
}

// One queued frame as [data, pktType, timestampNs | undefined]; false when none is queued (or on a
// receive error, which is emitted through onError: the socket stays open).
bool PacketSocket::ReadFrame(Napi::Value out[3]) {
  Napi::Env env = Env();
  sockaddr_ll from{};
  iovec iov{rxbuf, sizeof rxbuf};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  msghdr msg;
  ssize_t n = ReceiveMessage(msg, iov, &from, sizeof from, control, sizeof control);
  if (n < 0) return false;
  Napi::Value ts = env.Undefined();
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec t;
      memcpy(&t, CMSG_DATA(c), sizeof t);
      uint64_t ns = static_cast<uint64_t>(t.tv_sec) * 1000000000u + static_cast<uint64_t>(t.tv_nsec);
      ts = Napi::BigInt::New(env, ns);
    }
  }
  out[0] = Napi::Buffer<uint8_t>::Copy(env, rxbuf, static_cast<size_t>(n));
  out[1] = Napi::Number::New(env, from.sll_pkttype);
  out[2] = ts;
  return true;
}

bool PacketSocket::ReceiveOne() {
  Napi::Value frame[3];
  if (!ReadFrame(frame)) return false;
  Emit({frame[0], frame[1], frame[2]});
  return true;
}

// readQueued(): Array<[Buffer, pktType, timestampNs | undefined]> — the frames queued now (at most
// 64), read without waiting and returned instead of passed to onFrame. For a caller that must know,
// before it decides, what the kernel has already queued: the L2 backend reads its tap of outgoing
// frames this way to learn when its own announcement left (docs/l2.md, "Planned handover").
Napi::Value PacketSocket::ReadQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array frames = Napi::Array::New(env);
  if (fd_ < 0) return frames;
  for (uint32_t i = 0; i < 64; i++) {
    Napi::Value frame[3];
    if (!ReadFrame(frame)) break;
    Napi::Array entry = Napi::Array::New(env, 3);
    for (uint32_t k = 0; k < 3; k++) entry.Set(k, frame[k]);
    frames.Set(i, entry);
  }
  return frames;
}

// send(frame: Buffer): number — a whole Ethernet frame (destination MAC first) out of the bound
// interface. Throws EAGAIN/ENOBUFS when the device queue is full; nothing is queued here.
Napi::Value PacketSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) throw ErrnoError(env, EBADF, "send");
  if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "frame must be a Buffer");
  auto frame = info[0].As<Napi::Buffer<uint8_t>>();
  ssize_t n = send(fd_, frame.Data(), frame.Length(), 0);
  Check(env, static_cast<int>(n), "send");
  return Napi::Number::New(env, static_cast<double>(n));
}

Napi::Function PacketSocket::Define(Napi::Env env) {
  return DefineClass(env, "PacketSocket",
                     {InstanceMethod("send", &PacketSocket::Send), InstanceMethod("readQueued", &PacketSocket::ReadQueued),
                      InstanceMethod("close", &PacketSocket::Close)});
}

}  // namespace herald
