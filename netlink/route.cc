#include "netlink/route.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <array>

namespace ovnk::netlink {

static_assert(kRouteProtoStatic == RTPROT_STATIC && kRouteTableMain == RT_TABLE_MAIN);

namespace {

enum class RouteOp { kAdd, kReplace, kDelete };

Result<void> build_route(Bytes& out, uint32_t seq, RouteOp op, const RouteSpec& spec) {
  const IpAddr& dst = spec.dst.addr;
  if (!dst.is_set() || spec.dst.len > dst.bit_width()) {
    return make_error("netlink", EINVAL, "invalid route destination " + spec.dst.to_string());
  }
  if (spec.gateway && spec.gateway->family() != dst.family()) {
    return make_error("netlink", EINVAL,
                      "route " + spec.dst.to_string() + " via " + spec.gateway->to_string() +
                          ": gateway of another family");
  }
  if (spec.prefsrc && spec.prefsrc->family() != dst.family()) {
    return make_error("netlink", EINVAL, "route " + spec.dst.to_string() + ": prefsrc of another family");
  }
  uint16_t type = op == RouteOp::kDelete ? RTM_DELROUTE : RTM_NEWROUTE;
  uint16_t flags = NLM_F_ACK;
  if (op == RouteOp::kAdd) flags |= NLM_F_CREATE | NLM_F_EXCL;
  if (op == RouteOp::kReplace) flags |= NLM_F_CREATE | NLM_F_REPLACE;
  MessageBuilder b(out, type, flags, seq);
  rtmsg* rtm = b.put_header<rtmsg>();
  if (rtm != nullptr) {
    rtm->rtm_family = dst.family();
    rtm->rtm_dst_len = spec.dst.len;
    // Tables above 255 only fit in RTA_TABLE.
    rtm->rtm_table = spec.table < 256 ? static_cast<uint8_t>(spec.table) : uint8_t{RT_TABLE_UNSPEC};
    if (op == RouteOp::kDelete) {
      // Wildcards, like `ip route del`: any owner, scope and type match.
      rtm->rtm_protocol = 0;
      rtm->rtm_scope = RT_SCOPE_NOWHERE;
      rtm->rtm_type = RTN_UNSPEC;
    } else {
      rtm->rtm_type = RTN_UNICAST;
      rtm->rtm_protocol = spec.protocol;
      rtm->rtm_scope = spec.scope ? *spec.scope
                                  : static_cast<uint8_t>(spec.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    }
  }
  if (spec.dst.len > 0) b.put_bytes(RTA_DST, spec.dst.network().addr.bytes());
  if (spec.gateway) b.put_bytes(RTA_GATEWAY, spec.gateway->bytes());
  if (spec.priority != 0) b.put_u32(RTA_PRIORITY, spec.priority);
  if (spec.oif > 0) b.put_u32(RTA_OIF, static_cast<uint32_t>(spec.oif));
  if (spec.prefsrc) b.put_bytes(RTA_PREFSRC, spec.prefsrc->bytes());
  if (spec.table >= 256) b.put_u32(RTA_TABLE, spec.table);
  if (spec.mtu != 0 && op != RouteOp::kDelete) {
    nlattr* metrics = b.nest_start(RTA_METRICS);
    b.put_u32(RTAX_MTU, spec.mtu);
    b.nest_end(metrics);
  }
  return b.finish();
}

Result<uint32_t> parse_mtu_metric(std::span<const char> nest) {
  AttrReader r(nest);
  uint32_t mtu = 0;
  while (auto a = r.next()) {
    if (a->type == RTAX_MTU) {
      OVNK_ASSIGN_OR_RETURN(mtu, a->u32());
    }
  }
  OVNK_TRY(r.status());
  return mtu;
}

}  // namespace

RouteSpec RouteSpec::default_via(IpAddr gateway, int oif) {
  RouteSpec spec;
  spec.dst = IpPrefix{gateway.is_v4() ? IpAddr::v4(0, 0, 0, 0)
                                      : IpAddr::from_bytes(std::array<uint8_t, 16>{}).value(),
                      0};
  spec.gateway = gateway;
  spec.oif = oif;
  return spec;
}

Result<void> build_route_add(Bytes& out, uint32_t seq, const RouteSpec& spec) {
  return build_route(out, seq, RouteOp::kAdd, spec);
}

Result<void> build_route_replace(Bytes& out, uint32_t seq, const RouteSpec& spec) {
  return build_route(out, seq, RouteOp::kReplace, spec);
}

Result<void> build_route_delete(Bytes& out, uint32_t seq, const RouteSpec& spec) {
  return build_route(out, seq, RouteOp::kDelete, spec);
}

Result<void> build_route_dump(Bytes& out, uint32_t seq, uint8_t family) {
  MessageBuilder b(out, RTM_GETROUTE, NLM_F_DUMP, seq);
  rtmsg* rtm = b.put_header<rtmsg>();
  if (rtm != nullptr) rtm->rtm_family = family;
  return b.finish();
}

Result<RouteInfo> parse_route(const Message& m) {
  if (m.type != RTM_NEWROUTE) {
    return make_error("netlink", EBADMSG, "expected RTM_NEWROUTE, got " + message_type_name(m.type));
  }
  OVNK_ASSIGN_OR_RETURN(rtmsg rtm, read_header<rtmsg>(m.payload, "RTM_NEWROUTE"));
  if (rtm.rtm_family != IpAddr::kFamilyV4 && rtm.rtm_family != IpAddr::kFamilyV6) {
    return make_error("netlink", EAFNOSUPPORT,
                      "route of address family " + std::to_string(rtm.rtm_family));
  }
  RouteInfo info;
  info.table = rtm.rtm_table;
  info.protocol = rtm.rtm_protocol;
  info.scope = rtm.rtm_scope;
  info.type = rtm.rtm_type;
  info.flags = rtm.rtm_flags;
  std::array<uint8_t, 16> zero{};
  IpAddr any = IpAddr::from_bytes({zero.data(), rtm.rtm_family == IpAddr::kFamilyV4 ? 4u : 16u}).value();
  std::optional<IpAddr> dst;
  AttrReader r(attrs_after(m.payload, sizeof(rtmsg)));
  while (auto a = r.next()) {
    switch (a->type) {
      case RTA_DST: {
        OVNK_ASSIGN_OR_RETURN(dst, IpAddr::from_bytes(a->bytes()));
        break;
      }
      case RTA_GATEWAY: {
        OVNK_ASSIGN_OR_RETURN(info.gateway, IpAddr::from_bytes(a->bytes()));
        break;
      }
      case RTA_PREFSRC: {
        OVNK_ASSIGN_OR_RETURN(info.prefsrc, IpAddr::from_bytes(a->bytes()));
        break;
      }
      case RTA_OIF: {
        OVNK_ASSIGN_OR_RETURN(uint32_t v, a->u32());
        info.oif = static_cast<int>(v);
        break;
      }
      case RTA_PRIORITY: {
        OVNK_ASSIGN_OR_RETURN(info.priority, a->u32());
        break;
      }
      case RTA_TABLE: {
        OVNK_ASSIGN_OR_RETURN(info.table, a->u32());
        break;
      }
      case RTA_METRICS: {
        OVNK_ASSIGN_OR_RETURN(info.mtu, parse_mtu_metric(a->payload));
        break;
      }
      default: break;
    }
  }
  OVNK_TRY(r.status());
  if (dst && dst->family() != rtm.rtm_family) {
    return make_error("netlink", EBADMSG, "RTM_NEWROUTE destination family does not match its header");
  }
  OVNK_ASSIGN_OR_RETURN(info.dst, IpPrefix::make(dst ? *dst : any, rtm.rtm_dst_len));
  return info;
}

}  // namespace ovnk::netlink
