#include "agent/node_ovs_config.h"

#include <algorithm>
#include <cerrno>

#include "agent/ovn_rows.h"

namespace ovnk::agent {

using ovsdb::Condition;
using ovsdb::Datum;
using ovsdb::Mutation;
using ovsdb::Mutator;

std::vector<std::pair<std::string, std::string>> NodeOvsConfig::desired() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (system_id) out.emplace_back("system-id", *system_id);
  if (ovn_remote) out.emplace_back("ovn-remote", *ovn_remote);
  if (encap_type || system_id || ovn_remote || encap_ip) out.emplace_back("ovn-encap-type", encap_type.value_or("geneve"));
  if (encap_ip) out.emplace_back("ovn-encap-ip", *encap_ip);
  if (bridge_mappings) out.emplace_back("ovn-bridge-mappings", *bridge_mappings);
  std::sort(out.begin(), out.end());
  return out;
}

OpenVswitchView read_open_vswitch(const ovsdb::Replica& ovs) {
  OpenVswitchView v;
  const ovsdb::ReplicaTable* t = ovs.table("Open_vSwitch");
  if (t == nullptr) return v;
  for (const ovsdb::Row& row : *t) {
    ++v.rows;
    v.row = row.uuid();
    v.external_ids.clear();
    if (const Datum* d = t->get(row, "external_ids"); d != nullptr && d->is_map()) {
      for (size_t i = 0; i < d->size(); ++i) {
        if (d->keys()[i].is_string() && d->values()[i].is_string()) {
          v.external_ids.emplace_back(d->keys()[i].as_string(), d->values()[i].as_string());
        }
      }
    }
  }
  if (v.rows != 1) v.row.reset();
  return v;
}

Result<std::optional<ovsdb::TransactionBuilder>> plan_node_ovs_config(const OpenVswitchView& view,
                                                                      const NodeOvsConfig& config) {
  const auto want = config.desired();
  if (want.empty()) return std::optional<ovsdb::TransactionBuilder>();
  if (!view.row) {
    return make_error("ovs", ENOENT, "the Open_vSwitch table has " + std::to_string(view.rows) +
                                         " rows, expected one (was `ovs-vsctl init` run?)");
  }
  std::vector<std::string> keys;
  std::vector<std::pair<std::string, std::string>> values;
  for (const auto& [k, v] : want) {
    auto it = std::find_if(view.external_ids.begin(), view.external_ids.end(),
                           [&](const auto& kv) { return kv.first == k; });
    if (it != view.external_ids.end() && it->second == v) continue;
    keys.push_back(k);
    values.emplace_back(k, v);
  }
  if (keys.empty()) return std::optional<ovsdb::TransactionBuilder>();
  ovsdb::TransactionBuilder txn{std::string(kOvsDatabase)};
  txn.comment("ovnk-reactor: node overlay settings");
  txn.mutate("Open_vSwitch", {Condition::uuid_is(*view.row)},
             {Mutation{"external_ids", Mutator::kDelete, Datum::string_set(keys)},
              Mutation{"external_ids", Mutator::kInsert, Datum::string_map(values)}});
  return std::optional<ovsdb::TransactionBuilder>(std::move(txn));
}

}  // namespace ovnk::agent
