// The cluster side (ovnk-ctl) and the node side (the ovnk-reactor daemon) on
// two nodes (label e2e, root): ovnk-ctl makes the cluster and the node
// switches; one daemon per node, in the node's netns, with
// --create-topology off, plugs pods that the real ovnk-cni plugin ADDs (as a
// runtime runs it); pods of the two nodes ping each other and move data over
// TCP through Geneve; DEL removes their ports. A separate binary from
// ovnk_ctl_e2e_test so that ovnk-ctl's own tests do not depend on the daemon.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/e2e_stack.h"
#include "tests/tools/two_node_lab.h"

namespace ovnk::tools {
namespace {

// The lab, its fixture and helpers are this test's support code.
using namespace ovnk::testing;  // NOLINT(google-build-using-namespace)

const E2ePaths kPaths{OVNK_LAB_SCRIPT, OVNK_REACTOR_BIN, OVNK_CNI_BIN};

class CtlDaemonTwoNodeTest : public CtlTwoNodeTest {
 protected:
  void TearDown() override {
    for (auto& [node, pid] : daemons_) {
      ::kill(pid, SIGTERM);
      int status = 0;
      for (int i = 0; i < 500 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) ::usleep(10000);
      if (::kill(pid, 0) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
      }
    }
    if (HasFailure()) {
      for (auto& [node, pid] : daemons_) {
        std::fprintf(stderr, "--- daemon %s log ---\n%s\n", node.c_str(), slurp(log_path(node)).c_str());
      }
    }
    CtlTwoNodeTest::TearDown();
  }

  std::string socket_path(const std::string& node) const { return dir_ + "/cni-" + node + ".sock"; }
  std::string log_path(const std::string& node) const { return dir_ + "/daemon-" + node + ".log"; }
  std::string net_config(const std::string& node) const {
    return "{\"cniVersion\":\"1.0.0\",\"name\":\"ovnk\",\"type\":\"ovnk-cni\",\"daemonSocket\":\"" +
           socket_path(node) + "\"}";
  }

  // ovnk-reactor for `node` inside the node's netns (where its vswitchd
  // creates ports), on the switch ovnk-ctl made; waits until STATUS answers.
  void start_daemon(const std::string& node, const std::string& subnet, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"ip", "netns", "exec", node_ns(node), OVNK_REACTOR_BIN,
                                  "--node", node, "--nb", "unix:" + dir_ + "/nb.sock",
                                  "--ovs", "unix:" + dir_ + "/node-" + node + "/db.sock",
                                  "--node-subnet", subnet, "--cluster-cidr", "10.244.0.0/16",
                                  "--cni-socket", socket_path(node), "--create-topology", "off"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const std::string log = log_path(node);
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    daemons_[node] = pid;
    CniInvocation status;
    status.command = "STATUS";
    status.config = "{\"cniVersion\":\"1.1.0\",\"name\":\"ovnk\",\"type\":\"ovnk-cni\",\"daemonSocket\":\"" +
                    socket_path(node) + "\"}";
    status.set_netns = false;
    std::string last;
    for (int i = 0; i < 400; ++i) {
      auto r = run_cni(kPaths, status);
      if (r.ok() && r->exit_code == 0) return;
      if (r.ok()) last = r->out;
      ::usleep(50000);
    }
    FAIL() << "daemon of " << node << " not ready: " << last << "\n" << slurp(log);
  }

  // CNI ADD of a pod on `node`; returns its IPv4 address from the result.
  std::string cni_add(const std::string& node, const std::string& ns, const std::string& pod) {
    run_ok({"ip", "netns", "add", ns});
    extra_netns_.push_back(ns);
    CniInvocation add;
    add.command = "ADD";
    add.container_id = "cid-" + pod + "-" + prefix_;
    add.netns = "/var/run/netns/" + ns;
    add.args = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod + ";K8S_POD_UID=uid-" + pod;
    add.config = net_config(node);
    auto r = run_cni(kPaths, add);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) return {};
    EXPECT_EQ(r->exit_code, 0) << r->out;
    return result_address(r->out);
  }

  bool cni_del(const std::string& node, const std::string& ns, const std::string& pod) {
    CniInvocation del;
    del.command = "DEL";
    del.container_id = "cid-" + pod + "-" + prefix_;
    del.netns = "/var/run/netns/" + ns;
    del.args = "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod + ";K8S_POD_UID=uid-" + pod;
    del.config = net_config(node);
    auto r = run_cni(kPaths, del);
    return r.ok() && r->exit_code == 0;
  }

  void stop_daemon(const std::string& node) {
    auto it = daemons_.find(node);
    ASSERT_NE(it, daemons_.end());
    ::kill(it->second, SIGTERM);
    int status = 0;
    ASSERT_EQ(::waitpid(it->second, &status, 0), it->second);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    daemons_.erase(it);
  }

  std::string ovs_out(const std::string& node, std::vector<std::string> args) {
    args.insert(args.begin(), {"ovs-vsctl", "--timeout=30", "--db=unix:" + dir_ + "/node-" + node + "/db.sock"});
    return run_out(args);
  }

  // The overlay flags of `node` (the values ovn-lab set by hand, which the
  // test removes first so that the daemon must write them).
  std::vector<std::string> overlay_flags(const std::string& node, int n) {
    return {"--system-id", node, "--ovn-remote", "unix:" + dir_ + "/sb.sock", "--encap-ip",
            "192.168.77." + std::to_string(n)};
  }

  // Until the daemon has put the management address on ovn-k8s-mp0 (it
  // waits for ovs-vswitchd to make the interface first).
  void wait_management_address(const std::string& node, const std::string& cidr) {
    std::string last;
    for (int i = 0; i < 200; ++i) {
      RunResult r = run_program({"ip", "-n", node_ns(node), "-o", "addr", "show", "dev", "ovn-k8s-mp0"});
      last = r.out + r.err;
      if (r.code == 0 && r.out.find(cidr) != std::string::npos) return;
      ::usleep(50000);
    }
    FAIL() << node << ": no " << cidr << " on ovn-k8s-mp0: " << last << "\n" << slurp(log_path(node));
  }

  // The uuid of the Interface row ovn-k8s-mp0, "" while there is none.
  std::string iface_uuid(const std::string& node) {
    RunResult r = run_program({"ovs-vsctl", "--timeout=30", "--db=unix:" + dir_ + "/node-" + node + "/db.sock",
                               "--bare", "--columns=_uuid", "find", "interface", "name=ovn-k8s-mp0"});
    return r.code == 0 ? r.out : std::string();
  }

  std::map<std::string, pid_t> daemons_;
};

TEST_F(CtlDaemonTwoNodeTest, DaemonPodsOnTheCtlTopologyReachEachOtherAcrossNodes) {
  make_cluster();
  start_daemon("node1", "10.244.1.0/24");
  start_daemon("node2", "10.244.2.0/24");
  const std::string ns1 = prefix_ + "-d1";
  const std::string ns2 = prefix_ + "-d2";
  const std::string ip1 = cni_add("node1", ns1, "dpod1");
  const std::string ip2 = cni_add("node2", ns2, "dpod2");
  ASSERT_TRUE(ip1.starts_with("10.244.1.")) << ip1;
  ASSERT_TRUE(ip2.starts_with("10.244.2.")) << ip2;
  expect_ping(ns1, ip2);
  expect_ping(ns2, ip1);
  Transfer t = tcp_transfer(ns2, ns1, ip2, kTenMegabytes);
  EXPECT_TRUE(t.ok) << t.error << " received " << t.received;
  EXPECT_EQ(t.peer, ip1);
  // ovnk-ctl lists the daemon's pods on their nodes.
  RunResult pods = ctl({"pods", "--json"});
  ASSERT_EQ(pods.code, 0) << describe(pods);
  EXPECT_NE(pods.out.find("\"node\":\"node1\",\"port\":\"default_dpod1\""), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("\"node\":\"node2\",\"port\":\"default_dpod2\""), std::string::npos) << pods.out;
  // DEL removes the ports; node-del later finds only the cluster's own rows.
  EXPECT_TRUE(cni_del("node1", ns1, "dpod1"));
  EXPECT_TRUE(cni_del("node2", ns2, "dpod2"));
  RunResult after = ctl({"pods"});
  EXPECT_NE(after.out.find("no pods"), std::string::npos) << after.out;
}

TEST_F(CtlDaemonTwoNodeTest, DaemonMakesTheManagementPortAndTheOvnControllerSettings) {
  make_cluster();
  // The daemon must write ovn-encap-type (removed here) and keep keys it does
  // not own (the test's own key).
  for (const char* node : {"node1", "node2"}) {
    vsctl(node, {"remove", "open_vswitch", ".", "external_ids", "ovn-encap-type"});
    vsctl(node, {"set", "open_vswitch", ".", "external_ids:ovnk-test=keep"});
  }
  start_daemon("node1", "10.244.1.0/24", overlay_flags("node1", 1));
  start_daemon("node2", "10.244.2.0/24", overlay_flags("node2", 2));
  wait_management_address("node1", "10.244.1.2/24");
  wait_management_address("node2", "10.244.2.2/24");

  for (int n = 1; n <= 2; ++n) {
    const std::string node = "node" + std::to_string(n);
    EXPECT_EQ(ovs_out(node, {"get", "open_vswitch", ".", "external_ids:ovn-encap-type"}), "geneve\n");
    EXPECT_EQ(ovs_out(node, {"get", "open_vswitch", ".", "external_ids:system-id"}), node + "\n");
    EXPECT_EQ(ovs_out(node, {"get", "open_vswitch", ".", "external_ids:ovn-encap-ip"}),
              "\"192.168.77." + std::to_string(n) + "\"\n");
    EXPECT_EQ(ovs_out(node, {"get", "open_vswitch", ".", "external_ids:ovn-remote"}),
              "\"unix:" + dir_ + "/sb.sock\"\n");
    EXPECT_EQ(ovs_out(node, {"get", "open_vswitch", ".", "external_ids:ovnk-test"}), "keep\n");
    // The port as ovn-kubernetes makes it, the kernel side from the LSP.
    EXPECT_EQ(ovs_out(node, {"get", "interface", "ovn-k8s-mp0", "type"}), "internal\n");
    EXPECT_EQ(ovs_out(node, {"get", "interface", "ovn-k8s-mp0", "external_ids:iface-id"}), "k8s-" + node + "\n");
    std::string link = run_out({"ip", "-n", node_ns(node), "-o", "link", "show", "dev", "ovn-k8s-mp0"});
    EXPECT_NE(link.find("mtu 1400"), std::string::npos) << link;
    EXPECT_NE(link.find("0a:58:0a:f4:0" + std::to_string(n) + ":02"), std::string::npos) << link;
    EXPECT_NE(link.find("UP"), std::string::npos) << link;
  }

  // Pods of both nodes (MTU 1400 by default), reached from node1 itself
  // through ovn-k8s-mp0: the other node's pod over Geneve, its own locally.
  const std::string ns1 = prefix_ + "-m1";
  const std::string ns2 = prefix_ + "-m2";
  const std::string ip1 = cni_add("node1", ns1, "mpod1");
  const std::string ip2 = cni_add("node2", ns2, "mpod2");
  ASSERT_TRUE(ip1.starts_with("10.244.1.")) << ip1;
  ASSERT_TRUE(ip2.starts_with("10.244.2.")) << ip2;
  std::string pod_link = run_out({"ip", "-n", ns1, "-o", "link", "show", "dev", "eth0"});
  EXPECT_NE(pod_link.find("mtu 1400"), std::string::npos) << pod_link;
  expect_ping(node_ns("node1"), ip2);
  expect_ping(node_ns("node1"), ip1);
  expect_ping(node_ns("node2"), ip1);
  expect_ping(ns2, "10.244.1.2");  // and back to node1
  // ovnk-ctl sees the management ports bound (LSP up, set by ovn-controller).
  RunResult status = ctl({"status", "--json"});
  EXPECT_NE(status.out.find("\"management_up\":true"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("\"management_up\":false"), std::string::npos) << status.out;

  // A restart duplicates nothing: one port, one route, and it still works.
  stop_daemon("node1");
  std::vector<std::string> again = overlay_flags("node1", 1);
  again.insert(again.end(), {"--reconcile-interval", "1"});
  start_daemon("node1", "10.244.1.0/24", again);
  wait_management_address("node1", "10.244.1.2/24");
  std::string ports = ovs_out("node1", {"--columns=name", "find", "port", "name=ovn-k8s-mp0"});
  EXPECT_EQ(count_lines(ports, "ovn-k8s-mp0"), 1u) << ports;
  std::string ifaces = ovs_out("node1", {"--columns=name", "find", "interface", "name=ovn-k8s-mp0"});
  EXPECT_EQ(count_lines(ifaces, "ovn-k8s-mp0"), 1u) << ifaces;
  std::string routes = run_out({"ip", "-n", node_ns("node1"), "route", "show", "10.244.0.0/16"});
  EXPECT_EQ(count_lines(routes, "10.244.0.0/16 via 10.244.1.1 dev ovn-k8s-mp0"), 1u) << routes;
  std::string addrs = run_out({"ip", "-n", node_ns("node1"), "-o", "addr", "show", "dev", "ovn-k8s-mp0"});
  EXPECT_EQ(count_lines(addrs, "10.244.1.2/24"), 1u) << addrs;
  expect_ping(node_ns("node1"), ip2);

  // Repair: the port removed behind the daemon's back comes back (a new
  // Interface row), configured again.
  const std::string before = iface_uuid("node1");
  ASSERT_FALSE(before.empty());
  vsctl("node1", {"del-port", "br-int", "ovn-k8s-mp0"});
  std::string after;
  for (int i = 0; i < 200 && (after.empty() || after == before); ++i) {
    ::usleep(50000);
    after = iface_uuid("node1");
  }
  EXPECT_FALSE(after.empty()) << slurp(log_path("node1"));
  EXPECT_NE(after, before);
  wait_management_address("node1", "10.244.1.2/24");
  // ... and a route removed in the kernel comes back at the next recheck
  // (--reconcile-interval 1 on this run).
  run_ok({"ip", "-n", node_ns("node1"), "route", "del", "10.244.0.0/16"});
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    ::usleep(50000);
    back = run_out({"ip", "-n", node_ns("node1"), "route", "show", "10.244.0.0/16"}).find("ovn-k8s-mp0") !=
           std::string::npos;
  }
  EXPECT_TRUE(back) << slurp(log_path("node1"));
  expect_ping(node_ns("node1"), ip2);

  EXPECT_TRUE(cni_del("node1", ns1, "mpod1"));
  EXPECT_TRUE(cni_del("node2", ns2, "mpod2"));
}

}  // namespace
}  // namespace ovnk::tools
