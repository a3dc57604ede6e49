// End to end: a real OVN stack (tools/ovn-lab, userspace datapath) in its own
// netns, the real ovnk-reactor inside it, and the real ovnk-cni plugin run as
// a runtime runs it, on pod netns made with `ip netns add`. Packets are real:
// pods ping each other through OVN.
//
// Every test brings up its own stack and tears it down, even on failure
// (LabStack's destructor), and ends by checking that NB, OVS and the kernel
// hold nothing of its pods.
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "tests/e2e/pod_e2e_fixture.h"

namespace ovnk::testing {
namespace {

class PodPipelineE2e : public PodE2eTest {};

TEST_F(PodPipelineE2e, TwoPodsPingEachOther) {
  auto pods = make_pods(2, "twopod");
  ASSERT_EQ(pods.size(), 2u);
  add_all(pods);
  EXPECT_NE(pods[0]->ip, pods[1]->ip);
  auto ab = ping(*pods[0], pods[1]->ip);
  EXPECT_TRUE(ab.ok()) << ab.error().to_string();
  auto ba = ping(*pods[1], pods[0]->ip);
  EXPECT_TRUE(ba.ok()) << ba.error().to_string();

  // The rows read as ovn-kubernetes writes them.
  auto lsp = lab_->nbctl({"--bare", "--columns=addresses,port_security,options", "list", "Logical_Switch_Port",
                          "e2e_" + pods[0]->name});
  ASSERT_TRUE(lsp.ok()) << lsp.error().to_string();
  EXPECT_NE(lsp->find(pods[0]->ip), std::string::npos) << *lsp;
  EXPECT_NE(lsp->find("requested-chassis=node1"), std::string::npos) << *lsp;
  EXPECT_NE(lsp->find("iface-id-ver=uid-" + pods[0]->name), std::string::npos) << *lsp;
  auto iface = lab_->vsctl({"get", "Interface", pods[0]->cid.substr(0, 15), "external_ids"});
  ASSERT_TRUE(iface.ok()) << iface.error().to_string();
  EXPECT_NE(iface->find("ovn-installed=\"true\""), std::string::npos) << *iface;
  EXPECT_NE(iface->find("iface-id=e2e_" + pods[0]->name), std::string::npos) << *iface;

  // CHECK and STATUS succeed on a healthy pod.
  CniInvocation check = call("CHECK", *pods[0], "1.1.0");
  check.config = daemon_->net_config(
      "1.1.0", "\"prevResult\":{\"cniVersion\":\"1.1.0\",\"ips\":[{\"address\":\"" + pods[0]->ip + "/24\"}]}");
  auto checked = run_cni(kPaths, check);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->exit_code, 0) << checked->out;
  // ... and CHECK says what is wrong once the pod's address is gone.
  ASSERT_TRUE(run_command({"ip", "netns", "exec", pods[0]->ns.name(), "ip", "addr", "flush", "dev", "eth0"}).ok());
  auto broken = run_cni(kPaths, check);
  ASSERT_TRUE(broken.ok());
  EXPECT_NE(broken->exit_code, 0);
  EXPECT_NE(broken->out.find("\"code\":103"), std::string::npos) << broken->out;
  EXPECT_NE(broken->out.find(pods[0]->ip), std::string::npos) << broken->out;

  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, BurstOf200PodsThenAllDeleted) {
  // Baseline, measured in the same run: the same pipeline one pod at a time
  // (each ADD waits for the previous), so no two pods share a transaction.
  const size_t kSequential = 20;
  auto seq = make_pods(kSequential, "seq");
  ASSERT_EQ(seq.size(), kSequential);
  auto t0 = Clock::now();
  for (Pod* p : seq) add_all({p});
  const double seq_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  del_all(seq);
  ASSERT_EQ(leftovers(), "");

  const size_t kPods = 200;
  auto pods = make_pods(kPods, "burst");
  ASSERT_EQ(pods.size(), kPods);
  double add_seconds = 0;
  add_all(pods, &add_seconds);
  if (HasFatalFailure()) return;
  std::set<std::string> ips;
  for (Pod* p : pods) ips.insert(p->ip);
  EXPECT_EQ(ips.size(), kPods) << "an address was given twice";

  // Every pod is in NB and OVS, and ovn-controller installed every one.
  auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "external_ids:pod=true"});
  ASSERT_TRUE(lsps.ok());
  EXPECT_EQ(count_lines(*lsps), kPods);
  auto installed = installed_pod_interfaces();
  ASSERT_TRUE(installed.ok());
  EXPECT_EQ(count_lines(*installed), kPods);

  // A sample of pairs ping.
  for (size_t i = 0; i < 8; ++i) {
    const Pod& a = *pods[(i * 37) % kPods];
    const Pod& b = *pods[(i * 53 + 11) % kPods];
    auto r = ping(a, b.ip);
    EXPECT_TRUE(r.ok()) << a.name << " -> " << b.name << " " << b.ip << ": " << r.error().to_string();
  }
  // The pods shared transactions: far fewer than one per pod.
  auto metrics = daemon_->metrics();
  ASSERT_TRUE(metrics.ok());
  size_t at = metrics->find("ovnk_ovsdb_batch_items_count{db=\"nb\"} ");
  ASSERT_NE(at, std::string::npos);
  const long nb_batches = std::atol(metrics->c_str() + at + std::strlen("ovnk_ovsdb_batch_items_count{db=\"nb\"} "));
  EXPECT_LT(nb_batches, static_cast<long>(kSequential * 2 + kPods / 2)) << "no batching happened";

  double del_seconds = 0;
  del_all(pods, &del_seconds);
  EXPECT_EQ(leftovers(), "");

  const double seq_rate = static_cast<double>(kSequential) / seq_seconds;
  const double burst_rate = static_cast<double>(kPods) / add_seconds;
  std::printf(
      "[ figures ] sequential ADDs: %zu pods in %.2f s = %.1f pods/s; burst ADD: %zu pods in %.2f s = %.1f pods/s; "
      "burst DEL: %.2f s = %.1f pods/s; NB transactions over the whole test: %ld\n",
      kSequential, seq_seconds, seq_rate, kPods, add_seconds, burst_rate, del_seconds,
      static_cast<double>(kPods) / del_seconds, nb_batches);
  RecordProperty("sequential_pods_per_second", std::to_string(seq_rate));
  RecordProperty("burst_add_pods_per_second", std::to_string(burst_rate));
  RecordProperty("burst_del_pods_per_second", std::to_string(static_cast<double>(kPods) / del_seconds));
}

TEST_F(PodPipelineE2e, DelOfUnknownContainerSucceeds) {
  CniInvocation del;
  del.command = "DEL";
  del.container_id = "never-seen-0123456789";
  del.config = daemon_->net_config();
  del.netns = "";
  auto r = run_cni(kPaths, del);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->out;
  del.set_netns = false;  // no CNI_NETNS at all (podman after the container died)
  del.args = "IgnoreUnknown=1;K8S_POD_NAME=ghost";
  r = run_cni(kPaths, del);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->out;
  // Twice on a real pod: the second one finds nothing and still succeeds.
  auto pods = make_pods(1, "deltwice");
  add_all(pods);
  del_all(pods);
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, BadRequestsGetTheRightError) {
  auto pods = make_pods(1, "bad");
  ASSERT_EQ(pods.size(), 1u);
  struct Case {
    std::string what;
    CniInvocation call;
    std::string code;
  };
  std::vector<Case> cases;
  CniInvocation no_netns = call("ADD", *pods[0]);
  no_netns.set_netns = false;
  cases.push_back({"missing CNI_NETNS", no_netns, "\"code\":4"});
  CniInvocation gone = call("ADD", *pods[0]);
  gone.netns = "/var/run/netns/does-not-exist-ovnk";
  cases.push_back({"netns that does not exist", gone, "\"code\":4"});
  CniInvocation outside = call("ADD", *pods[0]);
  outside.args = "IgnoreUnknown=1;IP=10.99.0.5/24";
  cases.push_back({"requested IP outside the node subnet", outside, "\"code\":7"});
  CniInvocation version = call("ADD", *pods[0]);
  version.config = "{\"cniVersion\":\"0.1.0\",\"name\":\"x\",\"type\":\"ovnk-cni\",\"daemonSocket\":\"" +
                   daemon_->socket() + "\"}";
  cases.push_back({"unsupported cniVersion", version, "\"code\":1"});
  CniInvocation bad_ann = call("ADD", *pods[0]);
  bad_ann.config = daemon_->net_config("1.0.0", "\"runtimeConfig\":{\"k8s.ovn.org/pod-networks\":{\"default\":{}}}");
  cases.push_back({"pod-networks annotation without an address", bad_ann, "\"code\":7"});
  CniInvocation check_unknown = call("CHECK", *pods[0], "1.1.0");
  check_unknown.config = daemon_->net_config("1.1.0", "\"prevResult\":{\"cniVersion\":\"1.1.0\"}");
  cases.push_back({"CHECK of a pod never added", check_unknown, "\"code\":3"});
  for (const Case& c : cases) {
    auto r = run_cni(kPaths, c.call);
    ASSERT_TRUE(r.ok()) << c.what;
    EXPECT_NE(r->exit_code, 0) << c.what << ": " << r->out;
    EXPECT_NE(r->out.find(c.code), std::string::npos) << c.what << ": " << r->out;
  }
  EXPECT_EQ(leftovers(), "");
  // The pod can still be added after all that.
  add_all(pods);
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

// The veth is made while the pod's NB insert is in flight: when making it
// fails (the host interface name is taken by a link that is not ours), the ADD
// fails with the kernel's reason and the LSP that was committed meanwhile is
// removed again; the other link is left alone.
TEST_F(PodPipelineE2e, VethFailingWhileTheLspCommitsLeavesNothing) {
  auto pods = make_pods(3, "taken");
  ASSERT_EQ(pods.size(), 3u);
  const std::string host_if = pods[1]->cid.substr(0, 15);
  // A veth outside the daemon's link group (this kernel has no dummy links).
  const std::string peer = unique_name("tk").substr(0, 15);
  auto made = lab_->in_netns({"ip", "link", "add", host_if, "type", "veth", "peer", "name", peer});
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  std::vector<CniInvocation> calls;
  for (Pod* p : pods) calls.push_back(call("ADD", *p));
  auto results = run_cni_many(kPaths, calls);
  ASSERT_EQ(results.size(), 3u);
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << i;
    if (i == 1) {
      EXPECT_NE(results[i]->exit_code, 0) << results[i]->out;
      EXPECT_NE(results[i]->out.find("exists"), std::string::npos) << results[i]->out;
    } else {
      EXPECT_EQ(results[i]->exit_code, 0) << results[i]->out;
      pods[i]->ip = ip_of(results[i]->out);
    }
  }
  auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "external_ids:pod=true"});
  ASSERT_TRUE(lsps.ok());
  EXPECT_EQ(lsps->find("e2e_" + pods[1]->name), std::string::npos) << "the failed pod's LSP is gone: " << *lsps;
  EXPECT_NE(lsps->find("e2e_" + pods[0]->name), std::string::npos) << *lsps;
  EXPECT_TRUE(ping(*pods[0], pods[2]->ip).ok());
  auto kept = lab_->in_netns({"ip", "-o", "link", "show", "dev", host_if});
  EXPECT_TRUE(kept.ok() && kept->find(host_if) != std::string::npos) << "someone else's link is kept";
  ASSERT_TRUE(lab_->in_netns({"ip", "link", "del", host_if}).ok());
  // Once the name is free the same pod plugs.
  add_all({pods[1]});
  EXPECT_TRUE(ping(*pods[1], pods[0]->ip).ok());
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, RepeatedAddIsIdempotentAndRequestedAddressIsUsed) {
  auto pods = make_pods(2, "again");
  add_all({pods[0]});
  const std::string first_ip = pods[0]->ip;
  add_all({pods[0]});
  EXPECT_EQ(pods[0]->ip, first_ip);
  // An address imposed by the request (ovn-kubernetes annotation format).
  CniInvocation fixed = call("ADD", *pods[1]);
  fixed.config = daemon_->net_config(
      "1.0.0",
      "\"runtimeConfig\":{\"k8s.ovn.org/pod-networks\":{\"default\":{\"ip_addresses\":[\"10.244.1.200/24\"],"
      "\"mac_address\":\"0a:58:0a:f4:01:c8\",\"gateway_ips\":[\"10.244.1.1\"]}}}");
  auto r = run_cni(kPaths, fixed);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->out;
  EXPECT_EQ(ip_of(r->out), "10.244.1.200");
  pods[1]->ip = "10.244.1.200";
  EXPECT_TRUE(ping(*pods[0], "10.244.1.200").ok());
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, AddressesFromAPreProvisionedLogicalSwitchPort) {
  // ipamMode "ovn": a central controller made the LSP; the ADD waits for it
  // (it appears half a second later), takes its mac/ip, and DEL leaves it.
  auto pods = make_pods(2, "preprov");
  CniInvocation add = call("ADD", *pods[0]);
  add.config = daemon_->net_config("1.0.0", "\"ipamMode\":\"ovn\"");
  const std::string lsp = "e2e_" + pods[0]->name;
  std::thread controller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto r = lab_->nbctl({"lsp-add", "node1", lsp, "--", "lsp-set-addresses", lsp, "0a:58:0a:f4:01:64 10.244.1.100"});
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  });
  auto r = run_cni(kPaths, add);
  controller.join();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->out;
  EXPECT_EQ(ip_of(r->out), "10.244.1.100");
  EXPECT_NE(r->out.find("0a:58:0a:f4:01:64"), std::string::npos) << r->out;
  // The node IPAM does not hand that address to anyone else.
  add_all({pods[1]});
  EXPECT_NE(pods[1]->ip, "10.244.1.100");
  EXPECT_TRUE(ping(*pods[1], "10.244.1.100").ok());
  // A restart adopts the pod plugged to the foreign port instead of removing it.
  ASSERT_TRUE(daemon_->restart().ok());
  EXPECT_TRUE(ping(*pods[1], "10.244.1.100").ok());
  del_all(pods);
  auto still = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "name=" + lsp});
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(*still, lsp + "\n") << "DEL removed a port it did not create";
  ASSERT_TRUE(lab_->nbctl({"lsp-del", lsp}).ok());
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, GcRemovesPodsNotInTheValidList) {
  // On the io_uring loop this time (the daemon falls back to libuv, saying
  // so, where io_uring is refused).
  start_daemon({"--backend", "uring"});
  auto pods = make_pods(3, "gc");
  add_all(pods);
  CniInvocation gc;
  gc.command = "GC";
  gc.set_netns = false;
  gc.config = daemon_->net_config("1.1.0", "\"cni.dev/valid-attachments\":[{\"containerID\":\"" + pods[1]->cid +
                                               "\",\"ifname\":\"eth0\"}]");
  auto r = run_cni(kPaths, gc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->out;
  auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "external_ids:pod=true"});
  ASSERT_TRUE(lsps.ok());
  EXPECT_EQ(*lsps, "e2e_" + pods[1]->name + "\n");
  auto ports = pod_ports();
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(*ports, pods[1]->cid.substr(0, 15) + "\n");
  del_all({pods[1]});
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, AddTimesOutCleanlyWithoutOvnController) {
  start_daemon({"--ready-timeout", "3"});
  // Frozen rather than stopped: an exiting ovn-controller may clean br-int up.
  auto pid = lab_->pid_of("ovn-controller");
  ASSERT_TRUE(pid.ok());
  ASSERT_EQ(::kill(*pid, SIGSTOP), 0);
  struct Thaw {
    pid_t pid;
    ~Thaw() { ::kill(pid, SIGCONT); }
  } thaw{*pid};
  auto pods = make_pods(2, "noctl");
  std::vector<CniInvocation> calls = {call("ADD", *pods[0]), call("ADD", *pods[1])};
  auto out = run_cni_many(kPaths, calls);
  for (auto& r : out) {
    ASSERT_TRUE(r.ok());
    EXPECT_NE(r->exit_code, 0) << r->out;
    EXPECT_NE(r->out.find("\"code\":101"), std::string::npos) << r->out;
    EXPECT_NE(r->out.find("ovn-installed"), std::string::npos) << r->out;
  }
  // The failed ADDs undid everything they had done.
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, RestartAfterKillAdoptsPluggedPodsAndCleansTheRest) {
  auto pods = make_pods(3, "crash");
  add_all(pods);
  // A pod half made by hand, as a crash between NB and OVS would leave it: an
  // LSP of ours with no port and no veth.
  ASSERT_TRUE(lab_->nbctl({"lsp-add", "node1", "e2e_halfmade", "--", "lsp-set-addresses", "e2e_halfmade",
                           "0a:58:0a:f4:01:fa 10.244.1.250", "--", "set", "Logical_Switch_Port", "e2e_halfmade",
                           "external_ids:owner=ovnk-reactor", "external_ids:node=node1",
                           "external_ids:sandbox=halfmade-sandbox", "external_ids:pod=true"})
                  .ok());
  // Someone else's port on the same switch is never touched.
  ASSERT_TRUE(lab_->nbctl({"lsp-add", "node1", "not-ours", "--", "lsp-set-addresses", "not-ours",
                           "0a:58:0a:f4:01:fb 10.244.1.251"})
                  .ok());
  daemon_->kill_now();
  auto restarted = daemon_->restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().to_string();
  // A retried ADD of a plugged pod gets its address back; a new pod gets
  // neither that address nor the foreign port's.
  const std::string before = pods[0]->ip;
  add_all({pods[0]});
  EXPECT_EQ(pods[0]->ip, before);
  auto fresh = make_pods(1, "after");
  add_all(fresh);
  for (Pod* p : pods) EXPECT_NE(fresh[0]->ip, p->ip);
  EXPECT_NE(fresh[0]->ip, "10.244.1.251");
  EXPECT_TRUE(ping(*fresh[0], pods[2]->ip).ok());
  auto half = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "name=e2e_halfmade"});
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(*half, "") << "the half-made pod was not cleaned";
  auto foreign = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "name=not-ours"});
  ASSERT_TRUE(foreign.ok());
  EXPECT_EQ(*foreign, "not-ours\n");
  del_all(pods);
  del_all(fresh);
  ASSERT_TRUE(lab_->nbctl({"lsp-del", "not-ours"}).ok());
  EXPECT_EQ(leftovers(), "");
}

TEST_F(PodPipelineE2e, KillDuringABurstThenRetriedAddsAllSucceed) {
  // kill -9 while 100 ADDs are in flight: each pod must end either fully
  // plugged (adopted on restart) or fully cleaned, so that the runtime's
  // retried ADD succeeds, and no address is given twice.
  const size_t kPods = 100;
  auto pods = make_pods(kPods, "kill");
  ASSERT_EQ(pods.size(), kPods);
  std::vector<CniInvocation> calls;
  for (Pod* p : pods) calls.push_back(call("ADD", *p));
  std::thread killer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    daemon_->kill_now();
  });
  auto first = run_cni_many(kPaths, calls);
  killer.join();
  size_t answered = 0;
  for (auto& r : first) answered += (r.ok() && r->exit_code == 0) ? 1u : 0u;
  auto restarted = daemon_->restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().to_string();
  add_all(pods);  // the runtime retries every ADD
  if (HasFatalFailure()) return;
  std::set<std::string> ips;
  for (Pod* p : pods) ips.insert(p->ip);
  EXPECT_EQ(ips.size(), kPods) << "an address was given twice";
  for (size_t i = 0; i < 4; ++i) {
    auto r = ping(*pods[i * 23 % kPods], pods[(i * 41 + 7) % kPods]->ip);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
  }
  std::printf("[ figures ] %zu of %zu ADDs were answered before the kill\n", answered, kPods);
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

}  // namespace
}  // namespace ovnk::testing
