// The node's part of the cluster topology in NB, for all-in-one use: what the
// agent creates when it is missing (a cluster controller normally does this).
//
//   Logical_Switch <node>               other_config: subnet=<node subnet>,
//                                       exclude_ips=<management .2>
//   Logical_Router ovn_cluster_router
//   Logical_Router_Port rtos-<node>     mac 0a:58:<gateway>, networks <gateway>/<len>
//   Logical_Switch_Port stor-<node>     type router, addresses "router",
//                                       options router-port=rtos-<node>
//
// Only what is missing is created, in one transaction with explicit uuids
// (rows that reference others come after them). What exists is never changed.
// A node switch whose other_config:subnet
// disagrees with the configured subnet is an error (handing out addresses
// from the wrong subnet would collide with other nodes). Names follow
// ovn-kubernetes. Pure: reads a replica, returns a transaction.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/result.h"
#include "netlink/inet.h"
#include "ovsdb-proto/replica.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::agent {

inline constexpr std::string_view kClusterRouter = "ovn_cluster_router";

struct TopologyConfig {
  std::string node;
  netlink::IpPrefix subnet;      // the node subnet (network address)
  netlink::IpAddr gateway;       // .1
  netlink::IpAddr management;    // .2
};

struct TopologyView {
  std::optional<ovsdb::Uuid> switch_uuid;
  std::string switch_subnet;  // other_config:subnet of the node switch, "" when unset
  size_t switches_named_node = 0;
  std::optional<ovsdb::Uuid> router_uuid;
  bool rtos_exists = false;
  bool stor_exists = false;
  bool complete() const { return switch_uuid && router_uuid && rtos_exists && stor_exists; }
};

TopologyView read_topology(const ovsdb::Replica& nb, const std::string& node);

// The transaction creating what `view` lacks (nullopt: nothing to do), or an
// error when what exists contradicts the config. `next_uuid` supplies the
// explicit row uuids.
Result<std::optional<ovsdb::TransactionBuilder>> plan_topology(
    const TopologyView& view, const TopologyConfig& config, const std::function<ovsdb::Uuid()>& next_uuid);

// The node switch's uuid, when there is exactly one switch named `node`.
std::optional<ovsdb::Uuid> find_node_switch(const ovsdb::Replica& nb, const std::string& node);

}  // namespace ovnk::agent
