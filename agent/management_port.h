// ManagementPort: makes and keeps the node's management port ovn-k8s-mp0 (the
// node's own interface on its logical switch, see management_port_plan.h for
// the rows and kernel state), through the NB and Open_vSwitch sessions and
// rtnetlink on the daemon's netns. No ovs-vsctl, no ip.
//
// One pass (step()) reads the replicas, and does the first thing missing:
// the LSP k8s-<node> (only when create_lsp: all-in-one), the OVS port, then
// waits for ovs-vswitchd to create the kernel interface (pushed by the OVS
// monitor: Interface.ofport set; no polling), then sets the interface's MAC,
// MTU, up, address and cluster routes (replace: idempotent). A pass runs when
// the databases become ready, when a row it cares about changes (k8s-<node>,
// the node switch, Port/Interface ovn-k8s-mp0, the bridge), every
// recheck_interval (repairs a port or route someone removed), and after a
// failure once `retry` has passed. Transactions and netlink requests in
// flight when the object dies are forgotten/cancelled.
//
// Invariants: at most one transaction or one batch of netlink requests in
// flight; a change seen meanwhile is not lost (a new pass follows). The
// sessions and the socket must outlive this object.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "agent/management_port_plan.h"
#include "base/result.h"
#include "base/time.h"
#include "netlink/inet.h"
#include "netlink/socket.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"

namespace ovnk::agent {

struct ManagementPortOptions {
  std::string node;
  std::string bridge = "br-int";
  netlink::IpPrefix node_subnet;
  std::vector<netlink::IpPrefix> cluster_cidrs;
  uint32_t mtu = 1400;
  bool create_lsp = false;                          // all-in-one: add k8s-<node> when missing
  Duration recheck_interval = std::chrono::seconds(60);  // zero: only on changes
  Duration retry = std::chrono::seconds(5);
};

class ManagementPort {
 public:
  // The observable progress (tests, logs, STATUS).
  enum class State {
    kWaitingForDatabases,  // NB or OVS not ready yet; their on_*_ready start a pass
    kWaitingForLsp,        // no LSP k8s-<node> (and we may not or cannot create it yet):
                           // an NB change to it or to the node switch starts a pass
    kNbTxn,                // inserting k8s-<node>; its reply starts a pass
    kOvsTxn,               // inserting/repairing Port+Interface ovn-k8s-mp0; its reply starts a pass
    kWaitingForInterface,  // ovs-vswitchd has not created the kernel interface (no ofport):
                           // the OVS monitor's Interface change starts a pass
    kConfiguringKernel,    // netlink: get link, set MAC/MTU/up, address, routes in flight
    kReady,                // all in place; changes and the recheck timer start passes
    kFailed,               // the last pass failed (logged with what to do); retried after `retry`
  };

  static std::unique_ptr<ManagementPort> create(reactor::Loop& loop, ovsdb::Session& nb, ovsdb::Session& ovs,
                                                netlink::NetlinkSocket& host, ManagementPortOptions options);
  ~ManagementPort();
  ManagementPort(const ManagementPort&) = delete;
  ManagementPort& operator=(const ManagementPort&) = delete;

  void on_nb_ready();
  void on_ovs_ready();

  State state() const { return state_; }
  const std::optional<Error>& last_error() const { return last_error_; }

 private:
  ManagementPort(reactor::Loop& loop, ovsdb::Session& nb, ovsdb::Session& ovs, netlink::NetlinkSocket& host,
                 ManagementPortOptions options);
  bool busy() const;
  void schedule();
  void step();
  void enter(State s);
  void fail(Error error, std::string_view hint);
  void transact(ovsdb::Session& session, ovsdb::TransactionBuilder txn, State waiting, std::string what);
  void configure_kernel(ManagementKernelPlan plan);
  void kernel_link(Result<netlink::LinkInfo> link, const ManagementKernelPlan& plan);
  void kernel_done();
  void watch_replicas();
  void cancel_netlink();

  reactor::Loop& loop_;
  ovsdb::Session& nb_;
  ovsdb::Session& ovs_;
  netlink::NetlinkSocket& host_;
  ManagementPortOptions options_;
  std::string lsp_name_;
  std::mt19937_64 rng_;  // explicit row uuids
  State state_ = State::kWaitingForDatabases;
  std::optional<Error> last_error_;
  bool again_ = false;  // a change arrived while busy: one more pass after
  bool logged_waiting_ = false;
  uint64_t generation_ = 0;  // bumps on every netlink batch; stale callbacks compare it
  uint64_t txn_token_ = 0;
  ovsdb::Session* txn_session_ = nullptr;
  std::vector<uint32_t> netlink_ids_;
  size_t netlink_pending_ = 0;
  std::optional<Error> netlink_error_;
  bool kernel_changed_ = false;
  bool wrote_ = false;      // a transaction of ours committed since the last management_port_ready
  bool announced_ = false;  // management_port_ready logged once, then on changes
  std::unique_ptr<reactor::Timer> kick_;     // zero-delay: coalesces the triggers of one iteration
  std::unique_ptr<reactor::Timer> retry_;
  std::unique_ptr<reactor::Timer> recheck_;
  std::vector<std::unique_ptr<ovsdb::ReplicaWatch>> watches_;
  bool nb_watched_ = false;
  bool ovs_watched_ = false;
};

std::string_view management_port_state_name(ManagementPort::State state);

}  // namespace ovnk::agent
