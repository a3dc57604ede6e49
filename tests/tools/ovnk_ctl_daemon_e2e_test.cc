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
  void start_daemon(const std::string& node, const std::string& subnet) {
    std::vector<std::string> argv{"ip", "netns", "exec", node_ns(node), OVNK_REACTOR_BIN,
                                  "--node", node, "--nb", "unix:" + dir_ + "/nb.sock",
                                  "--ovs", "unix:" + dir_ + "/node-" + node + "/db.sock",
                                  "--node-subnet", subnet, "--cluster-cidr", "10.244.0.0/16",
                                  "--cni-socket", socket_path(node), "--create-topology", "off"};
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
    size_t at = r->out.find("\"address\":\"");
    if (at == std::string::npos) return {};
    at += 11;
    return r->out.substr(at, r->out.find('/', at) - at);
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

}  // namespace
}  // namespace ovnk::tools
