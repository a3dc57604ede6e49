// The node's overlay settings in the Open_vSwitch database, planned (pure):
// the external_ids of the Open_vSwitch row that ovn-controller reads
// (system-id, ovn-remote, ovn-encap-type, ovn-encap-ip, ovn-bridge-mappings).
//
// Only the keys the operator configured are written; every other key of the
// row stays as it is (one mutate: delete the keys that differ, insert their
// new values, in that order, in the same operation). Nothing is written when
// the row already holds the values, so applying the plan again is a no-op.
// ovn-encap-type is written (default geneve) as soon as any overlay key is
// configured, or when given explicitly. Pure: reads a replica, returns a
// transaction.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/replica.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::agent {

struct NodeOvsConfig {
  std::optional<std::string> system_id;        // external_ids:system-id (the chassis name)
  std::optional<std::string> ovn_remote;       // external_ids:ovn-remote (the SB remote)
  std::optional<std::string> encap_type;       // external_ids:ovn-encap-type; default geneve
  std::optional<std::string> encap_ip;         // external_ids:ovn-encap-ip
  std::optional<std::string> bridge_mappings;  // external_ids:ovn-bridge-mappings ("physnet:br-phy")

  // The keys to write, sorted by key; empty when nothing is configured.
  std::vector<std::pair<std::string, std::string>> desired() const;
};

struct OpenVswitchView {
  size_t rows = 0;                   // the table holds one row once `ovs-vsctl init` ran
  std::optional<ovsdb::Uuid> row;    // when exactly one
  std::vector<std::pair<std::string, std::string>> external_ids;
};
OpenVswitchView read_open_vswitch(const ovsdb::Replica& ovs);

// nullopt: nothing configured or nothing differs. Error: no (or several)
// Open_vSwitch rows.
Result<std::optional<ovsdb::TransactionBuilder>> plan_node_ovs_config(const OpenVswitchView& view,
                                                                      const NodeOvsConfig& config);

}  // namespace ovnk::agent
