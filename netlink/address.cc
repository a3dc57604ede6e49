#include "netlink/address.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

namespace ovnk::netlink {

namespace {

Result<void> build_address(Bytes& out, uint32_t seq, uint16_t type, uint16_t flags,
                           const AddressSpec& spec) {
  if (spec.ifindex <= 0) {
    return make_error("netlink", EINVAL,
                      "address " + spec.prefix.to_string() + " without an interface index");
  }
  const IpAddr& addr = spec.prefix.addr;
  if (!addr.is_set() || spec.prefix.len > addr.bit_width()) {
    return make_error("netlink", EINVAL, "invalid address prefix " + spec.prefix.to_string());
  }
  MessageBuilder b(out, type, flags, seq);
  ifaddrmsg* ifa = b.put_header<ifaddrmsg>();
  if (ifa != nullptr) {
    ifa->ifa_family = addr.family();
    ifa->ifa_prefixlen = spec.prefix.len;
    // The u8 field holds the legacy flags; IFA_FLAGS below carries all 32 bits.
    ifa->ifa_flags = static_cast<uint8_t>(spec.flags & 0xff);
    ifa->ifa_scope = spec.scope;
    ifa->ifa_index = static_cast<uint32_t>(spec.ifindex);
  }
  b.put_bytes(IFA_LOCAL, addr.bytes());
  b.put_bytes(IFA_ADDRESS, addr.bytes());
  if (spec.flags > 0xff) b.put_u32(IFA_FLAGS, spec.flags);
  if (type == RTM_NEWADDR && addr.is_v4() && spec.broadcast && spec.prefix.len < 31) {
    std::span<const uint8_t> a = addr.bytes();
    uint32_t host_bits = 32u - spec.prefix.len;
    uint32_t v = (uint32_t{a[0]} << 24) | (uint32_t{a[1]} << 16) | (uint32_t{a[2]} << 8) | a[3];
    v |= (host_bits == 32 ? 0xffffffffu : ((1u << host_bits) - 1u));
    IpAddr brd = IpAddr::v4(static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                            static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v));
    b.put_bytes(IFA_BROADCAST, brd.bytes());
  }
  return b.finish();
}

}  // namespace

Result<void> build_address_add(Bytes& out, uint32_t seq, const AddressSpec& spec) {
  return build_address(out, seq, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, spec);
}

Result<void> build_address_replace(Bytes& out, uint32_t seq, const AddressSpec& spec) {
  return build_address(out, seq, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, spec);
}

Result<void> build_address_delete(Bytes& out, uint32_t seq, const AddressSpec& spec) {
  return build_address(out, seq, RTM_DELADDR, NLM_F_ACK, spec);
}

Result<void> build_address_dump(Bytes& out, uint32_t seq, uint8_t family) {
  MessageBuilder b(out, RTM_GETADDR, NLM_F_DUMP, seq);
  ifaddrmsg* ifa = b.put_header<ifaddrmsg>();
  if (ifa != nullptr) ifa->ifa_family = family;
  return b.finish();
}

Result<AddressInfo> parse_address(const Message& m) {
  if (m.type != RTM_NEWADDR) {
    return make_error("netlink", EBADMSG, "expected RTM_NEWADDR, got " + message_type_name(m.type));
  }
  OVNK_ASSIGN_OR_RETURN(ifaddrmsg ifa, read_header<ifaddrmsg>(m.payload, "RTM_NEWADDR"));
  AddressInfo info;
  info.ifindex = static_cast<int>(ifa.ifa_index);
  info.scope = ifa.ifa_scope;
  info.flags = ifa.ifa_flags;
  std::optional<IpAddr> local;
  std::optional<IpAddr> address;
  AttrReader r(attrs_after(m.payload, sizeof(ifaddrmsg)));
  while (auto a = r.next()) {
    switch (a->type) {
      case IFA_LOCAL: {
        OVNK_ASSIGN_OR_RETURN(local, IpAddr::from_bytes(a->bytes()));
        break;
      }
      case IFA_ADDRESS: {
        OVNK_ASSIGN_OR_RETURN(address, IpAddr::from_bytes(a->bytes()));
        break;
      }
      case IFA_BROADCAST: {
        OVNK_ASSIGN_OR_RETURN(info.broadcast, IpAddr::from_bytes(a->bytes()));
        break;
      }
      case IFA_LABEL: info.label = std::string(a->str()); break;
      case IFA_FLAGS: {
        OVNK_ASSIGN_OR_RETURN(info.flags, a->u32());
        break;
      }
      default: break;
    }
  }
  OVNK_TRY(r.status());
  const std::optional<IpAddr>& chosen = local ? local : address;
  if (!chosen) return make_error("netlink", EBADMSG, "RTM_NEWADDR without an address");
  if (chosen->family() != ifa.ifa_family) {
    return make_error("netlink", EBADMSG, "RTM_NEWADDR address family does not match its header");
  }
  OVNK_ASSIGN_OR_RETURN(info.prefix, IpPrefix::make(*chosen, ifa.ifa_prefixlen));
  return info;
}

}  // namespace ovnk::netlink
