#include "agent/topology.h"

#include <cerrno>

#include "agent/ipam.h"
#include "agent/ovn_rows.h"

namespace ovnk::agent {

using ovsdb::Atom;
using ovsdb::Condition;
using ovsdb::Datum;
using ovsdb::InsertOptions;
using ovsdb::Mutation;
using ovsdb::Mutator;

namespace {

std::string rtos_name(const std::string& node) { return "rtos-" + node; }
std::string stor_name(const std::string& node) { return "stor-" + node; }

}  // namespace

std::optional<ovsdb::Uuid> find_node_switch(const ovsdb::Replica& nb, const std::string& node) {
  const ovsdb::ReplicaTable* ls = nb.table("Logical_Switch");
  if (ls == nullptr) return std::nullopt;
  std::optional<ovsdb::Uuid> found;
  for (const ovsdb::Row& row : *ls) {
    if (string_column(*ls, row, "name") != node) continue;
    if (found) return std::nullopt;  // ambiguous
    found = row.uuid();
  }
  return found;
}

TopologyView read_topology(const ovsdb::Replica& nb, const std::string& node) {
  TopologyView v;
  if (const ovsdb::ReplicaTable* ls = nb.table("Logical_Switch")) {
    for (const ovsdb::Row& row : *ls) {
      if (string_column(*ls, row, "name") != node) continue;
      ++v.switches_named_node;
      v.switch_uuid = row.uuid();
      v.switch_subnet = std::string(map_value(*ls, row, "other_config", "subnet").value_or(""));
    }
  }
  if (const ovsdb::ReplicaTable* lr = nb.table("Logical_Router")) {
    for (const ovsdb::Row& row : *lr) {
      if (string_column(*lr, row, "name") == kClusterRouter) v.router_uuid = row.uuid();
    }
  }
  if (const ovsdb::ReplicaTable* lrp = nb.table("Logical_Router_Port")) {
    v.rtos_exists = lrp->find_by_string("name", rtos_name(node)) != nullptr;
  }
  if (const ovsdb::ReplicaTable* lsp = nb.table("Logical_Switch_Port")) {
    v.stor_exists = lsp->find_by_string("name", stor_name(node)) != nullptr;
  }
  return v;
}

Result<std::optional<ovsdb::TransactionBuilder>> plan_topology(
    const TopologyView& view, const TopologyConfig& config, const std::function<ovsdb::Uuid()>& next_uuid) {
  if (view.switches_named_node > 1) {
    return make_error("ovn", EEXIST, "NB has " + std::to_string(view.switches_named_node) +
                                         " logical switches named '" + config.node + "'; expected one");
  }
  const std::string subnet = config.subnet.to_string();
  if (view.switch_uuid && !view.switch_subnet.empty() && view.switch_subnet != subnet) {
    return make_error("ovn", EINVAL, "logical switch '" + config.node + "' has other_config:subnet=" +
                                         view.switch_subnet + " but this node is configured with " + subnet);
  }
  if (view.complete()) return std::optional<ovsdb::TransactionBuilder>();

  ovsdb::TransactionBuilder txn{std::string(kNbDatabase)};
  txn.comment("ovnk-reactor: node topology for " + config.node);
  const std::string gw_cidr = netlink::IpPrefix{config.gateway, config.subnet.len}.to_string();

  // stor-<node> before the switch that references it.
  std::optional<std::string> stor_ref;
  if (!view.stor_exists) {
    ovsdb::Uuid u = next_uuid();
    stor_ref = uuid_name(u);
    txn.insert("Logical_Switch_Port",
               {{"name", Datum::string(stor_name(config.node))},
                {"type", Datum::string("router")},
                {"addresses", Datum::string("router")},
                {"options", Datum::string_map({{"router-port", rtos_name(config.node)}})},
                {"external_ids", Datum::string_map({{kOwnerKey, kOwnerValue}, {kNodeKey, config.node}})}},
               InsertOptions{*stor_ref, u});
  }
  if (!view.switch_uuid) {
    ovsdb::Uuid u = next_uuid();
    ovsdb::ColumnValues row = {
        {"name", Datum::string(config.node)},
        {"other_config", Datum::string_map({{"subnet", subnet}, {"exclude_ips", config.management.to_string()}})},
        {"external_ids", Datum::string_map({{kOwnerKey, kOwnerValue}, {kNodeKey, config.node}})},
    };
    if (stor_ref) row.emplace_back("ports", Datum::named_uuid(*stor_ref));
    txn.insert("Logical_Switch", row, InsertOptions{uuid_name(u), u});
  } else if (stor_ref) {
    txn.mutate("Logical_Switch", {Condition::uuid_is(*view.switch_uuid)},
               {Mutation{"ports", Mutator::kInsert, Datum::named_uuid(*stor_ref)}});
  }

  std::optional<std::string> rtos_ref;
  if (!view.rtos_exists) {
    ovsdb::Uuid u = next_uuid();
    rtos_ref = uuid_name(u);
    txn.insert("Logical_Router_Port",
               {{"name", Datum::string(rtos_name(config.node))},
                {"mac", Datum::string(mac_for_ip(config.gateway).to_string())},
                {"networks", Datum::string(gw_cidr)}},
               InsertOptions{*rtos_ref, u});
  }
  if (!view.router_uuid) {
    ovsdb::Uuid u = next_uuid();
    ovsdb::ColumnValues row = {
        {"name", Datum::string(std::string(kClusterRouter))},
        {"external_ids", Datum::string_map({{kOwnerKey, kOwnerValue}})},
    };
    if (rtos_ref) row.emplace_back("ports", Datum::named_uuid(*rtos_ref));
    txn.insert("Logical_Router", row, InsertOptions{uuid_name(u), u});
  } else if (rtos_ref) {
    txn.mutate("Logical_Router", {Condition::uuid_is(*view.router_uuid)},
               {Mutation{"ports", Mutator::kInsert, Datum::named_uuid(*rtos_ref)}});
  }
  return std::optional<ovsdb::TransactionBuilder>(std::move(txn));
}

}  // namespace ovnk::agent
