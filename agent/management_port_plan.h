// The node's management port, planned (pure): what must exist so that the
// node itself reaches its pods and the pods of other nodes, as in
// ovn-kubernetes:
//
//   NB   Logical_Switch_Port k8s-<node>   addresses "<mac> <.2>" on the node
//                                        switch (made by the cluster side, or
//                                        by us when we create the topology)
//   OVS  Interface/Port ovn-k8s-mp0       type internal on the integration bridge,
//                                        external_ids:iface-id=k8s-<node>,
//                                        mtu_request=<mtu>
//   kernel ovn-k8s-mp0                    the LSP's MAC, <mtu>, up, <.2>/<len>,
//                                        a route to each cluster CIDR via the
//                                        node switch's gateway (.1)
//
// Each layer is read from its replica into a small view (plain data), and a
// plan is computed from the view and the configuration: a transaction (or
// nothing when the layer is already right), or the netlink changes. A view
// that contradicts the configuration (two ports named ovn-k8s-mp0, an LSP
// whose addresses are outside the node subnet) is an error that says what to
// fix. What exists and is right is never rewritten, so planning twice is a
// no-op: restarts duplicate nothing. Pure: no sockets, no clock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "netlink/inet.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/replica.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::agent {

inline constexpr std::string_view kManagementPortName = "ovn-k8s-mp0";

// "k8s-<node>"
std::string management_lsp_name(std::string_view node);

// ---- NB: the LSP k8s-<node> ----

// The first entry of an LSP's addresses: "<mac> <ip> [<ip>...]".
struct ManagementAddress {
  netlink::MacAddr mac;
  std::vector<netlink::IpAddr> ips;
};
Result<ManagementAddress> parse_lsp_addresses(std::string_view addresses);

struct ManagementLspView {
  bool exists = false;
  std::string addresses;                    // "" when the column is empty
  std::optional<ovsdb::Uuid> switch_uuid;   // the node switch, when exactly one
};
ManagementLspView read_management_lsp(const ovsdb::Replica& nb, const std::string& node);

struct ManagementLspConfig {
  std::string node;
  netlink::IpAddr management;  // .2 of the node subnet
};
// The LSP k8s-<node> with ovnk-ctl's columns (MAC 0a:58 + the .2 IPv4
// bytes), inserted into the node switch; nullopt when it exists (used as it
// is). Error when the node switch does not exist yet (the caller waits).
Result<std::optional<ovsdb::TransactionBuilder>> plan_management_lsp(
    const ManagementLspView& view, const ManagementLspConfig& config, const std::function<ovsdb::Uuid()>& next_uuid);

// ---- OVS: Port and Interface ovn-k8s-mp0 ----

struct ManagementOvsView {
  std::optional<ovsdb::Uuid> bridge_uuid;
  size_t ports_named = 0;                 // Ports named ovn-k8s-mp0 (anywhere)
  std::optional<ovsdb::Uuid> port_uuid;   // when exactly one
  bool port_on_bridge = false;            // in the integration bridge's ports
  std::optional<ovsdb::Uuid> iface_uuid;  // the Interface named ovn-k8s-mp0
  std::string iface_type;
  std::optional<std::string> iface_id;    // external_ids:iface-id
  std::optional<int64_t> mtu_request;
  std::optional<int64_t> ofport;          // set by ovs-vswitchd; -1 = it failed
  std::string error;                      // Interface.error, set by ovs-vswitchd
};
ManagementOvsView read_management_ovs(const ovsdb::Replica& ovs, const std::string& bridge);

struct ManagementOvsConfig {
  std::string node;
  std::string bridge;
  uint32_t mtu = 1400;
};
// Inserts Interface + Port + Bridge.ports mutate when the port is missing;
// fixes type, iface-id and mtu_request of an existing one; nullopt when all is
// right. Errors: no such bridge, several ports named ovn-k8s-mp0, a port on
// another bridge.
Result<std::optional<ovsdb::TransactionBuilder>> plan_management_ovs(
    const ManagementOvsView& view, const ManagementOvsConfig& config, const std::function<ovsdb::Uuid()>& next_uuid);

// Whether ovs-vswitchd has made the kernel interface: an ofport > 0. nullopt
// while it is still working on it; an error when it gave up (ofport -1 and
// Interface.error).
Result<bool> management_interface_created(const ManagementOvsView& view);

// ---- kernel: the interface's MAC, MTU, state, addresses and routes ----

struct ManagementKernelConfig {
  std::vector<netlink::IpPrefix> node_subnets;   // one per family
  std::vector<netlink::IpPrefix> cluster_cidrs;  // routed via the node subnet's gateway
  uint32_t mtu = 1400;
};
struct ManagementKernelPlan {
  netlink::MacAddr mac;
  uint32_t mtu = 0;
  std::vector<netlink::IpPrefix> addresses;  // <ip>/<node subnet length>
  std::vector<netlink::RouteSpec> routes;    // oif left 0: filled with the ifindex
};
// From the LSP's addresses: each IP must lie in a node subnet of its family;
// each cluster CIDR gets a route via that subnet's .1 (a family without a
// management address is an error).
Result<ManagementKernelPlan> plan_management_kernel(const ManagementAddress& lsp, const ManagementKernelConfig& config);

// The one "ip link set" that brings `current` to the plan (MAC only when it
// differs: some devices refuse a MAC change while up); nullopt when nothing
// differs.
std::optional<netlink::LinkChange> plan_management_link(const netlink::LinkInfo& current,
                                                        const ManagementKernelPlan& plan);

// The OVS monitor requests extended with the columns the node side reads
// (Interface mtu_request, the Open_vSwitch row's external_ids).
std::vector<ovsdb::MonitorRequest> with_node_columns(std::vector<ovsdb::MonitorRequest> requests);

}  // namespace ovnk::agent
