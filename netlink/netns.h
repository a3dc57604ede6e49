// Network namespace handles and the one way the agent enters a namespace.
//
// A NetnsHandle is an open fd (O_RDONLY|O_CLOEXEC) on a namespace file:
// /var/run/netns/NAME (iproute2, CRI runtimes) or /proc/PID/ns/net (podman,
// containerd with CNI_NETNS from a process). Holding it keeps the namespace
// alive; it can be passed to the kernel as IFLA_NET_NS_FD.
//
// in_netns() runs a function with the calling thread inside a namespace and
// always brings it back to the host namespace, which is saved (opened) the
// first time any of this is used or by save_host_netns() at startup. Only
// short synchronous work belongs there (creating a socket, which stays bound
// to the namespace it was created in; writing a sysctl), never the loop:
// the single thread must never stay in a pod's namespace. Failing to enter is
// an error for that one pod (its namespace may have just disappeared);
// failing to come back is a broken invariant and aborts the process.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::netlink {

class NetnsHandle {
 public:
  NetnsHandle() = default;
  // Any path to a network namespace file.
  static Result<NetnsHandle> open_path(std::string path);
  // A named namespace: /var/run/netns/NAME.
  static Result<NetnsHandle> open_name(std::string_view name);
  // The namespace of a process: /proc/PID/ns/net.
  static Result<NetnsHandle> open_pid(pid_t pid);
  // The calling thread's current namespace.
  static Result<NetnsHandle> open_current();

  NetnsHandle(NetnsHandle&& other) noexcept;
  NetnsHandle& operator=(NetnsHandle&& other) noexcept;
  NetnsHandle(const NetnsHandle&) = delete;
  NetnsHandle& operator=(const NetnsHandle&) = delete;
  ~NetnsHandle();

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Namespace identity (st_dev, st_ino), for comparing two handles.
  Result<std::pair<uint64_t, uint64_t>> identity() const;

 private:
  NetnsHandle(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Opens the calling thread's namespace as "the host" if not done yet. Call it
// at startup, before anything could have entered another namespace.
Result<void> save_host_netns();

// Runs `fn` inside `ns`, then returns to the host namespace (abort if that
// fails). Returns an error, without running fn, if `ns` cannot be entered.
Result<void> in_netns(const NetnsHandle& ns, const std::function<void()>& fn);

// Writes `value` to /proc/sys/<key> as seen from inside `ns`
// (e.g. key "net/ipv6/conf/eth0/accept_dad").
Result<void> write_sysctl_in_netns(const NetnsHandle& ns, std::string_view key, std::string_view value);
// The same, for the calling thread's current namespace.
Result<void> write_sysctl(std::string_view key, std::string_view value);

// Key of an IPv6 per-interface setting, with the interface name checked (a
// name with '/' or ".." must not become a path).
Result<std::string> ipv6_conf_key(std::string_view ifname, std::string_view setting);

}  // namespace ovnk::netlink
