#include "netlink/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/log.h"
#include "netlink/link.h"

namespace ovnk::netlink {

namespace {

// The host namespace of this process: opened once, never closed (the process
// must always be able to come back to it).
int g_host_netns_fd = -1;

int open_ns_file(const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

Result<NetnsHandle> NetnsHandle::open_path(std::string path) {
  int fd = open_ns_file(path);
  if (fd < 0) return errno_error("netlink", errno, "open netns " + path);
  return NetnsHandle(fd, std::move(path));
}

Result<NetnsHandle> NetnsHandle::open_name(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..") {
    return make_error("netlink", EINVAL, "bad netns name '" + std::string(name) + "'");
  }
  return open_path("/var/run/netns/" + std::string(name));
}

Result<NetnsHandle> NetnsHandle::open_pid(pid_t pid) {
  if (pid <= 0) return make_error("netlink", EINVAL, "bad pid " + std::to_string(pid));
  return open_path("/proc/" + std::to_string(pid) + "/ns/net");
}

Result<NetnsHandle> NetnsHandle::open_current() { return open_path("/proc/thread-self/ns/net"); }

NetnsHandle::NetnsHandle(NetnsHandle&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

NetnsHandle& NetnsHandle::operator=(NetnsHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

NetnsHandle::~NetnsHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::pair<uint64_t, uint64_t>> NetnsHandle::identity() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return errno_error("netlink", errno, "fstat netns " + path_);
  return std::pair<uint64_t, uint64_t>{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

Result<void> save_host_netns() {
  if (g_host_netns_fd >= 0) return ok_result();
  int fd = open_ns_file("/proc/thread-self/ns/net");
  if (fd < 0) return errno_error("netlink", errno, "open host netns /proc/thread-self/ns/net");
  g_host_netns_fd = fd;
  return ok_result();
}

namespace {

// Brings the thread back to the host namespace when it leaves scope, whatever
// `fn` did; aborts if it cannot.
class ReturnToHost {
 public:
  explicit ReturnToHost(const std::string& from) : from_(from) {}
  ReturnToHost(const ReturnToHost&) = delete;
  ReturnToHost& operator=(const ReturnToHost&) = delete;
  ~ReturnToHost() {
    if (::setns(g_host_netns_fd, CLONE_NEWNET) != 0) {
      int err = errno;
      LOG_ERROR("netns_return_failed", log::kv("netns", from_), log::kv("errno", err));
      std::abort();  // the thread would keep running inside a pod's namespace
    }
  }

 private:
  const std::string& from_;
};

}  // namespace

Result<void> in_netns(const NetnsHandle& ns, const std::function<void()>& fn) {
  if (!ns.valid()) return make_error("netlink", EBADF, "enter netns: invalid handle");
  OVNK_TRY(save_host_netns());
  if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
    // EINVAL: the fd is not a network namespace (a stale path reused by a file).
    return errno_error("netlink", errno, "enter netns " + ns.path());
  }
  ReturnToHost back(ns.path());
  fn();
  return ok_result();
}

Result<void> write_sysctl(std::string_view key, std::string_view value) {
  if (key.empty() || key.find("..") != std::string_view::npos || key.front() == '/') {
    return make_error("netlink", EINVAL, "bad sysctl key '" + std::string(key) + "'");
  }
  std::string path = "/proc/sys/" + std::string(key);
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno_error("netlink", errno, "open " + path);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) return errno_error("netlink", err, "write " + path);
  if (static_cast<size_t>(n) != value.size()) {
    return make_error("netlink", EIO, "short write to " + path);
  }
  return ok_result();
}

Result<void> write_sysctl_in_netns(const NetnsHandle& ns, std::string_view key,
                                   std::string_view value) {
  // /proc/sys/net resolves against the namespace of the thread that looks the
  // path up: open and write from inside.
  Result<void> written = ok_result();
  OVNK_TRY(in_netns(ns, [&] { written = write_sysctl(key, value); }));
  if (!written.ok()) return std::move(written).error().with_context("in netns " + ns.path());
  return ok_result();
}

Result<std::string> ipv6_conf_key(std::string_view ifname, std::string_view setting) {
  OVNK_TRY(check_ifname(ifname));
  if (setting.empty() || setting.find('/') != std::string_view::npos) {
    return make_error("netlink", EINVAL, "bad IPv6 setting '" + std::string(setting) + "'");
  }
  return "net/ipv6/conf/" + std::string(ifname) + "/" + std::string(setting);
}

}  // namespace ovnk::netlink
