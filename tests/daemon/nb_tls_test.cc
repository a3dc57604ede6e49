// The daemon against an OVN Northbound served over ssl: (a real ovsdb-server
// with a throw-away PKI on 127.0.0.1) and the node's Open_vSwitch database over
// unix:. The daemon runs in the test's netns (the server's loopback); it
// touches no link there: reconciliation only looks at links in the pod link
// group, and no pod is added. With the right CA it verifies the
// server, becomes ready (STATUS through the real ovnk-cni) and creates the
// node's topology over the TLS session; with a CA that did not sign the
// server's certificate it never connects, and its log says why.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/e2e_stack.h"
#include "tests/support/ovsdb_server.h"
#include "tests/support/program.h"
#include "tests/support/temp_dir.h"

namespace ovnk::testing {
namespace {

const E2ePaths kPaths{"", OVNK_REACTOR_BIN, OVNK_CNI_BIN};

class NbTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = make_test_pki(dir_.path());
    ASSERT_TRUE(pki.ok()) << pki.error().to_string();
    pki_ = *pki;
    OvsdbServerOptions o;
    o.schema_path = "/usr/share/ovn/ovn-nb.ovsschema";
    o.ssl = pki_;
    auto nb = OvsdbServer::start(o);
    ASSERT_TRUE(nb.ok()) << nb.error().to_string();
    nb_ = std::move(nb).value();
    auto ovs = OvsdbServer::start("/usr/share/openvswitch/vswitch.ovsschema");
    ASSERT_TRUE(ovs.ok()) << ovs.error().to_string();
    ovs_ = std::move(ovs).value();
    // The node's integration bridge, as ovn-controller's set-up leaves it
    // (no ovs-vswitchd here: nothing waits for it).
    RunResult br = run_program({"ovs-vsctl", "--db=" + ovs_->unix_remote(), "--no-wait",
                                "--timeout=20", "--", "init", "--", "add-br", "br-int"});
    ASSERT_EQ(br.code, 0) << describe(br);
  }

  void TearDown() override {
    stop_daemon();
    if (HasFailure())
      std::fprintf(stderr, "---- ovnk-reactor log ----\n%s\n", slurp(log_path()).c_str());
  }

  std::string socket() const { return dir_.file("cni.sock"); }
  std::string log_path() const { return dir_.file("daemon.log"); }

  void start_daemon(const std::string& ca_cert) {
    daemon_ = start_program({OVNK_REACTOR_BIN,
                             "--node",
                             "node1",
                             "--nb",
                             nb_->ssl_remote(),
                             "--ovs",
                             ovs_->unix_remote(),
                             "--node-subnet",
                             "10.244.1.0/24",
                             "--cni-socket",
                             socket(),
                             "--management-port",
                             "off",
                             "--nb-client-privkey",
                             pki_.private_key,
                             "--nb-client-cert",
                             pki_.certificate,
                             "--nb-client-cacert",
                             ca_cert,
                             "--log-level",
                             "debug"});
    ASSERT_GT(daemon_.pid, 0);
  }

  void stop_daemon() {
    if (daemon_.pid <= 0) return;
    ::kill(daemon_.pid, SIGTERM);
    RunResult r = finish_program(daemon_, std::chrono::seconds(20));
    std::ofstream(log_path(), std::ios::app) << r.out << r.err;
    daemon_.pid = -1;
  }

  // STATUS through the plugin, polled until it succeeds or `timeout` passes.
  bool becomes_ready(std::chrono::seconds timeout) {
    CniInvocation status;
    status.command = "STATUS";
    status.set_netns = false;
    status.config =
        "{\"cniVersion\":\"1.1.0\",\"name\":\"ovn-k\",\"type\":\"ovnk-cni\",\"daemonSocket\":\"" +
        socket() + "\"}";
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = run_cni(kPaths, status);
      if (r.ok() && r->exit_code == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  TempDir dir_;
  SslFiles pki_;
  std::unique_ptr<OvsdbServer> nb_;
  std::unique_ptr<OvsdbServer> ovs_;
  Started daemon_;
};

TEST_F(NbTlsTest, ConnectsOverSslAndCreatesTheNodeTopology) {
  start_daemon(pki_.ca_cert);
  ASSERT_TRUE(becomes_ready(std::chrono::seconds(30))) << "STATUS never succeeded";
  // The node's switch was written over the TLS session.
  RunResult switches =
      run_program({"ovn-nbctl", "--db=" + nb_->unix_remote(), "--timeout=20", "ls-list"});
  EXPECT_EQ(switches.code, 0) << describe(switches);
  EXPECT_NE(switches.out.find("(node1)"), std::string::npos) << switches.out;
}

TEST_F(NbTlsTest, AServerCertificateFromAnotherCaIsRefused) {
  TempDir other;
  auto stranger = make_test_pki(other.path());
  ASSERT_TRUE(stranger.ok()) << stranger.error().to_string();
  start_daemon(stranger->ca_cert);
  EXPECT_FALSE(becomes_ready(std::chrono::seconds(5)))
      << "connected to a server its CA did not sign";
  stop_daemon();
  std::string log = slurp(log_path());
  EXPECT_NE(log.find("certificate verify failed"), std::string::npos) << log.substr(0, 4000);
  RunResult switches =
      run_program({"ovn-nbctl", "--db=" + nb_->unix_remote(), "--timeout=20", "ls-list"});
  EXPECT_EQ(switches.out.find("node1"), std::string::npos)
      << "wrote to an unverified server: " << switches.out;
}

}  // namespace
}  // namespace ovnk::testing
