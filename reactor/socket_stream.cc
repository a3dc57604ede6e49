#include "reactor/socket_stream.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/log.h"

namespace ovnk::reactor {
namespace {

// One read buffer per thread: reads never nest (they only happen from fd
// events), and on_data's view is only valid during the call anyway.
char* read_buffer(size_t size) {
  thread_local std::vector<char> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

std::string name_of(int fd, bool peer) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  int rc = peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len);
  if (rc != 0) return "fd:" + std::to_string(fd);
  auto address = SocketAddress::from_sockaddr(sa, len);
  if (!address.ok()) return "fd:" + std::to_string(fd);
  return address->to_string();
}

void set_nodelay(int fd) {
  int one = 1;
  // Best effort: a failure only costs latency.
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string millis_text(Duration d) { return std::to_string(to_whole_millis(d)) + " ms"; }

// ---------------------------------------------------------------------------
// The connect attempt behind SocketStream::connect().

class SocketConnector final : public ConnectAttempt {
 public:
  SocketConnector(Loop& loop, const SocketAddress& address, Duration timeout,
                  ConnectCallback callback, StreamOptions options)
      : loop_(loop),
        address_(address),
        timeout_(timeout),
        callback_(std::move(callback)),
        options_(options) {}

  ~SocketConnector() override {
    watch_.reset();
    if (fd_ >= 0) ::close(fd_);
  }

  void start() {
    if (timeout_ > Duration::zero()) {
      deadline_ = loop_.make_timer([this]() noexcept {
        finish(make_error("io", ETIMEDOUT,
                          "connect " + address_.to_string() + ": timed out after " +
                              millis_text(timeout_)));
      });
      deadline_->start(timeout_);
    }
    // The first connect() runs from the loop so that even an immediate failure
    // reaches the callback after connect() has returned the handle.
    step_ = loop_.make_timer([this]() noexcept { attempt(); });
    step_->start(Duration::zero());
  }

 private:
  enum class State {
    kStarting,    // waits for the step timer to make the first connect()
    kConnecting,  // connect() in progress: waits for writability, then reads SO_ERROR
    kBackoff,     // unix listener backlog full (EAGAIN): retries on the step timer
    kDone,        // callback delivered (or being delivered): inert
  };

  void attempt() {
    if (fd_ < 0) {
      fd_ = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd_ < 0) {
        finish(errno_error("io", errno, "connect " + address_.to_string() + ": socket"));
        return;
      }
      if (address_.is_tcp()) set_nodelay(fd_);
    }
    int rc;
    do {
      rc = ::connect(fd_, address_.sockaddr(), address_.length());
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
      succeed();
      return;
    }
    int err = errno;
    if (err == EINPROGRESS) {
      state_ = State::kConnecting;
      watch_ = loop_.watch_fd(fd_, kWritable, [this](FdEvents) noexcept { on_connect_event(); });
      return;
    }
    if (err == EAGAIN && address_.is_unix()) {
      // The listener's backlog is full; the kernel does not queue a
      // non-blocking unix connect, so try again a little later.
      state_ = State::kBackoff;
      step_->start(retry_delay_);
      retry_delay_ = std::min<Duration>(retry_delay_ * 2, milliseconds(100));
      return;
    }
    finish(errno_error("io", err, "connect " + address_.to_string()));
  }

  void on_connect_event() {
    if (state_ != State::kConnecting) return;
    int err = socket_error(fd_);
    if (err == 0) {
      succeed();
    } else if (err != EINPROGRESS) {
      finish(errno_error("io", err, "connect " + address_.to_string()));
    }
  }

  void succeed() {
    // The kernel's view of the peer may differ from what we dialled (a
    // relative unix path): log what we dialled, it is what the operator wrote.
    LOG_DEBUG("stream_connected", log::kv("peer", address_.to_string()));
    int fd = fd_;
    fd_ = -1;
    watch_.reset();  // before the stream watches the same fd
    finish(std::unique_ptr<Stream>(std::make_unique<SocketStream>(loop_, fd, options_)));
  }

  // Releases every handle (possibly the one whose callback runs now: the loop
  // allows it), then calls back last: the callback may destroy `this`.
  void finish(Result<std::unique_ptr<Stream>> result) {
    if (state_ == State::kDone) return;
    state_ = State::kDone;
    watch_.reset();
    step_.reset();
    deadline_.reset();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
    ConnectCallback callback = std::move(callback_);
    if (callback) callback(std::move(result));
  }

  Loop& loop_;
  SocketAddress address_;
  Duration timeout_;
  ConnectCallback callback_;
  StreamOptions options_;
  State state_ = State::kStarting;
  int fd_ = -1;
  Duration retry_delay_ = milliseconds(1);
  std::unique_ptr<FdWatch> watch_;
  std::unique_ptr<Timer> step_;
  std::unique_ptr<Timer> deadline_;
};

}  // namespace

// ---------------------------------------------------------------------------

std::unique_ptr<ConnectAttempt> SocketStream::connect(Loop& loop, const SocketAddress& address,
                                                      Duration timeout, ConnectCallback callback,
                                                      StreamOptions options) {
  auto attempt = std::make_unique<SocketConnector>(loop, address, timeout, std::move(callback),
                                                   options);
  attempt->start();
  return attempt;
}

std::unique_ptr<SocketStream> SocketStream::adopt(Loop& loop, int fd, StreamOptions options) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_NONBLOCK) == 0) (void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  return std::make_unique<SocketStream>(loop, fd, options);
}

SocketStream::SocketStream(Loop& loop, int fd, StreamOptions options)
    : loop_(loop), fd_(fd), options_(options) {
  if (options_.read_chunk == 0) options_.read_chunk = 64u << 10;
  if (options_.read_budget < options_.read_chunk) options_.read_budget = options_.read_chunk;
  if (options_.low_water > options_.high_water) options_.low_water = options_.high_water;
  describe();
  watch_ = loop_.watch_fd(fd_, kNone, [this](FdEvents events) noexcept { on_fd_event(events); });
}

SocketStream::~SocketStream() { release_fd(); }

void SocketStream::describe() {
  local_name_ = name_of(fd_, false);
  peer_name_ = name_of(fd_, true);
  if (peer_name_ == "unix:") {
    // The client end of an accepted unix connection has no name: say which
    // listener it came through and which process it is, for the logs.
    peer_name_ = local_name_;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      peer_name_ += "(pid=" + std::to_string(cred.pid) + ")";
    }
  }
}

void SocketStream::set_handler(StreamHandler* handler) {
  handler_ = handler;
  update_interest();
}

bool SocketStream::write(std::string_view data) {
  if (state_ != State::kOpen || shutdown_requested_) return false;
  if (data.empty()) return out_.size() <= options_.high_water;
  if (out_.empty()) {
    // Nothing queued: hand the bytes straight to the kernel, queue the rest.
    ssize_t n;
    do {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      int err = errno;
      if (err != EAGAIN && err != EWOULDBLOCK) {
        fail(errno_error("io", err, "write to " + peer_name_));
        return false;
      }
      n = 0;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (!data.empty()) {
    if (options_.max_queued != 0 && out_.size() + data.size() > options_.max_queued) {
      fail(make_error("io", ENOBUFS,
                      "write to " + peer_name_ + ": output queue over " +
                          std::to_string(options_.max_queued) + " bytes (peer not reading)"));
      return false;
    }
    out_.append(data);
    update_interest();
  }
  if (out_.size() > options_.high_water) {
    want_drained_ = true;
    return false;
  }
  return true;
}

void SocketStream::shutdown_write() {
  if (state_ != State::kOpen || shutdown_requested_) return;
  shutdown_requested_ = true;
  if (out_.empty()) (void)flush();  // does the shutdown(2) itself
}

void SocketStream::pause_reading() {
  paused_ = true;
  update_interest();
}

void SocketStream::resume_reading() {
  paused_ = false;
  update_interest();
}

void SocketStream::close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  release_fd();
}

void SocketStream::release_fd() {
  watch_.reset();  // stop watching before the fd number can be reused
  notify_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  out_.clear();
}

void SocketStream::update_interest() {
  if (state_ != State::kOpen || !watch_) return;
  unsigned interest = kNone;
  if (handler_ != nullptr && !paused_ && !read_eof_) interest |= kReadable;
  if (!out_.empty()) interest |= kWritable;
  if (interest != watch_->interest()) watch_->set_interest(interest);
}

void SocketStream::fail(Error error) {
  if (state_ != State::kOpen) return;
  LOG_DEBUG("stream_failed", log::kv("peer", peer_name_), log::kv("error", error));
  state_ = State::kFailed;
  pending_error_ = std::move(error);
  watch_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  out_.clear();
  // Delivered from the loop, never from inside the owner's call.
  notify_ = loop_.make_timer([this]() noexcept { on_notify(); });
  notify_->start(Duration::zero());
}

void SocketStream::on_notify() noexcept {
  if (state_ != State::kFailed) return;
  state_ = State::kClosed;
  notify_.reset();  // our own timer; the loop allows it
  Error error = std::move(pending_error_);
  if (handler_ != nullptr) handler_->on_error(error);
}

void SocketStream::on_fd_event(FdEvents events) noexcept {
  if (state_ != State::kOpen) return;
  if (events.error) {
    int err = socket_error(fd_);
    if (err != 0) {
      fail(errno_error("io", err, "connection with " + peer_name_));
      return;
    }
  }
  bool any = events.readable || events.hangup || events.error;
  if (!out_.empty() && (events.writable || any)) {
    if (!flush()) return;
    if (want_drained_ && out_.size() <= options_.low_water) {
      want_drained_ = false;
      if (handler_ != nullptr && !guard_.call([&] { handler_->on_drained(); })) return;
      if (state_ != State::kOpen) return;
    }
  }
  if (any && (watch_->interest() & kReadable) != 0) {
    if (!read_some()) return;
  }
  update_interest();
}

bool SocketStream::flush() {
  while (!out_.empty()) {
    std::string_view pending = out_.readable();
    ssize_t n = ::send(fd_, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      fail(errno_error("io", err, "write to " + peer_name_));
      return false;
    }
    out_.consume(static_cast<size_t>(n));
  }
  if (out_.empty() && shutdown_requested_ && !write_shut_) {
    write_shut_ = true;
    if (::shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN) {
      fail(errno_error("io", errno, "shutdown towards " + peer_name_));
      return false;
    }
  }
  update_interest();
  return true;
}

bool SocketStream::read_some() {
  size_t budget = options_.read_budget;
  while (budget > 0 && state_ == State::kOpen && handler_ != nullptr && !paused_ && !read_eof_) {
    size_t want = std::min(options_.read_chunk, budget);
    char* buf = read_buffer(want);
    ssize_t n = ::recv(fd_, buf, want, 0);
    if (n > 0) {
      auto got = static_cast<size_t>(n);
      budget -= got;
      if (!guard_.call([&] { handler_->on_data(std::string_view(buf, got)); })) return false;
      if (got < want) break;  // the socket is very likely empty: skip the EAGAIN round trip
      continue;
    }
    if (n == 0) {
      read_eof_ = true;
      update_interest();
      return guard_.call([&] { handler_->on_eof(); });
    }
    int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) break;
    fail(errno_error("io", err, "read from " + peer_name_));
    break;
  }
  return true;
}

}  // namespace ovnk::reactor
