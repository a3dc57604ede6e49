// The node side, planned: the management LSP, the OVS port ovn-k8s-mp0, the
// kernel changes of its interface, and the Open_vSwitch external_ids for
// ovn-controller. Each plan is a no-op on a view that is already right (what
// makes restarts duplicate nothing).
#include <gtest/gtest.h>

#include "agent/management_port_plan.h"
#include "agent/node_ovs_config.h"
#include "tests/agent/plan_test_helpers.h"

namespace ovnk::agent {
namespace {

using ovsdb::OpKind;
using ovsdb::Uuid;

using testing::pos;
using testing::uuid;

netlink::IpAddr ip(std::string_view s) { return *netlink::IpAddr::parse(s); }
netlink::IpPrefix prefix(std::string_view s) { return *netlink::IpPrefix::parse(s); }

TEST(ManagementLsp, ParsesOvnKubernetesAddresses) {
  auto a = parse_lsp_addresses("0a:58:0a:f4:01:02 10.244.1.2");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->mac.to_string(), "0a:58:0a:f4:01:02");
  ASSERT_EQ(a->ips.size(), 1u);
  EXPECT_EQ(a->ips[0].to_string(), "10.244.1.2");
  auto dual = parse_lsp_addresses("0a:58:0a:f4:01:02 10.244.1.2 fd00:10:244:1::2");
  ASSERT_TRUE(dual.ok());
  EXPECT_EQ(dual->ips.size(), 2u);
  EXPECT_FALSE(parse_lsp_addresses("").ok());
  EXPECT_FALSE(parse_lsp_addresses("router").ok());
  EXPECT_FALSE(parse_lsp_addresses("0a:58:0a:f4:01:02").ok());
  EXPECT_FALSE(parse_lsp_addresses("0a:58:0a:f4:01:02 10.244.1.x").ok());
}

TEST(ManagementLsp, CreatedWithOvnkCtlColumnsOnlyWhenMissing) {
  ManagementLspView v;
  v.switch_uuid = uuid(1);
  ManagementLspConfig c{"node1", ip("10.244.1.2")};
  int n = 0;
  auto plan = plan_management_lsp(v, c, [&] { return uuid(10 + ++n); });
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  ASSERT_TRUE(plan->has_value());
  const std::string json = (*plan)->params_json();
  pos(json, "\"name\":\"k8s-node1\"");
  pos(json, "\"addresses\":\"0a:58:0a:f4:01:02 10.244.1.2\"");
  // Inserted before the switch mutation that references it.
  EXPECT_LT(pos(json, "\"op\":\"insert\""), pos(json, "\"op\":\"mutate\""));
  EXPECT_EQ(n, 1);

  v.exists = true;
  v.addresses = "0a:58:0a:f4:01:02 10.244.1.2";
  auto none = plan_management_lsp(v, c, [&] { return uuid(99); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ManagementLspView no_switch;
  auto wait = plan_management_lsp(no_switch, c, [&] { return uuid(99); });
  ASSERT_FALSE(wait.ok());
  EXPECT_NE(wait.error().message.find("node1"), std::string::npos);
}

ManagementOvsConfig ovs_config() { return ManagementOvsConfig{"node1", "br-int", 1400}; }

ManagementOvsView good_port() {
  ManagementOvsView v;
  v.bridge_uuid = uuid(1);
  v.ports_named = 1;
  v.port_uuid = uuid(2);
  v.port_on_bridge = true;
  v.iface_uuid = uuid(3);
  v.iface_type = "internal";
  v.iface_id = "k8s-node1";
  v.mtu_request = 1400;
  v.ofport = 2;
  return v;
}

TEST(ManagementOvs, MissingPortIsInsertedAsAnInternalInterfaceWithItsIfaceId) {
  ManagementOvsView v;
  v.bridge_uuid = uuid(1);
  int n = 0;
  auto plan = plan_management_ovs(v, ovs_config(), [&] { return uuid(10 + ++n); });
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  ASSERT_TRUE(plan->has_value());
  const std::string json = (*plan)->params_json();
  size_t iface = pos(json, "\"table\":\"Interface\"");
  size_t port = pos(json, "\"table\":\"Port\"");
  size_t bridge = pos(json, "\"table\":\"Bridge\"");
  EXPECT_LT(iface, port);
  EXPECT_LT(port, bridge);
  pos(json, "\"name\":\"ovn-k8s-mp0\"");
  pos(json, "\"type\":\"internal\"");
  pos(json, "\"mtu_request\":1400");
  pos(json, "[\"iface-id\",\"k8s-node1\"]");
  EXPECT_EQ(n, 2);
}

TEST(ManagementOvs, NothingToDoWhenRightAndOnlyTheFixOtherwise) {
  auto none = plan_management_ovs(good_port(), ovs_config(), [] { return uuid(9); });
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ManagementOvsView wrong = good_port();
  wrong.iface_id = "k8s-other";
  wrong.mtu_request.reset();
  auto fix = plan_management_ovs(wrong, ovs_config(), [] { return uuid(9); });
  ASSERT_TRUE(fix.ok());
  ASSERT_TRUE(fix->has_value());
  EXPECT_EQ((*fix)->size(), 3u);  // comment, update mtu_request, mutate iface-id
  EXPECT_EQ((*fix)->kind(1), OpKind::kUpdate);
  EXPECT_EQ((*fix)->kind(2), OpKind::kMutate);
  const std::string json = (*fix)->params_json();
  EXPECT_EQ(json.find("\"op\":\"insert\""), std::string::npos) << json;  // never a second port
  pos(json, "[\"iface-id\",\"k8s-node1\"]");
}

TEST(ManagementOvs, ContradictionsAreErrors) {
  ManagementOvsView no_bridge;
  auto r = plan_management_ovs(no_bridge, ovs_config(), [] { return uuid(9); });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("br-int"), std::string::npos);
  ManagementOvsView two = good_port();
  two.ports_named = 2;
  two.port_uuid.reset();
  EXPECT_FALSE(plan_management_ovs(two, ovs_config(), [] { return uuid(9); }).ok());
  ManagementOvsView elsewhere = good_port();
  elsewhere.port_on_bridge = false;
  EXPECT_FALSE(plan_management_ovs(elsewhere, ovs_config(), [] { return uuid(9); }).ok());
}

TEST(ManagementOvs, InterfaceCreatedOnlyOnceVswitchdGaveItAnOfport) {
  ManagementOvsView v = good_port();
  v.ofport.reset();
  auto waiting = management_interface_created(v);
  ASSERT_TRUE(waiting.ok());
  EXPECT_FALSE(*waiting);
  v.ofport = 0;
  EXPECT_FALSE(*management_interface_created(v));
  v.ofport = 5;
  EXPECT_TRUE(*management_interface_created(v));
  v.ofport = -1;
  v.error = "could not open network device ovn-k8s-mp0 (No such device)";
  auto failed = management_interface_created(v);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("No such device"), std::string::npos);
}

TEST(ManagementKernel, AddressAndRouteViaTheGatewayFromTheLsp) {
  ManagementKernelConfig c;
  c.node_subnets = {prefix("10.244.1.0/24")};
  c.cluster_cidrs = {prefix("10.244.0.0/16")};
  c.mtu = 1400;
  auto lsp = parse_lsp_addresses("0a:58:0a:f4:01:02 10.244.1.2 fd00::2");
  auto plan = plan_management_kernel(*lsp, c);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_EQ(plan->mac.to_string(), "0a:58:0a:f4:01:02");
  EXPECT_EQ(plan->mtu, 1400u);
  ASSERT_EQ(plan->addresses.size(), 1u);  // the v6 address: no v6 subnet on this node
  EXPECT_EQ(plan->addresses[0].to_string(), "10.244.1.2/24");
  ASSERT_EQ(plan->routes.size(), 1u);
  EXPECT_EQ(plan->routes[0].dst.to_string(), "10.244.0.0/16");
  ASSERT_TRUE(plan->routes[0].gateway.has_value());
  EXPECT_EQ(plan->routes[0].gateway->to_string(), "10.244.1.1");
  EXPECT_EQ(plan->routes[0].protocol, netlink::kRouteProtoOvnk);

  // Dual stack: one route per family.
  c.node_subnets.push_back(prefix("fd00::/64"));
  c.cluster_cidrs.push_back(prefix("fd00::/48"));
  auto dual = plan_management_kernel(*lsp, c);
  ASSERT_TRUE(dual.ok()) << dual.error().to_string();
  ASSERT_EQ(dual->routes.size(), 2u);
  EXPECT_EQ(dual->routes[1].gateway->to_string(), "fd00::1");
}

TEST(ManagementKernel, AnAddressOutsideTheNodeSubnetIsAnError) {
  ManagementKernelConfig c;
  c.node_subnets = {prefix("10.244.1.0/24")};
  auto lsp = parse_lsp_addresses("0a:58:0a:f4:02:02 10.244.2.2");
  auto plan = plan_management_kernel(*lsp, c);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("10.244.2.2"), std::string::npos);
}

TEST(ManagementKernel, LinkChangeOnlyForWhatDiffers) {
  ManagementKernelPlan plan;
  plan.mac = *netlink::MacAddr::parse("0a:58:0a:f4:01:02");
  plan.mtu = 1400;
  netlink::LinkInfo fresh;  // as ovs-vswitchd makes it: random MAC, 1500, down
  fresh.index = 7;
  fresh.mac = *netlink::MacAddr::parse("aa:bb:cc:dd:ee:ff");
  fresh.mtu = 1500;
  auto c = plan_management_link(fresh, plan);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->link.index, 7);
  EXPECT_EQ(c->mac, plan.mac);
  EXPECT_EQ(c->mtu, 1400u);
  EXPECT_EQ(c->up, true);

  netlink::LinkInfo done = fresh;
  done.mac = plan.mac;
  done.mtu = 1400;
  done.flags = 1;  // IFF_UP
  EXPECT_FALSE(plan_management_link(done, plan).has_value());
  done.mtu = 9000;
  auto mtu_only = plan_management_link(done, plan);
  ASSERT_TRUE(mtu_only.has_value());
  EXPECT_FALSE(mtu_only->mac.has_value());  // no MAC change on an up device
  EXPECT_FALSE(mtu_only->up.has_value());
}

TEST(ManagementMonitor, AddsTheNodeColumnsWithoutDuplicates) {
  std::vector<ovsdb::MonitorRequest> base(1);
  base[0].table = "Interface";
  base[0].columns = {"name", "ofport"};
  auto all = with_node_columns(base);
  const ovsdb::MonitorRequest* iface = nullptr;
  const ovsdb::MonitorRequest* ovs = nullptr;
  for (const auto& r : all) {
    if (r.table == "Interface") iface = &r;
    if (r.table == "Open_vSwitch") ovs = &r;
  }
  ASSERT_NE(iface, nullptr);
  ASSERT_NE(ovs, nullptr);
  EXPECT_EQ(std::count(iface->columns.begin(), iface->columns.end(), "ofport"), 1);
  EXPECT_EQ(std::count(iface->columns.begin(), iface->columns.end(), "mtu_request"), 1);
  EXPECT_EQ(ovs->columns, std::vector<std::string>{"external_ids"});
  size_t interface_requests = 0;
  for (const auto& r : all) interface_requests += r.table == "Interface";
  EXPECT_EQ(interface_requests, 1u);
}

TEST(NodeOvsConfig, OnlyConfiguredKeysWithGeneveByDefault) {
  NodeOvsConfig c;
  EXPECT_TRUE(c.desired().empty());
  c.bridge_mappings = "physnet:br-phy";
  EXPECT_EQ(c.desired().size(), 1u);  // localnet only: no encap type
  c.system_id = "node1";
  c.ovn_remote = "tcp:10.0.0.1:6642";
  c.encap_ip = "192.168.77.1";
  auto d = c.desired();
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[1], (std::pair<std::string, std::string>{"ovn-encap-ip", "192.168.77.1"}));
  EXPECT_EQ(d[2], (std::pair<std::string, std::string>{"ovn-encap-type", "geneve"}));
}

TEST(NodeOvsConfig, OneMutateOfTheDifferingKeysLeavingOthersAlone) {
  NodeOvsConfig c;
  c.system_id = "node1";
  c.encap_ip = "192.168.77.1";
  OpenVswitchView v;
  v.rows = 1;
  v.row = uuid(1);
  v.external_ids = {{"hostname", "n1"}, {"system-id", "node1"}, {"ovn-encap-ip", "10.0.0.9"}};
  auto plan = plan_node_ovs_config(v, c);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  ASSERT_TRUE(plan->has_value());
  ASSERT_EQ((*plan)->size(), 2u);  // comment + one mutate
  EXPECT_EQ((*plan)->kind(1), OpKind::kMutate);
  const std::string json = (*plan)->params_json();
  // Delete the changed keys by key, then insert the new pairs.
  size_t del = pos(json, "\"delete\"");
  size_t ins = pos(json, "\"insert\"");
  EXPECT_LT(del, ins);
  pos(json, "[\"ovn-encap-ip\",\"192.168.77.1\"]");
  pos(json, "[\"ovn-encap-type\",\"geneve\"]");
  EXPECT_EQ(json.find("hostname"), std::string::npos) << json;
  EXPECT_EQ(json.find("[\"system-id\""), std::string::npos) << json;  // already right

  v.external_ids = {{"hostname", "n1"}, {"system-id", "node1"}, {"ovn-encap-ip", "192.168.77.1"},
                    {"ovn-encap-type", "geneve"}};
  auto none = plan_node_ovs_config(v, c);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  OpenVswitchView empty;
  EXPECT_FALSE(plan_node_ovs_config(empty, c).ok());
  EXPECT_TRUE(plan_node_ovs_config(empty, NodeOvsConfig{}).ok());  // nothing configured: nothing needed
}

}  // namespace
}  // namespace ovnk::agent
