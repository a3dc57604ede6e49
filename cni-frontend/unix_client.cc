#include "cni-frontend/unix_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "cni-frontend/errors.h"
#include "cni-frontend/http_message.h"

namespace ovnk::cni {

namespace {

constexpr size_t kMaxReplyBytes = 16u << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct Call {
  std::string endpoint;  // "unix:/path"
  MonoTime deadline;
  Duration timeout;

  // Milliseconds left for poll(), rounded up; 0 once the deadline has passed.
  int remaining_ms() const {
    const Duration left = deadline - mono_now();
    if (left <= Duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
  }

  Error unreachable(int err) const {
    return cni_error(Code::kDaemonUnreachable,
                     "ovnk daemon not reachable; connect " + endpoint + ": " + std::strerror(err) +
                         "; is ovnk-reactor running on this node, and is \"daemonSocket\" in the "
                         "network config right?");
  }
  Error timed_out(std::string_view phase) const {
    return cni_error(Code::kTimeout, "timed out waiting for the ovnk daemon; no answer from " +
                                         endpoint + " within " +
                                         std::to_string(to_whole_millis(timeout)) + " ms (" +
                                         std::string(phase) + ")");
  }
  Error lost(std::string_view what) const {
    return cni_error(Code::kIoFailure,
                     "lost the connection to the ovnk daemon; " + endpoint + ": " +
                         std::string(what) +
                         "; the daemon may have restarted, the operation may or may not have "
                         "been applied");
  }
};

// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -errno.
int wait_for(int fd, short events, const Call& call) {
  for (;;) {
    const int ms = call.remaining_ms();
    if (ms == 0) return 0;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, ms);
    if (rc > 0) return 1;
    if (rc == 0) continue;  // re-check the deadline (poll may wake early)
    if (errno != EINTR) return -errno;
  }
}

Result<void> connect_unix(int fd, const sockaddr_un& addr, const Call& call) {
  int backoff_ms = 1;
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return ok_result();
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) {
      // The listener's backlog is full (a burst of pods): the kernel does not
      // queue a non-blocking unix connect, so retry until the deadline.
      const int ms = call.remaining_ms();
      if (ms == 0) return call.timed_out("connecting: the daemon's accept backlog stayed full");
      ::poll(nullptr, 0, std::min(backoff_ms, ms));
      backoff_ms = std::min(backoff_ms * 2, 50);
      continue;
    }
    if (err == EINPROGRESS) {
      const int w = wait_for(fd, POLLOUT, call);
      if (w == 0) return call.timed_out("connecting");
      int so_error = w < 0 ? -w : 0;
      socklen_t len = sizeof so_error;
      if (w > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error == 0) return ok_result();
      return call.unreachable(so_error);
    }
    return call.unreachable(err);
  }
}

}  // namespace

Result<DaemonReply> UnixHttpTransport::post(std::string_view socket_path, std::string_view body,
                                            Duration timeout) {
  Call call{"unix:" + std::string(socket_path), mono_now() + timeout, timeout};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof addr.sun_path) {
    return call.unreachable(ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    return cni_error(Code::kInternal, std::string("cannot create a socket; ") + std::strerror(errno));
  }
  OVNK_TRY(connect_unix(fd.get(), addr, call));

  // Send. If the daemon answers early and closes (413 for a body over its
  // limit), send() fails with EPIPE while the answer is waiting to be read.
  const std::string request = http::format_post("/cni", body);
  std::string_view pending = request;
  while (!pending.empty()) {
    const ssize_t n = ::send(fd.get(), pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      pending.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN) {
      const int w = wait_for(fd.get(), POLLOUT, call);
      if (w == 0) return call.timed_out("sending the request");
      if (w < 0) return call.lost(std::strerror(-w));
      continue;
    }
    if (err == EPIPE || err == ECONNRESET) break;  // read what the daemon said, if anything
    return call.lost(std::strerror(err));
  }

  http::Parser parser(http::Parser::Type::kResponse, kMaxReplyBytes);
  char buf[16384];
  for (;;) {
    const int w = wait_for(fd.get(), POLLIN, call);
    if (w == 0) return call.timed_out("waiting for the answer");
    if (w < 0) return call.lost(std::strerror(-w));
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return call.lost(std::strerror(errno));
    }
    if (n == 0) {
      if (parser.finish() == http::Parser::Status::kMessage) {
        http::Message m = parser.take();
        return DaemonReply{m.status, std::move(m.body)};
      }
      return call.lost(pending.empty() ? "closed before a complete answer"
                                       : "closed while the request was being sent");
    }
    std::string_view data(buf, static_cast<size_t>(n));
    while (!data.empty()) {
      const auto fed = parser.feed(data);
      data.remove_prefix(fed.consumed);
      if (fed.status == http::Parser::Status::kError) {
        return cni_error(Code::kInternal,
                         "the ovnk daemon's answer is not valid HTTP; " + parser.error());
      }
      if (fed.status == http::Parser::Status::kMessage) {
        http::Message m = parser.take();
        if (m.status >= 100 && m.status < 200) continue;  // interim answer: keep reading
        return DaemonReply{m.status, std::move(m.body)};
      }
    }
  }
}

}  // namespace ovnk::cni
