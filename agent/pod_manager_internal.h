// Internal to agent/pod_manager*.cc: the per-pod record, the CHECK and GC
// operations in progress, and the metrics of the pod pipeline. Not a public
// interface; PodManager's header describes the behaviour.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/pod_manager.h"
#include "netlink/address.h"
#include "netlink/route.h"

namespace ovnk::agent {

struct PodManager::Pod {
  uint64_t serial = 0;
  PodSpec spec;
  PodState state = PodState::kWaitingForSync;
  MonoTime started{};
  MonoTime stage_started{};
  MonoTime ready_at{};
  std::unique_ptr<reactor::Timer> deadline;
  std::vector<uint64_t> add_waiters;  // ADD calls answered when ready or failed
  std::vector<GoneFn> gone;           // DEL / GC / reconcile, called when torn down
  bool adopted = false;               // found plugged on start (not added by this process)

  // Addresses.
  std::optional<netlink::IpAddr> ip;
  bool ip_held = false;  // held in the IPAM by this container id
  netlink::MacAddr mac;
  uint8_t prefix_len = 0;
  std::vector<netlink::IpAddr> gateways;
  std::vector<RouteSpec> routes;
  uint32_t mtu = 0;

  // NB.
  std::optional<ovsdb::Uuid> lsp_uuid;
  bool lsp_ours = false;                  // ours to remove on teardown
  std::optional<ovsdb::Uuid> stale_lsp;   // ours, same name, an older sandbox: replaced
  uint64_t nb_item = 0;

  // Netlink.
  bool link_in_flight = false;  // PodLinker::add or the ownership probe of the host veth
  bool link_maybe = false;      // a veth of ours may exist: remove on teardown
  netlink::PodLinkInfo link;

  // OVS.
  std::optional<ovsdb::Uuid> iface_uuid;
  std::optional<ovsdb::Uuid> port_uuid;
  bool port_ours = false;
  uint64_t ovs_item = 0;
  std::string iface_error;  // the Interface's "error" column, for the timeout message

  // Teardown.
  std::optional<Error> failure;        // why an ADD is being undone (answered to its waiters)
  int removals_pending = 0;
  bool removals_started = false;
  bool nb_removed = true;              // false when removing the LSP failed: keep the address
  std::optional<Error> removal_error;  // answered to DEL
  std::optional<PodSpec> restart_spec; // an ADD that came during teardown
  std::vector<uint64_t> restart_waiters;

  std::optional<cni::CniResult> result;
};

struct PodManager::CheckOp {
  uint64_t waiter = 0;
  std::string label;
  std::string ifname;
  std::string netns;
  netlink::IpPrefix address;
  netlink::MacAddr mac;
  std::optional<netlink::IpAddr> gateway;
  uint32_t mtu = 0;
  std::vector<std::string> ovn_problems;
  std::vector<std::string> netlink_problems;
  std::unique_ptr<netlink::NetlinkSocket> socket;
  int pending = 0;
  std::vector<netlink::LinkInfo> links;
  std::vector<netlink::AddressInfo> addresses;
  std::vector<netlink::RouteInfo> routes;
};

struct PodManager::GcOp {
  uint64_t waiter = 0;
  int remaining = 0;
  std::vector<std::string> errors;
};

struct PodManager::Metrics {
  explicit Metrics(metrics::Registry& r);
  metrics::Histogram& stage(PodState s);
  metrics::Histogram& ipam;
  metrics::Histogram& nb;
  metrics::Histogram& link;
  metrics::Histogram& ovs;
  metrics::Histogram& ready;
  metrics::Histogram& add_total;
  metrics::Histogram& del_total;
  metrics::Counter& add_ok;
  metrics::Counter& add_failed;
  metrics::Counter& add_repeated;
  metrics::Counter& del_ok;
  metrics::Counter& del_failed;
  metrics::Counter& check_ok;
  metrics::Counter& check_failed;
  metrics::Counter& gc_runs;
  metrics::Counter& reconcile_runs;
  metrics::Counter& cleaned_pods;
  metrics::Counter& cleaned_links;
  metrics::Counter& adopted;
  metrics::Gauge& pods;
  metrics::Gauge& ipam_in_use;
  metrics::Gauge& ipam_free;
};

// The CNI error of a pipeline failure, by domain: ovsdb/ovn 102, netlink 103,
// cni errors keep their code, anything else 105.
cni::CniError pipeline_error(const Error& error, const std::string& label);

}  // namespace ovnk::agent
