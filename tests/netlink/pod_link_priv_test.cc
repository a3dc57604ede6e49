// PodLinker against the real kernel, on both loop backends: 200 pods plugged
// in one batch into 200 namespaces (veth born in the pod netns, addresses,
// routes with MTU, offloads off, IPv6 DAD off), checked through our dumps and
// through ip -j / ethtool -k, a ping across one pair, deletion of all of them
// in one RTM_DELLINK by group, and errors that stay with their own pod.
#include <linux/if_addr.h>

#include <algorithm>
#include <map>
#include <set>

#include "netlink/pod_link.h"
#include "tests/netlink/ip_json.h"
#include "tests/netlink/priv_fixture.h"

namespace ovnk::netlink::testing {
namespace {

using reactor::testing::AllBackends;
using reactor::testing::BackendNames;

IpAddr ip(std::string_view s) { return IpAddr::parse(s).value(); }
IpPrefix pfx(std::string_view s) { return IpPrefix::parse(s).value(); }

constexpr uint32_t kPodGroup = 4242;

std::string pod_mac(int i) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "0a:58:0a:f5:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
  return buf;
}

PodLinkPlan plan_for(const std::string& netns_path, int i) {
  PodLinkPlan p;
  p.netns_path = netns_path;
  p.host_ifname = "vp" + std::to_string(i);
  p.pod_ifname = "eth0";
  p.mac = MacAddr::parse(pod_mac(i)).value();
  p.mtu = 1400;
  p.addresses = {pfx("10.245.1." + std::to_string(i + 2) + "/16"), pfx("fd00:245::" + std::to_string(i + 2) + "/64")};
  p.gateways = {ip("10.245.0.1"), ip("fd00:245::1")};
  p.routes = {PodRoute{pfx("10.96.0.0/16"), ip("10.245.0.1"), 1300, 10}};
  p.group = kPodGroup;
  p.offloads_off = true;
  p.ipv6_no_dad = true;
  return p;
}

int count_group(const std::string& netns, uint32_t group) {
  auto links = ip_json_links(netns);
  return static_cast<int>(std::count_if(links.begin(), links.end(),
                                        [&](const IpJsonLink& l) { return l.group == std::to_string(group); }));
}

template <class B>
class PodLinkerPriv : public NetlinkPrivTest<B> {
 protected:
  void release_more() override {
    linker_.reset();
    sockets_.clear();
  }

  void make_linker() { linker_ = std::make_unique<PodLinker>(this->loop(), *this->host_); }

  // Adds every plan in one iteration; returns the results in plan order.
  std::vector<Result<PodLinkInfo>> add_all(std::vector<PodLinkPlan> plans) {
    std::vector<std::optional<Result<PodLinkInfo>>> out(plans.size());
    size_t done = 0;
    for (size_t i = 0; i < plans.size(); ++i) {
      linker_->add(std::move(plans[i]), [&out, &done, i](Result<PodLinkInfo> r) {
        EXPECT_FALSE(out[i].has_value()) << "called twice";
        out[i].emplace(std::move(r));
        ++done;
      });
    }
    EXPECT_TRUE(this->loop().run_until([&] { return done == out.size(); }, seconds(120)));
    std::vector<Result<PodLinkInfo>> results;
    for (auto& r : out) results.push_back(r ? std::move(*r) : Result<PodLinkInfo>(make_error("test", ETIMEDOUT, "no result")));
    return results;
  }

  std::vector<Result<void>> remove_all(const std::vector<std::string>& names) {
    std::vector<std::optional<Result<void>>> out(names.size());
    size_t done = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      linker_->remove(names[i], [&out, &done, i](Result<void> r) {
        out[i].emplace(std::move(r));
        ++done;
      });
    }
    EXPECT_TRUE(this->loop().run_until([&] { return done == out.size(); }, seconds(120)));
    std::vector<Result<void>> results;
    for (auto& r : out) results.push_back(r ? std::move(*r) : Result<void>(make_error("test", ETIMEDOUT, "no result")));
    return results;
  }

  std::unique_ptr<PodLinker> linker_;
  std::vector<std::unique_ptr<NetlinkSocket>> sockets_;
};
TYPED_TEST_SUITE(PodLinkerPriv, AllBackends, BackendNames);

TYPED_TEST(PodLinkerPriv, TwoHundredPodsPlugVerifyPingAndDeleteByGroup) {
  constexpr int kPods = 200;
  TestNetnsSet pods("p" + std::to_string(next_netns_tag()), kPods);
  ASSERT_TRUE(pods.ok());
  this->make_linker();
  std::vector<PodLinkPlan> plans;
  for (int i = 0; i < kPods; ++i) plans.push_back(plan_for(pods.path(static_cast<size_t>(i)), i));
  std::vector<Result<PodLinkInfo>> results = this->add_all(plans);
  std::map<int, PodLinkInfo> infos;
  for (int i = 0; i < kPods; ++i) {
    ASSERT_TRUE(results[static_cast<size_t>(i)].ok()) << i << ": " << results[static_cast<size_t>(i)].error().to_string();
    const PodLinkInfo& info = *results[static_cast<size_t>(i)];
    EXPECT_GT(info.host_ifindex, 0);
    EXPECT_GT(info.pod_ifindex, 0);
    EXPECT_EQ(info.pod_mac.to_string(), pod_mac(i));
    infos[i] = info;
  }
  EXPECT_EQ(this->linker_->stats().added, static_cast<uint64_t>(kPods));
  EXPECT_TRUE(this->linker_->ethtool_family().has_value());
  // One veth is read to learn which offloads to switch off; the 199 others wait
  // for it, then take one checked FEATURES_SET each.
  EXPECT_EQ(this->linker_->stats().offloads_read_back, 1u);
  EXPECT_EQ(this->linker_->stats().offloads_by_one_set, static_cast<uint64_t>(kPods - 1));
  // 200 creations + 200 gets left in a handful of sendmsg calls.
  EXPECT_LE(this->host_->stats().datagrams_sent, 4u) << "host-side requests are batched";

  // Host side, through our dump and through ip -j.
  auto host_links = this->template await<std::vector<LinkInfo>>(
      [&](ResultFn<std::vector<LinkInfo>> d) { return dump_links(*this->host_, std::move(d)); });
  ASSERT_TRUE(host_links.ok()) << host_links.error().to_string();
  int in_group = 0;
  for (const LinkInfo& l : *host_links) {
    if (l.group != kPodGroup) continue;
    ++in_group;
    EXPECT_EQ(l.kind, "veth");
    EXPECT_EQ(l.mtu, 1400u);
    EXPECT_TRUE(l.up());
  }
  EXPECT_EQ(in_group, kPods);
  EXPECT_EQ(count_group(this->host_ns_->name(), kPodGroup), kPods);

  // Pod side, through our dumps: one socket per pod netns, all queued at once.
  struct PodView {
    std::optional<Result<std::vector<LinkInfo>>> links;
    std::optional<Result<std::vector<AddressInfo>>> addrs;
    std::optional<Result<std::vector<RouteInfo>>> routes4;
    std::optional<Result<std::vector<RouteInfo>>> routes6;
  };
  std::vector<PodView> views(kPods);
  for (int i = 0; i < kPods; ++i) {
    NetnsHandle ns = NetnsHandle::open_path(pods.path(static_cast<size_t>(i))).value();
    auto s = NetlinkSocket::open_in(this->loop(), NETLINK_ROUTE, ns);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    NetlinkSocket& ps = **s;
    PodView& v = views[static_cast<size_t>(i)];
    ASSERT_TRUE(dump_links(ps, [&v](auto r) { v.links.emplace(std::move(r)); }).ok());
    ASSERT_TRUE(dump_addresses(ps, 0, [&v](auto r) { v.addrs.emplace(std::move(r)); }).ok());
    ASSERT_TRUE(dump_routes(ps, IpAddr::kFamilyV4, [&v](auto r) { v.routes4.emplace(std::move(r)); }).ok());
    ASSERT_TRUE(dump_routes(ps, IpAddr::kFamilyV6, [&v](auto r) { v.routes6.emplace(std::move(r)); }).ok());
    this->sockets_.push_back(std::move(s).value());
  }
  ASSERT_TRUE(this->loop().run_until(
      [&] {
        return std::all_of(views.begin(), views.end(),
                           [](const PodView& v) { return v.links && v.addrs && v.routes4 && v.routes6; });
      },
      seconds(120)));
  for (int i = 0; i < kPods; ++i) {
    const PodView& v = views[static_cast<size_t>(i)];
    ASSERT_TRUE(v.links->ok() && v.addrs->ok() && v.routes4->ok() && v.routes6->ok()) << i;
    const PodLinkInfo& info = infos[i];
    auto eth0 = std::find_if((*v.links)->begin(), (*v.links)->end(), [](const LinkInfo& l) { return l.name == "eth0"; });
    ASSERT_NE(eth0, (*v.links)->end()) << i;
    EXPECT_EQ(eth0->index, info.pod_ifindex);
    EXPECT_EQ(eth0->mtu, 1400u);
    EXPECT_TRUE(eth0->up());
    EXPECT_EQ(eth0->mac->to_string(), pod_mac(i));
    std::set<std::string> addrs;
    for (const AddressInfo& a : **v.addrs) {
      if (a.ifindex == info.pod_ifindex && a.scope == 0) addrs.insert(a.prefix.to_string());
    }
    EXPECT_EQ(addrs, (std::set<std::string>{"10.245.1." + std::to_string(i + 2) + "/16",
                                            "fd00:245::" + std::to_string(i + 2) + "/64"}))
        << i;
    int found = 0;
    for (const RouteInfo& r : **v.routes4) {
      if (r.table != kRouteTableMain || r.oif != info.pod_ifindex) continue;
      if (r.dst.len == 0 && r.gateway && r.gateway->to_string() == "10.245.0.1") ++found;
      if (r.dst.to_string() == "10.96.0.0/16" && r.mtu == 1300 && r.priority == 10) ++found;
    }
    for (const RouteInfo& r : **v.routes6) {
      if (r.table == kRouteTableMain && r.dst.len == 0 && r.gateway && r.gateway->to_string() == "fd00:245::1") ++found;
    }
    EXPECT_EQ(found, 3) << i;
  }
  this->sockets_.clear();

  // The same, through iproute2 and ethtool, on a sample of pods.
  for (int i = 0; i < kPods; i += 25) {
    const std::string& ns = pods.name(static_cast<size_t>(i));
    auto jl = ip_json_links(ns, "dev eth0");
    ASSERT_EQ(jl.size(), 1u) << i;
    EXPECT_EQ(jl[0].mtu, 1400);
    EXPECT_EQ(jl[0].address, pod_mac(i));
    EXPECT_TRUE(jl[0].up);
    auto ja = ip_json_addrs(ns);
    EXPECT_TRUE(std::any_of(ja.begin(), ja.end(), [&](const IpJsonAddr& a) {
      return a.local == "fd00:245::" + std::to_string(i + 2) && a.nodad;
    })) << i;
    auto jr = ip_json_routes(ns, false);
    EXPECT_TRUE(std::any_of(jr.begin(), jr.end(), [](const IpJsonRoute& r) {
      return r.dst == "10.96.0.0/16" && r.gateway == "10.245.0.1" && r.mtu == 1300 && r.metric == 10;
    })) << i;
    EXPECT_EQ(run_command("ip netns exec " + ns + " cat /proc/sys/net/ipv6/conf/eth0/accept_dad").output, "0\n");
    CommandResult k = run_command("ip netns exec " + ns + " ethtool -k eth0");
    EXPECT_NE(k.output.find("tx-checksumming: off"), std::string::npos) << k.output;
    EXPECT_NE(k.output.find("tcp-segmentation-offload: off"), std::string::npos);
    EXPECT_NE(k.output.find("generic-segmentation-offload: off"), std::string::npos);
    EXPECT_NE(k.output.find("scatter-gather: off"), std::string::npos);
  }

  // Ping across pair 0: the gateway address on its host end, in the test host netns.
  AddressSpec gw{infos[0].host_ifindex, pfx("10.245.0.1/16"), 0, 0, true};
  ASSERT_TRUE(this->ack(*this->host_, [gw](Bytes& o, uint32_t s) { return build_address_add(o, s, gw); }).ok());
  CommandResult ping = run_command("ip netns exec " + pods.name(0) + " ping -c 2 -i 0.2 -W 2 10.245.0.1");
  EXPECT_EQ(ping.status, 0) << ping.output;

  // Delete them all: one RTM_DELLINK by group for the whole batch.
  std::vector<std::string> names;
  for (int i = 0; i < kPods; ++i) names.push_back("vp" + std::to_string(i));
  uint64_t batches = this->linker_->stats().delete_batches;
  for (const Result<void>& r : this->remove_all(names)) EXPECT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(this->linker_->stats().delete_batches, batches + 1);
  EXPECT_EQ(count_group(this->host_ns_->name(), kPodGroup), 0);
  auto left = ip_json_links(this->host_ns_->name());
  EXPECT_EQ(left.size(), 1u) << "only lo is left";
  EXPECT_TRUE(ip_json_links(pods.name(0), "dev eth0").empty()) << "the pod end went with its host end";
  // CNI DEL is idempotent: removing again succeeds.
  for (const Result<void>& r : this->remove_all({"vp0", "vp1"})) EXPECT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(this->linker_->pending(), 0u);
}

TYPED_TEST(PodLinkerPriv, LaterPodsSwitchOffloadsWithOneCheckedSet) {
  constexpr int kPods = 6;
  TestNetnsSet pods("p" + std::to_string(next_netns_tag()), kPods);
  ASSERT_TRUE(pods.ok());
  this->make_linker();
  // The first pod reads its veth's features, sets and reads back: that teaches
  // the linker which offloads a pod veth has on.
  for (const auto& r : this->add_all({plan_for(pods.path(0), 0)})) ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(this->linker_->stats().offloads_read_back, 1u);
  EXPECT_EQ(this->linker_->stats().offloads_by_one_set, 0u);
  // The next ones get one FEATURES_SET each, proven applied by the kernel's reply.
  std::vector<PodLinkPlan> plans;
  for (int i = 1; i < kPods; ++i) plans.push_back(plan_for(pods.path(static_cast<size_t>(i)), i));
  for (const auto& r : this->add_all(std::move(plans))) ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(this->linker_->stats().offloads_read_back, 1u);
  EXPECT_EQ(this->linker_->stats().offloads_by_one_set, static_cast<uint64_t>(kPods - 1));
  // What ethtool itself reads on every pod: the offloads are off either way.
  for (int i = 0; i < kPods; ++i) {
    CommandResult k = run_command("ip netns exec " + pods.name(static_cast<size_t>(i)) + " ethtool -k eth0");
    EXPECT_NE(k.output.find("tx-checksumming: off"), std::string::npos) << i << k.output;
    EXPECT_NE(k.output.find("tcp-segmentation-offload: off"), std::string::npos) << i;
    EXPECT_NE(k.output.find("generic-segmentation-offload: off"), std::string::npos) << i;
    EXPECT_NE(k.output.find("scatter-gather: off"), std::string::npos) << i;
  }
  std::vector<std::string> names;
  for (int i = 0; i < kPods; ++i) names.push_back("vp" + std::to_string(i));
  for (const Result<void>& r : this->remove_all(names)) EXPECT_TRUE(r.ok()) << r.error().to_string();
}

TYPED_TEST(PodLinkerPriv, ErrorsStayWithTheirPodAndFailedPodsAreRolledBack) {
  auto a = this->make_netns("ea");
  auto b = this->make_netns("eb");
  auto d = this->make_netns("ed");
  auto e = this->make_netns("ee");
  ASSERT_TRUE(a->ok() && b->ok() && d->ok() && e->ok());
  this->make_linker();
  PodLinkPlan ok = plan_for(a->path(), 1);
  ok.host_ifname = "vok";
  PodLinkPlan dup = plan_for(b->path(), 2);
  dup.host_ifname = "vok";  // processed after `ok` in the same datagram: EEXIST
  PodLinkPlan missing = plan_for("/var/run/netns/" + netns_prefix() + "gone", 3);
  missing.host_ifname = "vmissing";
  PodLinkPlan bad_addr = plan_for(d->path(), 4);
  bad_addr.host_ifname = "vbadaddr";
  bad_addr.addresses.push_back(pfx("ff02::5/64"));
  PodLinkPlan bad_route = plan_for(e->path(), 5);
  bad_route.host_ifname = "vbadroute";
  bad_route.routes.push_back(PodRoute{pfx("10.97.0.0/16"), ip("192.0.2.1"), 0, 0});
  PodLinkPlan bad_name = plan_for(a->path(), 6);
  bad_name.host_ifname = "a-name-longer-than-15";
  auto results = this->add_all({ok, dup, missing, bad_addr, bad_route, bad_name});

  ASSERT_TRUE(results[0].ok()) << results[0].error().to_string();
  auto expect_err = [&](size_t i, int code, std::string_view text) {
    ASSERT_FALSE(results[i].ok()) << i;
    EXPECT_EQ(results[i].error().code, code) << results[i].error().to_string();
    EXPECT_NE(results[i].error().message.find(text), std::string::npos) << results[i].error().message;
  };
  expect_err(1, EEXIST, "create pod veth vok/eth0");
  expect_err(2, ENOENT, "gone");
  ASSERT_FALSE(results[3].ok());
  EXPECT_TRUE(results[3].error().code == EINVAL || results[3].error().code == EADDRNOTAVAIL)
      << results[3].error().to_string();
  EXPECT_NE(results[3].error().message.find("multicast"), std::string::npos);
  expect_err(4, ENETUNREACH, "Nexthop has invalid gateway");
  expect_err(5, EINVAL, "longer than 15");
  EXPECT_EQ(this->linker_->stats().rollbacks, 2u);
  // The failed pods left nothing behind; the good one and the one it shadowed
  // are intact.
  auto host = ip_json_links(this->host_ns_->name());
  std::set<std::string> names;
  for (const auto& l : host) names.insert(l.ifname);
  EXPECT_EQ(names, (std::set<std::string>{"lo", "vok"}));
  EXPECT_TRUE(ip_json_links(d->name(), "dev eth0").empty());
  EXPECT_TRUE(ip_json_links(e->name(), "dev eth0").empty());
  EXPECT_EQ(ip_json_links(a->name(), "dev eth0").size(), 1u);
  EXPECT_EQ(this->linker_->pending(), 0u);
}

TYPED_TEST(PodLinkerPriv, DestroyingTheLinkerMidFlightCallsNothing) {
  auto a = this->make_netns("da");
  ASSERT_TRUE(a->ok());
  this->make_linker();
  bool called = false;
  this->linker_->add(plan_for(a->path(), 1), [&called](Result<PodLinkInfo>) { called = true; });
  this->linker_->remove("vnothing", [&called](Result<void>) { called = true; });
  this->linker_.reset();  // before the loop ran: requests queued, hooks armed
  this->loop().run_until([] { return false; }, milliseconds(200));
  EXPECT_FALSE(called);
  // The veth creation itself went out (it was queued); nothing else did.
  EXPECT_EQ(this->host_->pending(), 0u);
}

}  // namespace
}  // namespace ovnk::netlink::testing
