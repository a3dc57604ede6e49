// PodManager: the pod pipeline of one node. One state machine per pod, all on
// the loop's single thread; the CNI commands (agent/cni_handler.h) end here.
//
// ADD, per pod (PodState below):
//   IPAM (node subnet, or the pre-provisioned LSP's addresses, or what the
//   request imposes) -> NB batch (LSP insert + switch mutate, shared with every
//   pod pending at that moment) -> netlink (veth; the PodLinker batches too)
//   -> OVS batch (Interface + Port + Bridge mutate) -> ready when the OVS
//   monitor shows external_ids:ovn-installed="true" on our Interface (pushed,
//   never polled) -> the CNI result. The NB and OVS batchers are independent,
//   so stages pipeline: one batch can be in OVS while the next is in NB.
//   A failure or the deadline (ready_timeout) at any stage tears down what the
//   earlier stages made (waiting first for whatever is in flight), then
//   answers with a precise code: 102 OVN, 103 netlink, 101 timeout.
//   A repeated ADD joins the pod in flight or gets the result it already had.
//
// DEL removes the OVS port, the LSP and the host veth (PodLinker::remove:
// group deletion, one kernel call for many) in parallel, then releases the
// address. It works for pods never seen (after a restart, or never added):
// what exists is found in the replicas and the kernel by name and checked to
// be ours (ovn_rows.h marks; the host veth's link group) before removal.
// CHECK compares the pod's interface, address and routes (netlink dumps in its
// netns) and its OVS port and LSP with what they should be, and says what is
// wrong. GC tears down every pod of this node not in the valid list. STATUS is
// ok when both databases are connected and the node is set up.
//
// Reconcile, on start and every reconcile_interval: an OVS port or LSP of ours
// whose pod is not in memory and whose host veth is gone (the pod's netns
// died), a host veth of ours with no port, and an address held by nothing are
// cleaned; pods fully plugged before a restart are adopted (a retried ADD then
// gets their result). The IPAM is rebuilt from the NB replica: no state file.
//
// Invariants: a pod's rows and links are removed only once nothing of it is in
// flight; every CNI call is answered exactly once unless cancelled; a CniCall
// handle may outlive the pod it waited for. The sessions, linker, sockets and
// registry must outlive the manager.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "agent/ipam.h"
#include "agent/pod_spec.h"
#include "agent/topology.h"
#include "agent/txn_batcher.h"
#include "base/result.h"
#include "base/time.h"
#include "cni-frontend/handler.h"
#include "cni-frontend/metrics.h"
#include "netlink/link.h"
#include "netlink/pod_link.h"
#include "netlink/socket.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"

namespace ovnk::agent {

struct AgentOptions {
  std::string node;
  netlink::IpPrefix node_subnet;
  std::optional<netlink::IpPrefix> cluster_cidr;  // a pod route via the gateway when set
  uint32_t mtu = 1400;
  bool offloads_off = true;       // TX checksum/SG/TSO/GSO off on the pod end (userspace datapath)
  std::string bridge = "br-int";
  size_t batch_max = 256;
  Duration batch_interval = std::chrono::milliseconds(10);  // pacing of batches that are not full
  Duration ready_timeout = std::chrono::seconds(60);       // a whole ADD, IPAM to ovn-installed
  Duration reconcile_interval = std::chrono::seconds(60);  // zero: only on start
  uint32_t pod_link_group = 0x6f766e70;  // IFLA_GROUP of our host veth ends ("ovnp")
  bool create_topology = true;            // all-in-one: create the node switch and router port
};

class PodManager {
 public:
  // Checks the options (node name, subnet for the IPAM).
  static Result<std::unique_ptr<PodManager>> create(reactor::Loop& loop, ovsdb::Session& nb,
                                                    ovsdb::Session& ovs, netlink::NetlinkSocket& host,
                                                    netlink::PodLinker& linker,
                                                    metrics::Registry& registry, AgentOptions options);
  ~PodManager();
  PodManager(const PodManager&) = delete;
  PodManager& operator=(const PodManager&) = delete;

  // From the sessions' hooks.
  void on_nb_ready();
  void on_ovs_ready();
  void on_disconnected();

  std::unique_ptr<cni::CniCall> add(PodSpec spec, cni::CniDone done);
  std::unique_ptr<cni::CniCall> del(PodSpec spec, cni::CniDone done);
  std::unique_ptr<cni::CniCall> check(PodSpec spec, std::optional<cni::CniResult> prev, cni::CniDone done);
  std::unique_ptr<cni::CniCall> gc(std::vector<cni::Attachment> valid, cni::CniDone done);
  cni::CniReply status() const;

  // Runs a reconcile pass now (also done on start and periodically).
  void reconcile();

  // Node set up, first reconcile done: ADDs flow.
  bool running() const { return sync_ == SyncState::kRunning; }
  size_t pod_count() const { return pods_.size(); }
  const SubnetIpam& ipam() const { return ipam_; }
  const AgentOptions& options() const { return options_; }

 private:
  // The node as a whole.
  enum class SyncState {
    kWaitingForDatabases,  // NB or OVS never ready yet: ADDs wait in kWaitingForSync
    kBootstrapping,        // the topology transaction is in flight (all-in-one)
    kReconciling,          // the first reconcile (host link dump) is in flight
    kRunning,              // pods flow; a later disconnection only pauses the batchers
    kBroken,               // NB contradicts the configuration (see sync_error_): ADDs fail
  };

  // One pod (one container id).
  enum class PodState {
    kWaitingForSync,  // the node is not running yet; started by start_waiting_pods()
    kWaitingForLsp,   // ipamMode "ovn": waits for a pre-provisioned LSP with addresses (NB watch)
    kNb,              // LSP insert in the NB batcher and the veth in the PodLinker, both in
                      // flight; waits for the NB outcome -> kLinking (veth pending) or kOvs
    kLinking,         // only the veth in flight (NB done, or an LSP made by others) -> kOvs
    kOvs,             // Interface/Port insert in the OVS batcher; waits -> kWaitingReady
    kWaitingReady,    // waits for ovn-installed=true on our Interface (OVS watch) -> kReady
    kReady,           // plugged and answered (or adopted after a restart); until DEL/GC
    kTearingDown,     // undoing: waits for in-flight work, then removes port, LSP, veth in
                      // parallel, releases the address, answers, and the pod is erased
  };
  struct Pod;
  struct CheckOp;
  struct GcOp;
  using GoneFn = std::function<void(Result<void>)>;

  PodManager(reactor::Loop& loop, ovsdb::Session& nb, ovsdb::Session& ovs, netlink::NetlinkSocket& host,
             netlink::PodLinker& linker, metrics::Registry& registry, AgentOptions options, SubnetIpam ipam);

  // ---- the node ----
  void maybe_sync();
  void topology_done(Result<TxnBatcher::OpResults> r);
  void first_reconcile_done();
  void start_waiting_pods();
  void refresh_anchors();  // node switch and bridge uuids from the replicas
  void rebuild_ipam();
  void on_lsp_change(const ovsdb::RowChange& change);
  void recheck_waiting_lsp();
  void on_interface_change(const ovsdb::RowChange& change);

  // ---- one pod ----
  Pod* find(const std::string& cid);
  Pod& create_pod(PodSpec spec);
  void start(Pod& pod);
  void decide_addresses(Pod& pod);
  void submit_nb(Pod& pod);
  void nb_done(const std::string& cid, uint64_t serial, Result<TxnBatcher::OpResults> r);
  void start_link(Pod& pod);
  void begin_link(Pod& pod);
  void link_done(const std::string& cid, uint64_t serial, Result<netlink::PodLinkInfo> r);
  void submit_ovs(Pod& pod);
  void ovs_done(const std::string& cid, uint64_t serial, Result<TxnBatcher::OpResults> r);
  void wait_ready(Pod& pod);
  void become_ready(Pod& pod);
  void fail(Pod& pod, Error error);
  void on_deadline(const std::string& cid, uint64_t serial);
  void enter_stage(Pod& pod, PodState state);
  cni::CniResult make_result(const Pod& pod, const std::string& netns) const;

  // Teardown (failure, DEL, GC, reconcile).
  void teardown(Pod& pod);
  void continue_teardown(Pod& pod);
  void removal_done(const std::string& cid, uint64_t serial, int which, Result<void> r);
  void finish_teardown(Pod& pod);
  // A pod object for what exists of a container we do not hold in memory.
  Pod& pod_from_leftovers(PodSpec spec);
  void delete_pod(PodSpec spec, GoneFn gone);

  // CHECK
  void check_with_netlink(uint64_t op_id);
  void finish_check(uint64_t op_id);

  // Reconcile
  void reconcile_with_links(Result<std::vector<netlink::LinkInfo>> links, bool first);

  // ---- answering ----
  uint64_t add_waiter(cni::CniDone done);
  void drop_waiter(uint64_t id);
  void reply(uint64_t waiter, cni::CniReply reply);
  std::unique_ptr<cni::CniCall> make_call(uint64_t waiter);
  friend class ManagerCall;

  reactor::Loop& loop_;
  ovsdb::Session& nb_;
  ovsdb::Session& ovs_;
  netlink::NetlinkSocket& host_;
  netlink::PodLinker& linker_;
  metrics::Registry& registry_;
  AgentOptions options_;
  SubnetIpam ipam_;
  TopologyConfig topology_;

  SyncState sync_ = SyncState::kWaitingForDatabases;
  std::optional<Error> sync_error_;
  bool nb_seen_ready_ = false;
  bool ovs_seen_ready_ = false;
  std::optional<ovsdb::Uuid> switch_uuid_;
  std::optional<ovsdb::Uuid> bridge_uuid_;
  std::unique_ptr<ovsdb::ReplicaWatch> lsp_watch_;
  std::unique_ptr<ovsdb::ReplicaWatch> iface_watch_;
  std::unique_ptr<TxnBatcher> nb_batch_;
  std::unique_ptr<TxnBatcher> ovs_batch_;
  std::unique_ptr<reactor::Timer> reconcile_timer_;
  std::unique_ptr<reactor::Timer> lsp_recheck_timer_;
  bool reconcile_running_ = false;
  std::mt19937_64 rng_;

  uint64_t next_serial_ = 1;
  std::unordered_map<std::string, std::unique_ptr<Pod>> pods_;          // by container id
  size_t pods_waiting_for_lsp_ = 0;  // pods in kWaitingForLsp (kept by enter_stage and the erase)
  std::unordered_map<ovsdb::Uuid, std::string, ovsdb::UuidHash> by_iface_;  // waiting for ovn-installed

  uint64_t next_waiter_ = 1;
  std::unordered_map<uint64_t, cni::CniDone> waiters_;
  std::unordered_map<uint64_t, std::unique_ptr<CheckOp>> checks_;
  std::unordered_map<uint64_t, std::unique_ptr<GcOp>> gcs_;
  uint64_t next_op_ = 1;

  struct Metrics;
  std::unique_ptr<Metrics> m_;
};

}  // namespace ovnk::agent
