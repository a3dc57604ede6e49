#include "netlink/socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/log.h"

namespace ovnk::netlink {

namespace {

constexpr int kSolNetlink = 270;  // SOL_NETLINK, not in every libc's headers

Result<void> set_int_opt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return errno_error("netlink", errno, std::string("setsockopt ") + what);
  }
  return ok_result();
}

// Receive buffers are lent for one drain instead of owned by each socket: a pod's
// netns sockets live through its whole set-up, and a burst of a thousand ADDs
// would otherwise hold a thousand idle buffers. Drains may nest (a callback that
// sends flushes, and a flush drains), so each drain borrows a buffer of its own.
class LentBuffer {
 public:
  explicit LentBuffer(size_t size) {
    if (!spare().empty()) {
      buf_ = std::move(spare().back());
      spare().pop_back();
    }
    grow(size);
  }
  ~LentBuffer() {
    if (spare().size() < kMaxSpare) spare().push_back(std::move(buf_));
  }
  LentBuffer(const LentBuffer&) = delete;
  LentBuffer& operator=(const LentBuffer&) = delete;

  void grow(size_t size) {
    if (buf_.size() < size) buf_.resize(size);
  }
  char* data() { return buf_.data(); }
  size_t size() const { return buf_.size(); }

 private:
  static constexpr size_t kMaxSpare = 4;  // nesting is shallow; more would only hold memory
  static std::vector<std::vector<char>>& spare() {
    thread_local std::vector<std::vector<char>> buffers;
    return buffers;
  }
  std::vector<char> buf_;
};

class DispatchScope {
 public:
  explicit DispatchScope(int& depth) : depth_(depth) { ++depth_; }
  DispatchScope(const DispatchScope&) = delete;
  DispatchScope& operator=(const DispatchScope&) = delete;
  ~DispatchScope() { --depth_; }

 private:
  int& depth_;
};

}  // namespace

Result<int> NetlinkSocket::create_fd(int protocol) {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) return errno_error("netlink", errno, "socket(AF_NETLINK, " + std::to_string(protocol) + ")");
  return fd;
}

Result<std::unique_ptr<NetlinkSocket>> NetlinkSocket::open(reactor::Loop& loop, int protocol,
                                                           SocketOptions options) {
  OVNK_ASSIGN_OR_RETURN(int fd, create_fd(protocol));
  return adopt(loop, fd, protocol, std::move(options));
}

Result<std::unique_ptr<NetlinkSocket>> NetlinkSocket::open_in(reactor::Loop& loop, int protocol,
                                                              const NetnsHandle& ns,
                                                              SocketOptions options) {
  Result<int> fd = make_error("netlink", EINVAL, "not run");
  OVNK_TRY(in_netns(ns, [&] { fd = create_fd(protocol); }));
  if (!fd.ok()) return std::move(fd).error().with_context("in netns " + ns.path());
  return adopt(loop, *fd, protocol, std::move(options));
}

Result<std::unique_ptr<NetlinkSocket>> NetlinkSocket::adopt(reactor::Loop& loop, int fd, int protocol,
                                                            SocketOptions options) {
  std::unique_ptr<NetlinkSocket> s(new NetlinkSocket(loop, fd, protocol, std::move(options)));
  OVNK_TRY(s->setup());
  return s;
}

NetlinkSocket::NetlinkSocket(reactor::Loop& loop, int fd, int protocol, SocketOptions options)
    : loop_(&loop),
      fd_(fd),
      protocol_(protocol),
      options_(std::move(options)),
      session_(options_.limits, protocol),
      // Small buffers are for tests of truncation; it grows to what the kernel sends.
      recv_size_(options_.recv_buffer < 256 ? 256 : options_.recv_buffer) {}

NetlinkSocket::~NetlinkSocket() {
  if (dispatch_depth_ > 0) {
    LOG_ERROR("netlink_socket_destroyed_in_callback", log::kv("fd", fd_));
    std::abort();  // the caller's stack still runs inside this object
  }
  watch_.reset();
  if (fd_ >= 0) ::close(fd_);
}

Result<void> NetlinkSocket::setup() {
  if (options_.rcvbuf > 0) {
    // FORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN.
    if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &options_.rcvbuf, sizeof options_.rcvbuf) != 0) {
      OVNK_TRY(set_int_opt(fd_, SOL_SOCKET, SO_RCVBUF, options_.rcvbuf, "SO_RCVBUF"));
    }
  }
  OVNK_TRY(set_int_opt(fd_, kSolNetlink, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK"));
  OVNK_TRY(set_int_opt(fd_, kSolNetlink, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK"));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    return errno_error("netlink", errno, "bind netlink socket");
  }
  socklen_t len = sizeof local;
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
    return errno_error("netlink", errno, "getsockname netlink socket");
  }
  port_id_ = local.nl_pid;
  watch_ = loop_->watch_fd(fd_, reactor::kReadable, [this](reactor::FdEvents ev) { on_events(ev); });
  return ok_result();
}

Result<uint32_t> NetlinkSocket::request(const Session::BuildFn& build, DoneFn done, RowFn on_row) {
  Session::Handler h;
  h.on_row = std::move(on_row);
  h.on_done = std::move(done);
  OVNK_ASSIGN_OR_RETURN(uint32_t id, session_.request(build, std::move(h)));
  update_interest();
  return id;
}

Result<uint32_t> NetlinkSocket::dump(const Session::BuildFn& build, Session::Handler handler) {
  OVNK_ASSIGN_OR_RETURN(uint32_t id, session_.dump(build, std::move(handler)));
  update_interest();
  return id;
}

uint64_t NetlinkSocket::before_flush(Callback hook) {
  hooks_.emplace_back(++last_hook_id_, std::move(hook));
  update_interest();
  return last_hook_id_;
}

void NetlinkSocket::cancel_hook(uint64_t id) {
  for (auto it = hooks_.begin(); it != hooks_.end(); ++it) {
    if (it->first == id) {
      hooks_.erase(it);
      return;
    }
  }
}

void NetlinkSocket::update_interest(bool rearm) {
  if (!watch_) return;
  unsigned want = reactor::kReadable;
  if (session_.has_output() || !hooks_.empty()) want |= reactor::kWritable;
  if (rearm || watch_->interest() != want) watch_->set_interest(want);
}

void NetlinkSocket::on_events(reactor::FdEvents events) {
  DispatchScope scope(dispatch_depth_);
  if (events.readable || events.error || events.hangup) drain(options_.max_datagrams_per_wakeup);
  // An error event (an overrun: ENOBUFS, consumed by drain()) comes alone, and
  // both backends stop the watch until set_interest() is called again (as
  // libuv does). The io_uring backend then re-arms without re-checking the
  // level, so a writability that was already there would never be reported:
  // send what is queued now rather than wait for it.
  if (events.writable || events.error) flush();
  update_interest(events.error);
}

void NetlinkSocket::flush() {
  for (size_t sent = 0;;) {
    // Hooks registered while flushing run before the next datagram.
    // One at a time: a hook may cancel another one.
    while (!hooks_.empty()) {
      Callback hook = std::move(hooks_.front().second);
      hooks_.erase(hooks_.begin());
      hook();
    }
    if (!session_.has_output()) return;
    if (sent == std::max<size_t>(options_.max_datagrams_per_flush, 1)) return;  // more on the next iteration
    std::span<const char> datagram = session_.peek_datagram();
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    iovec iov{const_cast<char*>(datagram.data()), datagram.size()};
    msghdr msg{};
    msg.msg_name = &kernel;
    msg.msg_namelen = sizeof kernel;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::sendmsg(fd_, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      // Out of socket or kernel memory for now: writability will call again.
      if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) return;
      LOG_WARN("netlink_send_failed", log::kv("fd", fd_), log::kv("errno", err),
               log::kv("bytes", datagram.size()));
      session_.datagram_failed(errno_error("netlink", err, "sendmsg to the kernel"));
      continue;
    }
    session_.datagram_sent();
    ++sent;
    // The kernel has answered the whole datagram by now: read it all before
    // sending more, so that replies never pile up past the receive buffer.
    drain(SIZE_MAX);
  }
}

void NetlinkSocket::drain(size_t budget) {
  LentBuffer buffer(recv_size_);
  for (size_t i = 0; i < budget; ++i) {
    buffer.grow(recv_size_);
    sockaddr_nl from{};
    iovec iov{buffer.data(), recv_size_};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    // MSG_TRUNC: the return value is the datagram's real length even when it
    // did not fit, which tells how much to grow.
    ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        session_.on_drained();
        return;
      }
      if (err == ENOBUFS) {
        LOG_WARN("netlink_overrun", log::kv("fd", fd_), log::kv("pending", session_.pending()));
        session_.on_overrun();
        continue;
      }
      LOG_ERROR("netlink_recv_failed", log::kv("fd", fd_), log::kv("errno", err));
      session_.fail_all(errno_error("netlink", err, "recvmsg from the kernel"));
      return;
    }
    if (from.nl_pid != 0) continue;  // not from the kernel: never trusted
    size_t len = static_cast<size_t>(n);
    if (len > recv_size_ || (msg.msg_flags & MSG_TRUNC) != 0) {
      LOG_WARN("netlink_datagram_truncated", log::kv("fd", fd_), log::kv("size", len),
               log::kv("buffer", recv_size_));
      session_.on_overrun();
      size_t have = recv_size_;
      // Parse the whole messages that did fit; the cut one is dropped.
      MessageReader whole({buffer.data(), have});
      size_t complete = 0;
      while (auto m = whole.next()) {
        complete = static_cast<size_t>(m->whole.data() + m->whole.size() - buffer.data());
      }
      Result<void> parsed = session_.on_datagram({buffer.data(), complete});
      (void)parsed;
      recv_size_ = (len + 4095) & ~size_t{4095};
      continue;
    }
    Result<void> parsed = session_.on_datagram({buffer.data(), len});
    if (!parsed.ok()) {
      LOG_WARN("netlink_malformed_datagram", log::kv("fd", fd_), log::kv("error", parsed.error()));
    }
  }
}

}  // namespace ovnk::netlink
