// Daemon: the wiring of ovnk-reactor, the one place that sees every module.
//
// create() builds, in order: the loop (io_uring when asked and available, else
// libuv, said clearly in the log), the host netlink socket and the PodLinker,
// the OVSDB sessions (NB leader-only, monitoring what the agent reads; the
// node's Open_vSwitch database), the PodManager, and the CNI server with the
// agent as its handler. run() starts the sessions and runs the loop until
// SIGTERM or SIGINT (read from a signalfd watched by the loop, so the signal
// is handled between callbacks like any event), then tears everything down in
// reverse order: the CNI server first (in-flight calls are cancelled), then
// the manager, the linker, the sessions. Beside the pods, the node side: the
// Open_vSwitch external_ids for ovn-controller (--system-id, --ovn-remote,
// --encap-*) and the management port ovn-k8s-mp0 (--management-port), each
// driven by the sessions' ready hooks and their replicas. Pods in flight at shutdown are left
// as they are; the next start reconciles them.
#pragma once

#include <memory>

#include "agent/cni_handler.h"
#include "agent/management_port.h"
#include "agent/node_ovs_config_writer.h"
#include "agent/pod_manager.h"
#include "base/result.h"
#include "cni-frontend/metrics.h"
#include "cni-frontend/server.h"
#include "daemon/config.h"
#include "netlink/pod_link.h"
#include "netlink/socket.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"

namespace ovnk::daemon {

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(DaemonConfig config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Until SIGTERM/SIGINT; the error of a loop that could not run.
  Result<void> run();
  reactor::Loop& loop() { return *loop_; }

 private:
  explicit Daemon(DaemonConfig config) : config_(std::move(config)) {}
  Result<void> init();
  Result<void> watch_signals();
  void on_signal();
  void teardown();

  DaemonConfig config_;
  std::unique_ptr<reactor::Loop> loop_;
  metrics::Registry registry_;
  int signal_fd_ = -1;
  std::unique_ptr<reactor::FdWatch> signal_watch_;
  std::unique_ptr<netlink::NetlinkSocket> host_netlink_;
  std::unique_ptr<netlink::PodLinker> linker_;
  std::unique_ptr<ovsdb::Session> nb_;
  std::unique_ptr<ovsdb::Session> ovs_;
  std::unique_ptr<agent::PodManager> manager_;
  std::unique_ptr<agent::ManagementPort> management_port_;     // null with --management-port off
  std::unique_ptr<agent::NodeOvsConfigWriter> node_ovs_config_;  // null without overlay flags
  std::unique_ptr<agent::AgentCniHandler> handler_;
  std::unique_ptr<cni::CniServer> server_;
};

}  // namespace ovnk::daemon
