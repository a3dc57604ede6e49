// Test support for end-to-end tests of the pod pipeline: a real OVN stack
// (tools/ovn-lab), the real ovnk-reactor daemon inside the stack's netns, and
// the real ovnk-cni plugin run exactly as a container runtime runs it (the
// CNI_* environment and the network config on stdin).
//
//   LabStack     `ovn-lab up --dir <tmp> --netns <unique> --node NODE`; the
//                destructor runs `ovn-lab down` (even when the test failed) and
//                removes the directory unless OVNK_KEEP_TEST_DIRS is set.
//   DaemonProcess  ovnk-reactor under `ip netns exec <lab netns>` (the host veth
//                ends must be where ovs-vswitchd is), log in <dir>/daemon.log,
//                SIGTERM on destruction; kill(SIGKILL) + restart for crash tests.
//   PodNetns     `ip netns add` / `ip netns del`, what a runtime does for a pod.
//   run_cni / run_cni_many  one or many plugin processes; many are all started
//                before any is waited for (a burst, as kubelet makes them).
// Everything a test starts is a child that dies with the test
// (PR_SET_PDEATHSIG), and is stopped by pid, never by name.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace ovnk::testing {

// Paths given by the build (compile definitions of the e2e tests).
struct E2ePaths {
  std::string ovn_lab;     // tools/ovn-lab
  std::string reactor;     // the ovnk-reactor binary
  std::string cni;         // the ovnk-cni binary
};

class LabStack {
 public:
  static Result<std::unique_ptr<LabStack>> up(const E2ePaths& paths, const std::string& node = "node1");
  ~LabStack();
  LabStack(const LabStack&) = delete;
  LabStack& operator=(const LabStack&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& netns() const { return netns_; }
  const std::string& node() const { return node_; }
  std::string nb_remote() const { return "unix:" + dir_ + "/nb.sock"; }
  std::string ovs_remote() const { return "unix:" + dir_ + "/db.sock"; }
  // ovn-nbctl / ovs-vsctl against this stack; stdout.
  Result<std::string> nbctl(const std::vector<std::string>& args) const;
  Result<std::string> vsctl(const std::vector<std::string>& args) const;
  // A command inside the stack's netns (`ip netns exec NS ...`).
  Result<std::string> in_netns(const std::vector<std::string>& args) const;
  // The pid in one of the stack's pidfiles ("ovn-controller", "nb", ...).
  Result<pid_t> pid_of(const std::string& daemon) const;
  // `ovn-lab restart-db DB`: one database server ("nb", "sb" or "ovs", the
  // node's db.sock) is killed (SIGKILL, unless it is already dead) and started
  // again on the same database file, socket and pidfile; returns once it
  // accepts connections. Its clients reconnect by themselves.
  Result<void> restart_db(const std::string& db) const;

 private:
  LabStack() = default;
  E2ePaths paths_;
  std::string dir_;
  std::string netns_;
  std::string node_;
  bool up_ = false;
};

class DaemonProcess {
 public:
  // Starts ovnk-reactor for `lab` with --node-subnet `subnet`, the CNI socket
  // in the lab dir, and `extra` flags; waits until STATUS succeeds.
  static Result<std::unique_ptr<DaemonProcess>> start(const E2ePaths& paths, const LabStack& lab,
                                                      const std::string& subnet,
                                                      std::vector<std::string> extra = {},
                                                      std::chrono::milliseconds ready_timeout = std::chrono::seconds(20));
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  const std::string& socket() const { return socket_; }
  const std::string& log_path() const { return log_path_; }
  pid_t pid() const { return pid_; }
  // A config for the plugin's stdin that points at this daemon.
  std::string net_config(const std::string& cni_version = "1.0.0", const std::string& extra_json = "") const;
  // Polls STATUS through the plugin until it succeeds.
  Result<void> wait_ready(std::chrono::milliseconds timeout);
  // SIGTERM and wait; the exit status. Idempotent.
  Result<int> stop();
  void kill_now();  // SIGKILL and reap (a crash)
  // Starts it again with the same arguments (after stop() or kill_now()).
  Result<void> restart(std::chrono::milliseconds ready_timeout = std::chrono::seconds(20));
  std::string log_tail(size_t max_bytes = 6000) const;
  // GET /metrics over the CNI socket.
  Result<std::string> metrics() const;

 private:
  DaemonProcess() = default;
  Result<void> launch();
  E2ePaths paths_;
  std::vector<std::string> argv_;
  std::string socket_;
  std::string log_path_;
  pid_t pid_ = -1;
};

class PodNetns {
 public:
  static Result<PodNetns> create(std::string name);
  PodNetns() = default;
  PodNetns(PodNetns&& other) noexcept : name_(std::move(other.name_)) { other.name_.clear(); }
  PodNetns& operator=(PodNetns&& other) noexcept;
  ~PodNetns();
  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }

 private:
  explicit PodNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

struct CniInvocation {
  std::string command;       // ADD, DEL, CHECK, GC, STATUS
  std::string container_id;
  std::string netns;         // path, may be empty
  std::string ifname = "eth0";
  std::string args;          // CNI_ARGS
  std::string config;        // stdin
  bool set_netns = true;     // false: CNI_NETNS left out of the environment
};

struct CniOutcome {
  int exit_code = -1;
  std::string out;  // stdout: the result or error object
  std::chrono::nanoseconds took{0};
};

Result<CniOutcome> run_cni(const E2ePaths& paths, const CniInvocation& call);
// All processes are started first, then all are waited for.
std::vector<Result<CniOutcome>> run_cni_many(const E2ePaths& paths, const std::vector<CniInvocation>& calls);

// The first address of a CNI result (stdout of a successful ADD), without its
// prefix length; "" when the result does not parse or holds none.
std::string result_address(const std::string& result_json);

// A name unique to this test process: prefix + pid + a counter.
std::string unique_name(const std::string& prefix);

}  // namespace ovnk::testing
