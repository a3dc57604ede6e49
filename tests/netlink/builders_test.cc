// Golden bytes for every builder. Each expected message is written field by
// field from the kernel ABI (uapi linux/netlink.h, rtnetlink.h, if_link.h,
// veth.h, if_addr.h, genetlink.h, ethtool_netlink.h); where iproute2 or
// ethtool send the same request, the bytes were checked against a strace
// capture of them (noted "= ip ..."), sequence number aside, and one more
// difference: libmnl marks nests with NLA_F_NESTED (0x8000 in the type, the
// "80" bytes below) where iproute2 does not; rtnetlink ignores the flag and
// strictly validated generic netlink families (ethtool) require it.
#include <linux/if_addr.h>

#include <linux/ethtool_netlink.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "netlink/address.h"
#include "netlink/ethtool.h"
#include "netlink/genl.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "tests/netlink/hex.h"

namespace ovnk::netlink {
namespace {

using testing::normalize_hex;
using testing::to_hex;

IpAddr ip(std::string_view s) { return IpAddr::parse(s).value(); }
IpPrefix pfx(std::string_view s) { return IpPrefix::parse(s).value(); }
MacAddr mac(std::string_view s) { return MacAddr::parse(s).value(); }

// Builds one message with seq 1 and compares it with the golden hex.
template <class Build>
void expect_bytes(Build build, std::string_view golden) {
  Bytes out;
  Result<void> r = build(out, 1u);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(to_hex(out), normalize_hex(golden));
}

// = ip link add h1 mtu 1400 group 7 type veth peer name eth0
//     address 0a:58:0a:f4:01:05 mtu 1400 netns <fd 4>
TEST(LinkBuilders, VethPodEndInNetnsMatchesIproute2) {
  VethSpec spec;
  spec.host.name = "h1";
  spec.host.mtu = 1400;
  spec.host.group = 7;
  spec.peer.name = "eth0";
  spec.peer.mac = mac("0a:58:0a:f4:01:05");
  spec.peer.mtu = 1400;
  spec.peer.netns_fd = 4;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_veth_create(o, s, spec); },
               "84000000 1000 0506 01000000 00000000"  // len 132, RTM_NEWLINK, REQ|ACK|EXCL|CREATE
               "00 00 0000 00000000 00000000 00000000"  // ifinfomsg
               "0800 0400 78050000"                     // IFLA_MTU 1400
               "0800 1b00 07000000"                     // IFLA_GROUP 7
               "0700 0300 68310000"                     // IFLA_IFNAME "h1"
               "4c00 1280"                              // IFLA_LINKINFO
               "  0800 0100 76657468"                   //   IFLA_INFO_KIND "veth"
               "  4000 0280"                            //   IFLA_INFO_DATA
               "    3c00 0180"                          //     VETH_INFO_PEER
               "      00 00 0000 00000000 00000000 00000000"  // peer ifinfomsg
               "      0a00 0100 0a580af40105 0000"      //       IFLA_ADDRESS
               "      0800 0400 78050000"               //       IFLA_MTU 1400
               "      0800 1c00 04000000"               //       IFLA_NET_NS_FD 4
               "      0900 0300 6574683000 000000");    //       IFLA_IFNAME "eth0"
}

TEST(LinkBuilders, VethHostEndUpAtCreation) {
  VethSpec spec;
  spec.host.name = "h1";
  spec.host.up = true;
  spec.peer.name = "eth0";
  spec.peer.netns_fd = 9;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_veth_create(o, s, spec); },
               "60000000 1000 0506 01000000 00000000"
               "00 00 0000 00000000 01000000 01000000"  // flags IFF_UP, change IFF_UP
               "0700 0300 68310000"
               "3800 1280"
               "  0800 0100 76657468"
               "  2c00 0280"
               "    2800 0180"
               "      00 00 0000 00000000 00000000 00000000"  // the peer stays down
               "      0800 1c00 09000000"
               "      0900 0300 6574683000 000000");
  // The kernel would open the peer before pairing it and answer ENOTCONN.
  spec.peer.up = true;
  Bytes out;
  Result<void> r = build_veth_create(out, 1, spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("ENOTCONN"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

// = ip link add link eth1 name eth1.100 type vlan id 100 (parent ifindex 3)
TEST(LinkBuilders, VlanMatchesIproute2) {
  VlanSpec spec;
  spec.name = "eth1.100";
  spec.parent_index = 3;
  spec.vlan_id = 100;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_vlan_create(o, s, spec); },
               "50000000 1000 0506 01000000 00000000"
               "00 00 0000 00000000 00000000 00000000"
               "0800 0500 03000000"                      // IFLA_LINK 3
               "0d00 0300 657468312e31303000 000000"     // IFLA_IFNAME "eth1.100"
               "1800 1280"
               "  0800 0100 766c616e"                    // "vlan"
               "  0c00 0280"
               "    0600 0100 6400 0000");               // IFLA_VLAN_ID 100
}

TEST(LinkBuilders, VlanIntoNetnsWithMtuAndUp) {
  VlanSpec spec;
  spec.name = "v7";
  spec.parent_index = 3;
  spec.vlan_id = 7;
  spec.mtu = 1400;
  spec.netns_fd = 5;
  spec.up = true;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_vlan_create(o, s, spec); },
               "58000000 1000 0506 01000000 00000000"
               "00 00 0000 00000000 01000000 01000000"
               "0800 0500 03000000"        // IFLA_LINK
               "0800 0400 78050000"        // IFLA_MTU
               "0800 1c00 05000000"        // IFLA_NET_NS_FD
               "0700 0300 76370000"        // IFLA_IFNAME "v7"
               "1800 1280 0800 0100 766c616e 0c00 0280 0600 0100 0700 0000");
}

// = ip link set eth0 up (ifindex 3)
TEST(LinkBuilders, SetUpDown) {
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_set_up(o, s, LinkRef::by_index(3), true); },
               "20000000 1000 0500 01000000 00000000"
               "00 00 0000 03000000 01000000 01000000");
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_set_up(o, s, LinkRef::by_index(3), false); },
               "20000000 1000 0500 01000000 00000000"
               "00 00 0000 03000000 00000000 01000000");
}

// = ip link set eth0 mtu 1300 / address 0a:58:0a:f4:01:06 / name eth1
TEST(LinkBuilders, SetMtuMacNameMatchIproute2) {
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_set_mtu(o, s, LinkRef::by_index(3), 1300); },
               "28000000 1000 0500 01000000 00000000"
               "00 00 0000 03000000 00000000 00000000"
               "0800 0400 14050000");
  expect_bytes(
      [](Bytes& o, uint32_t s) { return build_link_set_mac(o, s, LinkRef::by_index(3), mac("0a:58:0a:f4:01:06")); },
      "2c000000 1000 0500 01000000 00000000"
      "00 00 0000 03000000 00000000 00000000"
      "0a00 0100 0a580af40106 0000");
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_set_name(o, s, LinkRef::by_index(3), "eth1"); },
               "2c000000 1000 0500 01000000 00000000"
               "00 00 0000 03000000 00000000 00000000"
               "0900 0300 6574683100 000000");
}

TEST(LinkBuilders, SetNetnsAndGroupByName) {
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_set_netns(o, s, LinkRef::by_index(3), 7); },
               "28000000 1000 0500 01000000 00000000"
               "00 00 0000 03000000 00000000 00000000"
               "0800 1c00 07000000");
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_set_group(o, s, LinkRef::by_name("h1"), 9); },
               "30000000 1000 0500 01000000 00000000"
               "00 00 0000 00000000 00000000 00000000"
               "0700 0300 68310000"        // found by IFLA_IFNAME
               "0800 1b00 09000000");      // IFLA_GROUP 9
}

TEST(LinkBuilders, DeleteByIndexNameAndGroup) {
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_delete(o, s, LinkRef::by_index(5)); },
               "20000000 1100 0500 01000000 00000000"
               "00 00 0000 05000000 00000000 00000000");
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_delete(o, s, LinkRef::by_name("h1")); },
               "28000000 1100 0500 01000000 00000000"
               "00 00 0000 00000000 00000000 00000000"
               "0700 0300 68310000");
  // = ip link del group 9: ifindex 0 + IFLA_GROUP
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_delete_group(o, s, 9); },
               "28000000 1100 0500 01000000 00000000"
               "00 00 0000 00000000 00000000 00000000"
               "0800 1b00 09000000");
}

TEST(LinkBuilders, GetAndDump) {
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_get(o, s, LinkRef::by_name("h1")); },
               "30000000 1200 0500 01000000 00000000"
               "00 00 0000 00000000 00000000 00000000"
               "0700 0300 68310000"
               "0800 1d00 08000000");      // IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS
  expect_bytes([](Bytes& o, uint32_t s) { return build_link_dump(o, s); },
               "28000000 1200 0103 01000000 00000000"  // REQUEST|DUMP
               "00 00 0000 00000000 00000000 00000000"
               "0800 1d00 08000000");
}

TEST(LinkBuilders, RejectWhatTheKernelWouldOnlyCallEinval) {
  Bytes out;
  VethSpec spec;
  spec.host.name = "this-name-is-too-long";
  spec.peer.name = "eth0";
  Result<void> r = build_veth_create(out, 1, spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EINVAL);
  EXPECT_NE(r.error().message.find("longer than 15"), std::string::npos) << r.error().message;
  EXPECT_TRUE(out.empty()) << "a failed builder leaves no partial message";
  EXPECT_FALSE(build_link_delete_group(out, 1, 0).ok()) << "group 0 is every link";
  EXPECT_FALSE(build_link_set_name(out, 1, LinkRef::by_name("a"), "b").ok()) << "rename needs the index";
  EXPECT_FALSE(build_link_delete(out, 1, LinkRef::by_name("a/b")).ok());
  VlanSpec vlan;
  vlan.name = "v";
  vlan.parent_index = 2;
  vlan.vlan_id = 4095;
  EXPECT_FALSE(build_vlan_create(out, 1, vlan).ok());
  EXPECT_TRUE(out.empty());
}

TEST(LinkBuilders, AppendsAlignedMessagesForOneSendmsg) {
  Bytes out;
  ASSERT_TRUE(build_link_set_up(out, 1, LinkRef::by_index(3), true).ok());
  ASSERT_TRUE(build_link_get(out, 2, LinkRef::by_name("abcde")).ok());
  ASSERT_TRUE(build_link_delete(out, 3, LinkRef::by_index(4)).ok());
  ASSERT_EQ(out.size() % 4, 0u);
  EXPECT_EQ(out.size(), 32u + 52u + 32u);
}

// = ip addr add 10.244.1.5/24 dev eth0 (no broadcast) / ... brd +
TEST(AddressBuilders, Ipv4MatchesIproute2) {
  AddressSpec spec;
  spec.ifindex = 3;
  spec.prefix = pfx("10.244.1.5/24");
  spec.broadcast = false;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_address_add(o, s, spec); },
               "28000000 1400 0506 01000000 00000000"  // RTM_NEWADDR, REQ|ACK|EXCL|CREATE
               "02 18 00 00 03000000"                   // AF_INET /24 flags 0 scope 0 ifindex 3
               "0800 0200 0af40105"                     // IFA_LOCAL
               "0800 0100 0af40105");                   // IFA_ADDRESS
  spec.broadcast = true;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_address_add(o, s, spec); },
               "30000000 1400 0506 01000000 00000000"
               "02 18 00 00 03000000"
               "0800 0200 0af40105 0800 0100 0af40105"
               "0800 0400 0af401ff");                   // IFA_BROADCAST 10.244.1.255
  // = ip addr del 10.244.1.5/24 dev eth0: no broadcast on delete
  expect_bytes([&](Bytes& o, uint32_t s) { return build_address_delete(o, s, spec); },
               "28000000 1500 0500 01000000 00000000"
               "02 18 00 00 03000000"
               "0800 0200 0af40105 0800 0100 0af40105");
}

// = ip addr add fd00::5/64 dev eth0 nodad
TEST(AddressBuilders, Ipv6NodadMatchesIproute2) {
  AddressSpec spec;
  spec.ifindex = 3;
  spec.prefix = pfx("fd00::5/64");
  spec.flags = IFA_F_NODAD;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_address_add(o, s, spec); },
               "40000000 1400 0506 01000000 00000000"
               "0a 40 02 00 03000000"                   // AF_INET6 /64 IFA_F_NODAD
               "1400 0200 fd000000000000000000000000000005"
               "1400 0100 fd000000000000000000000000000005");
}

TEST(AddressBuilders, ReplaceHighFlagsAndDump) {
  AddressSpec spec;
  spec.ifindex = 2;
  spec.prefix = pfx("192.168.0.1/32");
  spec.flags = IFA_F_NOPREFIXROUTE;  // 0x200: only in IFA_FLAGS
  expect_bytes([&](Bytes& o, uint32_t s) { return build_address_replace(o, s, spec); },
               "30000000 1400 0505 01000000 00000000"  // REQ|ACK|REPLACE|CREATE
               "02 20 00 00 02000000"
               "0800 0200 c0a80001 0800 0100 c0a80001"
               "0800 0800 00020000");                   // IFA_FLAGS; no broadcast for /32
  expect_bytes([](Bytes& o, uint32_t s) { return build_address_dump(o, s, 2); },
               "18000000 1600 0103 01000000 00000000"
               "02 00 00 00 00000000");
}

// = ip route add default via 10.244.1.1 dev eth0 mtu 1400 (ip uses proto boot)
TEST(RouteBuilders, DefaultViaGatewayWithMtuMatchesIproute2) {
  RouteSpec spec = RouteSpec::default_via(ip("10.244.1.1"), 3);
  spec.protocol = 3;
  spec.mtu = 1400;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_route_add(o, s, spec); },
               "38000000 1800 0506 01000000 00000000"
               "02 00 00 00 fe 03 00 01 00000000"       // AF_INET /0 table main proto boot universe unicast
               "0800 0500 0af40101"                     // RTA_GATEWAY
               "0800 0400 03000000"                     // RTA_OIF
               "0c00 0880 0800 0200 78050000");         // RTA_METRICS { RTAX_MTU 1400 }
}

// = ip route add 10.96.0.0/16 via 10.244.1.1 dev eth0 proto static
TEST(RouteBuilders, CidrViaNextHopMatchesIproute2) {
  RouteSpec spec;
  spec.dst = pfx("10.96.0.0/16");
  spec.gateway = ip("10.244.1.1");
  spec.oif = 3;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_route_add(o, s, spec); },
               "34000000 1800 0506 01000000 00000000"
               "02 10 00 00 fe 04 00 01 00000000"
               "0800 0100 0a600000"                     // RTA_DST
               "0800 0500 0af40101"
               "0800 0400 03000000");
}

// = ip route replace 10.97.0.0/16 via 10.244.1.1 dev eth0 proto 99 metric 100
//   and ip route del 10.97.0.0/16 via 10.244.1.1 dev eth0
TEST(RouteBuilders, ReplaceAndDeleteMatchIproute2) {
  RouteSpec spec;
  spec.dst = pfx("10.97.0.0/16");
  spec.gateway = ip("10.244.1.1");
  spec.oif = 3;
  spec.protocol = 99;
  spec.priority = 100;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_route_replace(o, s, spec); },
               "3c000000 1800 0505 01000000 00000000"
               "02 10 00 00 fe 63 00 01 00000000"
               "0800 0100 0a610000 0800 0500 0af40101"
               "0800 0600 64000000"                     // RTA_PRIORITY 100
               "0800 0400 03000000");
  spec.priority = 0;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_route_delete(o, s, spec); },
               "34000000 1900 0500 01000000 00000000"
               "02 10 00 00 fe 00 ff 00 00000000"       // proto any, scope nowhere, type any
               "0800 0100 0a610000 0800 0500 0af40101 0800 0400 03000000");
}

TEST(RouteBuilders, Ipv6DefaultOnLinkTableAndOwnProto) {
  RouteSpec v6 = RouteSpec::default_via(ip("fd00::1"), 3);
  v6.protocol = 3;
  v6.mtu = 1400;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_route_add(o, s, v6); },
               "44000000 1800 0506 01000000 00000000"
               "0a 00 00 00 fe 03 00 01 00000000"
               "1400 0500 fd000000000000000000000000000001"
               "0800 0400 03000000"
               "0c00 0880 0800 0200 78050000");
  RouteSpec onlink;
  onlink.dst = pfx("10.244.1.7/24");  // host bits are cleared
  onlink.oif = 3;
  onlink.protocol = kRouteProtoOvnk;
  onlink.table = 1000;
  expect_bytes([&](Bytes& o, uint32_t s) { return build_route_add(o, s, onlink); },
               "34000000 1800 0506 01000000 00000000"
               "02 18 00 00 00 6f fd 01 00000000"       // table in RTA_TABLE, proto 0x6f, scope link
               "0800 0100 0af40100"
               "0800 0400 03000000"
               "0800 0f00 e8030000");                   // RTA_TABLE 1000
  expect_bytes([](Bytes& o, uint32_t s) { return build_route_dump(o, s, 10); },
               "1c000000 1a00 0103 01000000 00000000"
               "0a 00 00 00 00 00 00 00 00000000");
  Bytes out;
  RouteSpec mixed = RouteSpec::default_via(ip("10.0.0.1"));
  mixed.dst = pfx("fd00::/64");
  EXPECT_FALSE(build_route_add(out, 1, mixed).ok()) << "gateway family must match";
}

// = ethtool's own CTRL_CMD_GETFAMILY "ethtool"
TEST(GenlBuilders, GetFamilyMatchesEthtool) {
  expect_bytes([](Bytes& o, uint32_t s) { return build_genl_get_family(o, s, "ethtool"); },
               "20000000 1000 0500 01000000 00000000"  // GENL_ID_CTRL
               "03 01 0000"                            // CTRL_CMD_GETFAMILY v1
               "0c00 0200 657468746f6f6c00");          // CTRL_ATTR_FAMILY_NAME
}

TEST(EthtoolBuilders, FeaturesSetVerboseBitset) {
  std::vector<FeatureChange> changes = {{"tx-checksum-ip-generic", false}, {"tx-scatter-gather", true}};
  expect_bytes(
      [&](Bytes& o, uint32_t s) { return build_ethtool_features_set(o, s, 21, LinkRef::by_index(3), changes); },
      "70000000 1500 0500 01000000 00000000"  // family 21
      "0c 01 0000"                            // ETHTOOL_MSG_FEATURES_SET v1
      "1400 0180"                             // HEADER | NLA_F_NESTED
      "  0800 0100 03000000"                  //   DEV_INDEX 3
      "  0800 0300 02000000"                  //   FLAGS OMIT_REPLY
      "4800 0380"                             // WANTED
      "  4400 0380"                           //   BITS
      "    2000 0180"                         //     BIT
      "      1b00 0200 74782d636865636b73756d2d69702d67656e6572696300 00"  // NAME, no VALUE: off
      "    2000 0180"
      "      1600 0200 74782d736361747465722d67617468657200 0000"
      "      0400 0300");                     //       VALUE: on
}

TEST(EthtoolBuilders, FeaturesSetWithReplyAsksForACompactReply) {
  std::vector<FeatureChange> changes = {{"tx-checksum-ip-generic", false}};
  Bytes with_reply;
  Bytes plain;
  ASSERT_TRUE(build_ethtool_features_set_with_reply(with_reply, 1, 21, LinkRef::by_index(3), changes).ok());
  ASSERT_TRUE(build_ethtool_features_set(plain, 1, 21, LinkRef::by_index(3), changes).ok());
  ASSERT_EQ(with_reply.size(), plain.size());
  // Only the header FLAGS differ: COMPACT_BITSETS (1) instead of OMIT_REPLY (2).
  size_t differ = 0;
  for (size_t i = 0; i < plain.size(); ++i) differ += with_reply[i] != plain[i];
  EXPECT_EQ(differ, 1u);
  const Bytes flags_compact = testing::from_hex("0800 0300 01000000");
  EXPECT_NE(std::search(with_reply.begin(), with_reply.end(), flags_compact.begin(), flags_compact.end()),
            with_reply.end());
  EXPECT_FALSE(build_ethtool_features_set_with_reply(with_reply, 1, 21, LinkRef::by_index(3), {}).ok());
}

TEST(EthtoolBuilders, FeaturesGetByName) {
  expect_bytes(
      [](Bytes& o, uint32_t s) { return build_ethtool_features_get(o, s, 21, LinkRef::by_name("eth0")); },
      "24000000 1500 0500 01000000 00000000"
      "0b 01 0000"                            // ETHTOOL_MSG_FEATURES_GET v1
      "1000 0180 0900 0200 6574683000 000000");
}

TEST(EthtoolBuilders, PodOffloadsAreChosenFromWhatTheDeviceReports) {
  for (std::string_view n : {"tx-checksum-ip-generic", "tx-checksum-sctp", "tx-scatter-gather",
                             "tx-scatter-gather-fraglist", "tx-tcp-segmentation", "tx-tcp6-segmentation",
                             "tx-tcp-accecn-segmentation", "tx-generic-segmentation"}) {
    EXPECT_TRUE(is_pod_offload_feature(n)) << n;
  }
  // ethtool's aliases are unknown to the kernel; receive and tunnel features stay.
  for (std::string_view n : {"tx", "sg", "tso", "gso", "tcp-segmentation-offload", "rx-checksum",
                             "tx-udp-segmentation", "tx-gre-segmentation", "tx-vlan-hw-insert"}) {
    EXPECT_FALSE(is_pod_offload_feature(n)) << n;
  }
  Features f;
  f.hw.bits = {{0, "tx-checksum-ip-generic", true}, {1, "tx-scatter-gather", true}, {2, "tx-tcp-segmentation", true},
               {3, "rx-checksum", true}};
  f.active.bits = {{0, "tx-checksum-ip-generic", true}, {1, "tx-scatter-gather", true},
                   {4, "tx-checksum-ipv4", true},  // on but not changeable: left alone
                   {3, "rx-checksum", true}};
  std::vector<FeatureChange> changes = pod_offload_changes(f);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].name, "tx-checksum-ip-generic");
  EXPECT_FALSE(changes[0].on);
  EXPECT_EQ(changes[1].name, "tx-scatter-gather");
  EXPECT_EQ(pod_offloads_still_on(f).size(), 2u);
  f.active.bits.erase(f.active.bits.begin(), f.active.bits.begin() + 2);
  EXPECT_TRUE(pod_offload_changes(f).empty());
}

TEST(MessageBuilder, OverflowIsAnErrorAndLeavesNothing) {
  Bytes out = {'x', 'y', 'z'};
  std::vector<FeatureChange> many;
  for (int i = 0; i < 300; ++i) many.push_back({"tx-feature-with-a-long-name-" + std::to_string(i), false});
  Result<void> r = build_ethtool_features_set(out, 1, 21, LinkRef::by_index(1), many);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EMSGSIZE);
  EXPECT_EQ(out.size(), 4u) << "only the alignment padding of the caller's buffer remains";
}

}  // namespace
}  // namespace ovnk::netlink
