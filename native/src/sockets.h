// The classes the addon exports; see docs/native.md for the JS-facing contract.
#pragma once

#include "common.h"

namespace herald {

class PacketSocket : public PolledSocket<PacketSocket> {
 public:
  explicit PacketSocket(const Napi::CallbackInfo& info);
  static Napi::Function Define(Napi::Env env);
  bool ReceiveOne();

 private:
  bool ReadFrame(Napi::Value out[3]);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value ReadQueued(const Napi::CallbackInfo& info);
  bool timestamps_ = false;
};

class Icmp6Socket : public PolledSocket<Icmp6Socket> {
 public:
  explicit Icmp6Socket(const Napi::CallbackInfo& info);
  static Napi::Function Define(Napi::Env env);
  bool ReceiveOne();

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value Leave(const Napi::CallbackInfo& info);
  Napi::Value Membership(const Napi::CallbackInfo& info, int option, const char* name);
  int ifindex_ = 0;
};

class UdpSocket : public PolledSocket<UdpSocket> {
 public:
  explicit UdpSocket(const Napi::CallbackInfo& info);
  static Napi::Function Define(Napi::Env env);
  bool ReceiveOne();

 private:
  Napi::Value Send(const Napi::CallbackInfo& info);
  int family_ = AF_INET;
};

Napi::Value SetTcpMd5(const Napi::CallbackInfo& info);
void InstallMd5(Napi::Env env, int fd, int family, const std::string& peer, Napi::Value key);
int SocketFamily(Napi::Env env, int fd);

Napi::Value TcpSocket(const Napi::CallbackInfo& info);
Napi::Value SetTtl(const Napi::CallbackInfo& info);

}  // namespace herald
