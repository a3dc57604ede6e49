// ovnk-ctl's pure part: address arithmetic (IPv4, IPv6, dual-stack), the
// cluster config, the plans of cluster-init / node-add / gateway-add /
// node-del, their idempotency (plan, apply in memory, plan again: nothing),
// adoption of rows the daemon made, the transaction encoding and the reports.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "tools/ovnk-ctl/change_set.h"
#include "tools/ovnk-ctl/cidr.h"
#include "tools/ovnk-ctl/nb_snapshot.h"
#include "tools/ovnk-ctl/report.h"
#include "tools/ovnk-ctl/topology_plan.h"

namespace ovnk::ctl {
namespace {

using ovsdb::Datum;

IpPrefix P(std::string_view text) { return IpPrefix::parse(text).value(); }
IpAddr A(std::string_view text) { return IpAddr::parse(text).value(); }

// ---- cidr ----

TEST(CtlCidr, ParsesListsOfOnePrefixPerFamily) {
  auto l = parse_cidr_list("10.244.0.0/16, fd00:10:244::/48");
  ASSERT_TRUE(l.ok()) << l.error().message;
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[0].to_string(), "10.244.0.0/16");
  EXPECT_EQ((*l)[1].to_string(), "fd00:10:244::/48");
  // Host bits are cleared for CIDRs, kept for interface addresses.
  EXPECT_EQ(parse_cidr_list("10.244.3.7/16")->front().to_string(), "10.244.0.0/16");
  EXPECT_EQ(parse_if_addr_list("172.16.0.2/24")->front().to_string(), "172.16.0.2/24");
  EXPECT_FALSE(parse_if_addr_list("172.16.0.0/24").ok());  // a network, not an address
  EXPECT_FALSE(parse_cidr_list("10.0.0.0/8,10.1.0.0/16").ok());  // two IPv4
  EXPECT_FALSE(parse_cidr_list("10.244.0.0").ok());  // no length
  EXPECT_FALSE(parse_cidr_list("").ok());
  EXPECT_FALSE(parse_cidr_list("10.244.0.0/16,").ok());
  EXPECT_FALSE(parse_cidr_list("10.244.0.0/33").ok());
  EXPECT_EQ(join_prefixes(*l), "10.244.0.0/16,fd00:10:244::/48");
  auto a = parse_addr_list("172.16.0.1,fd00::1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(join_addrs(*a), "172.16.0.1,fd00::1");
  EXPECT_FALSE(parse_addr_list("172.16.0.1/24").ok());
}

TEST(CtlCidr, NodePrefixes) {
  auto dual = *parse_cidr_list("10.244.0.0/16,fd00:10:244::/48");
  auto p = parse_node_prefixes("24", dual);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, (std::vector<uint8_t>{24, 64}));  // IPv6 gets /64
  EXPECT_EQ(*parse_node_prefixes("26,80", dual), (std::vector<uint8_t>{26, 80}));
  EXPECT_FALSE(parse_node_prefixes("15", *parse_cidr_list("10.244.0.0/16")).ok());  // shorter than the cluster
  EXPECT_FALSE(parse_node_prefixes("30", *parse_cidr_list("10.244.0.0/16")).ok());  // no room for pods
  EXPECT_FALSE(parse_node_prefixes("24,64,64", dual).ok());
  EXPECT_FALSE(parse_node_prefixes("x", dual).ok());
}

TEST(CtlCidr, SubnetsAndAddresses) {
  EXPECT_EQ(nth_subnet(P("10.244.0.0/16"), 24, 0)->to_string(), "10.244.0.0/24");
  EXPECT_EQ(nth_subnet(P("10.244.0.0/16"), 24, 255)->to_string(), "10.244.255.0/24");
  EXPECT_FALSE(nth_subnet(P("10.244.0.0/16"), 24, 256).has_value());
  EXPECT_EQ(nth_subnet(P("10.244.0.0/16"), 26, 5)->to_string(), "10.244.1.64/26");
  EXPECT_EQ(nth_subnet(P("fd00:10:244::/48"), 64, 0)->to_string(), "fd00:10:244::/64");
  EXPECT_EQ(nth_subnet(P("fd00:10:244::/48"), 64, 0x1234)->to_string(), "fd00:10:244:1234::/64");
  EXPECT_FALSE(nth_subnet(P("fd00:10:244::/48"), 64, 0x10000).has_value());
  // Carries across the 64-bit halves.
  EXPECT_EQ(nth_subnet(P("fd00::/8"), 72, 0xffffffffffffull)->to_string(), "fd00:ff:ffff:ffff:ff00::/72");
  EXPECT_EQ(subnet_count(P("10.244.0.0/16"), 24), 256u);
  EXPECT_EQ(subnet_count(P("fd00::/8"), 128), UINT64_MAX);
  EXPECT_EQ(nth_address(P("10.244.1.0/24"), 2)->to_string(), "10.244.1.2");
  EXPECT_FALSE(nth_address(P("10.244.1.0/24"), 256).has_value());
  EXPECT_EQ(nth_address(P("fd00:10:244:1::/64"), 1)->to_string(), "fd00:10:244:1::1");
  EXPECT_EQ(address_offset(P("100.64.0.0/16"), A("100.64.1.2")), 258u);
  EXPECT_FALSE(address_offset(P("100.64.0.0/16"), A("100.65.0.1")).has_value());
  EXPECT_FALSE(address_offset(P("100.64.0.0/16"), A("fd98::1")).has_value());
  EXPECT_EQ(gateway_if_addr(P("10.244.1.0/24")).to_string(), "10.244.1.1/24");
  EXPECT_EQ(management_if_addr(P("fd00:10:244:1::/64")).to_string(), "fd00:10:244:1::2/64");
  EXPECT_EQ(default_route(A("1.2.3.4")).to_string(), "0.0.0.0/0");
  EXPECT_EQ(default_route(A("fd00::1")).to_string(), "::/0");
}

TEST(CtlCidr, ContainmentAndOverlap) {
  EXPECT_TRUE(contains(P("10.244.0.0/16"), P("10.244.7.0/24")));
  EXPECT_FALSE(contains(P("10.244.7.0/24"), P("10.244.0.0/16")));
  EXPECT_FALSE(contains(P("10.244.0.0/16"), P("fd00::/64")));
  EXPECT_TRUE(contains(P("10.244.0.0/16"), A("10.244.200.1")));
  EXPECT_TRUE(overlaps(P("10.244.7.0/24"), P("10.244.0.0/16")));
  EXPECT_FALSE(overlaps(P("10.244.7.0/24"), P("10.244.8.0/24")));
  EXPECT_FALSE(overlaps(P("10.0.0.0/8"), P("fd00::/8")));
}

TEST(CtlCidr, MacFollowsOvnKubernetes) {
  EXPECT_EQ(mac_for(A("10.244.1.5")), "0a:58:0a:f4:01:05");
  EXPECT_EQ(mac_for(A("fd00:10:244:1::a:b")), "0a:58:00:0a:00:0b");
}

// ---- cluster config ----

TEST(CtlClusterConfig, DefaultJoinPerFamilyAndValidation) {
  auto c = ClusterConfig::parse("10.244.0.0/16,fd00:10:244::/48", "24", "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(join_prefixes(c->join_cidrs), "100.64.0.0/16,fd98::/64");
  EXPECT_EQ(c->router_join_addrs()[1].to_string(), "fd98::1/64");
  EXPECT_EQ(c->node_prefix_for(A("fd00::1")), 64);
  auto v6 = ClusterConfig::parse("fd00:10:244::/48", "64", "");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(join_prefixes(v6->join_cidrs), "fd98::/64");
  EXPECT_FALSE(ClusterConfig::parse("100.64.0.0/10", "24", "").ok());  // overlaps the default join
  EXPECT_FALSE(ClusterConfig::parse("10.244.0.0/16", "24", "fd98::/64").ok());  // no IPv4 join
  EXPECT_FALSE(ClusterConfig::parse("10.244.0.0/16", "24", "100.64.0.0/16,fd98::/64").ok());  // extra family
  EXPECT_FALSE(ClusterConfig::parse("10.244.0.0/16", "24", "100.64.0.0/31").ok());
}

// ---- plans, applied in memory ----

class CtlPlanTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng_{42};
  std::function<ovsdb::Uuid()> next_ = [this] { return ovsdb::Uuid::generate(rng_); };
  NbSnapshot nb_;

  ClusterConfig config(std::string_view cidrs = "10.244.0.0/16", std::string_view prefix = "24") {
    return ClusterConfig::parse(cidrs, prefix, "").value();
  }
  // Plans and applies; returns the change set.
  ChangeSet apply(const DesiredState& desired) {
    auto cs = diff(nb_, desired, next_);
    EXPECT_TRUE(cs.ok()) << cs.error().message;
    if (!cs.ok()) return {};
    auto r = apply_changes(nb_, *cs);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *cs;
  }
  void init(const ClusterConfig& c) {
    auto d = plan_cluster(nb_, c);
    ASSERT_TRUE(d.ok()) << d.error().message;
    apply(*d);
  }
  NodePlan add_node(const ClusterConfig& c, std::string node, std::vector<IpPrefix> subnets = {}, bool pin = false) {
    auto p = plan_node(nb_, c, NodeOptions{std::move(node), std::move(subnets), pin});
    EXPECT_TRUE(p.ok()) << p.error().message;
    if (!p.ok()) return {};
    apply(p->desired);
    return *p;
  }
  const SnapRow* named(std::string_view table, std::string_view name) {
    auto rows = nb_.find_by_name(table, name);
    return rows.size() == 1 ? rows.front() : nullptr;
  }
  // Every row that names `node` in its name or its external_ids.
  std::vector<std::string> rows_of(std::string_view node) {
    std::vector<std::string> out;
    for (const auto& [table, rows] : nb_.tables()) {
      for (const auto& [uuid, row] : rows) {
        std::string name = row.str("name");
        bool mine = name == node || name.ends_with("-" + std::string(node)) || name.ends_with("_" + std::string(node)) ||
                    row.map_get("external_ids", "node") == std::optional<std::string>(std::string(node));
        if (mine) out.push_back(table + " " + (name.empty() ? uuid.to_string() : name));
      }
    }
    return out;
  }
};

TEST_F(CtlPlanTest, ClusterInitCreatesTheJoinTopologyOnceAndKeepsItsConfig) {
  ClusterConfig c = config();
  auto d = plan_cluster(nb_, c);
  ASSERT_TRUE(d.ok());
  ChangeSet cs = apply(*d);
  EXPECT_EQ(cs.changes.size(), 4u);  // router, join switch, rtoj, jtor (references ride on the inserts)
  const SnapRow* lr = named("Logical_Router", "ovn_cluster_router");
  ASSERT_NE(lr, nullptr);
  EXPECT_EQ(lr->map_get("external_ids", "ovnk-cluster-cidrs"), "10.244.0.0/16");
  EXPECT_EQ(lr->map_get("external_ids", "ovnk-node-prefixes"), "24");
  EXPECT_EQ(lr->map_get("external_ids", "owner"), "ovnk-ctl");
  const SnapRow* rtoj = named("Logical_Router_Port", "rtoj-ovn_cluster_router");
  ASSERT_NE(rtoj, nullptr);
  EXPECT_EQ(rtoj->strings("networks"), std::vector<std::string>{"100.64.0.1/16"});
  EXPECT_EQ(rtoj->str("mac"), "0a:58:64:40:00:01");
  EXPECT_EQ(lr->uuids("ports"), std::vector<ovsdb::Uuid>{rtoj->uuid});
  const SnapRow* jtor = named("Logical_Switch_Port", "jtor-ovn_cluster_router");
  ASSERT_NE(jtor, nullptr);
  EXPECT_EQ(jtor->str("type"), "router");
  EXPECT_EQ(jtor->map_get("options", "router-port"), "rtoj-ovn_cluster_router");
  EXPECT_EQ(named("Logical_Switch", "join")->uuids("ports"), std::vector<ovsdb::Uuid>{jtor->uuid});

  auto read = ClusterConfig::read(nb_);
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, c);

  // Twice: nothing.
  auto again = diff(nb_, *plan_cluster(nb_, c), next_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  // Another config: refused, not overwritten.
  auto other = plan_cluster(nb_, config("10.245.0.0/16"));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("already initialised"), std::string::npos);
}

TEST_F(CtlPlanTest, NodeAddAllocatesSubnetsInOrderAndIsIdempotent) {
  ClusterConfig c = config();
  init(c);
  NodePlan a = add_node(c, "node-a");
  NodePlan b = add_node(c, "node-b");
  EXPECT_EQ(join_prefixes(a.subnets), "10.244.0.0/24");
  EXPECT_EQ(join_prefixes(b.subnets), "10.244.1.0/24");
  EXPECT_TRUE(a.allocated);
  EXPECT_FALSE(a.desired.guards.empty());  // the allocation is guarded

  const SnapRow* ls = named("Logical_Switch", "node-b");
  ASSERT_NE(ls, nullptr);
  EXPECT_EQ(ls->map_get("other_config", "subnet"), "10.244.1.0/24");
  EXPECT_EQ(ls->map_get("other_config", "exclude_ips"), "10.244.1.2");
  EXPECT_EQ(ls->map_get("external_ids", "ovnk-subnets"), "10.244.1.0/24");
  const SnapRow* rtos = named("Logical_Router_Port", "rtos-node-b");
  ASSERT_NE(rtos, nullptr);
  EXPECT_EQ(rtos->strings("networks"), std::vector<std::string>{"10.244.1.1/24"});
  EXPECT_EQ(rtos->str("mac"), "0a:58:0a:f4:01:01");
  EXPECT_TRUE(rtos->uuids("gateway_chassis").empty());
  const SnapRow* stor = named("Logical_Switch_Port", "stor-node-b");
  ASSERT_NE(stor, nullptr);
  EXPECT_EQ(stor->map_get("options", "router-port"), "rtos-node-b");
  const SnapRow* mp = named("Logical_Switch_Port", "k8s-node-b");
  ASSERT_NE(mp, nullptr);
  EXPECT_EQ(mp->strings("addresses"), std::vector<std::string>{"0a:58:0a:f4:01:02 10.244.1.2"});
  std::set<ovsdb::Uuid> ports;
  for (const auto& u : ls->uuids("ports")) ports.insert(u);
  EXPECT_EQ(ports, (std::set<ovsdb::Uuid>{stor->uuid, mp->uuid}));
  EXPECT_EQ(named("Logical_Router", "ovn_cluster_router")->uuids("ports").size(), 3u);

  // Twice: the same subnet, nothing to change.
  auto again = plan_node(nb_, c, NodeOptions{"node-a", {}, false});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(join_prefixes(again->subnets), "10.244.0.0/24");
  EXPECT_FALSE(again->allocated);
  auto cs = diff(nb_, again->desired, next_);
  ASSERT_TRUE(cs.ok());
  EXPECT_TRUE(cs->empty()) << cs->lines.front();
  // The same subnet asked explicitly: still nothing; another: refused.
  EXPECT_TRUE(diff(nb_, plan_node(nb_, c, NodeOptions{"node-a", {P("10.244.0.0/24")}, false})->desired, next_)->empty());
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"node-a", {P("10.244.9.0/24")}, false}).ok());
}

TEST_F(CtlPlanTest, RequestedSubnetsAreCheckedAndHolesAreReused) {
  ClusterConfig c = config();
  init(c);
  add_node(c, "a");                        // 10.244.0.0/24
  add_node(c, "b", {P("10.244.2.0/24")});  // leaves 1 free
  NodePlan n = add_node(c, "c");
  EXPECT_EQ(join_prefixes(n.subnets), "10.244.1.0/24");
  EXPECT_EQ(join_prefixes(add_node(c, "d").subnets), "10.244.3.0/24");
  // Taken, outside, wrong family, too small.
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"e", {P("10.244.2.0/24")}, false}).ok());
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"e", {P("10.244.2.128/25")}, false}).ok());
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"e", {P("10.99.0.0/24")}, false}).ok());
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"e", {P("fd00::/64")}, false}).ok());
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"e", {P("10.244.9.0/30")}, false}).ok());
  // Names that collide with the cluster's own switches.
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"join", {}, false}).ok());
  EXPECT_FALSE(plan_node(nb_, c, NodeOptions{"ext_x", {}, false}).ok());
}

TEST_F(CtlPlanTest, SubnetsRunOut) {
  ClusterConfig c = config("10.244.0.0/23", "24");
  init(c);
  add_node(c, "a");
  add_node(c, "b");
  auto p = plan_node(nb_, c, NodeOptions{"c", {}, false});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("no free /24"), std::string::npos);
}

TEST_F(CtlPlanTest, NodeAddNeedsTheClusterRouter) {
  ClusterConfig c = config();
  auto p = plan_node(nb_, c, NodeOptions{"a", {}, false});
  ASSERT_TRUE(p.ok());
  auto cs = diff(nb_, p->desired, next_);
  ASSERT_FALSE(cs.ok());
  EXPECT_NE(cs.error().message.find("ovn_cluster_router does not exist"), std::string::npos);
}

TEST_F(CtlPlanTest, PinnedChassis) {
  ClusterConfig c = config();
  init(c);
  add_node(c, "a", {}, true);
  const SnapRow* rtos = named("Logical_Router_Port", "rtos-a");
  ASSERT_NE(rtos, nullptr);
  auto gcs = rtos->uuids("gateway_chassis");
  ASSERT_EQ(gcs.size(), 1u);
  const SnapRow* gc = nb_.find("Gateway_Chassis", gcs[0]);
  ASSERT_NE(gc, nullptr);
  EXPECT_EQ(gc->str("name"), "rtos-a-a");
  EXPECT_EQ(gc->str("chassis_name"), "a");
  EXPECT_TRUE(diff(nb_, plan_node(nb_, c, NodeOptions{"a", {}, true})->desired, next_)->empty());
  // node-add without --pin-chassis unpins (the command is declarative).
  ChangeSet unpin = apply(plan_node(nb_, c, NodeOptions{"a", {}, false})->desired);
  ASSERT_EQ(unpin.lines.size(), 1u);
  EXPECT_EQ(unpin.lines[0], "- Gateway_Chassis rtos-a: rtos-a-a");
  EXPECT_TRUE(named("Logical_Router_Port", "rtos-a")->uuids("gateway_chassis").empty());
  EXPECT_TRUE(nb_.rows("Gateway_Chassis").empty());
}

TEST_F(CtlPlanTest, DualStackAndIpv6Only) {
  ClusterConfig dual = config("10.244.0.0/16,fd00:10:244::/48", "24");
  init(dual);
  add_node(dual, "a");
  NodePlan b = add_node(dual, "b", {P("fd00:10:244:7::/64")});
  EXPECT_EQ(join_prefixes(b.subnets), "10.244.1.0/24,fd00:10:244:7::/64");
  const SnapRow* ls = named("Logical_Switch", "b");
  EXPECT_EQ(ls->map_get("other_config", "ipv6_prefix"), "fd00:10:244:7::");
  EXPECT_EQ(ls->map_get("other_config", "subnet"), "10.244.1.0/24");
  EXPECT_EQ(named("Logical_Router_Port", "rtos-b")->strings("networks"),
            (std::vector<std::string>{"10.244.1.1/24", "fd00:10:244:7::1/64"}));
  EXPECT_EQ(named("Logical_Router_Port", "rtos-b")->str("mac"), "0a:58:0a:f4:01:01");  // from IPv4
  EXPECT_EQ(named("Logical_Switch_Port", "k8s-b")->strings("addresses"),
            std::vector<std::string>{"0a:58:0a:f4:01:02 10.244.1.2 fd00:10:244:7::2"});
  EXPECT_EQ(named("Logical_Router_Port", "rtoj-ovn_cluster_router")->strings("networks"),
            (std::vector<std::string>{"100.64.0.1/16", "fd98::1/64"}));
  EXPECT_TRUE(diff(nb_, plan_node(nb_, dual, NodeOptions{"b", {}, false})->desired, next_)->empty());

  NbSnapshot fresh;
  nb_ = fresh;
  ClusterConfig v6 = config("fd00:10:244::/48", "64");
  init(v6);
  NodePlan a6 = add_node(v6, "a");
  EXPECT_EQ(join_prefixes(a6.subnets), "fd00:10:244::/64");
  EXPECT_EQ(join_prefixes(add_node(v6, "b").subnets), "fd00:10:244:1::/64");
  const SnapRow* ls6 = named("Logical_Switch", "b");
  EXPECT_FALSE(ls6->map_get("other_config", "subnet").has_value());
  EXPECT_EQ(named("Logical_Router_Port", "rtos-b")->str("mac"), "0a:58:00:00:00:01");
  EXPECT_TRUE(diff(nb_, plan_node(nb_, v6, NodeOptions{"b", {}, false})->desired, next_)->empty());
}

TEST_F(CtlPlanTest, GatewayTopologyAndIdempotency) {
  ClusterConfig c = config();
  init(c);
  add_node(c, "a");
  add_node(c, "b");
  GatewayOptions g{"a", "physnet", {P("172.16.0.2/24")}, {A("172.16.0.1")}};
  auto gp = plan_gateway(nb_, c, g);
  ASSERT_TRUE(gp.ok()) << gp.error().message;
  EXPECT_EQ(join_prefixes(gp->join_addrs), "100.64.0.2/16");
  apply(gp->desired);

  const SnapRow* gr = named("Logical_Router", "GR_a");
  ASSERT_NE(gr, nullptr);
  EXPECT_EQ(gr->map_get("options", "chassis"), "a");
  EXPECT_EQ(named("Logical_Router_Port", "rtoj-GR_a")->strings("networks"), std::vector<std::string>{"100.64.0.2/16"});
  EXPECT_EQ(named("Logical_Router_Port", "rtoe-GR_a")->strings("networks"), std::vector<std::string>{"172.16.0.2/24"});
  EXPECT_EQ(named("Logical_Switch_Port", "physnet_a")->map_get("options", "network_name"), "physnet");
  EXPECT_EQ(named("Logical_Switch_Port", "physnet_a")->str("type"), "localnet");
  EXPECT_EQ(named("Logical_Switch_Port", "etor-GR_a")->map_get("options", "router-port"), "rtoe-GR_a");
  std::set<std::string> routes;
  for (const auto& u : gr->uuids("static_routes")) {
    const SnapRow* r = nb_.find("Logical_Router_Static_Route", u);
    routes.insert(r->str("ip_prefix") + " " + r->str("nexthop") + " " + r->str("output_port"));
  }
  EXPECT_EQ(routes, (std::set<std::string>{"10.244.0.0/16 100.64.0.1 ", "0.0.0.0/0 172.16.0.1 rtoe-GR_a"}));
  ASSERT_EQ(gr->uuids("nat").size(), 1u);
  const SnapRow* nat = nb_.find("NAT", gr->uuids("nat")[0]);
  EXPECT_EQ(nat->str("type"), "snat");
  EXPECT_EQ(nat->str("logical_ip"), "10.244.0.0/16");
  EXPECT_EQ(nat->str("external_ip"), "172.16.0.2");
  std::vector<std::string> src_routes;
  for (const auto& u : named("Logical_Router", "ovn_cluster_router")->uuids("static_routes")) {
    const SnapRow* r = nb_.find("Logical_Router_Static_Route", u);
    src_routes.push_back(r->str("ip_prefix") + " " + r->str("nexthop") + " " + r->strings("policy").at(0));
  }
  EXPECT_EQ(src_routes, std::vector<std::string>{"10.244.0.0/24 100.64.0.2 src-ip"});

  // Twice: nothing.
  auto again = diff(nb_, plan_gateway(nb_, c, g)->desired, next_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty()) << again->lines.front();

  // A second gateway takes the next join address.
  auto gb = plan_gateway(nb_, c, GatewayOptions{"b", "physnet", {P("172.16.0.3/24")}, {A("172.16.0.1")}});
  ASSERT_TRUE(gb.ok());
  EXPECT_EQ(join_prefixes(gb->join_addrs), "100.64.0.3/16");
  apply(gb->desired);

  // A new next hop updates the route in place (no second default route).
  ChangeSet moved = apply(plan_gateway(nb_, c, GatewayOptions{"a", "physnet", {P("172.16.0.2/24")}, {A("172.16.0.254")}})->desired);
  EXPECT_EQ(moved.changes.size(), 1u);
  EXPECT_EQ(named("Logical_Router", "GR_a")->uuids("static_routes").size(), 2u);

  // Errors: unknown node, next hop of another family, address family not in the cluster.
  EXPECT_FALSE(plan_gateway(nb_, c, GatewayOptions{"zz", "physnet", {P("172.16.0.9/24")}, {A("172.16.0.1")}}).ok());
  EXPECT_FALSE(plan_gateway(nb_, c, GatewayOptions{"a", "physnet", {P("172.16.0.2/24")}, {A("fd00::1")}}).ok());
  EXPECT_FALSE(plan_gateway(nb_, c, GatewayOptions{"a", "physnet", {P("fd00::2/64")}, {A("fd00::1")}}).ok());
}

TEST_F(CtlPlanTest, DualStackGatewayLosesAFamilyWhenReAddedWithOne) {
  ClusterConfig c = config("10.244.0.0/16,fd00:10:244::/48", "24");
  init(c);
  add_node(c, "a");
  GatewayOptions dual{"a", "physnet", {P("172.16.0.2/24"), P("fd00:ff::2/64")}, {A("172.16.0.1"), A("fd00:ff::1")}};
  auto gp = plan_gateway(nb_, c, dual);
  ASSERT_TRUE(gp.ok()) << gp.error().message;
  EXPECT_EQ(join_prefixes(gp->join_addrs), "100.64.0.2/16,fd98::2/64");
  apply(gp->desired);
  EXPECT_EQ(named("Logical_Router", "GR_a")->uuids("static_routes").size(), 4u);
  EXPECT_EQ(named("Logical_Router", "GR_a")->uuids("nat").size(), 2u);
  EXPECT_EQ(named("Logical_Router", "ovn_cluster_router")->uuids("static_routes").size(), 2u);
  EXPECT_TRUE(diff(nb_, plan_gateway(nb_, c, dual)->desired, next_)->empty());

  GatewayOptions v4{"a", "physnet", {P("172.16.0.2/24")}, {A("172.16.0.1")}};
  apply(plan_gateway(nb_, c, v4)->desired);
  EXPECT_EQ(named("Logical_Router", "GR_a")->uuids("static_routes").size(), 2u);
  EXPECT_EQ(named("Logical_Router", "GR_a")->uuids("nat").size(), 1u);
  EXPECT_EQ(named("Logical_Router", "ovn_cluster_router")->uuids("static_routes").size(), 1u);
  EXPECT_TRUE(diff(nb_, plan_gateway(nb_, c, v4)->desired, next_)->empty());
}

TEST_F(CtlPlanTest, NodeDeleteRemovesEveryRowOfTheNodeOnly) {
  ClusterConfig c = config();
  init(c);
  add_node(c, "a", {}, true);
  add_node(c, "b");
  apply(plan_gateway(nb_, c, GatewayOptions{"a", "physnet", {P("172.16.0.2/24")}, {A("172.16.0.1")}})->desired);
  apply(plan_gateway(nb_, c, GatewayOptions{"b", "physnet", {P("172.16.0.3/24")}, {A("172.16.0.1")}})->desired);
  // A pod port on a's switch goes with it.
  SnapRow pod;
  pod.uuid = next_();
  pod.columns.emplace("name", Datum::string("default_web"));
  pod.columns.emplace("addresses", Datum::string_set({"0a:58:0a:f4:00:05 10.244.0.5"}));
  nb_.put("Logical_Switch_Port", pod);
  ChangeSet link;
  link.add(RefChange{"Logical_Switch", named("Logical_Switch", "a")->uuid, "ports", pod.uuid, true}, "");
  ASSERT_TRUE(apply_changes(nb_, link).ok());
  const size_t rows_b = rows_of("b").size();
  ASSERT_GT(rows_of("a").size(), 10u);

  ChangeSet del = plan_node_delete(nb_, "a");
  ASSERT_FALSE(del.empty());
  ASSERT_TRUE(apply_changes(nb_, del).ok());
  EXPECT_EQ(rows_of("a"), std::vector<std::string>{});
  EXPECT_EQ(nb_.find("Logical_Switch_Port", pod.uuid), nullptr);
  EXPECT_EQ(rows_of("b").size(), rows_b);
  EXPECT_EQ(nb_.rows("Gateway_Chassis").size(), 0u);
  EXPECT_EQ(named("Logical_Router", "ovn_cluster_router")->uuids("static_routes").size(), 1u);
  EXPECT_EQ(named("Logical_Router", "ovn_cluster_router")->uuids("ports").size(), 2u);  // rtoj + rtos-b
  EXPECT_EQ(named("Logical_Switch", "join")->uuids("ports").size(), 2u);  // jtor-ovn_cluster_router + jtor-GR_b
  // Twice: nothing left.
  EXPECT_TRUE(plan_node_delete(nb_, "a").empty());
  // The freed subnet and join address are reused.
  EXPECT_EQ(join_prefixes(add_node(c, "c").subnets), "10.244.0.0/24");
  EXPECT_EQ(join_prefixes(plan_gateway(nb_, c, GatewayOptions{"c", "p", {P("172.16.0.4/24")}, {A("172.16.0.1")}})->join_addrs),
            "100.64.0.2/16");
}

TEST_F(CtlPlanTest, AdoptsWhatTheDaemonCreated) {
  // What agent/topology.cc creates in all-in-one use: the node switch with
  // other_config:subnet, ovn_cluster_router, rtos-/stor-, owner=ovnk-reactor.
  auto u = [this] { return next_(); };
  SnapRow stor{u(), {}};
  stor.columns = {{"name", Datum::string("stor-n1")}, {"type", Datum::string("router")},
                  {"addresses", Datum::string_set({"router"})},
                  {"options", Datum::string_map({{"router-port", "rtos-n1"}})},
                  {"external_ids", Datum::string_map({{"owner", "ovnk-reactor"}, {"node", "n1"}})}};
  SnapRow ls{u(), {}};
  ls.columns = {{"name", Datum::string("n1")},
                {"other_config", Datum::string_map({{"subnet", "10.244.5.0/24"}, {"exclude_ips", "10.244.5.2"}})},
                {"external_ids", Datum::string_map({{"owner", "ovnk-reactor"}, {"node", "n1"}})},
                {"ports", Datum::uuid_set({stor.uuid})}};
  SnapRow rtos{u(), {}};
  rtos.columns = {{"name", Datum::string("rtos-n1")}, {"mac", Datum::string("0a:58:0a:f4:05:01")},
                  {"networks", Datum::string_set({"10.244.5.1/24"})}};
  SnapRow lr{u(), {}};
  lr.columns = {{"name", Datum::string("ovn_cluster_router")},
                {"external_ids", Datum::string_map({{"owner", "ovnk-reactor"}})},
                {"ports", Datum::uuid_set({rtos.uuid})}};
  nb_.put("Logical_Switch_Port", stor);
  nb_.put("Logical_Switch", ls);
  nb_.put("Logical_Router_Port", rtos);
  nb_.put("Logical_Router", lr);

  ClusterConfig c = config();
  init(c);
  EXPECT_EQ(named("Logical_Router", "ovn_cluster_router")->map_get("external_ids", "owner"), "ovnk-reactor");
  auto p = plan_node(nb_, c, NodeOptions{"n1", {}, false});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(join_prefixes(p->subnets), "10.244.5.0/24");
  EXPECT_FALSE(p->allocated);
  ChangeSet cs = apply(p->desired);
  // Only the management port and the subnet record are new.
  std::vector<std::string> lines;
  for (const auto& l : cs.lines) {
    if (!l.empty()) lines.push_back(l);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"+ Logical_Switch_Port k8s-n1",
                                             "~ Logical_Switch n1: external_ids:ovnk-subnets=10.244.5.0/24"}));
  EXPECT_EQ(named("Logical_Switch", "n1")->map_get("external_ids", "owner"), "ovnk-reactor");
  // A switch whose subnet lies outside the cluster CIDR is refused.
  EXPECT_FALSE(plan_node(nb_, config("10.100.0.0/16"), NodeOptions{"n1", {}, false}).ok());
}

TEST_F(CtlPlanTest, PortOfAnotherSwitchIsAnError) {
  ClusterConfig c = config();
  init(c);
  add_node(c, "a");
  add_node(c, "b");
  // Move k8s-a into b's switch by hand.
  const SnapRow* mp = named("Logical_Switch_Port", "k8s-a");
  ChangeSet move;
  move.add(RefChange{"Logical_Switch", named("Logical_Switch", "a")->uuid, "ports", mp->uuid, false}, "");
  move.add(RefChange{"Logical_Switch", named("Logical_Switch", "b")->uuid, "ports", mp->uuid, true}, "");
  ASSERT_TRUE(apply_changes(nb_, move).ok());
  auto cs = diff(nb_, plan_node(nb_, c, NodeOptions{"a", {}, false})->desired, next_);
  ASSERT_FALSE(cs.ok());
  EXPECT_NE(cs.error().message.find("belongs to Logical_Switch b"), std::string::npos);
}

// ---- transaction encoding ----

TEST_F(CtlPlanTest, TransactionHasGuardsFirstAndReferencesAfterInserts) {
  ClusterConfig c = config();
  init(c);
  auto p = plan_node(nb_, c, NodeOptions{"a", {}, false});
  auto cs = diff(nb_, p->desired, next_);
  ASSERT_TRUE(cs.ok());
  ovsdb::TransactionBuilder txn = cs->to_transaction("ovnk-ctl node-add a");
  ASSERT_GE(txn.size(), cs->guards.size() + cs->changes.size());
  for (size_t i = 0; i < cs->guards.size(); ++i) EXPECT_EQ(txn.kind(i), ovsdb::OpKind::kWait);
  EXPECT_EQ(txn.kind(txn.size() - 1), ovsdb::OpKind::kComment);
  // Guards: the subnet and the switch name.
  std::string json = txn.params_json();
  EXPECT_NE(json.find("\"subnet\",\"10.244.0.0/24\""), std::string::npos) << json;
  EXPECT_NE(json.find("[\"name\",\"==\",\"a\"]"), std::string::npos) << json;
  // Every named-uuid reference comes after the insert that names the row.
  size_t pos = 0;
  while ((pos = json.find("[\"named-uuid\",\"", pos)) != std::string::npos) {
    size_t start = pos + 15;
    std::string name = json.substr(start, json.find('"', start) - start);
    size_t named_at = json.find("\"uuid-name\":\"" + name + "\"");
    ASSERT_NE(named_at, std::string::npos) << name;
    EXPECT_LT(named_at, pos) << name;
    pos = start;
  }
  // Explicit uuids on every insert.
  size_t inserts = 0, explicit_uuids = 0;
  for (pos = 0; (pos = json.find("\"op\":\"insert\"", pos)) != std::string::npos; ++pos) ++inserts;
  for (pos = 0; (pos = json.find("\"uuid\":\"", pos)) != std::string::npos; ++pos) ++explicit_uuids;
  EXPECT_EQ(inserts, 4u);
  EXPECT_EQ(explicit_uuids, inserts);
}

TEST(CtlChangeSet, ApplyRejectsMissingRowsAndCollectsGarbage) {
  NbSnapshot nb;
  ChangeSet bad;
  bad.add(ColumnsSet{"Logical_Switch", ovsdb::Uuid{}, {}}, "");
  EXPECT_FALSE(apply_changes(nb, bad).ok());
  // An unreferenced non-root row goes; a root row stays.
  std::mt19937_64 rng(1);
  SnapRow lsp{ovsdb::Uuid::generate(rng), {}};
  SnapRow ls{ovsdb::Uuid::generate(rng), {}};
  nb.put("Logical_Switch_Port", lsp);
  nb.put("Logical_Switch", ls);
  ASSERT_TRUE(apply_changes(nb, ChangeSet{}).ok());
  EXPECT_EQ(nb.rows("Logical_Switch_Port").size(), 0u);
  EXPECT_EQ(nb.rows("Logical_Switch").size(), 1u);
}

// ---- reports ----

TEST_F(CtlPlanTest, StatusAndPodsReports) {
  ClusterConfig c = config();
  init(c);
  add_node(c, "a");
  apply(plan_gateway(nb_, c, GatewayOptions{"a", "physnet", {P("172.16.0.2/24")}, {A("172.16.0.1")}})->desired);
  SnapRow pod{next_(), {}};
  pod.columns = {{"name", Datum::string("kube-system_dns-1")},
                 {"type", Datum::string("")},
                 {"addresses", Datum::string_set({"0a:58:0a:f4:00:05 10.244.0.5"})},
                 {"options", Datum::string_map({{"requested-chassis", "a"}})},
                 {"external_ids", Datum::string_map({{"namespace", "kube-system"}, {"pod", "true"}})},
                 {"up", Datum::boolean(true)}};
  SnapRow vmc{next_(), {}};
  vmc.columns = {{"name", Datum::string("c1")},
                 {"addresses", Datum::string_set({"0a:58:0a:f4:00:06 10.244.0.6"})},
                 {"parent_name", Datum::string("vm1")},
                 {"tag", Datum::integer(10)}};
  nb_.put("Logical_Switch_Port", pod);
  nb_.put("Logical_Switch_Port", vmc);
  ChangeSet link;
  link.add(RefChange{"Logical_Switch", named("Logical_Switch", "a")->uuid, "ports", pod.uuid, true}, "");
  link.add(RefChange{"Logical_Switch", named("Logical_Switch", "a")->uuid, "ports", vmc.uuid, true}, "");
  ASSERT_TRUE(apply_changes(nb_, link).ok());

  ClusterInfo info = read_cluster(nb_);
  ASSERT_TRUE(info.config.has_value());
  ASSERT_EQ(info.nodes.size(), 1u);  // join and ext_a are not nodes
  EXPECT_EQ(info.nodes[0].pods, 2u);
  EXPECT_EQ(info.nodes[0].pods_up, 1u);
  ASSERT_TRUE(info.nodes[0].gateway.has_value());
  EXPECT_EQ(info.nodes[0].gateway->physnet, "physnet");
  EXPECT_EQ(info.nodes[0].gateway->snat, std::vector<std::string>{"10.244.0.0/16->172.16.0.2"});
  std::string text = status_text(info);
  EXPECT_NE(text.find("cluster: 10.244.0.0/16 (nodes /24), join 100.64.0.0/16"), std::string::npos) << text;
  EXPECT_NE(text.find("GR_a 172.16.0.2/24 via 172.16.0.1 (physnet)"), std::string::npos) << text;
  std::string json = status_json(info);
  EXPECT_NE(json.find("\"subnets\":[\"10.244.0.0/24\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"chassis\":\"a\""), std::string::npos) << json;

  auto pods = read_pods(nb_, "");
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[1].pod_namespace, "kube-system");
  EXPECT_EQ(pods[1].pod, "dns-1");
  EXPECT_EQ(pods[1].ips, std::vector<std::string>{"10.244.0.5"});
  EXPECT_EQ(pods[1].up, std::optional<bool>(true));
  EXPECT_EQ(pods[0].parent, "vm1");
  EXPECT_EQ(pods[0].tag, std::optional<int64_t>(10));
  EXPECT_TRUE(read_pods(nb_, "zz").empty());
  std::string ptext = pods_text(pods);
  EXPECT_NE(ptext.find("vm1 tag 10"), std::string::npos) << ptext;
  EXPECT_NE(pods_json(pods).find("\"pod\":\"dns-1\""), std::string::npos);
  EXPECT_EQ(status_text(ClusterInfo{}).find("not initialised") != std::string::npos, true);
}

TEST(CtlReport, TableAlignsColumns) {
  EXPECT_EQ(render_table({"A", "LONGER"}, {{"xx", "y"}, {"z", ""}}), "A   LONGER\nxx  y\nz\n");
}

}  // namespace
}  // namespace ovnk::ctl
