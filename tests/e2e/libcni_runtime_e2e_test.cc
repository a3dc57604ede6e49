// End to end through a real libcni runtime: containerd 1.6 from Debian with
// `ctr run --cni` executes the real ovnk-cni (found in /opt/cni/bin, config
// in /etc/cni/net.d, both shown only to ctr through cni_dirs_exec's private
// mount namespace), on a real OVN stack with the real daemon. This is the
// closest thing to kubelet that runs here, and it calls CNI the way runtimes
// do rather than the way our other tests do: CNI_NETNS is /proc/<pid>/ns/net,
// CNI_ARGS is empty (no pod name: the container id names the pod), the
// config comes as a conflist with the loopback network before ours, and DEL
// comes with an empty CNI_NETNS. Containers run busybox-static from a rootfs
// directory (no registry is reachable).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/pod_e2e_fixture.h"
#include "tests/support/program.h"

namespace ovnk::testing {
namespace {

// A containerd of the test's own: config, root, state and socket in `dir`,
// the CRI plugin off (it is kubelet's, and would load CNI itself). The
// destructor removes every container it still has, then stops it.
class Containerd {
 public:
  static Result<std::unique_ptr<Containerd>> start(const std::string& dir, const std::string& daemon_socket) {
    auto c = std::unique_ptr<Containerd>(new Containerd());
    c->dir_ = dir;
    c->socket_ = dir + "/containerd.sock";
    c->rootfs_ = dir + "/rootfs";
    for (const std::string& d : {dir, dir + "/cni-bin", dir + "/cni-conf", c->rootfs_, c->rootfs_ + "/bin"}) {
      if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return errno_error("e2e", errno, "mkdir " + d);
    }
    if (::symlink(OVNK_CNI_BIN, (dir + "/cni-bin/ovnk-cni").c_str()) != 0) {
      return errno_error("e2e", errno, "symlink ovnk-cni");
    }
    // ovnk-cni is the only network of the conflist; ctr adds loopback.
    std::ofstream(dir + "/cni-conf/10-ovnk.conflist")
        << "{\"cniVersion\":\"1.0.0\",\"name\":\"ovn-k\",\"plugins\":[{\"type\":\"ovnk-cni\","
        << "\"daemonSocket\":\"" << daemon_socket << "\",\"timeoutSeconds\":60}]}\n";
    std::ofstream(dir + "/config.toml") << "version = 2\nroot = \"" << dir << "/root\"\nstate = \"" << dir
                                        << "/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                                        << "[grpc]\n  address = \"" << c->socket_ << "\"\n";
    // The container image: busybox-static and the applets the tests run.
    auto copied = run_command({"cp", "/bin/busybox", c->rootfs_ + "/bin/busybox"});
    if (!copied.ok()) return copied.error();
    for (const char* applet : {"sh", "ping", "ip", "sleep", "true", "cat"}) {
      if (::symlink("busybox", (c->rootfs_ + "/bin/" + applet).c_str()) != 0) {
        return errno_error("e2e", errno, std::string("symlink ") + applet);
      }
    }
    c->process_ = start_program({"containerd", "--config", dir + "/config.toml"});
    if (c->process_.pid < 0) return make_error("e2e", 1, "could not start containerd");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      RunResult v = c->ctr({"version"}, std::chrono::seconds(10));
      if (v.code == 0) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return make_error("e2e", 1, "containerd did not answer on " + c->socket_ + ": " + describe(v));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return c;
  }

  ~Containerd() {
    RunResult listed = ctr({"containers", "list", "--quiet"});
    for (size_t start = 0; start < listed.out.size();) {
      size_t end = listed.out.find('\n', start);
      if (end == std::string::npos) end = listed.out.size();
      std::string id = listed.out.substr(start, end - start);
      if (!id.empty()) remove(id);
      start = end + 1;
    }
    if (process_.pid > 0) {
      ::kill(process_.pid, SIGTERM);
      (void)finish_program(process_, std::chrono::seconds(20));
    }
    if (std::getenv("OVNK_KEEP_TEST_DIRS") == nullptr) (void)run_command({"rm", "-rf", dir_});
  }

  // ctr against this containerd, without CNI.
  RunResult ctr(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(120)) const {
    args.insert(args.begin(), {"ctr", "--address", socket_});
    return run_program(args, timeout);
  }

  // The argv of `ctr run` of busybox with CNI networking, with the test's
  // plugin and conflist where libcni looks. `detach`: ctr returns once the
  // container runs and never DELs it (a runtime DELs when the pod goes);
  // otherwise ctr waits for the command, then DELs and removes it.
  std::vector<std::string> run_argv(const std::string& id, bool detach, const std::vector<std::string>& command) const {
    std::vector<std::string> args = {OVNK_CNI_DIRS_EXEC, dir_ + "/cni-bin", dir_ + "/cni-conf", "ctr", "--address",
                                     socket_, "run", detach ? "--detach" : "--rm", "--cni", "--rootfs", rootfs_, id};
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }
  RunResult run(const std::string& id, bool detach, const std::vector<std::string>& command) const {
    return run_program(run_argv(id, detach, command), std::chrono::seconds(120));
  }

  // Kills the container's task and deletes both (no CNI call).
  void remove(const std::string& id) const {
    (void)ctr({"tasks", "kill", "--signal", "SIGKILL", id});
    for (int i = 0; i < 100; ++i) {
      if (ctr({"tasks", "delete", "--force", id}).code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    (void)ctr({"containers", "delete", id});
  }

 private:
  Containerd() = default;
  std::string dir_;
  std::string socket_;
  std::string rootfs_;
  Started process_;
};

class LibcniRuntimeE2e : public PodE2eTest {
 protected:
  void SetUp() override {
    PodE2eTest::SetUp();
    if (HasFatalFailure()) return;
    auto c = Containerd::start(lab_->dir() + "/containerd", daemon_->socket());
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    containerd_ = std::move(c).value();
  }
  void TearDown() override {
    containerd_.reset();  // its containers' DELs need the daemon and the stack
    PodE2eTest::TearDown();
  }

  // ctr names the pod after its full container id, "<namespace>-<id>".
  std::string lsp_address(const std::string& container) const {
    auto row = lab_->nbctl({"--bare", "--columns=addresses", "find", "Logical_Switch_Port", "name=" + container});
    if (!row.ok()) return "";
    std::string text = *row;
    size_t space = text.find(' ');
    if (space == std::string::npos) return "";
    return text.substr(space + 1, text.find_first_of(" \n", space + 1) - space - 1);
  }

  // DEL as a runtime sends it after the sandbox died: no netns.
  void runtime_del(const std::string& container) {
    CniInvocation del;
    del.command = "DEL";
    del.container_id = container;
    del.netns = "";
    del.config = daemon_->net_config();
    auto r = run_cni(kPaths, del);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->exit_code, 0) << r->out;
  }

  std::unique_ptr<Containerd> containerd_;
};

TEST_F(LibcniRuntimeE2e, CtrRunPlugsContainersThatReachPodsAndItsDelCleansUp) {
  auto pods = make_pods(1, "ctrpeer");
  add_all(pods);
  if (HasFatalFailure()) return;

  // A long-running container: ctr ADDs it through libcni, it gets an address
  // from the node subnet, and a pod reaches it.
  RunResult srv = containerd_->run("srv", true, {"/bin/sleep", "600"});
  ASSERT_EQ(srv.code, 0) << describe(srv);
  const std::string srv_ip = lsp_address("default-srv");
  ASSERT_FALSE(srv_ip.empty()) << "no LSP default-srv with an address";
  auto reached = ping(*pods[0], srv_ip);
  EXPECT_TRUE(reached.ok()) << reached.error().to_string();
  RunResult inside = containerd_->ctr({"tasks", "exec", "--exec-id", "look", "srv", "/bin/ip", "addr", "show", "eth0"});
  EXPECT_EQ(inside.code, 0) << describe(inside);
  EXPECT_NE(inside.out.find("inet " + srv_ip + "/24"), std::string::npos) << inside.out;
  EXPECT_NE(inside.out.find("mtu 1400"), std::string::npos) << inside.out;

  // A short-lived one pings the pod and the other container, exits, and ctr
  // DELs it (with an empty CNI_NETNS): nothing of it is left.
  RunResult cli = containerd_->run("cli", false, {"/bin/sh", "-c",
                                                  "ping -c 2 -W 3 " + pods[0]->ip + " && ping -c 2 -W 3 " + srv_ip});
  EXPECT_EQ(cli.code, 0) << describe(cli);
  EXPECT_NE(cli.out.find("2 packets received"), std::string::npos) << cli.out;
  EXPECT_EQ(lsp_address("default-cli"), "") << "ctr's DEL left the LSP";
  auto port = lab_->vsctl({"--bare", "--columns=name", "find", "Interface", "external_ids:iface-id=default-cli"});
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(count_lines(*port), 0u) << *port;

  // The long-running one goes as a runtime removes a pod: the sandbox dies
  // first (its netns, and with it the pod end of the veth), then DEL.
  containerd_->remove("srv");
  runtime_del("default-srv");
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(LibcniRuntimeE2e, ConcurrentCtrRunsGetDistinctAddresses) {
  const int kContainers = 8;
  std::vector<std::vector<std::string>> runs;
  for (int i = 0; i < kContainers; ++i) {
    runs.push_back(containerd_->run_argv("burst" + std::to_string(i), true, {"/bin/sleep", "600"}));
  }
  auto results = run_programs(runs);
  std::set<std::string> ips;
  for (int i = 0; i < kContainers; ++i) {
    EXPECT_EQ(results[static_cast<size_t>(i)].code, 0) << describe(results[static_cast<size_t>(i)]);
    std::string ip = lsp_address("default-burst" + std::to_string(i));
    EXPECT_FALSE(ip.empty()) << i;
    ips.insert(ip);
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kContainers)) << "an address was given twice";
  for (int i = 0; i < kContainers; ++i) {
    std::string id = "burst" + std::to_string(i);
    containerd_->remove(id);
    runtime_del("default-" + id);
  }
  EXPECT_EQ(leftovers(), "");
}

TEST_F(LibcniRuntimeE2e, CtrShowsTheDaemonsErrorWhenTheDaemonIsDown) {
  auto stopped = daemon_->stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().to_string();
  RunResult r = containerd_->run("orphan", false, {"/bin/true"});
  EXPECT_NE(r.code, 0) << describe(r);
  // libcni passes the plugin's error message through to the runtime's user.
  EXPECT_NE(r.err.find("ovnk daemon not reachable"), std::string::npos) << describe(r);
  EXPECT_NE(r.err.find("is ovnk-reactor running on this node"), std::string::npos) << describe(r);
  auto restarted = daemon_->restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().to_string();
  EXPECT_EQ(leftovers(), "");
}

}  // namespace
}  // namespace ovnk::testing
