// The netlink socket against the real kernel, on both loop backends, inside
// namespaces the tests create: veth pairs born in a pod namespace, addresses,
// routes, link changes, VLANs, ethtool features, sysctls, batching, and every
// error path returning the kernel's errno with its message. State is checked
// through our own dumps and through `ip -j` / `ethtool -k`.
#include <fcntl.h>
#include <linux/if_addr.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "netlink/ethtool.h"
#include "tests/netlink/ip_json.h"
#include "tests/netlink/priv_fixture.h"

namespace ovnk::netlink::testing {
namespace {

using reactor::testing::AllBackends;
using reactor::testing::BackendNames;

IpAddr ip(std::string_view s) { return IpAddr::parse(s).value(); }
IpPrefix pfx(std::string_view s) { return IpPrefix::parse(s).value(); }
MacAddr mac(std::string_view s) { return MacAddr::parse(s).value(); }

template <class B>
class NetlinkSocketPriv : public NetlinkPrivTest<B> {
 protected:
  void release_more() override {
    pod_rtnl_.reset();
    pod_genl_.reset();
  }

  // A veth "<host_if>" in the host netns whose peer "eth0" is born in `pod`.
  Result<void> make_veth(const std::string& host_if, const NetnsHandle& pod, std::optional<MacAddr> m = {},
                         uint32_t group = 0) {
    VethSpec spec;
    spec.host.name = host_if;
    spec.host.mtu = 1400;
    if (group != 0) spec.host.group = group;
    spec.host.up = true;
    spec.peer.name = "eth0";
    spec.peer.mac = m;
    spec.peer.mtu = 1400;
    spec.peer.netns_fd = pod.fd();
    return this->ack(*this->host_, [spec](Bytes& o, uint32_t s) { return build_veth_create(o, s, spec); });
  }

  Result<LinkInfo> get(NetlinkSocket& s, const LinkRef& l) {
    return this->template await<LinkInfo>([&](ResultFn<LinkInfo> d) { return get_link(s, l, std::move(d)); });
  }
  Result<std::vector<LinkInfo>> links(NetlinkSocket& s) {
    return this->template await<std::vector<LinkInfo>>(
        [&](ResultFn<std::vector<LinkInfo>> d) { return dump_links(s, std::move(d)); });
  }

  std::unique_ptr<NetlinkSocket> pod_rtnl_;
  std::unique_ptr<NetlinkSocket> pod_genl_;
};
TYPED_TEST_SUITE(NetlinkSocketPriv, AllBackends, BackendNames);

TYPED_TEST(NetlinkSocketPriv, VethBornInPodNetnsWithAddressesAndRoutes) {
  auto pod = this->make_netns("pod");
  ASSERT_TRUE(pod->ok()) << pod->error();
  NetnsHandle pod_ns = NetnsHandle::open_path(pod->path()).value();
  Result<void> made = this->make_veth("vh1", pod_ns, mac("0a:58:0a:f4:01:05"), 77);
  ASSERT_TRUE(made.ok()) << made.error().to_string();

  Result<LinkInfo> host_end = this->get(*this->host_, LinkRef::by_name("vh1"));
  ASSERT_TRUE(host_end.ok()) << host_end.error().to_string();
  EXPECT_EQ(host_end->kind, "veth");
  EXPECT_EQ(host_end->group, 77u);
  EXPECT_EQ(host_end->mtu, 1400u);
  EXPECT_TRUE(host_end->up());
  EXPECT_TRUE(host_end->link_netnsid.has_value()) << "the peer lives in another netns";

  auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, pod_ns);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  this->pod_rtnl_ = std::move(s).value();
  NetlinkSocket& ps = *this->pod_rtnl_;
  Result<std::vector<LinkInfo>> pod_links = this->links(ps);
  ASSERT_TRUE(pod_links.ok()) << pod_links.error().to_string();
  auto eth0 = std::find_if(pod_links->begin(), pod_links->end(), [](const LinkInfo& l) { return l.name == "eth0"; });
  ASSERT_NE(eth0, pod_links->end());
  EXPECT_EQ(eth0->index, host_end->link) << "host end's IFLA_LINK is the pod end's index";
  EXPECT_EQ(eth0->mac->to_string(), "0a:58:0a:f4:01:05");
  EXPECT_EQ(eth0->mtu, 1400u);
  EXPECT_FALSE(eth0->up()) << "a veth peer is born down";
  int idx = eth0->index;
  ASSERT_TRUE(this->ack(ps, [idx](Bytes& o, uint32_t q) { return build_link_set_up(o, q, LinkRef::by_index(idx), true); }).ok());

  // Addresses and routes, all queued in one iteration.
  std::vector<Result<void>> results;
  auto collect = [&results](Result<void> r) { results.push_back(std::move(r)); };
  AddressSpec a4{idx, pfx("10.244.1.5/24"), 0, 0, true};
  AddressSpec a6{idx, pfx("fd00:10::5/64"), IFA_F_NODAD, 0, true};
  RouteSpec def4 = RouteSpec::default_via(ip("10.244.1.1"), idx);
  def4.mtu = 1400;
  RouteSpec def6 = RouteSpec::default_via(ip("fd00:10::1"), idx);
  RouteSpec svc;
  svc.dst = pfx("10.96.0.0/16");
  svc.gateway = ip("10.244.1.1");
  svc.oif = idx;
  svc.protocol = kRouteProtoOvnk;
  svc.priority = 50;
  svc.mtu = 1300;
  ASSERT_TRUE(ack_request(ps, [a4](Bytes& o, uint32_t q) { return build_address_add(o, q, a4); }, "a4", collect).ok());
  ASSERT_TRUE(ack_request(ps, [a6](Bytes& o, uint32_t q) { return build_address_add(o, q, a6); }, "a6", collect).ok());
  for (const RouteSpec& r : {def4, def6, svc}) {
    ASSERT_TRUE(ack_request(ps, [r](Bytes& o, uint32_t q) { return build_route_add(o, q, r); }, "route", collect).ok());
  }
  uint64_t sent_before = ps.stats().datagrams_sent;
  ASSERT_TRUE(this->loop().run_until([&] { return results.size() == 5; }, seconds(20)));
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(ps.stats().datagrams_sent, sent_before + 1) << "five requests, one sendmsg";

  auto addrs = this->template await<std::vector<AddressInfo>>(
      [&](ResultFn<std::vector<AddressInfo>> d) { return dump_addresses(ps, 0, std::move(d)); });
  ASSERT_TRUE(addrs.ok()) << addrs.error().to_string();
  std::vector<std::string> on_eth0;
  for (const auto& a : *addrs) {
    if (a.ifindex == idx && a.scope == 0) on_eth0.push_back(a.prefix.to_string());
  }
  std::sort(on_eth0.begin(), on_eth0.end());
  EXPECT_EQ(on_eth0, (std::vector<std::string>{"10.244.1.5/24", "fd00:10::5/64"}));

  auto routes = this->template await<std::vector<RouteInfo>>(
      [&](ResultFn<std::vector<RouteInfo>> d) { return dump_routes(ps, IpAddr::kFamilyV4, std::move(d)); });
  ASSERT_TRUE(routes.ok()) << routes.error().to_string();
  bool saw_default = false, saw_svc = false;
  for (const auto& r : *routes) {
    if (r.table != kRouteTableMain) continue;
    if (r.dst.len == 0) {
      saw_default = true;
      EXPECT_EQ(r.gateway->to_string(), "10.244.1.1");
      EXPECT_EQ(r.mtu, 1400u);
      EXPECT_EQ(r.protocol, kRouteProtoStatic);
    }
    if (r.dst.to_string() == "10.96.0.0/16") {
      saw_svc = true;
      EXPECT_EQ(r.protocol, kRouteProtoOvnk);
      EXPECT_EQ(r.priority, 50u);
      EXPECT_EQ(r.mtu, 1300u);
    }
  }
  EXPECT_TRUE(saw_default && saw_svc);

  // The same state, as iproute2 reads it.
  auto jl = ip_json_links(pod->name(), "dev eth0");
  ASSERT_EQ(jl.size(), 1u);
  EXPECT_EQ(jl[0].mtu, 1400);
  EXPECT_EQ(jl[0].address, "0a:58:0a:f4:01:05");
  EXPECT_TRUE(jl[0].up);
  auto ja = ip_json_addrs(pod->name());
  bool v4 = false, v6 = false;
  for (const auto& a : ja) {
    if (a.local == "10.244.1.5" && a.prefixlen == 24) v4 = true;
    if (a.local == "fd00:10::5" && a.prefixlen == 64 && a.nodad) v6 = true;
  }
  EXPECT_TRUE(v4 && v6);
  auto jr = ip_json_routes(pod->name(), false);
  bool jdef = false, jsvc = false;
  for (const auto& r : jr) {
    if (r.dst == "default" && r.gateway == "10.244.1.1" && r.dev == "eth0" && r.mtu == 1400) jdef = true;
    if (r.dst == "10.96.0.0/16" && r.metric == 50 && r.mtu == 1300) jsvc = true;
  }
  EXPECT_TRUE(jdef && jsvc);
  auto jr6 = ip_json_routes(pod->name(), true);
  EXPECT_TRUE(std::any_of(jr6.begin(), jr6.end(), [](const IpJsonRoute& r) {
    return r.dst == "default" && r.gateway == "fd00:10::1";
  }));
  auto hl = ip_json_links(this->host_ns_->name(), "dev vh1");
  ASSERT_EQ(hl.size(), 1u);
  EXPECT_EQ(hl[0].group, "77");
}

TYPED_TEST(NetlinkSocketPriv, EveryErrorCarriesTheKernelErrnoAndMessage) {
  auto pod = this->make_netns("pod");
  ASSERT_TRUE(pod->ok());
  NetnsHandle pod_ns = NetnsHandle::open_path(pod->path()).value();
  ASSERT_TRUE(this->make_veth("vh1", pod_ns).ok());
  NetlinkSocket& hs = *this->host_;
  int idx = this->get(hs, LinkRef::by_name("vh1"))->index;

  // Good and bad requests in one batch: each gets its own outcome.
  std::vector<std::pair<std::string, Result<void>>> out;
  auto note = [&out](std::string tag) {
    return [&out, tag](Result<void> r) { out.emplace_back(tag, std::move(r)); };
  };
  VethSpec dup;
  dup.host.name = "vh1";
  dup.peer.name = "eth9";
  ASSERT_TRUE(ack_request(hs, [dup](Bytes& o, uint32_t s) { return build_veth_create(o, s, dup); }, "dup veth",
                          note("eexist"))
                  .ok());
  ASSERT_TRUE(ack_request(hs, [](Bytes& o, uint32_t s) { return build_link_delete(o, s, LinkRef::by_name("nosuch0")); },
                          "delete nosuch0", note("enodev"))
                  .ok());
  AddressSpec mcast{idx, pfx("ff02::5/64"), 0, 0, true};
  ASSERT_TRUE(ack_request(hs, [mcast](Bytes& o, uint32_t s) { return build_address_add(o, s, mcast); },
                          "add ff02::5", note("einval"))
                  .ok());
  // A temporary-address manager on a non-/64 prefix: the kernel's EINVAL.
  AddressSpec mngtmp{idx, pfx("fd00:1::5/80"), IFA_F_MANAGETEMPADDR, 0, true};
  ASSERT_TRUE(ack_request(hs, [mngtmp](Bytes& o, uint32_t s) { return build_address_add(o, s, mngtmp); },
                          "add fd00:1::5/80 mngtmpaddr", note("mngtmp"))
                  .ok());
  AddressSpec good{idx, pfx("10.250.0.1/16"), 0, 0, true};
  ASSERT_TRUE(ack_request(hs, [good](Bytes& o, uint32_t s) { return build_address_add(o, s, good); },
                          "add 10.250.0.1", note("ok"))
                  .ok());
  RouteSpec unreachable;
  unreachable.dst = pfx("10.9.0.0/16");
  unreachable.gateway = ip("192.0.2.1");
  unreachable.oif = idx;
  ASSERT_TRUE(ack_request(hs, [unreachable](Bytes& o, uint32_t s) { return build_route_add(o, s, unreachable); },
                          "add route via 192.0.2.1", note("enetunreach"))
                  .ok());
  ASSERT_TRUE(this->loop().run_until([&] { return out.size() == 6; }, seconds(20)));
  std::map<std::string, Result<void>> by_tag(out.begin(), out.end());
  auto expect_err = [&](const std::string& tag, int code, std::string_view text) {
    const Result<void>& r = by_tag.at(tag);
    ASSERT_FALSE(r.ok()) << tag;
    EXPECT_EQ(r.error().code, code) << tag << ": " << r.error().to_string();
    EXPECT_EQ(r.error().domain, "netlink");
    EXPECT_NE(r.error().message.find(text), std::string::npos) << tag << ": " << r.error().message;
  };
  expect_err("eexist", EEXIST, "dup veth: ");
  expect_err("enodev", ENODEV, "delete nosuch0");
  // The kernel's ext-ack text; the errno changed over versions (EINVAL, then EADDRNOTAVAIL).
  ASSERT_FALSE(by_tag.at("einval").ok());
  EXPECT_TRUE(by_tag.at("einval").error().code == EINVAL || by_tag.at("einval").error().code == EADDRNOTAVAIL);
  EXPECT_NE(by_tag.at("einval").error().message.find("multicast"), std::string::npos);
  expect_err("mngtmp", EINVAL, "prefix length of 64");
  expect_err("enetunreach", ENETUNREACH, "Nexthop has invalid gateway");
  EXPECT_TRUE(by_tag.at("ok").ok()) << "a good request amid bad ones still succeeds";
}

TYPED_TEST(NetlinkSocketPriv, MissingNetnsIsAnErrorNotACrash) {
  NetnsHandle start = NetnsHandle::open_current().value();
  Result<NetnsHandle> missing = NetnsHandle::open_name(netns_prefix() + "does-not-exist");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_NE(missing.error().message.find("does-not-exist"), std::string::npos);
  // A namespace file of another kind: setns refuses it.
  NetnsHandle mnt = NetnsHandle::open_path("/proc/self/ns/mnt").value();
  auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, mnt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, EINVAL);
  // The kernel refuses it as IFLA_NET_NS_FD too.
  Result<void> r = this->make_veth("vh2", mnt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().code, 0);
  // And we are still in the host namespace.
  NetnsHandle now = NetnsHandle::open_current().value();
  EXPECT_EQ(now.identity().value(), start.identity().value());
}

TYPED_TEST(NetlinkSocketPriv, LinkChangesMoveAndDeleteByGroup) {
  auto pod = this->make_netns("pod");
  ASSERT_TRUE(pod->ok());
  NetnsHandle pod_ns = NetnsHandle::open_path(pod->path()).value();
  NetlinkSocket& hs = *this->host_;
  // Both ends in the host netns: a veth with no netns fd on either side.
  VethSpec local;
  local.host.name = "va";
  local.peer.name = "vb";
  ASSERT_TRUE(this->ack(hs, [local](Bytes& o, uint32_t s) { return build_veth_create(o, s, local); }).ok());
  int va = this->get(hs, LinkRef::by_name("va"))->index;
  LinkChange c;
  c.link = LinkRef::by_index(va);
  c.mtu = 1350;
  c.mac = mac("0a:58:00:00:00:01");
  c.new_name = "va2";
  c.up = true;
  c.group = 5;
  ASSERT_TRUE(this->ack(hs, [c](Bytes& o, uint32_t s) { return build_link_change(o, s, c); }).ok());
  Result<LinkInfo> after = this->get(hs, LinkRef::by_index(va));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->name, "va2");
  EXPECT_EQ(after->mtu, 1350u);
  EXPECT_EQ(after->mac->to_string(), "0a:58:00:00:00:01");
  EXPECT_EQ(after->group, 5u);
  EXPECT_TRUE(after->up());
  ASSERT_TRUE(this->ack(hs, [va](Bytes& o, uint32_t s) { return build_link_set_up(o, s, LinkRef::by_index(va), false); }).ok());
  EXPECT_FALSE(this->get(hs, LinkRef::by_index(va))->up());
  // Move vb into the pod netns.
  int fd = pod_ns.fd();
  ASSERT_TRUE(this->ack(hs, [fd](Bytes& o, uint32_t s) { return build_link_set_netns(o, s, LinkRef::by_name("vb"), fd); }).ok());
  EXPECT_EQ(this->get(hs, LinkRef::by_name("vb")).error().code, ENODEV);
  auto jl = ip_json_links(pod->name(), "dev vb");
  EXPECT_EQ(jl.size(), 1u) << "vb now lives in the pod netns";

  // Six veths in group 88, deleted in one RTM_DELLINK.
  int created = 0;
  for (int i = 0; i < 6; ++i) {
    VethSpec g;
    g.host.name = "vg" + std::to_string(i);
    g.host.group = 88;
    g.peer.name = "vp" + std::to_string(i);
    ASSERT_TRUE(ack_request(hs, [g](Bytes& o, uint32_t s) { return build_veth_create(o, s, g); }, "vg",
                            [&created](Result<void> r) {
                              EXPECT_TRUE(r.ok()) << r.error().to_string();
                              ++created;
                            })
                    .ok());
  }
  ASSERT_TRUE(this->loop().run_until([&] { return created == 6; }, seconds(20)));
  auto in_group_88 = [&] {
    auto all = ip_json_links(this->host_ns_->name());
    return std::count_if(all.begin(), all.end(), [](const IpJsonLink& l) { return l.group == "88"; });
  };
  ASSERT_EQ(in_group_88(), 6);
  ASSERT_TRUE(this->ack(hs, [](Bytes& o, uint32_t s) { return build_link_delete_group(o, s, 88); }).ok());
  EXPECT_EQ(in_group_88(), 0);
  EXPECT_TRUE(ip_json_links(this->host_ns_->name(), "dev vp0").empty()) << "peers go with their group";
  auto all = this->links(hs);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(std::none_of(all->begin(), all->end(), [](const LinkInfo& l) { return l.group == 88; }));
  // Deleting a group with nothing in it, and a link that is gone.
  EXPECT_EQ(this->ack(hs, [](Bytes& o, uint32_t s) { return build_link_delete_group(o, s, 88); }).error().code, ENODEV);
  ASSERT_TRUE(this->ack(hs, [va](Bytes& o, uint32_t s) { return build_link_delete(o, s, LinkRef::by_index(va)); }).ok());
  EXPECT_EQ(this->ack(hs, [va](Bytes& o, uint32_t s) { return build_link_delete(o, s, LinkRef::by_index(va)); }).error().code,
            ENODEV);
}

TYPED_TEST(NetlinkSocketPriv, VlanCreatedIntoPodNetns) {
  auto pod = this->make_netns("pod");
  ASSERT_TRUE(pod->ok());
  NetnsHandle pod_ns = NetnsHandle::open_path(pod->path()).value();
  NetlinkSocket& hs = *this->host_;
  VethSpec local;
  local.host.name = "vparent";
  local.host.up = true;
  local.peer.name = "vother";
  ASSERT_TRUE(this->ack(hs, [local](Bytes& o, uint32_t s) { return build_veth_create(o, s, local); }).ok());
  VlanSpec v;
  v.name = "vl100";
  v.parent_index = this->get(hs, LinkRef::by_name("vparent"))->index;
  v.vlan_id = 100;
  v.mtu = 1400;
  v.netns_fd = pod_ns.fd();
  Result<void> r = this->ack(hs, [v](Bytes& o, uint32_t s) { return build_vlan_create(o, s, v); });
  if (!r.ok() && r.error().code == EOPNOTSUPP) GTEST_SKIP() << "no 8021q in this kernel: " << r.error().to_string();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, pod_ns);
  ASSERT_TRUE(s.ok());
  this->pod_rtnl_ = std::move(s).value();
  Result<LinkInfo> l = this->get(*this->pod_rtnl_, LinkRef::by_name("vl100"));
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  EXPECT_EQ(l->kind, "vlan");
  EXPECT_EQ(l->vlan_id, 100);
  EXPECT_EQ(l->mtu, 1400u);
}

TYPED_TEST(NetlinkSocketPriv, EthtoolOffloadsOffAndReadBack) {
  auto pod = this->make_netns("pod");
  ASSERT_TRUE(pod->ok());
  NetnsHandle pod_ns = NetnsHandle::open_path(pod->path()).value();
  ASSERT_TRUE(this->make_veth("vh1", pod_ns).ok());
  auto g = NetlinkSocket::open_in(this->loop(), NETLINK_GENERIC, pod_ns);
  ASSERT_TRUE(g.ok()) << g.error().to_string();
  this->pod_genl_ = std::move(g).value();
  NetlinkSocket& gs = *this->pod_genl_;
  auto fam = this->template await<GenlFamily>(
      [&](ResultFn<GenlFamily> d) { return resolve_genl_family(gs, "ethtool", std::move(d)); });
  ASSERT_TRUE(fam.ok()) << fam.error().to_string();
  uint16_t id = fam->id;
  auto before = this->template await<Features>(
      [&](ResultFn<Features> d) { return ethtool_get_features(gs, id, LinkRef::by_name("eth0"), std::move(d)); });
  ASSERT_TRUE(before.ok()) << before.error().to_string();
  EXPECT_TRUE(before->active.is_on("tx-checksum-ip-generic")) << "a new veth checksums in hardware";

  std::vector<FeatureChange> off = pod_offload_changes(*before);
  ASSERT_FALSE(off.empty());
  auto set = this->template await<void>([&](ResultFn<void> d) {
    return ethtool_set_features(gs, id, LinkRef::by_name("eth0"), off, std::move(d));
  });
  ASSERT_TRUE(set.ok()) << set.error().to_string();
  auto after = this->template await<Features>(
      [&](ResultFn<Features> d) { return ethtool_get_features(gs, id, LinkRef::by_name("eth0"), std::move(d)); });
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(pod_offloads_still_on(*after).empty());
  for (const FeatureChange& c : off) {
    EXPECT_FALSE(after->active.is_on(c.name)) << c.name;
    EXPECT_FALSE(after->wanted.is_on(c.name)) << c.name;
  }
  CommandResult k = pod->exec("ethtool -k eth0");
  ASSERT_EQ(k.status, 0) << k.output;
  for (const char* line : {"tx-checksumming: off", "scatter-gather: off", "tcp-segmentation-offload: off",
                           "generic-segmentation-offload: off"}) {
    EXPECT_NE(k.output.find(line), std::string::npos) << line << "\n" << k.output;
  }
  // An unknown feature name fails the request with the kernel's words.
  auto bad = this->template await<void>([&](ResultFn<void> d) {
    return ethtool_set_features(gs, id, LinkRef::by_name("eth0"), {{"tso", false}}, std::move(d));
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().code, 0);
}

TYPED_TEST(NetlinkSocketPriv, Ipv6SysctlsWrittenInsideThePodNetns) {
  auto pod = this->make_netns("pod");
  ASSERT_TRUE(pod->ok());
  NetnsHandle pod_ns = NetnsHandle::open_path(pod->path()).value();
  ASSERT_TRUE(this->make_veth("vh1", pod_ns).ok());
  std::string key = ipv6_conf_key("eth0", "accept_dad").value();
  ASSERT_TRUE(write_sysctl_in_netns(pod_ns, key, "0").ok());
  ASSERT_TRUE(write_sysctl_in_netns(pod_ns, ipv6_conf_key("eth0", "dad_transmits").value(), "0").ok());
  EXPECT_EQ(pod->exec("cat /proc/sys/net/ipv6/conf/eth0/accept_dad").output, "0\n");
  EXPECT_EQ(pod->exec("cat /proc/sys/net/ipv6/conf/eth0/dad_transmits").output, "0\n");
  // The host-side name does not exist in the pod netns.
  Result<void> r = write_sysctl_in_netns(pod_ns, ipv6_conf_key("vh1", "accept_dad").value(), "0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_FALSE(ipv6_conf_key("../all", "accept_dad").ok());
}

TYPED_TEST(NetlinkSocketPriv, AckOverrunFailsLostRequestsWithEnobufsInsteadOfHanging) {
  NetlinkSocket& hs = *this->host_;
  VethSpec local;
  local.host.name = "vo";
  local.peer.name = "vo-peer";
  ASSERT_TRUE(this->ack(hs, [local](Bytes& o, uint32_t s) { return build_veth_create(o, s, local); }).ok());
  int idx = this->get(hs, LinkRef::by_name("vo"))->index;
  // The smallest receive buffer the kernel allows: a few ACKs fill it.
  SocketOptions tiny;
  tiny.rcvbuf = 1;
  auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, this->host_handle_, tiny);
  ASSERT_TRUE(s.ok());
  this->pod_rtnl_ = std::move(s).value();
  constexpr int kRequests = 300;
  int ok = 0, lost = 0, other = 0;
  for (int i = 0; i < kRequests; ++i) {
    uint32_t mtu = 1300 + static_cast<uint32_t>(i % 100);
    ASSERT_TRUE(ack_request(*this->pod_rtnl_,
                            [idx, mtu](Bytes& o, uint32_t q) { return build_link_set_mtu(o, q, LinkRef::by_index(idx), mtu); },
                            "mtu", [&](Result<void> r) {
                              if (r.ok()) {
                                ++ok;
                              } else if (r.error().code == ENOBUFS) {
                                ++lost;
                                EXPECT_NE(r.error().message.find("outcome unknown"), std::string::npos);
                              } else {
                                ++other;
                              }
                            })
                    .ok());
  }
  ASSERT_TRUE(this->loop().run_until([&] { return ok + lost + other == kRequests; }, seconds(30)))
      << "every request completes, overrun or not";
  EXPECT_EQ(other, 0);
  EXPECT_GT(lost, 0) << "the tiny buffer must have overflowed";
  EXPECT_GT(ok, 0);
  EXPECT_GE(this->pod_rtnl_->stats().overruns, 1u);
  EXPECT_EQ(this->pod_rtnl_->pending(), 0u);
  // The socket keeps working: a plain request, and a dump (dump parts are only
  // produced when there is room, so a dump survives any buffer size).
  EXPECT_TRUE(this->ack(*this->pod_rtnl_, [idx](Bytes& o, uint32_t q) {
    return build_link_set_mtu(o, q, LinkRef::by_index(idx), 1500);
  }).ok());
  // A GET's reply alone fills the minimum buffer: its ACK is lost, reported as such.
  Result<LinkInfo> g = this->get(*this->pod_rtnl_, LinkRef::by_index(idx));
  if (!g.ok()) {
    EXPECT_EQ(g.error().code, ENOBUFS) << g.error().to_string();
  }
  auto all = this->links(*this->pod_rtnl_);
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  EXPECT_GE(all->size(), 3u);
}

TYPED_TEST(NetlinkSocketPriv, TruncatedDatagramsGrowTheBufferAndRestartTheDump) {
  NetlinkSocket& hs = *this->host_;
  int created = 0;
  for (int i = 0; i < 20; ++i) {
    VethSpec v;
    v.host.name = "vt" + std::to_string(i);
    v.peer.name = "vu" + std::to_string(i);
    ASSERT_TRUE(ack_request(hs, [v](Bytes& o, uint32_t s) { return build_veth_create(o, s, v); }, "veth",
                            [&created](Result<void> r) {
                              EXPECT_TRUE(r.ok());
                              ++created;
                            })
                    .ok());
  }
  ASSERT_TRUE(this->loop().run_until([&] { return created == 20; }, seconds(20)));
  // A link message is about a kilobyte: every datagram of the first attempt is cut.
  SocketOptions small;
  small.recv_buffer = 512;
  auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, this->host_handle_, small);
  ASSERT_TRUE(s.ok());
  this->pod_rtnl_ = std::move(s).value();
  int restarts = 0;
  std::vector<LinkInfo> rows;
  std::optional<Result<void>> done;
  Session::Handler h;
  h.on_row = [&rows](const Message& m) { rows.push_back(parse_link(m).value()); };
  h.on_restart = [&] {
    ++restarts;
    rows.clear();
  };
  h.on_done = [&done](Result<void> r) { done.emplace(std::move(r)); };
  ASSERT_TRUE(this->pod_rtnl_->dump(build_link_dump, std::move(h)).ok());
  ASSERT_TRUE(this->loop().run_until([&] { return done.has_value(); }, seconds(20)));
  ASSERT_TRUE(done->ok()) << done->error().to_string();
  EXPECT_GE(restarts, 1);
  EXPECT_EQ(rows.size(), 41u) << "lo + 20 veth pairs, each once";
  EXPECT_GE(this->pod_rtnl_->stats().overruns, 1u);
}

}  // namespace
}  // namespace ovnk::netlink::testing
