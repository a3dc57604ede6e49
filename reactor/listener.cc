#include "reactor/listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "reactor/socket_stream.h"

namespace ovnk::reactor {
namespace {

// Decides what to do with a file already at a unix socket path before bind().
Result<void> clear_unix_path(const SocketAddress& address, bool remove_stale) {
  std::string path = address.path();
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) return {};  // nothing there (or unreadable: bind says)
  std::string what = "listen " + address.to_string();
  if (!remove_stale) {
    return make_error("io", EADDRINUSE,
                      what + ": a file already exists at the path (a dead server's socket "
                             "can be replaced with remove_stale_socket)");
  }
  if (!S_ISSOCK(st.st_mode)) {
    return make_error("io", EEXIST, what + ": the path exists and is not a socket; not removing it");
  }
  // A socket file: stale only if nobody answers on it.
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) return errno_error("io", errno, what + ": probe socket");
  int rc = ::connect(probe, address.sockaddr(), address.length());
  int err = rc == 0 ? 0 : errno;
  ::close(probe);
  if (err == 0 || err == EAGAIN || err == EINPROGRESS) {
    return make_error("io", EADDRINUSE, what + ": a server is listening on it; not replacing it");
  }
  if (err != ECONNREFUSED) return errno_error("io", err, what + ": probing the existing socket");
  LOG_INFO("stale_socket_removed", log::kv("path", path));
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return errno_error("io", errno, what + ": removing the stale socket");
  }
  return {};
}

bool out_of_resources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// Errors that concern only the connection being accepted (accept(2): the
// pending network errors are passed on by accept and should be retried).
bool per_connection_error(int err) {
  switch (err) {
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::unique_ptr<Listener>> Listener::listen(Loop& loop, const SocketAddress& address,
                                                   AcceptCallback on_accept,
                                                   ListenOptions options) {
  if (!address.is_unix() && !address.is_tcp()) {
    return make_error("config", EINVAL, "listen: not a unix or tcp address");
  }
  std::string what = "listen " + address.to_string();
  if (address.is_unix()) OVNK_TRY(clear_unix_path(address, options.remove_stale_socket));

  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("io", errno, what + ": socket");
  auto fail = [&](std::string_view step) {
    Error e = errno_error("io", errno, what + ": " + std::string(step));
    ::close(fd);
    return e;
  };
  if (address.is_tcp()) {
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return fail("SO_REUSEADDR");
  }
  if (::bind(fd, address.sockaddr(), address.length()) != 0) return fail("bind");

  dev_t dev = 0;
  ino_t ino = 0;
  std::string path = address.path();
  if (address.is_unix()) {
    struct stat st{};
    if (stat(path.c_str(), &st) == 0) {
      dev = st.st_dev;
      ino = st.st_ino;
    }
  }
  if (::listen(fd, options.backlog) != 0) {
    Error e = fail("listen");
    if (address.is_unix()) unlink(path.c_str());
    return e;
  }

  SocketAddress bound = address;
  if (address.is_tcp()) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      auto got = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
      if (got.ok()) bound = *got;
    }
  }
  std::unique_ptr<Listener> listener(
      new Listener(loop, fd, bound, std::move(on_accept), options));
  listener->socket_dev_ = dev;
  listener->socket_ino_ = ino;
  LOG_INFO("listening", log::kv("address", bound.to_string()));
  return listener;
}

Listener::Listener(Loop& loop, int fd, SocketAddress address, AcceptCallback on_accept,
                   ListenOptions options)
    : loop_(loop),
      fd_(fd),
      address_(std::move(address)),
      on_accept_(std::move(on_accept)),
      options_(options) {
  if (options_.accept_batch <= 0) options_.accept_batch = 1;
  watch_ = loop_.watch_fd(fd_, kReadable, [this](FdEvents) noexcept { on_readable(); });
  resume_ = loop_.make_timer([this]() noexcept {
    if (watch_) watch_->set_interest(kReadable);
  });
}

Listener::~Listener() {
  watch_.reset();
  resume_.reset();
  if (address_.is_unix()) {
    // Remove the socket file only if it is still ours: another server may
    // have replaced it meanwhile.
    std::string path = address_.path();
    struct stat st{};
    if (stat(path.c_str(), &st) == 0 && st.st_dev == socket_dev_ && st.st_ino == socket_ino_) {
      unlink(path.c_str());
    }
  }
  if (fd_ >= 0) ::close(fd_);
}

void Listener::on_readable() noexcept {
  for (int i = 0; i < options_.accept_batch; ++i) {
    int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      ++stats_.accept_errors;
      if (per_connection_error(err)) continue;
      if (out_of_resources(err)) {
        LOG_WARN("accept_paused", log::kv("listener", address_.to_string()),
                 log::kv("error", std::strerror(err)),
                 log::kv("pause_ms", to_whole_millis(options_.accept_pause)));
      } else {
        LOG_ERROR("accept_failed", log::kv("listener", address_.to_string()),
                  log::kv("error", std::strerror(err)));
      }
      // The socket stays readable: stop watching for a while rather than spin.
      pause();
      return;
    }
    ++stats_.accepted;
    if (address_.is_tcp()) {
      int one = 1;
      (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    auto stream = std::make_unique<SocketStream>(loop_, fd, options_.stream);
    LOG_DEBUG("stream_accepted", log::kv("listener", address_.to_string()),
              log::kv("peer", stream->peer_name()));
    if (!guard_.call([&] { on_accept_(std::move(stream)); })) return;
  }
}

void Listener::pause() {
  ++stats_.pauses;
  watch_->set_interest(kNone);
  resume_->start(options_.accept_pause);
}

}  // namespace ovnk::reactor
