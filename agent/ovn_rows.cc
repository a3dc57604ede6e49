#include "agent/ovn_rows.h"

namespace ovnk::agent {

using ovsdb::Atom;
using ovsdb::Condition;
using ovsdb::Datum;
using ovsdb::InsertOptions;
using ovsdb::Mutation;
using ovsdb::Mutator;

namespace {

ovsdb::MonitorRequest request(std::string table, std::vector<std::string> columns) {
  ovsdb::MonitorRequest r;
  r.table = std::move(table);
  r.columns = std::move(columns);
  return r;
}

}  // namespace

std::vector<ovsdb::MonitorRequest> nb_monitor_requests() {
  return {
      request("Logical_Switch", {"name", "ports", "other_config", "external_ids"}),
      request("Logical_Switch_Port",
              {"name", "type", "addresses", "port_security", "options", "external_ids", "up"}),
      request("Logical_Router", {"name", "ports"}),
      request("Logical_Router_Port", {"name", "mac", "networks"}),
  };
}

std::vector<ovsdb::MonitorRequest> ovs_monitor_requests() {
  return {
      request("Bridge", {"name", "ports"}),
      request("Port", {"name", "interfaces", "external_ids"}),
      request("Interface", {"name", "type", "external_ids", "error", "ofport"}),
  };
}

std::string uuid_name(const ovsdb::Uuid& uuid) {
  std::string text = uuid.to_string();
  std::string out = "r";
  for (char c : text) {
    if (c != '-') out.push_back(c);
  }
  return out;
}

std::string lsp_address(const netlink::MacAddr& mac, const netlink::IpAddr& ip) {
  return mac.to_string() + " " + ip.to_string();
}

void add_lsp_insert(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& ls, const LspPlan& plan) {
  const std::string address = lsp_address(plan.mac, plan.ip);
  std::vector<std::pair<std::string, std::string>> options = {{"requested-chassis", plan.node}};
  if (!plan.pod_uid.empty()) options.emplace_back("iface-id-ver", plan.pod_uid);
  std::vector<std::pair<std::string, std::string>> ids = {
      {"pod", "true"},
      {std::string(kOwnerKey), std::string(kOwnerValue)},
      {std::string(kNodeKey), plan.node},
      {std::string(kSandboxKey), plan.sandbox},
  };
  if (!plan.pod_namespace.empty()) ids.emplace_back("namespace", plan.pod_namespace);
  const std::string name = uuid_name(plan.uuid);
  txn.insert("Logical_Switch_Port",
             {{"name", Datum::string(plan.name)},
              {"addresses", Datum::string(address)},
              {"port_security", Datum::string(address)},
              {"options", Datum::string_map(options)},
              {"external_ids", Datum::string_map(ids)}},
             InsertOptions{name, plan.uuid});
  txn.mutate("Logical_Switch", {Condition::uuid_is(ls)},
             {Mutation{"ports", Mutator::kInsert, Datum::named_uuid(name)}});
}

void add_lsp_remove(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& ls, const ovsdb::Uuid& lsp) {
  txn.mutate("Logical_Switch", {Condition::uuid_is(ls)},
             {Mutation{"ports", Mutator::kDelete, Datum::uuid(lsp)}});
}

void add_ovs_port_insert(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& bridge, const OvsPortPlan& plan) {
  const std::string iface_name = uuid_name(plan.interface_uuid);
  const std::string port_name = uuid_name(plan.port_uuid);
  std::vector<std::pair<std::string, std::string>> ids = {
      {"iface-id", plan.iface_id},
      {"sandbox", plan.sandbox},
      {"attached_mac", plan.mac.to_string()},
      {"ip_addresses", plan.ip.to_string()},
      {std::string(kOwnerKey), std::string(kOwnerValue)},
  };
  if (!plan.iface_id_ver.empty()) ids.emplace_back("iface-id-ver", plan.iface_id_ver);
  txn.insert("Interface",
             {{"name", Datum::string(plan.name)}, {"external_ids", Datum::string_map(ids)}},
             InsertOptions{iface_name, plan.interface_uuid});
  txn.insert("Port",
             {{"name", Datum::string(plan.name)},
              {"interfaces", Datum::named_uuid(iface_name)},
              {"external_ids", Datum::string_map({{kOwnerKey, kOwnerValue}, {kSandboxKey, plan.sandbox}})}},
             InsertOptions{port_name, plan.port_uuid});
  txn.mutate("Bridge", {Condition::uuid_is(bridge)},
             {Mutation{"ports", Mutator::kInsert, Datum::named_uuid(port_name)}});
}

void add_ovs_port_remove(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& bridge, const ovsdb::Uuid& port) {
  txn.mutate("Bridge", {Condition::uuid_is(bridge)},
             {Mutation{"ports", Mutator::kDelete, Datum::uuid(port)}});
}

std::optional<std::string_view> map_value(const ovsdb::ReplicaTable& table, const ovsdb::Row& row,
                                          std::string_view column, std::string_view key) {
  const Datum* d = table.get(row, column);
  if (d == nullptr) return std::nullopt;
  return d->get_string(key);
}

std::string string_column(const ovsdb::ReplicaTable& table, const ovsdb::Row& row, std::string_view column) {
  const Datum* d = table.get(row, column);
  if (d == nullptr) return {};
  const Atom* a = d->as_scalar();
  if (a == nullptr || !a->is_string()) return {};
  return a->as_string();
}

bool owned_by_us(const ovsdb::ReplicaTable& table, const ovsdb::Row& row, std::string_view node) {
  auto owner = map_value(table, row, "external_ids", kOwnerKey);
  if (!owner || *owner != kOwnerValue) return false;
  if (node.empty()) return true;
  auto n = map_value(table, row, "external_ids", kNodeKey);
  return n && *n == node;
}

}  // namespace ovnk::agent
