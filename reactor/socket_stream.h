// SocketStream: the Stream of a connected non-blocking socket (unix or tcp), and
// the non-blocking connect that produces one.
//
// The stream owns its fd (closed by close() or the destructor) and is built only
// on Loop::watch_fd and Loop timers, so it runs on every loop backend. write()
// first tries to send directly; what the kernel does not take is queued in a
// ByteQueue and flushed on writability. Errors found inside a call from the owner
// (a send() failing in write()) are reported on the next loop iteration, never
// synchronously (see reactor/stream.h for the full contract).
//
// connect(): a non-blocking connect with a deadline. TCP gets TCP_NODELAY (the
// protocols on top are request/response). A unix listener whose backlog is full
// answers EAGAIN instead of queueing the connect: the attempt retries with a
// short backoff until the deadline. The callback is called exactly once, never
// from inside connect(), unless the returned handle is destroyed first (which
// cancels the attempt and closes its socket).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/byte_queue.h"
#include "base/result.h"
#include "base/time.h"
#include "reactor/loop.h"
#include "reactor/socket_address.h"
#include "reactor/stream.h"

namespace ovnk::reactor {

// Handle of a pending connect: destroying it cancels the attempt.
class ConnectAttempt {
 public:
  virtual ~ConnectAttempt() = default;
};
using ConnectCallback = std::function<void(Result<std::unique_ptr<Stream>>)>;

class SocketStream final : public Stream {
 public:
  // Connects to `address`; `timeout` <= 0 means no deadline. Errors name the
  // address: "io: connect tcp:127.0.0.1:6641: Connection refused".
  static std::unique_ptr<ConnectAttempt> connect(Loop& loop, const SocketAddress& address,
                                                 Duration timeout, ConnectCallback callback,
                                                 StreamOptions options = {});

  // Takes ownership of a connected socket (made non-blocking here if it is not).
  static std::unique_ptr<SocketStream> adopt(Loop& loop, int fd, StreamOptions options = {});

  SocketStream(Loop& loop, int fd, StreamOptions options);
  ~SocketStream() override;

  void set_handler(StreamHandler* handler) override;
  bool write(std::string_view data) override;
  size_t queued_bytes() const override { return out_.size(); }
  void shutdown_write() override;
  void pause_reading() override;
  void resume_reading() override;
  void close() override;
  bool is_open() const override { return state_ == State::kOpen; }
  const std::string& peer_name() const override { return peer_name_; }
  const std::string& local_name() const override { return local_name_; }

  int fd() const { return fd_; }  // -1 once closed; for getsockopt (SO_PEERCRED)

 private:
  enum class State {
    kOpen,    // connected: reads while a handler is set and not paused, flushes out_
    kFailed,  // fd closed after an error; waits for the notify timer to deliver on_error
    kClosed,  // close() called or on_error delivered: inert until destroyed
  };

  void on_fd_event(FdEvents events) noexcept;
  void on_notify() noexcept;
  // Sends what the kernel takes; false when the connection failed.
  bool flush();
  // Reads up to the budget and delivers; false when `this` was destroyed.
  bool read_some();
  void update_interest();
  void fail(Error error);
  void release_fd();
  void describe();

  Loop& loop_;
  int fd_;
  StreamOptions options_;
  State state_ = State::kOpen;
  StreamHandler* handler_ = nullptr;
  std::unique_ptr<FdWatch> watch_;
  std::unique_ptr<Timer> notify_;  // created on demand for a deferred on_error
  ByteQueue out_;
  Error pending_error_;
  bool paused_ = false;
  bool read_eof_ = false;           // the peer half-closed; reading stopped
  bool shutdown_requested_ = false;  // shutdown_write() called; no more writes
  bool write_shut_ = false;         // shutdown(SHUT_WR) done
  bool want_drained_ = false;       // a write() returned false: on_drained owed
  std::string peer_name_;
  std::string local_name_;
  DestructionGuard guard_;
};

}  // namespace ovnk::reactor
