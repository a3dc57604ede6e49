// End to end, all in one (label e2e, root): on an empty NB, the daemon alone
// (--create-topology on, the default) makes the node topology, the
// management LSP k8s-<node> and the OVS internal port ovn-k8s-mp0, sets the
// kernel interface up from the LSP, and the node reaches a pod through it.
// A restart duplicates nothing; with --management-port off nothing is made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/e2e_stack.h"
#include "tests/support/program.h"

namespace ovnk::testing {
namespace {

const E2ePaths kPaths{OVNK_LAB_SCRIPT, OVNK_REACTOR_BIN, OVNK_CNI_BIN};
const std::string kSubnet = "10.244.1.0/24";

class ManagementPortE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = LabStack::up(kPaths);
    ASSERT_TRUE(lab.ok()) << lab.error().to_string();
    lab_ = std::move(lab).value();
  }
  void TearDown() override {
    if (HasFailure() && daemon_) std::fprintf(stderr, "---- ovnk-reactor log ----\n%s\n", daemon_->log_tail().c_str());
    daemon_.reset();
    pod_ns_.clear();
    lab_.reset();
  }

  void start(std::vector<std::string> extra) {
    auto d = DaemonProcess::start(kPaths, *lab_, kSubnet, std::move(extra));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon_ = std::move(d).value();
  }

  std::string in_lab(const std::vector<std::string>& args) {
    auto r = lab_->in_netns(args);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : std::string();
  }

  // Until ovn-k8s-mp0 carries the management address (the daemon waits for
  // ovs-vswitchd to create the interface first).
  bool wait_management_address() {
    for (int i = 0; i < 200; ++i) {
      RunResult r = run_program({"ip", "-n", lab_->netns(), "-o", "addr", "show", "dev", "ovn-k8s-mp0"});
      if (r.code == 0 && r.out.find("10.244.1.2/24") != std::string::npos) return true;
      ::usleep(50000);
    }
    return false;
  }

  // CNI ADD of one pod; its IPv4 address.
  std::string add_pod(const std::string& name) {
    auto ns = PodNetns::create(unique_name("mp"));
    EXPECT_TRUE(ns.ok());
    if (!ns.ok()) return {};
    CniInvocation add;
    add.command = "ADD";
    add.container_id = unique_name("cid-mgmt-" + name + "-");
    add.netns = ns->path();
    add.args = "K8S_POD_NAMESPACE=e2e;K8S_POD_NAME=" + name + ";K8S_POD_UID=uid-" + name;
    add.config = daemon_->net_config();
    pod_ns_.push_back(std::move(*ns));
    auto r = run_cni(kPaths, add);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {};
    EXPECT_EQ(r->exit_code, 0) << r->out;
    return result_address(r->out);
  }

  bool ping_from_node(const std::string& ip) {
    for (int i = 0; i < 40; ++i) {
      auto r = lab_->in_netns({"ping", "-c", "1", "-W", "1", ip});
      if (r.ok()) return true;
    }
    return false;
  }

  std::unique_ptr<LabStack> lab_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::vector<PodNetns> pod_ns_;
};

TEST_F(ManagementPortE2e, TheDaemonAloneMakesTheManagementPortAndTheNodeReachesAPod) {
  start({"--cluster-cidr", "10.244.0.0/16"});
  ASSERT_TRUE(wait_management_address()) << daemon_->log_tail();
  auto lsp = lab_->nbctl({"--bare", "--columns=addresses", "find", "Logical_Switch_Port", "name=k8s-node1"});
  ASSERT_TRUE(lsp.ok()) << lsp.error().to_string();
  EXPECT_NE(lsp->find("0a:58:0a:f4:01:02 10.244.1.2"), std::string::npos) << *lsp;
  auto iface_id = lab_->vsctl({"get", "Interface", "ovn-k8s-mp0", "external_ids:iface-id", "type"});
  ASSERT_TRUE(iface_id.ok()) << iface_id.error().to_string();
  EXPECT_EQ(*iface_id, "k8s-node1\ninternal\n");
  std::string link = in_lab({"ip", "-o", "link", "show", "dev", "ovn-k8s-mp0"});
  EXPECT_NE(link.find("0a:58:0a:f4:01:02"), std::string::npos) << link;
  EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
  std::string route = in_lab({"ip", "route", "show", "10.244.0.0/16"});
  EXPECT_NE(route.find("via 10.244.1.1 dev ovn-k8s-mp0"), std::string::npos) << route;

  const std::string ip = add_pod("p1");
  ASSERT_TRUE(ip.starts_with("10.244.1.")) << ip;
  EXPECT_NE(ip, "10.244.1.2");  // the management address is never handed out
  EXPECT_TRUE(ping_from_node(ip)) << daemon_->log_tail();

  // Restart: one LSP, one port, one route, still reachable.
  auto stopped = daemon_->stop();
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(*stopped, 0);
  ASSERT_TRUE(daemon_->restart().ok()) << daemon_->log_tail();
  ASSERT_TRUE(wait_management_address());
  auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "name=k8s-node1"});
  ASSERT_TRUE(lsps.ok());
  EXPECT_EQ(count_lines(*lsps, "k8s-node1"), 1u) << *lsps;
  auto ports = lab_->vsctl({"--bare", "--columns=name", "find", "Port", "name=ovn-k8s-mp0"});
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(count_lines(*ports, "ovn-k8s-mp0"), 1u) << *ports;
  EXPECT_EQ(count_lines(in_lab({"ip", "route", "show", "10.244.0.0/16"}), "ovn-k8s-mp0"), 1u);
  EXPECT_TRUE(ping_from_node(ip));
}

TEST_F(ManagementPortE2e, OffMakesNothing) {
  start({"--management-port", "off"});
  auto ports = lab_->vsctl({"list-ports", "br-int"});
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(ports->find("ovn-k8s-mp0"), std::string::npos) << *ports;
  auto lsp = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "name=k8s-node1"});
  ASSERT_TRUE(lsp.ok());
  EXPECT_EQ(lsp->find("k8s-node1"), std::string::npos) << *lsp;
}

}  // namespace
}  // namespace ovnk::testing
