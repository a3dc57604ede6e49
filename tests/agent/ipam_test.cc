#include "agent/ipam.h"

#include <gtest/gtest.h>

#include <set>

namespace ovnk::agent {
namespace {

using netlink::IpAddr;
using netlink::IpPrefix;

IpAddr ip(const char* text) { return *IpAddr::parse(text); }

SubnetIpam make(const char* cidr) { return *SubnetIpam::create(*IpPrefix::parse(cidr)); }

TEST(Ipam, SkipsNetworkGatewayManagementAndBroadcast) {
  SubnetIpam ipam = make("10.244.1.0/29");  // .0 .. .7
  EXPECT_EQ(ipam.gateway().to_string(), "10.244.1.1");
  EXPECT_EQ(ipam.management().to_string(), "10.244.1.2");
  EXPECT_EQ(ipam.capacity(), 4u);  // .3 .4 .5 .6
  std::set<std::string> got;
  for (int i = 0; i < 4; ++i) {
    auto a = ipam.allocate("c" + std::to_string(i));
    ASSERT_TRUE(a.ok());
    got.insert(a->to_string());
  }
  EXPECT_EQ(got, (std::set<std::string>{"10.244.1.3", "10.244.1.4", "10.244.1.5", "10.244.1.6"}));
  auto full = ipam.allocate("x");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, SubnetIpam::kExhausted);
  for (const char* r : {"10.244.1.0", "10.244.1.1", "10.244.1.2", "10.244.1.7"}) {
    EXPECT_TRUE(ipam.is_reserved(ip(r))) << r;
    EXPECT_FALSE(ipam.reserve(ip(r), "x").ok()) << r;
  }
}

TEST(Ipam, HostBitsOfTheSubnetAreIgnored) {
  SubnetIpam ipam = make("10.244.1.77/24");
  EXPECT_EQ(ipam.subnet().to_string(), "10.244.1.0/24");
  EXPECT_EQ(ipam.allocate("a")->to_string(), "10.244.1.3");
  EXPECT_EQ(ipam.pod_prefix(ip("10.244.1.3")).to_string(), "10.244.1.3/24");
}

TEST(Ipam, NextFitReusesAReleasedAddressLast) {
  SubnetIpam ipam = make("10.0.0.0/28");  // .3 .. .14 usable
  IpAddr first = *ipam.allocate("a");
  IpAddr second = *ipam.allocate("b");
  EXPECT_TRUE(ipam.release(first, "a"));
  // The cursor moved on: the next address is fresh, not the one just freed.
  EXPECT_NE(ipam.allocate("c")->to_string(), first.to_string());
  EXPECT_NE(second.to_string(), first.to_string());
  // Fill up: the released address comes back at the end.
  std::vector<IpAddr> rest;
  while (ipam.available() > 0) rest.push_back(*ipam.allocate("d"));
  EXPECT_EQ(rest.back().to_string(), first.to_string());
}

TEST(Ipam, OwnersAreCheckedOnReserveAndRelease) {
  SubnetIpam ipam = make("10.244.1.0/24");
  ASSERT_TRUE(ipam.reserve(ip("10.244.1.50"), "pod-a").ok());
  EXPECT_TRUE(ipam.reserve(ip("10.244.1.50"), "pod-a").ok());  // idempotent
  auto taken = ipam.reserve(ip("10.244.1.50"), "pod-b");
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message.find("pod-a"), std::string::npos);
  EXPECT_FALSE(ipam.release(ip("10.244.1.50"), "pod-b"));
  EXPECT_EQ(ipam.owner(ip("10.244.1.50")), std::optional<std::string_view>("pod-a"));
  EXPECT_FALSE(ipam.reserve(ip("10.244.2.5"), "pod-a").ok());  // outside
  EXPECT_TRUE(ipam.release(ip("10.244.1.50"), "pod-a"));
  EXPECT_EQ(ipam.in_use(), 0u);
}

TEST(Ipam, ReleaseOwnerAndClear) {
  SubnetIpam ipam = make("10.244.1.0/24");
  ASSERT_TRUE(ipam.reserve(ip("10.244.1.10"), "a").ok());
  ASSERT_TRUE(ipam.reserve(ip("10.244.1.11"), "a").ok());
  ASSERT_TRUE(ipam.reserve(ip("10.244.1.12"), "b").ok());
  EXPECT_EQ(ipam.release_owner("a"), 2u);
  EXPECT_EQ(ipam.in_use(), 1u);
  auto all = ipam.allocations();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first.to_string(), "10.244.1.12");
  EXPECT_EQ(all[0].second, "b");
  ipam.clear();
  EXPECT_EQ(ipam.in_use(), 0u);
  EXPECT_EQ(ipam.available(), ipam.capacity());
}

TEST(Ipam, ExcludedAddressesAreNeverHandedOut) {
  SubnetIpam ipam = make("10.0.0.0/29");
  auto ranges = parse_exclude_ips("10.0.0.2 10.0.0.4..10.0.0.5 192.168.0.1");
  ASSERT_TRUE(ranges.ok());
  ipam.exclude(*ranges);
  EXPECT_EQ(ipam.capacity(), 2u);  // .3 and .6
  EXPECT_EQ(ipam.allocate("a")->to_string(), "10.0.0.3");
  EXPECT_EQ(ipam.allocate("b")->to_string(), "10.0.0.6");
  EXPECT_FALSE(ipam.allocate("c").ok());
  EXPECT_FALSE(parse_exclude_ips("10.0.0.9..10.0.0.3").ok());
  EXPECT_FALSE(parse_exclude_ips("nope").ok());
  EXPECT_TRUE(parse_exclude_ips("")->empty());
}

TEST(Ipam, RefusesUnusableSubnets) {
  EXPECT_FALSE(SubnetIpam::create(*IpPrefix::parse("10.0.0.0/31")).ok());
  EXPECT_FALSE(SubnetIpam::create(*IpPrefix::parse("fd00::/64")).ok());
  EXPECT_TRUE(SubnetIpam::create(*IpPrefix::parse("10.0.0.0/30")).ok());
}

TEST(Ipam, MacFollowsOvnKubernetes) {
  EXPECT_EQ(mac_for_ip(ip("10.244.1.5")).to_string(), "0a:58:0a:f4:01:05");
}

}  // namespace
}  // namespace ovnk::agent
