// rtnetlink route messages: add / replace / delete a unicast route (a default
// route via a gateway, a CIDR via a next hop, or an on-link CIDR), with an
// optional path MTU (RTA_METRICS/RTAX_MTU), metric, preferred source, table
// and protocol; dump the routes of a netns; parse RTM_NEWROUTE rows.
//
// The protocol marks who owns a route: RTPROT_STATIC like `ip route add`, or a
// number of the agent's own (kRouteProtoOvnk) so that its routes can be told
// apart and cleaned up. Scope is derived like iproute2 does: universe with a
// gateway, link without one; deletion uses RT_SCOPE_NOWHERE (match any).
// Pure code.
#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"
#include "netlink/inet.h"
#include "netlink/message.h"

namespace ovnk::netlink {

inline constexpr uint8_t kRouteProtoStatic = 4;   // RTPROT_STATIC
// Values >= RTPROT_STATIC are opaque to the kernel; 0x6f ('o') is not in
// iproute2's rt_protos list.
inline constexpr uint8_t kRouteProtoOvnk = 0x6f;
inline constexpr uint32_t kRouteTableMain = 254;  // RT_TABLE_MAIN

struct RouteSpec {
  IpPrefix dst;                   // len 0: the default route of dst's family
  std::optional<IpAddr> gateway;  // RTA_GATEWAY (same family as dst)
  int oif = 0;                    // RTA_OIF; 0 lets the kernel find it from the gateway
  uint32_t table = kRouteTableMain;
  uint8_t protocol = kRouteProtoStatic;
  std::optional<uint8_t> scope;   // default: universe with a gateway, link without
  uint32_t priority = 0;          // RTA_PRIORITY (the metric); 0 = none
  uint32_t mtu = 0;               // RTA_METRICS / RTAX_MTU; 0 = none
  std::optional<IpAddr> prefsrc;  // RTA_PREFSRC

  // Default route of `gateway`'s family.
  static RouteSpec default_via(IpAddr gateway, int oif = 0);
};

Result<void> build_route_add(Bytes& out, uint32_t seq, const RouteSpec& spec);
Result<void> build_route_replace(Bytes& out, uint32_t seq, const RouteSpec& spec);
Result<void> build_route_delete(Bytes& out, uint32_t seq, const RouteSpec& spec);
Result<void> build_route_dump(Bytes& out, uint32_t seq, uint8_t family);

struct RouteInfo {
  IpPrefix dst;                   // family and length always set; all-zero for default
  std::optional<IpAddr> gateway;
  int oif = 0;
  uint32_t table = 0;
  uint8_t protocol = 0;
  uint8_t scope = 0;
  uint8_t type = 0;               // RTN_*
  uint32_t priority = 0;
  uint32_t mtu = 0;               // RTAX_MTU, 0 when absent
  std::optional<IpAddr> prefsrc;
  uint32_t flags = 0;             // RTM_F_* / RTNH_F_*
};

Result<RouteInfo> parse_route(const Message& m);

}  // namespace ovnk::netlink
