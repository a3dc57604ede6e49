// Test support for ovnk-ctl's end-to-end tests (root): a two-node OVN lab
// from tools/ovn-lab (up-central, up-node x2: each node a netns with its own
// ovsdb-server, ovs-vswitchd on the userspace datapath and ovn-controller,
// joined by an underlay Linux bridge), pods plugged by hand the way the daemon
// plugs them, TCP transfers between network namespaces from the test process
// itself (sockets made inside the netns, no helper program), and a user-space
// stand-in for VLAN sub-interfaces on kernels without 802.1Q.
//
// Every fixture has its own lab dir and uniquely named netns; TearDown stops
// the lab by its pidfiles (ovn-lab down) and deletes the netns it made, even
// when the test failed. OVNK_KEEP_TEST_DIRS keeps the dir (logs).
// Header-only; the including test defines OVNK_CTL_BINARY and OVNK_LAB_SCRIPT.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/support/program.h"

namespace ovnk::testing {

#if !defined(OVNK_CTL_BINARY) || !defined(OVNK_LAB_SCRIPT)
#error "the including test defines OVNK_CTL_BINARY and OVNK_LAB_SCRIPT"
#endif
inline const char* const kCtl = OVNK_CTL_BINARY;
inline const char* const kLab = OVNK_LAB_SCRIPT;
inline constexpr size_t kTenMegabytes = 10 * 1024 * 1024;

inline bool have(const char* program) {
  return run_program({"sh", "-c", std::string("command -v ") + program}).code == 0;
}

// Runs `fn` with the test process inside network namespace `ns`, then comes
// back (sockets keep the netns they were made in). False if either switch failed.
template <class F>
inline bool in_netns(const std::string& ns, F fn) {
  int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  bool ok = self >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
  if (ok) {
    fn();
    if (::setns(self, CLONE_NEWNET) != 0) std::abort();  // the test process must not stay elsewhere
  }
  if (self >= 0) ::close(self);
  if (target >= 0) ::close(target);
  return ok;
}

inline int socket_in(const std::string& ns, int type) {
  int fd = -1;
  in_netns(ns, [&] { fd = ::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); });
  return fd;
}

// A packet socket bound to interface `ifname` of `ns`, with VLAN auxdata.
struct PacketSocket {
  int fd = -1;
  int ifindex = 0;
};
inline PacketSocket packet_socket_in(const std::string& ns, const std::string& ifname) {
  PacketSocket p;
  in_netns(ns, [&] {
    p.ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    if (p.ifindex == 0) return;
    p.fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (p.fd < 0) return;
    sockaddr_ll ll{};
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(ETH_P_ALL);
    ll.sll_ifindex = p.ifindex;
    int one = 1;
    if (::bind(p.fd, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0 ||
        ::setsockopt(p.fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) != 0) {
      ::close(p.fd);
      p.fd = -1;
    }
  });
  return p;
}

// What a VLAN sub-interface does, in user space, for kernels without 802.1Q
// (CONFIG_VLAN_8021Q unset, no act_vlan, no bridge VLAN filtering, as here):
// frames a container sends on its access port leave the VM's NIC (the trunk)
// with the container's tag; tagged frames arriving on the trunk go, untagged,
// to the container with that tag. Runs in a child until killed.
[[noreturn]] inline void run_vlan_forwarder(PacketSocket trunk, std::vector<std::pair<PacketSocket, uint16_t>> access) {
  std::vector<pollfd> fds;
  fds.push_back({trunk.fd, POLLIN, 0});
  for (const auto& [sock, vid] : access) fds.push_back({sock.fd, POLLIN, 0});
  std::vector<uint8_t> frame(65536 + 4);
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) ::_exit(1);
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      sockaddr_ll from{};
      iovec iov{frame.data() + 4, frame.size() - 4};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(fds[i].fd, &msg, MSG_DONTWAIT);
      if (n < 14 || from.sll_pkttype == PACKET_OUTGOING) continue;
      uint8_t* eth = frame.data() + 4;
      size_t len = static_cast<size_t>(n);
      if (i == 0) {
        // From the trunk: the tag is in auxdata (the kernel strips it on
        // receive) or, if not, still in the frame.
        std::optional<uint16_t> vid;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
          if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
          tpacket_auxdata aux;
          std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
          if (aux.tp_status & TP_STATUS_VLAN_VALID) vid = static_cast<uint16_t>(aux.tp_vlan_tci & 0x0fff);
        }
        if (!vid && len >= 18 && eth[12] == 0x81 && eth[13] == 0x00) {
          vid = static_cast<uint16_t>(((eth[14] << 8) | eth[15]) & 0x0fff);
          std::memmove(eth + 12, eth + 16, len - 16);
          len -= 4;
        }
        if (!vid) continue;  // untagged: the VM's own traffic
        for (const auto& [sock, tag] : access) {
          if (tag != *vid) continue;
          sockaddr_ll to{};
          to.sll_family = AF_PACKET;
          to.sll_ifindex = sock.ifindex;
          to.sll_halen = 6;
          std::memcpy(to.sll_addr, eth, 6);
          ::sendto(sock.fd, eth, len, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        }
      } else {
        // From a container: insert its 802.1Q tag after the MAC addresses.
        const uint16_t vid = access[i - 1].second;
        uint8_t* out = frame.data();
        std::memmove(out, eth, 12);
        out[12] = 0x81;
        out[13] = 0x00;
        out[14] = static_cast<uint8_t>(vid >> 8);
        out[15] = static_cast<uint8_t>(vid & 0xff);
        sockaddr_ll to{};
        to.sll_family = AF_PACKET;
        to.sll_ifindex = trunk.ifindex;
        to.sll_halen = 6;
        std::memcpy(to.sll_addr, out, 6);
        ::sendto(trunk.fd, out, len + 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      }
    }
  }
}

struct Transfer {
  bool ok = false;
  std::string error;
  std::string peer;     // the source address the server saw
  size_t received = 0;
  bool intact = true;   // every byte was the pattern's
};

// One TCP connection from `client_ns` to `address` (a listener on any address
// in `server_ns`), `bytes` of a pattern written and checked on arrival.
inline Transfer tcp_transfer(const std::string& server_ns, const std::string& client_ns, const std::string& address,
                      size_t bytes, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  Transfer t;
  int listener = socket_in(server_ns, SOCK_STREAM);
  int client = socket_in(client_ns, SOCK_STREAM);
  int server = -1;
  auto cleanup = [&] {
    for (int fd : {listener, client, server}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (listener < 0 || client < 0) {
    t.error = "socket in netns failed";
    cleanup();
    return t;
  }
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  socklen_t len = sizeof any;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&any), &len) != 0) {
    t.error = "listen failed";
    cleanup();
    return t;
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = any.sin_port;
  ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
  if (::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
    t.error = std::string("connect: ") + std::strerror(errno);
    cleanup();
    return t;
  }
  std::vector<uint8_t> chunk(65536);
  size_t sent = 0;
  bool shut = false;
  bool eof = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof) {
    if (std::chrono::steady_clock::now() > deadline) {
      t.error = "timed out after " + std::to_string(sent) + " bytes sent, " + std::to_string(t.received) + " received";
      cleanup();
      return t;
    }
    pollfd fds[3] = {{listener, POLLIN, 0}, {client, static_cast<short>(shut ? 0 : POLLOUT), 0}, {server, POLLIN, 0}};
    ::poll(fds, 3, 100);
    if (server < 0 && (fds[0].revents & POLLIN)) {
      sockaddr_in peer{};
      socklen_t plen = sizeof peer;
      server = ::accept4(listener, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
      char text[INET_ADDRSTRLEN] = {};
      if (server >= 0) t.peer = ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    }
    if (!shut && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      size_t n = std::min(chunk.size(), bytes - sent);
      for (size_t i = 0; i < n; ++i) chunk[i] = static_cast<uint8_t>((sent + i) % 251);
      ssize_t w = n == 0 ? 0 : ::send(client, chunk.data(), n, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN && errno != EINPROGRESS) {
        t.error = std::string("send: ") + std::strerror(errno);
        cleanup();
        return t;
      }
      if (w > 0) sent += static_cast<size_t>(w);
      if (sent == bytes) {
        ::shutdown(client, SHUT_WR);
        shut = true;
      }
    }
    if (server >= 0 && (fds[2].revents & (POLLIN | POLLHUP))) {
      uint8_t buf[65536];
      for (;;) {
        ssize_t r = ::recv(server, buf, sizeof buf, 0);
        if (r == 0) {
          eof = true;
          break;
        }
        if (r < 0) break;
        for (ssize_t i = 0; i < r; ++i) {
          if (buf[i] != static_cast<uint8_t>((t.received + static_cast<size_t>(i)) % 251)) t.intact = false;
        }
        t.received += static_cast<size_t>(r);
      }
    }
  }
  t.ok = t.received == bytes && t.intact;
  cleanup();
  return t;
}

inline std::string unique_prefix() {
  static int counter = 0;
  return "oc" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
}

struct Pod {
  std::string node;
  std::string ns;
  std::string lsp;
  std::string host_if;
  std::string ip;  // without length
  std::string mac;
};

// Two ovn-lab nodes (node1, node2: 192.168.77.1/.2 on the underlay, bridge
// mappings physnet:br-phy) and the helpers the tests share. ctl_binary() and
// lab_script() come from the including test (compile definitions).
class CtlTwoNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (!have("ovn-northd") || !have("ovs-vswitchd")) GTEST_SKIP() << "OVS/OVN not installed (tools/install-deps)";
    prefix_ = unique_prefix();
    char templ[] = "/tmp/ovnk-ctl-e2e-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    lab_up_ = true;
    lab({"up-central", "--dir", dir_, "--underlay-netns", prefix_ + "-ul"});
    for (int i = 1; i <= 2; ++i) {
      std::string node = "node" + std::to_string(i);
      lab({"up-node", "--dir", dir_, "--node", node, "--netns", node_ns(node), "--underlay-ip",
           "192.168.77." + std::to_string(i) + "/24", "--bridge-mappings", "physnet:br-phy"});
    }
  }

  void TearDown() override {
    if (forwarder_ > 0) {
      ::kill(forwarder_, SIGKILL);
      ::waitpid(forwarder_, nullptr, 0);
    }
    for (const std::string& ns : extra_netns_) run_program({"ip", "netns", "del", ns});
    if (lab_up_) {
      RunResult down = run_program({kLab, "down", "--dir", dir_});
      EXPECT_EQ(down.code, 0) << describe(down);
    }
    if (!dir_.empty() && std::getenv("OVNK_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else if (!dir_.empty()) {
      std::fprintf(stderr, "kept %s\n", dir_.c_str());
    }
  }

  std::string node_ns(const std::string& node) const { return prefix_ + "-" + node; }

  void lab(std::vector<std::string> args) {
    args.insert(args.begin(), kLab);
    RunResult r = run_program(args);
    ASSERT_EQ(r.code, 0) << describe(r);
  }
  RunResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv{kCtl, "--nb", "unix:" + dir_ + "/nb.sock"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
  }
  void ctl_ok(std::vector<std::string> args) {
    RunResult r = ctl(args);
    ASSERT_EQ(r.code, 0) << describe(r);
  }
  void run_ok(std::vector<std::string> argv) {
    RunResult r = run_program(argv);
    ASSERT_EQ(r.code, 0) << describe(r);
  }
  std::string run_out(std::vector<std::string> argv) {
    RunResult r = run_program(argv);
    EXPECT_EQ(r.code, 0) << describe(r);
    return r.out;
  }
  void nbctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"ovn-nbctl", "--db=unix:" + dir_ + "/nb.sock"});
    run_ok(args);
  }
  void vsctl(const std::string& node, std::vector<std::string> args) {
    args.insert(args.begin(), {"ovs-vsctl", "--timeout=30", "--db=unix:" + dir_ + "/node-" + node + "/db.sock"});
    run_ok(args);
  }

  // The cluster: 10.244.0.0/16, node1 = 10.244.1.0/24, node2 = 10.244.2.0/24.
  void make_cluster(bool pin = false) {
    ctl_ok({"cluster-init", "--cluster-cidr", "10.244.0.0/16", "--node-prefix", "24"});
    for (int i = 1; i <= 2; ++i) {
      std::vector<std::string> args{"node-add", "node" + std::to_string(i), "--subnet",
                                    "10.244." + std::to_string(i) + ".0/24"};
      if (pin) args.push_back("--pin-chassis");
      ctl_ok(args);
    }
  }

  // What the daemon does for a pod, by hand: netns, veth (host end in the
  // node's netns, where its vswitchd runs), MTU 1400 and no TX offloads
  // (lab.md), the LSP on `sw`, the OVS port with iface-id; waits for
  // ovn-installed.
  Pod add_pod(const std::string& node, const std::string& sw, const std::string& name, const std::string& ip,
              int len, const std::string& gateway, const std::string& mac) {
    Pod p;
    p.node = node;
    p.ns = prefix_ + "-" + name;
    p.lsp = "default_" + name;
    p.host_if = "vp" + std::to_string(++pod_counter_);
    p.ip = ip;
    p.mac = mac;
    run_ok({"ip", "netns", "add", p.ns});
    extra_netns_.push_back(p.ns);
    run_ok({"ip", "link", "add", p.host_if, "netns", node_ns(node), "type", "veth", "peer", "name", "eth0", "netns", p.ns});
    run_ok({"ip", "-n", p.ns, "link", "set", "lo", "up"});
    run_ok({"ip", "-n", p.ns, "link", "set", "eth0", "address", mac, "mtu", "1400", "up"});
    run_ok({"ip", "-n", p.ns, "addr", "add", ip + "/" + std::to_string(len), "dev", "eth0"});
    if (!gateway.empty()) run_ok({"ip", "-n", p.ns, "route", "add", "default", "via", gateway});
    run_ok({"ip", "netns", "exec", p.ns, "ethtool", "-K", "eth0", "tx", "off", "sg", "off", "tso", "off", "gso", "off"});
    run_ok({"ip", "-n", node_ns(node), "link", "set", p.host_if, "up"});
    nbctl({"lsp-add", sw, p.lsp, "--", "lsp-set-addresses", p.lsp, mac + " " + ip, "--", "lsp-set-options", p.lsp,
           "requested-chassis=" + node});
    vsctl(node, {"add-port", "br-int", p.host_if, "--", "set", "interface", p.host_if,
                 "external_ids:iface-id=" + p.lsp});
    vsctl(node, {"wait-until", "interface", p.host_if, "external_ids:ovn-installed=true"});
    return p;
  }

  // The management port of `node` (subnet 10.244.<n>.0/24): OVS internal
  // port ovn-k8s-mp0 bound to k8s-<node>, the .2 address and its MAC (as
  // ovnk-ctl wrote them in the LSP), a route to the cluster CIDR via .1.
  void add_management_port(const std::string& node, int n) {
    const std::string subnet_prefix = "10.244." + std::to_string(n);
    vsctl(node, {"add-port", "br-int", "ovn-k8s-mp0", "--", "set", "interface", "ovn-k8s-mp0", "type=internal",
                 "external_ids:iface-id=k8s-" + node});
    vsctl(node, {"wait-until", "interface", "ovn-k8s-mp0", "external_ids:ovn-installed=true"});
    const std::string ns = node_ns(node);
    char mac[18];
    std::snprintf(mac, sizeof mac, "0a:58:0a:f4:%02x:02", static_cast<unsigned>(n));
    run_ok({"ip", "-n", ns, "link", "set", "ovn-k8s-mp0", "address", mac, "mtu", "1400", "up"});
    run_ok({"ip", "-n", ns, "addr", "add", subnet_prefix + ".2/24", "dev", "ovn-k8s-mp0"});
    run_ok({"ip", "-n", ns, "route", "add", "10.244.0.0/16", "via", subnet_prefix + ".1", "dev", "ovn-k8s-mp0"});
  }

  // Pings until one answer (flows and ARP settle), waits until every
  // ovn-controller has caught up with NB (a chassis still recomputing flows
  // for a change made just before drops packets meanwhile), then 3 in a row
  // must answer.
  void expect_ping(const std::string& ns, const std::string& ip) {
    bool up = false;
    for (int i = 0; i < 40 && !up; ++i) {
      up = run_program({"ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", ip}).code == 0;
    }
    ASSERT_TRUE(up) << ns << " cannot reach " << ip;
    nbctl({"--timeout=30", "--wait=hv", "sync"});
    RunResult r = run_program({"ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip});
    EXPECT_EQ(r.code, 0) << describe(r);
    EXPECT_NE(r.out.find("3 received"), std::string::npos) << r.out;
  }

  std::string datapath_flows(const std::string& node) {
    return run_out({"ovs-appctl", "-t", dir_ + "/node-" + node + "/ovs-vswitchd.ctl", "dpctl/dump-flows"});
  }

  std::string prefix_;
  std::string dir_;
  bool lab_up_ = false;
  int pod_counter_ = 0;
  std::vector<std::string> extra_netns_;
  pid_t forwarder_ = -1;  // the user-space VLAN forwarder, when one runs
};

}  // namespace ovnk::testing
