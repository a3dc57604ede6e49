// What `ovnk-ctl status` and `ovnk-ctl pods` show: the cluster config, each
// node (subnets, router port, management port, pods, gateway) and each pod
// port, read from an NbSnapshot and rendered as aligned text tables for a
// terminal or as JSON for scripts.
//
// A node is a logical switch that records a subnet (ovnk-ctl's, the daemon's
// or ovn-kubernetes' own), other than the join and external switches. A pod is
// a port of a node switch with an empty type (so neither the router peer nor a
// localnet port) other than the node's management port; containers inside VMs
// (ports with a parent_name) are pods too and show their parent and VLAN tag.
// Pure: output depends only on the snapshot; rows are in name order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/ovnk-ctl/nb_snapshot.h"
#include "tools/ovnk-ctl/topology_plan.h"

namespace ovnk::ctl {

struct GatewayInfo {
  std::string router;
  std::string chassis;                   // options:chassis
  std::vector<std::string> addresses;    // rtoe-GR_<node> networks
  std::vector<std::string> join;         // rtoj-GR_<node> networks
  std::vector<std::string> nexthops;     // of its default routes
  std::string physnet;                   // network_name of the localnet port on ext_<node>
  std::vector<std::string> snat;         // "10.244.0.0/16->172.16.0.2"
};

struct NodeInfo {
  std::string name;
  std::vector<std::string> subnets;
  std::vector<std::string> router_port;  // rtos-<node> networks
  std::string pinned_chassis;            // Gateway_Chassis of rtos-<node>, "" when none
  std::string management;                // k8s-<node> addresses, "" when missing
  std::optional<bool> management_up;
  size_t pods = 0;
  size_t pods_up = 0;
  std::optional<GatewayInfo> gateway;
};

struct ClusterInfo {
  std::optional<ClusterConfig> config;
  std::string config_error;  // the stored config does not parse
  bool cluster_router = false;
  bool join_switch = false;
  std::vector<NodeInfo> nodes;
};

struct PodInfo {
  std::string node;
  std::string port;       // the LSP name
  std::string pod_namespace;
  std::string pod;
  std::string mac;
  std::vector<std::string> ips;
  std::optional<bool> up;
  std::string chassis;    // options:requested-chassis
  std::string parent;     // parent_name (a container inside a VM)
  std::optional<int64_t> tag;
};

ClusterInfo read_cluster(const NbSnapshot& snapshot);
// node_filter "" = every node.
std::vector<PodInfo> read_pods(const NbSnapshot& snapshot, std::string_view node_filter);

std::string status_text(const ClusterInfo& info);
std::string status_json(const ClusterInfo& info);
std::string pods_text(const std::vector<PodInfo>& pods);
std::string pods_json(const std::vector<PodInfo>& pods);

// Columns padded to their widest cell, two spaces apart, a header line first.
std::string render_table(const std::vector<std::string>& headings, const std::vector<std::vector<std::string>>& rows);

}  // namespace ovnk::ctl
