// ovnk-ctl against a real OVN Northbound ovsdb-server (no northd, no root):
// the transactions it builds are accepted by the server (types, guards,
// references, garbage collection), running cluster-init / node-add /
// gateway-add twice leaves the database byte for byte as it was, node-del
// leaves no row of the node behind, concurrent node-adds get distinct subnets,
// and errors end with a message and a non-zero status.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/ovsdb_server.h"
#include "tests/support/program.h"
#include "tools/ovnk-ctl/change_set.h"
#include "tools/ovnk-ctl/topology_plan.h"

namespace ovnk::tools {
namespace {

using ovnk::testing::describe;
using ovnk::testing::OvsdbServer;
using ovnk::testing::run_command;
using ovnk::testing::run_program;
using ovnk::testing::run_programs;
using ovnk::testing::RunResult;

const char* const kNbSchema = "/usr/share/ovn/ovn-nb.ovsschema";
const char* const kCtl = OVNK_CTL_BINARY;

class CtlNbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OvsdbServer::start(kNbSchema);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    server_ = std::move(s).value();
  }

  RunResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv{kCtl, "--nb", server_->unix_remote(), "--timeout", "20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
  }
  void ok(std::vector<std::string> args) {
    RunResult r = ctl(args);
    ASSERT_EQ(r.code, 0) << describe(r);
  }
  std::string nbctl(std::vector<std::string> args) {
    std::vector<std::string> argv{"ovn-nbctl", "--db=" + server_->unix_remote()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : std::string();
  }
  // Every row of every table, as text; rows carry their uuids, so equal dumps
  // mean no row was added, removed or changed.
  std::string dump() {
    auto r = run_command({"ovsdb-client", "dump", server_->unix_remote(), "OVN_Northbound"});
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    std::istringstream in(r.ok() ? *r : "");
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  void build(const std::string& cidrs, const std::string& gw_ips, const std::string& nexthops) {
    ok({"cluster-init", "--cluster-cidr", cidrs, "--node-prefix", "24"});
    ok({"node-add", "alpha"});
    ok({"node-add", "beta", "--pin-chassis"});
    ok({"gateway-add", "alpha", "--physnet", "physnet", "--ip", gw_ips, "--nexthop", nexthops});
  }
  void expect_second_run_changes_nothing(const std::string& cidrs, const std::string& gw_ips,
                                         const std::string& nexthops) {
    std::string before = dump();
    ASSERT_NE(before.find("GR_alpha"), std::string::npos);
    for (auto args : std::vector<std::vector<std::string>>{
             {"cluster-init", "--cluster-cidr", cidrs, "--node-prefix", "24"},
             {"node-add", "alpha"},
             {"node-add", "beta", "--pin-chassis"},
             {"gateway-add", "alpha", "--physnet", "physnet", "--ip", gw_ips, "--nexthop", nexthops}}) {
      RunResult r = ctl(args);
      ASSERT_EQ(r.code, 0) << describe(r);
      EXPECT_NE(r.out.find("(no change)"), std::string::npos) << describe(r);
      EXPECT_EQ(r.out.find("+ "), std::string::npos) << describe(r);
    }
    EXPECT_EQ(dump(), before);
  }

  std::unique_ptr<OvsdbServer> server_;
};

TEST_F(CtlNbTest, SecondRunChangesNothing) {
  build("10.244.0.0/16", "172.16.0.2/24", "172.16.0.1");
  expect_second_run_changes_nothing("10.244.0.0/16", "172.16.0.2/24", "172.16.0.1");
  // What ovn-nbctl sees.
  EXPECT_EQ(nbctl({"get", "Logical_Switch", "alpha", "other_config:subnet"}), "\"10.244.0.0/24\"\n");
  EXPECT_EQ(nbctl({"get", "Logical_Switch", "beta", "other_config:subnet"}), "\"10.244.1.0/24\"\n");
  EXPECT_EQ(nbctl({"get", "Logical_Router", "GR_alpha", "options:chassis"}), "alpha\n");
  EXPECT_EQ(nbctl({"lrp-get-gateway-chassis", "rtos-beta"}), "rtos-beta-beta     1\n");
  std::string routes = nbctl({"lr-route-list", "ovn_cluster_router"});
  EXPECT_NE(routes.find("10.244.0.0/24                100.64.0.2 src-ip"), std::string::npos) << routes;
  std::string gr_routes = nbctl({"lr-route-list", "GR_alpha"});
  EXPECT_NE(gr_routes.find("10.244.0.0/16                100.64.0.1 dst-ip"), std::string::npos) << gr_routes;
  EXPECT_NE(gr_routes.find("0.0.0.0/0                172.16.0.1 dst-ip rtoe-GR_alpha"), std::string::npos)
      << gr_routes;
  std::string nat = nbctl({"lr-nat-list", "GR_alpha"});
  EXPECT_NE(nat.find("172.16.0.2"), std::string::npos) << nat;
  EXPECT_NE(nat.find("10.244.0.0/16"), std::string::npos) << nat;
}

TEST_F(CtlNbTest, SecondRunChangesNothingDualStack) {
  build("10.244.0.0/16,fd00:10:244::/48", "172.16.0.2/24,fd00:ff::2/64", "172.16.0.1,fd00:ff::1");
  expect_second_run_changes_nothing("10.244.0.0/16,fd00:10:244::/48", "172.16.0.2/24,fd00:ff::2/64",
                                    "172.16.0.1,fd00:ff::1");
  EXPECT_EQ(nbctl({"get", "Logical_Switch", "beta", "other_config:ipv6_prefix"}), "\"fd00:10:244:1::\"\n");
  std::string rtos = nbctl({"get", "Logical_Router_Port", "rtos-beta", "networks"});
  EXPECT_EQ(rtos, "[\"10.244.1.1/24\", \"fd00:10:244:1::1/64\"]\n");
  std::string gr_routes = nbctl({"lr-route-list", "GR_alpha"});
  EXPECT_NE(gr_routes.find("::/0                fd00:ff::1 dst-ip rtoe-GR_alpha"), std::string::npos) << gr_routes;
}

TEST_F(CtlNbTest, Ipv6OnlyCluster) {
  ok({"cluster-init", "--cluster-cidr", "fd00:10:244::/48", "--node-prefix", "64"});
  RunResult r = ctl({"node-add", "alpha"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("node alpha: subnet fd00:10:244::/64"), std::string::npos) << r.out;
  ok({"gateway-add", "alpha", "--physnet", "physnet", "--ip", "fd00:ff::2/64", "--nexthop", "fd00:ff::1"});
  std::string before = dump();
  RunResult again = ctl({"node-add", "alpha"});
  EXPECT_NE(again.out.find("(no change)"), std::string::npos) << describe(again);
  EXPECT_EQ(dump(), before);
  EXPECT_EQ(nbctl({"get", "Logical_Router_Port", "rtoj-GR_alpha", "networks"}), "[\"fd98::2/64\"]\n");
}

TEST_F(CtlNbTest, NodeDelLeavesNoRowOfTheNode) {
  build("10.244.0.0/16", "172.16.0.2/24", "172.16.0.1");
  ok({"gateway-add", "beta", "--physnet", "physnet", "--ip", "172.16.0.3/24", "--nexthop", "172.16.0.1"});
  // A pod of alpha (as the daemon would add it).
  nbctl({"lsp-add", "alpha", "default_web-alpha", "--", "lsp-set-addresses", "default_web-alpha",
         "0a:58:0a:f4:00:05 10.244.0.5"});
  RunResult pods = ctl({"pods", "--node", "alpha"});
  ASSERT_EQ(pods.code, 0) << describe(pods);
  EXPECT_NE(pods.out.find("web-alpha"), std::string::npos) << pods.out;

  std::string before = dump();
  const size_t beta_mentions = [&] {
    size_t n = 0;
    for (size_t p = 0; (p = before.find("beta", p)) != std::string::npos; ++p) ++n;
    return n;
  }();
  RunResult del = ctl({"node-del", "alpha"});
  ASSERT_EQ(del.code, 0) << describe(del);
  std::string after = dump();
  EXPECT_EQ(after.find("alpha"), std::string::npos) << after;
  // Its subnet, its join address and its routes went too.
  for (const char* gone : {"10.244.0.0/24", "10.244.0.1", "10.244.0.2", "10.244.0.5"}) {
    EXPECT_EQ(after.find(gone), std::string::npos) << gone << "\n" << after;
  }
  EXPECT_EQ(after.find("100.64.0.2"), std::string::npos) << after;
  size_t beta_after = 0;
  for (size_t p = 0; (p = after.find("beta", p)) != std::string::npos; ++p) ++beta_after;
  EXPECT_EQ(beta_after, beta_mentions);
  // Twice: nothing.
  RunResult again = ctl({"node-del", "alpha"});
  ASSERT_EQ(again.code, 0) << describe(again);
  EXPECT_NE(again.out.find("nothing left to delete"), std::string::npos) << again.out;
  EXPECT_EQ(dump(), after);
}

TEST_F(CtlNbTest, ConcurrentNodeAddsGetDistinctSubnets) {
  ok({"cluster-init", "--cluster-cidr", "10.244.0.0/16", "--node-prefix", "24"});
  std::vector<std::vector<std::string>> runs;
  for (int i = 0; i < 6; ++i) {
    runs.push_back({kCtl, "--nb", server_->unix_remote(), "--timeout", "30", "node-add", "n" + std::to_string(i)});
  }
  std::set<std::string> subnets;
  for (const RunResult& r : run_programs(runs)) {
    ASSERT_EQ(r.code, 0) << describe(r);
    size_t at = r.out.find(": subnet ");
    ASSERT_NE(at, std::string::npos) << r.out;
    subnets.insert(r.out.substr(at + 9, r.out.find('\n', at) - at - 9));
  }
  EXPECT_EQ(subnets.size(), 6u);
  std::string ls = nbctl({"--bare", "--columns=name", "list", "Logical_Switch"});
  for (int i = 0; i < 6; ++i) EXPECT_NE(ls.find("n" + std::to_string(i) + "\n"), std::string::npos) << ls;
}

// The guards of a plan, on the real server: a node-add planned from a
// snapshot that is stale by the time it commits (another node took the same
// subnet, or a switch of the same name appeared) is refused as a whole, and
// ovnk-ctl then plans again.
TEST_F(CtlNbTest, GuardsRefuseAStalePlan) {
  std::mt19937_64 rng(7);
  auto next_uuid = [&] { return ovsdb::Uuid::generate(rng); };
  ctl::NbSnapshot snap;
  ctl::ClusterConfig config = ctl::ClusterConfig::parse("10.244.0.0/16", "24", "").value();
  auto init = ctl::diff(snap, ctl::plan_cluster(snap, config).value(), next_uuid);
  ASSERT_TRUE(init.ok());
  // The same rows (same uuids) in memory and on the server.
  ASSERT_TRUE(ctl::apply_changes(snap, *init).ok());
  auto committed = run_command({"ovsdb-client", "transact", server_->unix_remote(), init->to_transaction("").params_json()});
  ASSERT_TRUE(committed.ok()) << committed.error().to_string();
  ASSERT_EQ(committed->find("error"), std::string::npos) << *committed;

  auto node = ctl::plan_node(snap, config, ctl::NodeOptions{"alpha", {}, false});
  ASSERT_TRUE(node.ok());
  ASSERT_EQ(ctl::join_prefixes(node->subnets), "10.244.0.0/24");
  auto cs = ctl::diff(snap, node->desired, next_uuid);
  ASSERT_TRUE(cs.ok());
  ASSERT_EQ(cs->guards.size(), 2u);  // the subnet, the switch name
  const std::string txn = cs->to_transaction("").params_json();

  // Meanwhile another node takes 10.244.0.0/24.
  nbctl({"ls-add", "other", "--", "set", "Logical_Switch", "other", "other_config:subnet=10.244.0.0/24"});
  auto refused = run_command({"ovsdb-client", "transact", server_->unix_remote(), txn});
  ASSERT_TRUE(refused.ok()) << refused.error().to_string();
  EXPECT_NE(refused->find("timed out"), std::string::npos) << *refused;
  EXPECT_EQ(nbctl({"--bare", "--columns=name", "find", "Logical_Switch", "name=alpha"}), "");

  // A switch named alpha appears instead: refused by the name guard.
  nbctl({"ls-del", "other"});
  nbctl({"ls-add", "alpha"});
  auto refused_name = run_command({"ovsdb-client", "transact", server_->unix_remote(), txn});
  ASSERT_TRUE(refused_name.ok());
  EXPECT_NE(refused_name->find("timed out"), std::string::npos) << *refused_name;
  EXPECT_EQ(nbctl({"--bare", "--columns=_uuid", "find", "Logical_Switch", "name=alpha"}).size(), 37u);  // still one

  // Once the conflict is gone, the same transaction commits.
  nbctl({"ls-del", "alpha"});
  auto ok_now = run_command({"ovsdb-client", "transact", server_->unix_remote(), txn});
  ASSERT_TRUE(ok_now.ok());
  EXPECT_EQ(ok_now->find("error"), std::string::npos) << *ok_now;
  EXPECT_EQ(nbctl({"get", "Logical_Switch", "alpha", "other_config:subnet"}), "\"10.244.0.0/24\"\n");
}

TEST_F(CtlNbTest, StatusJson) {
  build("10.244.0.0/16", "172.16.0.2/24", "172.16.0.1");
  RunResult r = ctl({"status", "--json"});
  ASSERT_EQ(r.code, 0) << describe(r);
  EXPECT_NE(r.out.find("\"cluster_cidrs\":[\"10.244.0.0/16\"]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"name\":\"beta\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"pinned_chassis\":\"beta\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"join\":[\"100.64.0.2/16\"]"), std::string::npos) << r.out;
  RunResult text = ctl({"status"});
  EXPECT_NE(text.out.find("NODE"), std::string::npos) << text.out;
}

TEST_F(CtlNbTest, ErrorsAreReported) {
  RunResult early = ctl({"node-add", "alpha"});
  EXPECT_EQ(early.code, 1);
  EXPECT_NE(early.err.find("not initialised"), std::string::npos) << describe(early);
  ok({"cluster-init", "--cluster-cidr", "10.244.0.0/16", "--node-prefix", "24"});
  RunResult other = ctl({"cluster-init", "--cluster-cidr", "10.99.0.0/16", "--node-prefix", "24"});
  EXPECT_EQ(other.code, 1);
  EXPECT_NE(other.err.find("already initialised"), std::string::npos) << describe(other);
  RunResult usage = ctl({"node-add"});
  EXPECT_EQ(usage.code, 2) << describe(usage);
  RunResult wrong = ctl({"status", "--subnet", "10.0.0.0/24"});
  EXPECT_EQ(wrong.code, 2) << describe(wrong);
  RunResult gw = ctl({"gateway-add", "nobody", "--physnet", "p", "--ip", "172.16.0.2/24", "--nexthop", "172.16.0.1"});
  EXPECT_EQ(gw.code, 1);
  EXPECT_NE(gw.err.find("run node-add first"), std::string::npos) << describe(gw);
  RunResult away = run_program({kCtl, "--nb", "unix:" + server_->dir() + "/nothing.sock", "status"});
  EXPECT_EQ(away.code, 1);
  EXPECT_NE(away.err.find("cannot connect"), std::string::npos) << describe(away);
  RunResult dry = ctl({"node-add", "alpha", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << describe(dry);
  EXPECT_NE(dry.out.find("+ Logical_Switch alpha"), std::string::npos) << dry.out;
  EXPECT_EQ(nbctl({"--bare", "--columns=name", "find", "Logical_Switch", "name=alpha"}), "");
}

}  // namespace
}  // namespace ovnk::tools
