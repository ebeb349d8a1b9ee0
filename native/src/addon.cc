// Herald's N-API addon: the few socket calls Node does not offer. Everything above the syscall
// (framing, decisions, retries) lives in TypeScript, behind src/net/.
#include "sockets.h"

namespace herald {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Define(env));
  exports.Set("Icmp6Socket", Icmp6Socket::Define(env));
  exports.Set("UdpSocket", UdpSocket::Define(env));
  exports.Set("setTcpMd5", Napi::Function::New(env, SetTcpMd5, "setTcpMd5"));
  exports.Set("tcpSocket", Napi::Function::New(env, TcpSocket, "tcpSocket"));
  exports.Set("setTtl", Napi::Function::New(env, SetTtl, "setTtl"));
  exports.Set("abiVersion", Napi::Number::New(env, 3));  // ABI_VERSION in src/net/native.ts
  return exports;
}

NODE_API_MODULE(herald_net, Init)

}  // namespace herald
