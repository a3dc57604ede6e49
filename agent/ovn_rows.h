// The OVSDB rows the agent writes for a pod, and how it recognises its own.
//
// NB, per pod: a Logical_Switch_Port (ovn-kubernetes columns: addresses and
// port_security "<mac> <ip>", options iface-id-ver and requested-chassis,
// external_ids namespace and pod=true) referenced from the node switch's
// ports. Open_vSwitch, per pod: an Interface (external_ids iface-id,
// iface-id-ver, sandbox, attached_mac, ip_addresses) in a Port on br-int.
//
// Ownership marks, so that reconciliation never deletes what someone else
// created: our LSPs carry external_ids owner=ovnk-reactor, node=<node>,
// sandbox=<container id>; our Interfaces and Ports carry owner=ovnk-reactor and
// sandbox. A row without the marks is never removed.
//
// Every insert carries an explicit uuid (a retry after a lost reply fails with
// "duplicate uuid" instead of duplicating) and a uuid-name used by the
// mutation that references it, placed AFTER the insert (transaction.h explains
// why). LSP, Port and Interface are non-root tables: removing the reference is
// enough to delete the row, and the removals below only do that.
// Pure: builders append operations to a TransactionBuilder.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "netlink/inet.h"
#include "ovsdb-proto/replica.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::agent {

inline constexpr std::string_view kOwnerKey = "owner";
inline constexpr std::string_view kOwnerValue = "ovnk-reactor";
inline constexpr std::string_view kNodeKey = "node";
inline constexpr std::string_view kSandboxKey = "sandbox";

inline constexpr std::string_view kNbDatabase = "OVN_Northbound";
inline constexpr std::string_view kOvsDatabase = "Open_vSwitch";

// The tables and columns the agent monitors.
std::vector<ovsdb::MonitorRequest> nb_monitor_requests();
std::vector<ovsdb::MonitorRequest> ovs_monitor_requests();

struct LspPlan {
  ovsdb::Uuid uuid;
  std::string name;
  netlink::MacAddr mac;
  netlink::IpAddr ip;
  std::string pod_uid;        // options:iface-id-ver when non-empty
  std::string node;           // options:requested-chassis, external_ids:node
  std::string pod_namespace;  // external_ids:namespace when non-empty
  std::string sandbox;        // the container id
};
// "<mac> <ip>"
std::string lsp_address(const netlink::MacAddr& mac, const netlink::IpAddr& ip);
// insert Logical_Switch_Port, then mutate Logical_Switch.ports of `ls`.
void add_lsp_insert(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& ls, const LspPlan& plan);
// mutate Logical_Switch.ports of `ls`: delete `lsp` (the row then goes).
void add_lsp_remove(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& ls, const ovsdb::Uuid& lsp);

struct OvsPortPlan {
  ovsdb::Uuid interface_uuid;
  ovsdb::Uuid port_uuid;
  std::string name;           // the host end of the veth
  std::string iface_id;       // the LSP name
  std::string iface_id_ver;   // the pod uid, may be empty
  std::string sandbox;
  netlink::MacAddr mac;       // the pod's MAC (attached_mac)
  netlink::IpPrefix ip;       // ip_addresses
};
// insert Interface, insert Port, mutate Bridge.ports of `bridge`.
void add_ovs_port_insert(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& bridge, const OvsPortPlan& plan);
void add_ovs_port_remove(ovsdb::TransactionBuilder& txn, const ovsdb::Uuid& bridge, const ovsdb::Uuid& port);

// A uuid-name for a row: "r" + the uuid's hex digits (an OVSDB <id>).
std::string uuid_name(const ovsdb::Uuid& uuid);

// Reading rows of the replicas.
std::optional<std::string_view> map_value(const ovsdb::ReplicaTable& table, const ovsdb::Row& row,
                                          std::string_view column, std::string_view key);
std::string string_column(const ovsdb::ReplicaTable& table, const ovsdb::Row& row, std::string_view column);
// Whether a row's external_ids carry our owner mark (and, when node is
// non-empty, node=<node>).
bool owned_by_us(const ovsdb::ReplicaTable& table, const ovsdb::Row& row, std::string_view node);

}  // namespace ovnk::agent
