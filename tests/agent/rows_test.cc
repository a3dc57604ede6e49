// The rows the agent writes: ovn-kubernetes columns, ownership marks, explicit
// uuids, and references placed after the inserts they name (transaction.h).
#include <gtest/gtest.h>

#include "agent/ipam.h"
#include "agent/ovn_rows.h"
#include "agent/topology.h"
#include "tests/agent/plan_test_helpers.h"

namespace ovnk::agent {
namespace {

using ovsdb::Uuid;

using testing::pos;
using testing::uuid;

TEST(Rows, LspInsertCarriesOvnKubernetesColumnsAndOurMarks) {
  LspPlan plan;
  plan.uuid = uuid(1);
  plan.name = "default_web-1";
  plan.mac = *netlink::MacAddr::parse("0a:58:0a:f4:01:05");
  plan.ip = *netlink::IpAddr::parse("10.244.1.5");
  plan.pod_uid = "uid-1";
  plan.node = "node1";
  plan.pod_namespace = "default";
  plan.sandbox = "cid1";
  ovsdb::TransactionBuilder txn("OVN_Northbound");
  add_lsp_insert(txn, uuid(9), plan);
  ASSERT_EQ(txn.size(), 2u);
  EXPECT_EQ(txn.kind(0), ovsdb::OpKind::kInsert);
  EXPECT_EQ(txn.kind(1), ovsdb::OpKind::kMutate);
  const std::string json = txn.params_json();
  pos(json, "\"addresses\":\"0a:58:0a:f4:01:05 10.244.1.5\"");
  pos(json, "\"port_security\":\"0a:58:0a:f4:01:05 10.244.1.5\"");
  pos(json, "[\"iface-id-ver\",\"uid-1\"]");
  pos(json, "[\"requested-chassis\",\"node1\"]");
  pos(json, "[\"namespace\",\"default\"]");
  pos(json, "[\"pod\",\"true\"]");
  pos(json, "[\"owner\",\"ovnk-reactor\"]");
  pos(json, "[\"sandbox\",\"cid1\"]");
  pos(json, "\"uuid\":\"" + plan.uuid.to_string() + "\"");
  const std::string name = uuid_name(plan.uuid);
  // The reference comes after the insert that defines the name.
  EXPECT_LT(pos(json, "\"uuid-name\":\"" + name + "\""), pos(json, "[\"named-uuid\",\"" + name + "\"]"));
}

TEST(Rows, OvsPortInsertReferencesInOrder) {
  OvsPortPlan plan;
  plan.interface_uuid = uuid(2);
  plan.port_uuid = uuid(3);
  plan.name = "0123456789abcde";
  plan.iface_id = "default_web-1";
  plan.iface_id_ver = "uid-1";
  plan.sandbox = "cid1";
  plan.mac = *netlink::MacAddr::parse("0a:58:0a:f4:01:05");
  plan.ip = *netlink::IpPrefix::parse("10.244.1.5/24");
  ovsdb::TransactionBuilder txn("Open_vSwitch");
  add_ovs_port_insert(txn, uuid(8), plan);
  ASSERT_EQ(txn.size(), 3u);
  EXPECT_EQ(txn.table(0), "Interface");
  EXPECT_EQ(txn.table(1), "Port");
  EXPECT_EQ(txn.table(2), "Bridge");
  const std::string json = txn.params_json();
  for (const char* kv : {"[\"iface-id\",\"default_web-1\"]", "[\"iface-id-ver\",\"uid-1\"]", "[\"sandbox\",\"cid1\"]",
                         "[\"attached_mac\",\"0a:58:0a:f4:01:05\"]", "[\"ip_addresses\",\"10.244.1.5/24\"]"}) {
    pos(json, kv);
  }
  const std::string iface = uuid_name(plan.interface_uuid);
  const std::string port = uuid_name(plan.port_uuid);
  EXPECT_LT(pos(json, "\"uuid-name\":\"" + iface + "\""), pos(json, "[\"named-uuid\",\"" + iface + "\"]"));
  EXPECT_LT(pos(json, "\"uuid-name\":\"" + port + "\""), pos(json, "[\"named-uuid\",\"" + port + "\"]"));
}

TEST(Rows, UuidNamesAreOvsdbIdentifiers) {
  std::string n = uuid_name(uuid(4));
  ASSERT_FALSE(n.empty());
  EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(n[0])));
  for (char c : n) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << n;
}

TopologyConfig config() {
  TopologyConfig c;
  c.node = "node1";
  c.subnet = *netlink::IpPrefix::parse("10.244.1.0/24");
  c.gateway = *netlink::IpAddr::parse("10.244.1.1");
  c.management = *netlink::IpAddr::parse("10.244.1.2");
  return c;
}

TEST(Topology, CreatesEverythingOnAnEmptyDatabase) {
  int n = 0;
  auto plan = plan_topology(TopologyView{}, config(), [&] { return uuid(++n); });
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  ASSERT_TRUE(plan->has_value());
  const std::string json = (*plan)->params_json();
  pos(json, "\"name\":\"stor-node1\"");
  pos(json, "[\"router-port\",\"rtos-node1\"]");
  pos(json, "[\"subnet\",\"10.244.1.0/24\"]");
  pos(json, "[\"exclude_ips\",\"10.244.1.2\"]");
  pos(json, "\"name\":\"rtos-node1\"");
  pos(json, "\"mac\":\"0a:58:0a:f4:01:01\"");
  pos(json, "\"networks\":\"10.244.1.1/24\"");
  pos(json, "\"name\":\"ovn_cluster_router\"");
  // Every referenced name was defined before.
  size_t at = 0;
  while ((at = json.find("[\"named-uuid\",\"", at)) != std::string::npos) {
    size_t start = at + 15;
    std::string name = json.substr(start, json.find('"', start) - start);
    EXPECT_LT(pos(json, "\"uuid-name\":\"" + name + "\""), at) << name;
    at = start;
  }
  EXPECT_EQ(n, 4);  // four explicit uuids
}

TEST(Topology, NothingToDoWhenCompleteAndOnlyTheMissingPart) {
  TopologyView full;
  full.switch_uuid = uuid(1);
  full.switch_subnet = "10.244.1.0/24";
  full.switches_named_node = 1;
  full.router_uuid = uuid(2);
  full.rtos_exists = true;
  full.stor_exists = true;
  auto none = plan_topology(full, config(), [] { return uuid(7); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  TopologyView partial = full;
  partial.stor_exists = false;
  auto some = plan_topology(partial, config(), [] { return uuid(7); });
  ASSERT_TRUE(some.ok());
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->size(), 3u);  // comment, insert stor, mutate the switch
  EXPECT_EQ((*some)->kind(2), ovsdb::OpKind::kMutate);
}

TEST(Topology, AConflictingSubnetIsAnError) {
  TopologyView v;
  v.switch_uuid = uuid(1);
  v.switches_named_node = 1;
  v.switch_subnet = "10.244.9.0/24";
  auto r = plan_topology(v, config(), [] { return uuid(7); });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("10.244.9.0/24"), std::string::npos);
  v.switch_subnet = "";
  v.switches_named_node = 2;
  EXPECT_FALSE(plan_topology(v, config(), [] { return uuid(7); }).ok());
}

}  // namespace
}  // namespace ovnk::agent
