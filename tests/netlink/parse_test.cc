// Parsers against bytes the kernel really sent (captures.h), and against
// truncated and malformed variants of them: always an error, never a crash.
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/ethtool_netlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include <gtest/gtest.h>

#include "netlink/ack.h"
#include "netlink/address.h"
#include "netlink/ethtool.h"
#include "netlink/genl.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "tests/netlink/captures.h"
#include "tests/netlink/hex.h"

namespace ovnk::netlink {
namespace {

using testing::from_hex;

std::vector<Message> split(const Bytes& datagram) {
  std::vector<Message> out;
  MessageReader r(datagram);
  while (auto m = r.next()) out.push_back(*m);
  EXPECT_TRUE(r.status().ok()) << r.status().error().to_string();
  return out;
}

TEST(ParseLink, CapturedVethReply) {
  Bytes d = from_hex(testing::kLinkVethGetReply);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  Result<LinkInfo> l = parse_link(msgs[0]);
  ASSERT_TRUE(l.ok()) << l.error().to_string();
  EXPECT_EQ(l->name, "h1");
  EXPECT_EQ(l->index, 3);
  EXPECT_EQ(l->mtu, 1400u);
  EXPECT_EQ(l->group, 7u);
  EXPECT_EQ(l->kind, "veth");
  EXPECT_TRUE(l->up());
  EXPECT_EQ(l->link, 3) << "IFLA_LINK: the peer's ifindex in its own netns";
  ASSERT_TRUE(l->link_netnsid.has_value());
  EXPECT_EQ(*l->link_netnsid, 0);
  ASSERT_TRUE(l->mac.has_value());
  EXPECT_EQ(l->mac->to_string().size(), 17u);
  EXPECT_EQ(l->master, 0);
}

TEST(ParseAddress, CapturedIpv4Row) {
  Bytes d = from_hex(testing::kAddr4Rows);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  Result<AddressInfo> a = parse_address(msgs[0]);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(a->prefix.to_string(), "10.244.1.1/24");
  EXPECT_EQ(a->ifindex, 3);
  EXPECT_EQ(a->label, "h1");
  EXPECT_EQ(a->scope, RT_SCOPE_UNIVERSE);
}

TEST(ParseAddress, CapturedIpv6RowsThenDoneInOneDatagram) {
  Bytes d = from_hex(testing::kAddr6RowsAndDone);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 3u);
  Result<AddressInfo> a0 = parse_address(msgs[0]);
  Result<AddressInfo> a1 = parse_address(msgs[1]);
  ASSERT_TRUE(a0.ok() && a1.ok());
  EXPECT_EQ(a0->prefix.to_string(), "fd00::1/64");
  EXPECT_NE(a0->flags & IFA_F_NODAD, 0u);
  EXPECT_EQ(a1->prefix.addr.to_string().substr(0, 6), "fe80::");
  EXPECT_EQ(a1->scope, RT_SCOPE_LINK);
  EXPECT_EQ(msgs[2].type, NLMSG_DONE);
  Result<Ack> done = parse_done_message(msgs[2]);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->error, 0);
}

TEST(ParseRoute, CapturedIpv4Rows) {
  Bytes d = from_hex(testing::kRoute4Rows);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 2u);
  Result<RouteInfo> r0 = parse_route(msgs[0]);
  ASSERT_TRUE(r0.ok()) << r0.error().to_string();
  EXPECT_EQ(r0->dst.to_string(), "10.96.0.0/16");
  ASSERT_TRUE(r0->gateway.has_value());
  EXPECT_EQ(r0->gateway->to_string(), "10.244.1.254");
  EXPECT_EQ(r0->protocol, kRouteProtoStatic);
  EXPECT_EQ(r0->priority, 50u);
  EXPECT_EQ(r0->mtu, 1400u);
  EXPECT_EQ(r0->oif, 3);
  EXPECT_EQ(r0->table, kRouteTableMain);
  Result<RouteInfo> r1 = parse_route(msgs[1]);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->dst.to_string(), "10.244.1.0/24");
  EXPECT_FALSE(r1->gateway.has_value());
  EXPECT_EQ(r1->scope, RT_SCOPE_LINK);
  EXPECT_EQ(r1->prefsrc->to_string(), "10.244.1.1");
}

TEST(ParseRoute, CapturedIpv6Rows) {
  Bytes d = from_hex(testing::kRoute6Rows);
  auto msgs = split(d);
  ASSERT_GE(msgs.size(), 2u);
  Result<RouteInfo> r0 = parse_route(msgs[0]);
  ASSERT_TRUE(r0.ok()) << r0.error().to_string();
  EXPECT_EQ(r0->dst.to_string(), "fd00::/64");
  EXPECT_EQ(r0->oif, 3);
}

TEST(ParseAck, CapturedExtendedAckError) {
  Bytes d = from_hex(testing::kErrorNexthopInvalidGateway);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  ASSERT_EQ(msgs[0].type, NLMSG_ERROR);
  Result<Ack> ack = parse_error_message(msgs[0]);
  ASSERT_TRUE(ack.ok()) << ack.error().to_string();
  EXPECT_EQ(ack->error, ENETUNREACH);
  EXPECT_EQ(ack->message, "Nexthop has invalid gateway");
  EXPECT_EQ(ack->request_type, RTM_NEWROUTE);
  Error e = ack_error(*ack, "add route 10.9.0.0/16");
  EXPECT_EQ(e.code, ENETUNREACH);
  EXPECT_EQ(e.domain, "netlink");
  EXPECT_NE(e.message.find("add route 10.9.0.0/16"), std::string::npos);
  EXPECT_NE(e.message.find("(kernel: Nexthop has invalid gateway)"), std::string::npos) << e.message;
}

TEST(ParseAck, CapturedEexistAndUncappedWithoutTlvs) {
  Bytes d = from_hex(testing::kErrorLinkExists);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  Result<Ack> ack = parse_error_message(msgs[0]);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->error, EEXIST);
  EXPECT_EQ(ack->request_type, RTM_NEWLINK);
  Bytes p = from_hex(testing::kLinkGetProbeError);
  auto pm = split(p);
  ASSERT_EQ(pm.size(), 1u);
  Result<Ack> probe = parse_error_message(pm[0]);
  ASSERT_TRUE(probe.ok());
  EXPECT_NE(probe->error, 0);
  EXPECT_TRUE(probe->message.empty());
}

TEST(ParseAck, CappedAckWithTlvsBuiltByHand) {
  // What our own sockets get (NETLINK_CAP_ACK + NETLINK_EXT_ACK): NLMSG_ERROR,
  // flags CAPPED|ACK_TLVS, error -EINVAL, the request header only, then
  // NLMSGERR_ATTR_MSG "bad" and NLMSGERR_ATTR_MISS_TYPE 3.
  Bytes d = from_hex(
      "3c000000 0200 0003 05000000 00000000"
      "eaffffff"                               // -EINVAL
      "20000000 1000 0500 05000000 00000000"   // echoed header only
      "0800 0100 62616400"                     // MSG "bad"
      "0800 0500 03000000"                     // MISS_TYPE 3
      "0800 0200 14000000");                   // OFFS 20
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  Result<Ack> ack = parse_error_message(msgs[0]);
  ASSERT_TRUE(ack.ok()) << ack.error().to_string();
  EXPECT_EQ(ack->error, EINVAL);
  EXPECT_EQ(ack->message, "bad");
  EXPECT_EQ(ack->missing_attr, 3u);
  EXPECT_EQ(ack->bad_attr_offset, 20u);
  EXPECT_EQ(ack->request_seq, 5u);
  std::string m = ack_error(*ack, "x").message;
  EXPECT_NE(m.find("missing attribute 3"), std::string::npos) << m;
  // A success ACK: error 0.
  Bytes ok = from_hex("24000000 0200 0001 06000000 00000000 00000000 20000000 1000 0500 06000000 00000000");
  auto okm = split(ok);
  Result<Ack> okack = parse_error_message(okm[0]);
  ASSERT_TRUE(okack.ok());
  EXPECT_EQ(okack->error, 0);
}

TEST(ParseGenl, CapturedEthtoolFamily) {
  Bytes d = from_hex(testing::kGenlEthtoolFamily);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  Result<GenlFamily> f = parse_genl_family(msgs[0]);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->name, "ethtool");
  EXPECT_EQ(f->id, 21);
  EXPECT_EQ(f->version, 1u);
  ASSERT_FALSE(f->mcast_groups.empty());
  EXPECT_EQ(f->mcast_groups[0].first, "monitor");
}

TEST(ParseEthtool, CapturedVerboseFeatures) {
  Bytes d = from_hex(testing::kEthtoolFeaturesVerbose);
  auto msgs = split(d);
  ASSERT_EQ(msgs.size(), 1u);
  Result<Features> f = parse_ethtool_features(msgs[0], 21);
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  EXPECT_EQ(f->ifname, "h1");
  EXPECT_EQ(f->ifindex, 3);
  // Captured after `ethtool -K h1 tx off sg off tso off gso off`: the pod
  // offloads are changeable (hw), wanted off and off.
  for (std::string_view name : {"tx-checksum-ip-generic", "tx-scatter-gather", "tx-tcp-segmentation",
                                 "tx-tcp6-segmentation", "tx-generic-segmentation"}) {
    EXPECT_TRUE(f->hw.is_on(name)) << name << " changeable";
    EXPECT_FALSE(f->active.is_on(name)) << name << " active";
    EXPECT_FALSE(f->wanted.is_on(name)) << name << " wanted";
  }
  // ethtool takes the names from the kernel too: even 6.18's new TSO variant is off.
  EXPECT_TRUE(f->hw.is_on("tx-tcp-accecn-segmentation"));
  EXPECT_FALSE(f->active.is_on("tx-tcp-accecn-segmentation"));
  EXPECT_TRUE(pod_offloads_still_on(*f).empty());
  EXPECT_TRUE(pod_offload_changes(*f).empty());
  EXPECT_TRUE(f->active.is_on("rx-checksum")) << "left alone";
  EXPECT_FALSE(f->active.is_on("tx-checksum-ipv4")) << "fixed off on veth";
  EXPECT_FALSE(f->active.get("no-such-feature").has_value());
  EXPECT_FALSE(parse_ethtool_features(msgs[0], 22).ok()) << "another family's message";
}

TEST(ParseErrors, WrongMessageTypesAreRefused) {
  Bytes d = from_hex(testing::kAddr4Rows);
  auto msgs = split(d);
  EXPECT_FALSE(parse_link(msgs[0]).ok());
  EXPECT_FALSE(parse_route(msgs[0]).ok());
  EXPECT_FALSE(parse_genl_family(msgs[0]).ok());
}

// A FEATURES_SET_REPLY as the kernel writes it for a request with
// ETHTOOL_FLAG_COMPACT_BITSETS: WANTED and ACTIVE as size/value/mask arrays.
// Built here rather than captured: the bytes depend on what the request asked.
Bytes features_set_reply(uint16_t family, uint32_t wanted_mask, uint32_t wanted_value, uint32_t active_mask,
                         uint32_t active_value) {
  Bytes out;
  MessageBuilder b(out, family, 0, 7);
  put_genl_header(b, ETHTOOL_MSG_FEATURES_SET_REPLY, ETHTOOL_GENL_VERSION);
  nlattr* h = b.nest_start(ETHTOOL_A_FEATURES_HEADER | NLA_F_NESTED);
  b.put_u32(ETHTOOL_A_HEADER_DEV_INDEX, 3);
  b.put_strz(ETHTOOL_A_HEADER_DEV_NAME, "eth0");
  b.nest_end(h);
  auto bitset = [&b](uint16_t type, uint32_t mask, uint32_t value) {
    nlattr* n = b.nest_start(type | NLA_F_NESTED);
    b.put_u32(ETHTOOL_A_BITSET_SIZE, 32);
    b.put_u32(ETHTOOL_A_BITSET_VALUE, value);
    b.put_u32(ETHTOOL_A_BITSET_MASK, mask);
    b.nest_end(n);
  };
  bitset(ETHTOOL_A_FEATURES_WANTED, wanted_mask, wanted_value);
  bitset(ETHTOOL_A_FEATURES_ACTIVE, active_mask, active_value);
  EXPECT_TRUE(b.finish().ok());
  return out;
}

TEST(ParseEthtool, FeaturesSetReplyTellsWhatDidNotApply) {
  // Bits 1 and 5 switched off as asked: nothing unapplied, two active bits changed to off.
  Bytes all = features_set_reply(21, 0, 0, (1u << 1) | (1u << 5), 0);
  auto msgs = split(all);
  ASSERT_EQ(msgs.size(), 1u);
  Result<FeaturesSetReply> r = parse_ethtool_features_set_reply(msgs[0], 21);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->unapplied.bits.empty());
  ASSERT_EQ(r->changed.bits.size(), 2u);
  EXPECT_EQ(r->changed.bits[0].index, 1u);
  EXPECT_FALSE(r->changed.bits[0].on);
  EXPECT_EQ(r->changed.bits[1].index, 5u);

  // Bit 5 asked off stayed on: the diff lists it with the requested value (off).
  Bytes partly = features_set_reply(21, 1u << 5, 0, 1u << 1, 0);
  msgs = split(partly);
  r = parse_ethtool_features_set_reply(msgs[0], 21);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->unapplied.bits.size(), 1u);
  EXPECT_EQ(r->unapplied.bits[0].index, 5u);

  EXPECT_FALSE(parse_ethtool_features_set_reply(msgs[0], 22).ok()) << "another family's message";
  Bytes get_reply = from_hex(testing::kEthtoolFeaturesVerbose);
  auto get_msgs = split(get_reply);
  EXPECT_FALSE(parse_ethtool_features_set_reply(get_msgs[0], 21).ok()) << "a FEATURES_GET reply";
}

// Every capture cut at every length: the reader or the parser reports an
// error for each cut that loses bytes it needs, and nothing crashes.
TEST(ParseErrors, EveryTruncationOfEveryCaptureIsSafe) {
  const std::string_view captures[] = {
      testing::kLinkVethGetReply, testing::kAddr4Rows,  testing::kAddr6RowsAndDone,
      testing::kRoute4Rows,       testing::kRoute6Rows, testing::kErrorNexthopInvalidGateway,
      testing::kGenlEthtoolFamily, testing::kEthtoolFeaturesVerbose};
  size_t errors = 0;
  for (std::string_view hex : captures) {
    Bytes full = from_hex(hex);
    for (size_t cut = 0; cut < full.size(); ++cut) {
      Bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
      MessageReader r(part);
      while (auto m = r.next()) {
        (void)parse_link(*m);
        (void)parse_address(*m);
        (void)parse_route(*m);
        (void)parse_error_message(*m);
        (void)parse_done_message(*m);
        (void)parse_genl_family(*m);
        (void)parse_ethtool_features(*m, 21);
        (void)parse_ethtool_features_set_reply(*m, 21);
      }
      if (!r.status().ok()) ++errors;
    }
  }
  EXPECT_GT(errors, 1000u) << "truncated datagrams are reported as errors";
}

TEST(ParseErrors, LyingLengthsAreClearErrors) {
  Bytes d = from_hex(testing::kAddr4Rows);
  // nlmsg_len larger than the datagram.
  Bytes big = d;
  uint32_t len = 4096;
  std::memcpy(big.data(), &len, 4);
  MessageReader r1(big);
  EXPECT_FALSE(r1.next().has_value());
  ASSERT_FALSE(r1.status().ok());
  EXPECT_EQ(r1.status().error().code, EBADMSG);
  EXPECT_NE(r1.status().error().message.find("length 4096"), std::string::npos);
  // nlmsg_len smaller than a header.
  Bytes small = d;
  len = 8;
  std::memcpy(small.data(), &len, 4);
  MessageReader r2(small);
  EXPECT_FALSE(r2.next().has_value());
  EXPECT_FALSE(r2.status().ok());
  // An attribute whose length runs past its message: the first attribute
  // (IFA_ADDRESS) starts right after ifaddrmsg, at offset 24.
  Bytes attr = d;
  uint16_t alen = 200;
  std::memcpy(attr.data() + 24, &alen, 2);
  auto msgs = split(attr);
  ASSERT_EQ(msgs.size(), 1u);
  Result<AddressInfo> a = parse_address(msgs[0]);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("length 200"), std::string::npos) << a.error().message;
  // A 4-byte u32 attribute cut to 2 bytes is an error, not a short read.
  Bytes route = from_hex(
      "22000000 1800 0200 01000000 00000000"
      "02 00 00 00 fe 04 00 01 00000000"
      "0600 0400 0300");                        // RTA_OIF with 2 bytes
  auto rm = split(route);
  ASSERT_EQ(rm.size(), 1u);
  EXPECT_FALSE(parse_route(rm[0]).ok());
  // NLMSG_ERROR too short for nlmsgerr.
  Bytes err = from_hex("18000000 0200 0000 01000000 00000000 eaffffff 00000000");
  auto em = split(err);
  ASSERT_EQ(em.size(), 1u);
  EXPECT_FALSE(parse_error_message(em[0]).ok());
}

}  // namespace
}  // namespace ovnk::netlink
