// The fixture shared by the e2e tests of the pod pipeline: a real OVN stack
// (tools/ovn-lab) per test, the real ovnk-reactor inside it, pods made as a
// runtime makes them (`ip netns add` + the real ovnk-cni), and the checks
// every test ends with: leftovers() lists what NB (LSPs), OVS (br-int ports),
// the kernel (veths in the stack's netns) and the daemon's IPAM still hold
// of pods; "" when nothing.
//
// Each test binary that includes this defines OVNK_LAB_SCRIPT,
// OVNK_REACTOR_BIN and OVNK_CNI_BIN (tests/e2e/CMakeLists.txt). The stack is
// torn down even when a test fails (TearDown, LabStack's destructor); the
// daemon's log tail is printed on failure.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/e2e_stack.h"
#include "tests/support/program.h"
#include "tests/support/ovsdb_server.h"

namespace ovnk::testing {

using Clock = std::chrono::steady_clock;

inline const E2ePaths kPaths{OVNK_LAB_SCRIPT, OVNK_REACTOR_BIN, OVNK_CNI_BIN};
inline constexpr const char* kSubnet = "10.244.1.0/24";

struct Pod {
  PodNetns ns;
  std::string cid;
  std::string name;
  std::string ip;  // from the ADD result
};

class PodE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lab = LabStack::up(kPaths);
    ASSERT_TRUE(lab.ok()) << lab.error().to_string();
    lab_ = std::move(lab).value();
    start_daemon({});
  }

  void TearDown() override {
    if (HasFailure() && daemon_) {
      std::fprintf(stderr, "---- ovnk-reactor log (tail) ----\n%s\n", daemon_->log_tail().c_str());
    }
    daemon_.reset();  // before the stack (it lives in the stack's netns)
    pods_.clear();
    lab_.reset();
  }

  void start_daemon(std::vector<std::string> extra) {
    daemon_.reset();
    auto d = DaemonProcess::start(kPaths, *lab_, kSubnet, std::move(extra));
    ASSERT_TRUE(d.ok()) << d.error().to_string();
    daemon_ = std::move(d).value();
  }

  // n fresh pod netns, with container ids long enough to be cut at 15.
  std::vector<Pod*> make_pods(size_t n, const std::string& prefix) {
    std::vector<Pod*> out;
    for (size_t i = 0; i < n; ++i) {
      auto ns = PodNetns::create(unique_name("ovnkp"));
      EXPECT_TRUE(ns.ok()) << ns.error().to_string();
      if (!ns.ok()) break;
      auto pod = std::make_unique<Pod>();
      pod->ns = std::move(ns).value();
      char cid[64];
      std::snprintf(cid, sizeof cid, "%s%05zu%016x", prefix.c_str(), pods_.size(), 0xabcdefu);
      pod->cid = cid;
      pod->name = prefix + std::to_string(pods_.size());
      out.push_back(pod.get());
      pods_.push_back(std::move(pod));
    }
    return out;
  }

  CniInvocation call(const std::string& command, const Pod& pod, const std::string& version = "1.0.0") const {
    CniInvocation c;
    c.command = command;
    c.container_id = pod.cid;
    c.netns = pod.ns.path();
    c.args = "K8S_POD_NAMESPACE=e2e;K8S_POD_NAME=" + pod.name + ";K8S_POD_UID=uid-" + pod.name;
    c.config = daemon_->net_config(version);
    return c;
  }

  static std::string ip_of(const std::string& result_json) { return result_address(result_json); }

  // ADDs every pod at once; expects success; fills in the IPs.
  void add_all(const std::vector<Pod*>& pods, double* seconds = nullptr) {
    std::vector<CniInvocation> calls;
    for (Pod* p : pods) calls.push_back(call("ADD", *p));
    auto t0 = Clock::now();
    auto outcomes = run_cni_many(kPaths, calls);
    if (seconds) *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (size_t i = 0; i < pods.size(); ++i) {
      ASSERT_TRUE(outcomes[i].ok()) << outcomes[i].error().to_string();
      ASSERT_EQ(outcomes[i]->exit_code, 0) << pods[i]->name << ": " << outcomes[i]->out;
      pods[i]->ip = ip_of(outcomes[i]->out);
      ASSERT_FALSE(pods[i]->ip.empty()) << outcomes[i]->out;
    }
  }

  void del_all(const std::vector<Pod*>& pods, double* seconds = nullptr) {
    std::vector<CniInvocation> calls;
    for (Pod* p : pods) calls.push_back(call("DEL", *p));
    auto t0 = Clock::now();
    auto outcomes = run_cni_many(kPaths, calls);
    if (seconds) *seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (size_t i = 0; i < pods.size(); ++i) {
      ASSERT_TRUE(outcomes[i].ok()) << outcomes[i].error().to_string();
      EXPECT_EQ(outcomes[i]->exit_code, 0) << pods[i]->name << ": " << outcomes[i]->out;
    }
  }

  Result<std::string> ping(const Pod& from, const std::string& ip) const {
    Result<std::string> r = make_error("e2e", 1, "not tried");
    for (int attempt = 0; attempt < 3; ++attempt) {
      r = run_command({"ip", "netns", "exec", from.ns.name(), "ping", "-c1", "-W2", ip});
      if (r.ok()) return r;
    }
    return r;
  }

  // The value of one series of the daemon's /metrics (`name{labels}` exactly
  // as rendered); nullopt when it is not there.
  std::optional<double> metric(const std::string& series) const {
    auto text = daemon_->metrics();
    if (!text.ok()) return std::nullopt;
    const std::string key = "\n" + series + " ";
    size_t at = text->find(key);
    if (at == std::string::npos) return std::nullopt;
    return std::strtod(text->c_str() + at + key.size(), nullptr);
  }

  // The lines of `names` (one name a line, blank lines dropped) but the
  // node's own management port ovn-k8s-mp0 (the daemon makes it unless
  // --management-port off): what is left is one line per pod.
  static std::string without_management_port(const std::string& names) {
    std::string out;
    size_t start = 0;
    while (start < names.size()) {
      size_t end = names.find('\n', start);
      if (end == std::string::npos) end = names.size();
      std::string line = names.substr(start, end - start);
      if (line.find_first_not_of(" \t") != std::string::npos && line != "ovn-k8s-mp0") out += line + "\n";
      start = end + 1;
    }
    return out;
  }
  // The pods' ports on br-int, one a line.
  Result<std::string> pod_ports() const {
    OVNK_ASSIGN_OR_RETURN(std::string all, lab_->vsctl({"list-ports", "br-int"}));
    return without_management_port(all);
  }
  // The pods' Interfaces that ovn-controller marked ovn-installed, one a line.
  Result<std::string> installed_pod_interfaces() const {
    OVNK_ASSIGN_OR_RETURN(std::string all, lab_->vsctl({"--bare", "--columns=name", "find", "Interface",
                                                        "external_ids:ovn-installed=true"}));
    return without_management_port(all);
  }

  // What NB, OVS and the kernel still hold of pods; "" when nothing.
  std::string leftovers() const {
    std::string out;
    auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "external_ids:pod=true"});
    if (!lsps.ok()) return "nbctl: " + lsps.error().to_string();
    if (lsps->find_first_not_of(" \n") != std::string::npos) out += "LSPs: " + *lsps + "\n";
    auto ports = pod_ports();
    if (!ports.ok()) return "vsctl: " + ports.error().to_string();
    if (ports->find_first_not_of(" \n") != std::string::npos) out += "OVS ports: " + *ports + "\n";
    auto veths = lab_->in_netns({"ip", "-o", "link", "show", "type", "veth"});
    if (!veths.ok()) return "ip link: " + veths.error().to_string();
    if (veths->find_first_not_of(" \n") != std::string::npos) out += "veths: " + *veths + "\n";
    auto metrics = daemon_->metrics();
    if (metrics.ok() && metrics->find("\novnk_ipam_addresses_in_use 0\n") == std::string::npos) {
      size_t at = metrics->find("\novnk_ipam_addresses_in_use ");
      out += "IPAM: " + (at == std::string::npos ? std::string("no gauge") : metrics->substr(at + 1, 40)) + "\n";
    }
    return out;
  }

  std::unique_ptr<LabStack> lab_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::vector<std::unique_ptr<Pod>> pods_;
};

}  // namespace ovnk::testing
