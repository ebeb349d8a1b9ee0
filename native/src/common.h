// Shared by every socket class: errno → JS error, and a socket watched by libuv on the JS thread.
#pragma once

#include <napi.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace herald {

// A JS Error shaped like Node's own system errors: `code` is the errno name (EPERM, ENODEV…),
// `errno` is negative as in libuv, `syscall` names the call that failed.
inline Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + uv_strerror(-err));
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

// A socket fd (owned: closed by close() or when the JS object is collected) whose readability is
// watched with uv_poll on the loop of the JS thread that opened it. T implements
// `bool ReceiveOne()` (false when the socket has nothing more to read right now).
template <typename T>
class PolledSocket : public Napi::ObjectWrap<T> {
 public:
  explicit PolledSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<T>(info) {}
  ~PolledSocket() override { Shutdown(); }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      uv_loop_t* loop = nullptr;
      Shutdown(napi_get_uv_event_loop(info.Env(), &loop) == napi_ok ? loop : nullptr);
      this->Unref();
    }
    return info.Env().Undefined();
  }

 protected:
  // Call last in T's constructor, once every setsockopt has succeeded.
  void Start(Napi::Env env, Napi::Function onData, Napi::Function onError, const char* name) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) throw Napi::Error::New(env, "no event loop");
    auto* poll = new uv_poll_t;
    int r = uv_poll_init(loop, poll, fd_);
    if (r < 0) {
      delete poll;
      throw ErrnoError(env, -r, "uv_poll_init");
    }
    poll->data = static_cast<T*>(this);
    poll_ = poll;
    r = uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (r < 0) throw ErrnoError(env, -r, "uv_poll_start");
    onData_ = Napi::Persistent(onData);
    onError_ = Napi::Persistent(onError);
    context_ = std::make_unique<Napi::AsyncContext>(env, name);
    // An open socket stays alive (and keeps the loop alive) until close(), like a net.Socket.
    this->Ref();
  }

  void Emit(const std::initializer_list<napi_value>& args) {
    onData_.MakeCallback(this->Value(), args, *context_);
  }
  void EmitError(int err, const char* syscall) {
    onError_.MakeCallback(this->Value(), {ErrnoError(this->Env(), err, syscall).Value()}, *context_);
  }

  // One recvmsg of a datagram into `iov`, the sender into `from`, ancillary data into `control`;
  // `msg` is left for the caller's CMSG loop. Negative when there is nothing more to read now,
  // or on an error, which has then been passed to onError.
  ssize_t ReceiveMessage(msghdr& msg, iovec& iov, void* from, socklen_t fromLen, void* control, size_t controlLen) {
    msg = {};
    msg.msg_name = from;
    msg.msg_namelen = fromLen;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = controlLen;
    ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) EmitError(errno, "recvmsg");
    return n;
  }

  int fd_ = -1;

 private:
  // Bounded so that a flood on one socket cannot starve the rest of the loop; uv_poll is
  // level-triggered, so what is left is read on the next turn.
  static constexpr int kMaxPerWakeup = 64;

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    T* self = static_cast<T*>(handle->data);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    try {
      if (status < 0) {
        // libuv reports POLLERR as UV_EBADF and stops the handle. On a socket that is a pending
        // socket error (AF_PACKET raises ENETDOWN when its interface goes down): fetch it, which
        // clears it, pass it on, and keep watching, since the socket is still usable.
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0) {
          int r = uv_poll_start(handle, UV_READABLE, OnReadable);
          self->EmitError(err, "recvmsg");
          if (r < 0) self->EmitError(-r, "uv_poll_start");
        } else {
          self->EmitError(-status, "uv_poll");
        }
        return;
      }
      for (int i = 0; i < kMaxPerWakeup && self->fd_ >= 0; i++) {
        if (!self->ReceiveOne()) break;
      }
    } catch (const Napi::Error& e) {
      // A JS callback threw: surface it as 'uncaughtException', as Node's own emitters do.
      napi_fatal_exception(env, e.Value());
    }
  }

  // With a loop, the fd is closed on its thread pool: closing a bound AF_PACKET socket waits for
  // an RCU grace period (packet_release → synchronize_net), 10–16 ms here, and a drain that closed
  // thirty of them stalled the speaker's event loop for 180 ms (issue #14). Nothing is read from
  // the fd once its poll has stopped, so the caller sees it closed at once.
  void Shutdown(uv_loop_t* loop = nullptr) {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (fd_ >= 0) {
      CloseFd(loop, fd_);
      fd_ = -1;
    }
  }

  static void CloseFd(uv_loop_t* loop, int fd) {
    if (loop != nullptr) {
      auto* work = new uv_work_t;
      work->data = reinterpret_cast<void*>(static_cast<intptr_t>(fd));
      int r = uv_queue_work(
          loop, work, [](uv_work_t* w) { ::close(static_cast<int>(reinterpret_cast<intptr_t>(w->data))); },
          [](uv_work_t* w, int) { delete w; });
      if (r == 0) return;
      delete work;
    }
    ::close(fd);
  }

  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onData_;
  Napi::FunctionReference onError_;
  std::unique_ptr<Napi::AsyncContext> context_;
};

// Throws ErrnoError when a setsockopt-style call returns -1.
inline void Check(Napi::Env env, int rc, const char* syscall) {
  if (rc < 0) throw ErrnoError(env, errno, syscall);
}

}  // namespace herald
