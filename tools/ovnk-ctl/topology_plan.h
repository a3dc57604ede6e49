// The cluster side of the topology (what ovn-kubernetes' master creates), as
// pure planning: from an NbSnapshot and a command's arguments to the ChangeSet
// that makes NB hold exactly what the command asks for.
//
//   cluster-init   Logical_Router ovn_cluster_router (the cluster config in its
//                  external_ids: ovnk-cluster-cidrs, ovnk-node-prefixes,
//                  ovnk-join-cidrs), Logical_Switch join, router port
//                  rtoj-ovn_cluster_router (.1 of each join CIDR) and its peer
//                  jtor-ovn_cluster_router.
//   node-add N     Logical_Switch N (other_config subnet / exclude_ips (.2) /
//                  ipv6_prefix as ovn-kubernetes writes them; external_ids
//                  ovnk-subnets is the exact record of every family's subnet),
//                  rtos-N on the cluster router (.1, MAC 0a:58:<.1>), stor-N,
//                  the management port k8s-N ("<mac> <.2>..."). Optionally a
//                  Gateway_Chassis rtos-N-N pinning rtos-N to chassis N (off
//                  by default, as in ovn-kubernetes outside interconnect mode:
//                  the cluster router stays fully distributed; both work).
//   gateway-add N  GR_N (options:chassis=N), rtoj-GR_N / jtor-GR_N on join
//                  (next free join address), ext_N with etor-GR_N and the
//                  localnet port <physnet>_N, rtoe-GR_N with the gateway
//                  address, on GR_N: routes to the cluster CIDR via the cluster
//                  router's join address and a default route via the next hop,
//                  SNAT of the cluster CIDR to the gateway address; on the
//                  cluster router a src-ip route of N's subnet via GR_N.
//   node-del N     every row above that belongs to N (pods' ports go with N's
//                  switch).
//
// The model is declarative: a plan lists DesiredRows; diff() compares them
// with the snapshot and emits only what is missing or different, so running a
// command twice changes nothing the second time (the empty ChangeSet). Rows
// are found by name (switches, routers, ports, gateway chassis) or, for rows
// without a name (routes, NATs), by their identifying columns among the rows
// their parent references. Columns a plan manages are set; map columns are
// managed key by key; ownership marks (external_ids owner=ovnk-ctl, node=N)
// are written on insert only, so rows another tool created (the daemon, in
// all-in-one use) are adopted without fighting over them.
//
// Commands are declarative for the rows they mark: routes, NATs and gateway
// chassis marked for the node that the plan no longer lists are removed
// (Prune), so a gateway re-added with one family less, or a node re-added
// without --pin-chassis, converges to what was asked.
//
// Subnets and join addresses are allocated from what NB records (no state
// file): the lowest free node subnet of each cluster CIDR, the lowest free
// join address from .2. The plan adds guards so that a concurrent allocation
// of the same subnet or address makes the transaction fail (and the caller
// plan again) instead of committing a duplicate.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"
#include "tools/ovnk-ctl/change_set.h"
#include "tools/ovnk-ctl/cidr.h"
#include "tools/ovnk-ctl/nb_snapshot.h"

namespace ovnk::ctl {

// ovn-kubernetes' names.
namespace names {
inline constexpr std::string_view kClusterRouter = "ovn_cluster_router";
inline constexpr std::string_view kJoinSwitch = "join";
std::string rtoj(std::string_view router);  // router port on join
std::string jtor(std::string_view router);  // its peer on the join switch
std::string rtos(std::string_view node);
std::string stor(std::string_view node);
std::string k8s(std::string_view node);     // management port
std::string gateway_router(std::string_view node);   // GR_<node>
std::string external_switch(std::string_view node);  // ext_<node>
std::string rtoe(std::string_view router);
std::string etor(std::string_view router);
std::string localnet(std::string_view physnet, std::string_view node);
std::string gateway_chassis(std::string_view port, std::string_view chassis);  // <port>-<chassis>
}  // namespace names

// external_ids keys.
inline constexpr std::string_view kOwnerKey = "owner";
inline constexpr std::string_view kOwnerValue = "ovnk-ctl";
inline constexpr std::string_view kNodeKey = "node";
inline constexpr std::string_view kClusterCidrsKey = "ovnk-cluster-cidrs";
inline constexpr std::string_view kNodePrefixesKey = "ovnk-node-prefixes";
inline constexpr std::string_view kJoinCidrsKey = "ovnk-join-cidrs";
inline constexpr std::string_view kSubnetsKey = "ovnk-subnets";

struct ClusterConfig {
  std::vector<IpPrefix> cluster_cidrs;  // one per family
  std::vector<uint8_t> node_prefixes;   // parallel to cluster_cidrs
  std::vector<IpPrefix> join_cidrs;     // parallel to cluster_cidrs (same families)

  // From the command line. `join` empty: 100.64.0.0/16 for IPv4 and fd98::/64
  // for IPv6 (ovn-kubernetes' defaults), for the families of the cluster.
  static Result<ClusterConfig> parse(std::string_view cluster, std::string_view node_prefix,
                                     std::string_view join);
  // From ovn_cluster_router's external_ids; nullopt when there is no such
  // router or it carries no config (created by someone else, not initialised).
  static Result<std::optional<ClusterConfig>> read(const NbSnapshot& snapshot);
  std::vector<std::pair<std::string, std::string>> external_ids() const;
  // "10.244.0.0/16 (nodes /24), join 100.64.0.0/16"
  std::string describe() const;
  // The cluster router's addresses on the join switch (.1 of each join CIDR).
  std::vector<IpPrefix> router_join_addrs() const;
  const IpPrefix* cluster_for(const IpAddr& like) const { return find_family(cluster_cidrs, like); }
  const IpPrefix* join_for(const IpAddr& like) const { return find_family(join_cidrs, like); }
  std::optional<uint8_t> node_prefix_for(const IpAddr& like) const;

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

using StringPairs = std::vector<std::pair<std::string, std::string>>;

struct ParentRef {
  std::string table;   // a named row's table
  std::string name;
  std::string column;  // the set column of the parent that references the row
};

struct DesiredRow {
  std::string table;
  std::string name;                // named rows; "" for anonymous rows
  std::vector<std::string> match;  // anonymous rows: columns (of `columns`) identifying the row
  ovsdb::ColumnValues columns;     // set to exactly these values
  std::vector<std::pair<std::string, StringPairs>> map_keys;     // managed keys of map columns
  std::vector<std::pair<std::string, StringPairs>> insert_only;  // map pairs written on insert only
  std::optional<ParentRef> parent;
  std::string label;  // for humans: "Logical_Switch node1"
};

// Rows of `table` referenced by the parent's column that carry ovnk-ctl's
// marks for `node` but match no desired row are removed: what a command
// manages completely (a gateway re-added with one family less loses that
// family's routes and SNAT).
struct Prune {
  ParentRef parent;
  std::string table;
  std::string node;
};

struct DesiredState {
  std::vector<DesiredRow> rows;
  std::vector<Guard> guards;  // added to the change set when it is not empty
  std::vector<Prune> prune;
};

// The changes that make `snapshot` hold `desired`. Errors: a parent that
// exists neither in the snapshot nor in `desired`, several rows with the name
// of a row to manage, a named port that belongs to another parent.
Result<ChangeSet> diff(const NbSnapshot& snapshot, const DesiredState& desired,
                       const std::function<ovsdb::Uuid()>& next_uuid);

// The node subnets NB records, by switch name: external_ids:ovnk-subnets when
// present, else other_config:subnet (IPv4) and other_config:ipv6_prefix (a /64).
std::map<std::string, std::vector<IpPrefix>> recorded_node_subnets(const NbSnapshot& snapshot);
std::vector<IpPrefix> switch_subnets(const SnapRow& logical_switch);

// cluster-init. Error: the cluster is already initialised with another config.
Result<DesiredState> plan_cluster(const NbSnapshot& snapshot, const ClusterConfig& config);

struct NodeOptions {
  std::string node;
  std::vector<IpPrefix> subnets;  // requested; empty: keep the recorded ones or allocate
  bool pin_chassis = false;       // Gateway_Chassis on rtos-<node>
};
struct NodePlan {
  DesiredState desired;
  std::vector<IpPrefix> subnets;  // the node's subnets (kept, requested or allocated)
  bool allocated = false;         // some subnet is new
};
Result<NodePlan> plan_node(const NbSnapshot& snapshot, const ClusterConfig& config, const NodeOptions& options);

struct GatewayOptions {
  std::string node;
  std::string physnet;
  std::vector<IpPrefix> addresses;  // the gateway's interface addresses, one per family
  std::vector<IpAddr> nexthops;     // the outside router, one per family of `addresses`
};
struct GatewayPlan {
  DesiredState desired;
  std::vector<IpPrefix> join_addrs;  // GR_<node>'s addresses on join
};
Result<GatewayPlan> plan_gateway(const NbSnapshot& snapshot, const ClusterConfig& config,
                                 const GatewayOptions& options);

// node-del: removals only (empty when nothing of the node is left).
ChangeSet plan_node_delete(const NbSnapshot& snapshot, std::string_view node);

}  // namespace ovnk::ctl
