// ovnk-ctl's topology carrying real traffic (label e2e, root): two nodes from
// tools/ovn-lab (up-central + up-node: each node a netns with its own
// ovsdb-server, ovs-vswitchd on the userspace datapath and ovn-controller,
// joined by an underlay Linux bridge), the cluster made by ovnk-ctl, pods
// plugged by hand (netns, veth, LSP, OVS port: what the daemon does).
//
//   Overlay       pods on node1 and node2 (different node subnets, routed by
//                 ovn_cluster_router) ping each other and move 10 MB over TCP
//                 through Geneve; also with rtos ports pinned to their chassis,
//                 and dual-stack (IPv6 pods routed by the same router ports).
//   Management    the node reaches a pod of the other node through ovn-k8s-mp0
//                 (an OVS internal port bound to k8s-<node>, address .2, route
//                 to the cluster CIDR), made here by ovs-vsctl.
//   Gateway       a pod reaches an address behind an outside router; the
//                 outside sees the connection from the node's gateway address.
//   Localnet      pods of one flat switch with a localnet port, on two nodes,
//                 talk over the provider bridge (their frames cross the
//                 underlay bridge unencapsulated: it learns their MACs).
//   VM containers a "VM" netns plugged as a port; two containers in it with
//                 VLAN sub-interfaces of its NIC (emulated in user space when
//                 the kernel has no 802.1Q) reach each other and a pod of the
//                 other node; their LSPs have parent_name/tag.
// Each test has its own lab dir and uniquely named netns, torn down (ovn-lab
// down, pod netns deleted) even when it fails; OVNK_KEEP_TEST_DIRS keeps the
// dir (logs) for a post-mortem.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <tuple>
#include <vector>

#include "tests/tools/two_node_lab.h"

namespace ovnk::tools {
namespace {

// The lab, its fixture and helpers are this test's support code.
using namespace ovnk::testing;  // NOLINT(google-build-using-namespace)

TEST_F(CtlTwoNodeTest, OverlayPodsAcrossNodesPingAndMoveTenMegabytes) {
  make_cluster();
  Pod a = add_pod("node1", "node1", "pa", "10.244.1.5", 24, "10.244.1.1", "0a:58:0a:f4:01:05");
  Pod b = add_pod("node2", "node2", "pb", "10.244.2.5", 24, "10.244.2.1", "0a:58:0a:f4:02:05");
  expect_ping(a.ns, b.ip);
  expect_ping(b.ns, a.ip);
  Transfer t = tcp_transfer(b.ns, a.ns, b.ip, kTenMegabytes);
  EXPECT_TRUE(t.ok) << t.error << " received " << t.received << " intact " << t.intact;
  EXPECT_EQ(t.peer, a.ip);  // routed, not NATed
  // Through Geneve: the userspace datapath pushed and popped tunnel headers.
  std::string flows = datapath_flows("node1");
  EXPECT_NE(flows.find("tnl_push"), std::string::npos) << flows;
  EXPECT_NE(flows.find("tnl_pop"), std::string::npos) << flows;
  // ovnk-ctl sees both pods up.
  RunResult pods = ctl({"pods"});
  ASSERT_EQ(pods.code, 0) << describe(pods);
  EXPECT_NE(pods.out.find("pa"), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("10.244.2.5"), std::string::npos) << pods.out;
}

TEST_F(CtlTwoNodeTest, DualStackPodsAcrossNodes) {
  ctl_ok({"cluster-init", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48", "--node-prefix", "24,64"});
  ctl_ok({"node-add", "node1", "--subnet", "10.244.1.0/24,fd00:10:244:1::/64"});
  ctl_ok({"node-add", "node2", "--subnet", "10.244.2.0/24,fd00:10:244:2::/64"});
  Pod a = add_pod("node1", "node1", "da", "10.244.1.5", 24, "10.244.1.1", "0a:58:0a:f4:01:05");
  Pod b = add_pod("node2", "node2", "db", "10.244.2.5", 24, "10.244.2.1", "0a:58:0a:f4:02:05");
  for (const auto& [pod, node] : {std::pair{&a, 1}, std::pair{&b, 2}}) {
    const std::string prefix = "fd00:10:244:" + std::to_string(node) + "::";
    run_ok({"ip", "-n", pod->ns, "addr", "add", prefix + "5/64", "dev", "eth0", "nodad"});
    run_ok({"ip", "-n", pod->ns, "-6", "route", "add", "default", "via", prefix + "1"});
    nbctl({"lsp-set-addresses", pod->lsp, pod->mac + " " + pod->ip + " " + prefix + "5"});
  }
  expect_ping(a.ns, "fd00:10:244:2::5");
  expect_ping(b.ns, "fd00:10:244:1::5");
  expect_ping(a.ns, b.ip);
}

TEST_F(CtlTwoNodeTest, ManagementPortReachesPodsOfBothNodes) {
  make_cluster();
  Pod a = add_pod("node1", "node1", "ma", "10.244.1.5", 24, "10.244.1.1", "0a:58:0a:f4:01:05");
  Pod b = add_pod("node2", "node2", "mb", "10.244.2.5", 24, "10.244.2.1", "0a:58:0a:f4:02:05");
  add_management_port("node1", 1);
  expect_ping(node_ns("node1"), b.ip);  // the other node's pod, over the overlay
  expect_ping(node_ns("node1"), a.ip);  // its own pod
  expect_ping(b.ns, "10.244.1.2");      // and back to the node
  RunResult status = ctl({"status", "--json"});
  EXPECT_NE(status.out.find("\"management_up\":true"), std::string::npos) << status.out;
}

TEST_F(CtlTwoNodeTest, OverlayWithRouterPortsPinnedToTheirChassis) {
  make_cluster(/*pin=*/true);
  Pod a = add_pod("node1", "node1", "qa", "10.244.1.5", 24, "10.244.1.1", "0a:58:0a:f4:01:05");
  Pod b = add_pod("node2", "node2", "qb", "10.244.2.5", 24, "10.244.2.1", "0a:58:0a:f4:02:05");
  add_management_port("node1", 1);
  expect_ping(a.ns, b.ip);
  expect_ping(node_ns("node1"), b.ip);
  Transfer t = tcp_transfer(a.ns, b.ns, a.ip, kTenMegabytes);
  EXPECT_TRUE(t.ok) << t.error << " received " << t.received;
}

TEST_F(CtlTwoNodeTest, GatewaySnatsPodTrafficToTheNodesGatewayAddress) {
  make_cluster();
  // The outside: a router on the underlay (192.168.77.254) with a network
  // behind it (198.51.100.1).
  const std::string outside = prefix_ + "-out";
  lab({"attach", "--dir", dir_, "--netns", outside, "--ip", "192.168.77.254/24"});
  run_ok({"ip", "-n", outside, "addr", "add", "198.51.100.1/32", "dev", "lo"});
  ctl_ok({"gateway-add", "node1", "--physnet", "physnet", "--ip", "192.168.77.101/24", "--nexthop", "192.168.77.254"});
  ctl_ok({"gateway-add", "node2", "--physnet", "physnet", "--ip", "192.168.77.102/24", "--nexthop", "192.168.77.254"});
  Pod a = add_pod("node1", "node1", "ga", "10.244.1.5", 24, "10.244.1.1", "0a:58:0a:f4:01:05");
  Pod b = add_pod("node2", "node2", "gb", "10.244.2.5", 24, "10.244.2.1", "0a:58:0a:f4:02:05");
  expect_ping(a.ns, "198.51.100.1");
  Transfer ta = tcp_transfer(outside, a.ns, "198.51.100.1", 1024 * 1024);
  EXPECT_TRUE(ta.ok) << ta.error;
  EXPECT_EQ(ta.peer, "192.168.77.101");  // SNATed to node1's gateway address
  expect_ping(b.ns, "198.51.100.1");
  Transfer tb = tcp_transfer(outside, b.ns, "198.51.100.1", 1024 * 1024);
  EXPECT_TRUE(tb.ok) << tb.error;
  EXPECT_EQ(tb.peer, "192.168.77.102");  // each node leaves through its own gateway
  // Pod to pod stays routed inside the cluster (no SNAT).
  Transfer inside = tcp_transfer(b.ns, a.ns, b.ip, 64 * 1024);
  EXPECT_TRUE(inside.ok) << inside.error;
  EXPECT_EQ(inside.peer, a.ip);
  RunResult status = ctl({"status"});
  EXPECT_NE(status.out.find("GR_node1 192.168.77.101/24 via 192.168.77.254 (physnet)"), std::string::npos)
      << status.out;
}

TEST_F(CtlTwoNodeTest, LocalnetPodsTalkOverTheProviderBridge) {
  // A flat provider network: one switch spanning the nodes, bridged by a
  // localnet port to physnet (ovn-bridge-mappings physnet:br-phy on each node).
  nbctl({"ls-add", "provider", "--", "lsp-add", "provider", "provider-ln", "--", "lsp-set-type", "provider-ln",
         "localnet", "--", "lsp-set-addresses", "provider-ln", "unknown", "--", "lsp-set-options", "provider-ln",
         "network_name=physnet"});
  Pod a = add_pod("node1", "provider", "la", "172.20.0.11", 24, "", "0a:58:ac:14:00:0b");
  Pod b = add_pod("node2", "provider", "lb", "172.20.0.12", 24, "", "0a:58:ac:14:00:0c");
  expect_ping(a.ns, b.ip);
  Transfer t = tcp_transfer(b.ns, a.ns, b.ip, 1024 * 1024);
  EXPECT_TRUE(t.ok) << t.error;
  // The underlay bridge switched the pods' own frames: it learned their MACs
  // (Geneve would have shown it only the nodes' br-phy MACs).
  std::string fdb = run_out({"bridge", "-n", prefix_ + "-ul", "fdb", "show", "br", "br-ul"});
  EXPECT_NE(fdb.find(a.mac), std::string::npos) << fdb;
  EXPECT_NE(fdb.find(b.mac), std::string::npos) << fdb;
  std::string flows = datapath_flows("node1");
  EXPECT_EQ(flows.find("tnl_push"), std::string::npos) << flows;
}

TEST_F(CtlTwoNodeTest, ContainersInVmBindOnTheHypervisor) {
  make_cluster();
  // The VM's NIC is an ordinary port of node2's switch; the containers inside
  // it are ports with parent_name = the VM's port and a VLAN tag each.
  Pod vm = add_pod("node2", "node2", "vm1", "10.244.2.10", 24, "10.244.2.1", "0a:58:0a:f4:02:0a");
  for (const auto& [name, tag, ip] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"c10", "10", "10.244.2.11"}, {"c20", "20", "10.244.2.12"}}) {
    std::string lsp = "default_" + name;
    nbctl({"lsp-add", "node2", lsp, vm.lsp, tag, "--", "lsp-set-addresses", lsp,
           "0a:58:0a:f4:02:" + std::string(tag == "10" ? "0b" : "0c") + " " + ip});
  }
  // ovn-controller on node2 claims the containers' ports through the VM's port.
  for (const char* lsp : {"default_c10", "default_c20"}) {
    RunResult r = run_program({"ovn-nbctl", "--db=unix:" + dir_ + "/nb.sock", "--timeout=30", "wait-until",
                               "Logical_Switch_Port", lsp, "up=true"});
    EXPECT_EQ(r.code, 0) << lsp << " " << describe(r);
    std::string chassis = run_out({"ovn-sbctl", "--db=unix:" + dir_ + "/sb.sock", "--bare", "--columns=chassis",
                                   "find", "Port_Binding", std::string("logical_port=") + lsp});
    std::string node2 = run_out({"ovn-sbctl", "--db=unix:" + dir_ + "/sb.sock", "--bare", "--columns=_uuid", "find",
                                 "Chassis", "name=node2"});
    EXPECT_EQ(chassis, node2) << lsp;
  }
  RunResult pods = ctl({"pods", "--node", "node2"});
  EXPECT_NE(pods.out.find("vm1 tag 10"), std::string::npos) << pods.out;
  EXPECT_NE(pods.out.find("default_vm1 tag 20"), std::string::npos) << pods.out;
}

// Containers inside a VM: each container's interface is a VLAN sub-interface
// of the VM's NIC (moved into the container's netns), its LSP has
// parent_name = the VM's port and tag = the VLAN, so OVN switches the
// container on the hypervisor. Without 802.1Q in the kernel (this machine:
// CONFIG_VLAN_8021Q unset, no module), the sub-interfaces are emulated: the
// container gets a veth into the VM and a user-space forwarder in the VM
// tags/untags exactly as the sub-interface would, so OVN sees the same tagged
// frames on the VM's port.
TEST_F(CtlTwoNodeTest, ContainersInVmReachEachOtherAndAPodOnAnotherNode) {
  make_cluster();
  Pod remote = add_pod("node1", "node1", "wr", "10.244.1.5", 24, "10.244.1.1", "0a:58:0a:f4:01:05");
  Pod vm = add_pod("node2", "node2", "wvm", "10.244.2.10", 24, "10.244.2.1", "0a:58:0a:f4:02:0a");
  const bool kernel_vlan = [&] {
    RunResult r = run_program({"ip", "-n", vm.ns, "link", "add", "link", "eth0", "name", "eth0.4000", "type", "vlan",
                               "id", "4000"});
    if (r.code == 0) run_program({"ip", "-n", vm.ns, "link", "del", "eth0.4000"});
    return r.code == 0;
  }();
  RecordProperty("vlan", kernel_vlan ? "kernel 802.1Q sub-interfaces" : "user-space tagging (no 8021q)");
  struct Container {
    std::string name;
    uint16_t tag;
    std::string ip;
    std::string mac;
    std::string ns;
  };
  std::vector<Container> containers = {{"w10", 10, "10.244.2.11", "0a:58:0a:f4:02:0b", ""},
                                       {"w20", 20, "10.244.2.12", "0a:58:0a:f4:02:0c", ""}};
  std::vector<std::pair<PacketSocket, uint16_t>> access;
  for (Container& c : containers) {
    c.ns = prefix_ + "-" + c.name;
    const std::string tag = std::to_string(c.tag);
    run_ok({"ip", "netns", "add", c.ns});
    extra_netns_.push_back(c.ns);
    if (kernel_vlan) {
      run_ok({"ip", "-n", vm.ns, "link", "add", "link", "eth0", "name", "eth0." + tag, "type", "vlan", "id", tag});
      run_ok({"ip", "-n", vm.ns, "link", "set", "eth0." + tag, "netns", c.ns});
      run_ok({"ip", "-n", c.ns, "link", "set", "eth0." + tag, "name", "eth0"});
    } else {
      run_ok({"ip", "link", "add", "a" + tag, "netns", vm.ns, "type", "veth", "peer", "name", "eth0", "netns", c.ns});
      run_program({"ip", "netns", "exec", vm.ns, "sysctl", "-qw", "net.ipv6.conf.a" + tag + ".disable_ipv6=1"});
      run_ok({"ip", "-n", vm.ns, "link", "set", "a" + tag, "up"});
    }
    run_ok({"ip", "-n", c.ns, "link", "set", "lo", "up"});
    run_ok({"ip", "-n", c.ns, "link", "set", "eth0", "address", c.mac, "mtu", "1400", "up"});
    run_ok({"ip", "-n", c.ns, "addr", "add", c.ip + "/24", "dev", "eth0"});
    run_ok({"ip", "-n", c.ns, "route", "add", "default", "via", "10.244.2.1"});
    run_program({"ip", "netns", "exec", c.ns, "ethtool", "-K", "eth0", "tx", "off", "sg", "off", "tso", "off", "gso", "off"});
    const std::string lsp = "default_" + c.name;
    nbctl({"lsp-add", "node2", lsp, vm.lsp, tag, "--", "lsp-set-addresses", lsp, c.mac + " " + c.ip});
    if (!kernel_vlan) {
      PacketSocket sock = packet_socket_in(vm.ns, "a" + tag);
      ASSERT_GE(sock.fd, 0) << "packet socket on a" << tag;
      access.emplace_back(sock, c.tag);
    }
  }
  if (!kernel_vlan) {
    PacketSocket trunk = packet_socket_in(vm.ns, "eth0");
    ASSERT_GE(trunk.fd, 0);
    const pid_t parent = ::getpid();
    forwarder_ = ::fork();
    ASSERT_GE(forwarder_, 0);
    if (forwarder_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      run_vlan_forwarder(trunk, access);
    }
    ::close(trunk.fd);
    for (auto& [sock, tag] : access) ::close(sock.fd);
  }
  for (const Container& c : containers) {
    RunResult r = run_program({"ovn-nbctl", "--db=unix:" + dir_ + "/nb.sock", "--timeout=30", "wait-until",
                               "Logical_Switch_Port", "default_" + c.name, "up=true"});
    ASSERT_EQ(r.code, 0) << c.name << " " << describe(r);
  }
  expect_ping(containers[0].ns, containers[1].ip);  // container to container, same VM, other VLAN
  expect_ping(containers[1].ns, remote.ip);         // to a pod of the other node (routed, Geneve)
  expect_ping(remote.ns, containers[0].ip);
  expect_ping(vm.ns, remote.ip);                    // the VM itself, untagged
  Transfer t = tcp_transfer(remote.ns, containers[0].ns, remote.ip, 1024 * 1024);
  EXPECT_TRUE(t.ok) << t.error << " received " << t.received;
  EXPECT_EQ(t.peer, containers[0].ip);
  // The VM's port carried tagged frames.
  std::string flows = datapath_flows("node2");
  EXPECT_NE(flows.find("vid=10"), std::string::npos) << flows;
  EXPECT_NE(flows.find("vid=20"), std::string::npos) << flows;
}

}  // namespace
}  // namespace ovnk::tools
