#include "netlink/link.h"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

namespace ovnk::netlink {

namespace {

Error invalid(std::string message) { return make_error("netlink", EINVAL, message); }

// Statistics are most of a link dump's bytes and the agent never reads them.
constexpr uint32_t kLinkExtMask = RTEXT_FILTER_SKIP_STATS;

ifinfomsg* put_ifinfo(MessageBuilder& b, int index, std::optional<bool> up) {
  ifinfomsg* ifi = b.put_header<ifinfomsg>();
  if (ifi == nullptr) return nullptr;
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  if (up) {
    // ifi_change selects which flags ifi_flags sets; 0 in both leaves flags alone.
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = *up ? static_cast<unsigned>(IFF_UP) : 0u;
  }
  return ifi;
}

Result<void> check_end(const VethEnd& end, std::string_view which) {
  if (auto ok = check_ifname(end.name); !ok.ok()) {
    return std::move(ok).error().with_context(std::string("veth ") + std::string(which) + " end");
  }
  return ok_result();
}

void put_mac(MessageBuilder& b, uint16_t type, const MacAddr& mac) {
  b.put_bytes(type, {mac.bytes.data(), mac.bytes.size()});
}

}  // namespace

Result<void> check_ifname(std::string_view name) {
  if (name.empty()) return invalid("empty interface name");
  if (name.size() > kMaxIfNameLen) {
    return invalid("interface name '" + std::string(name) + "' longer than 15 bytes");
  }
  // The kernel's dev_valid_name(): no '/', ':', whitespace, and not "." or "..".
  if (name == "." || name == "..") return invalid("interface name '" + std::string(name) + "'");
  for (char c : name) {
    if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\0') {
      return invalid("interface name '" + std::string(name) + "' has a forbidden character");
    }
  }
  return ok_result();
}

std::string LinkRef::to_string() const {
  if (index > 0) return "ifindex " + std::to_string(index);
  return "'" + name + "'";
}

Result<void> build_veth_create(Bytes& out, uint32_t seq, const VethSpec& spec) {
  OVNK_TRY(check_end(spec.host, "host"));
  OVNK_TRY(check_end(spec.peer, "peer"));
  if (spec.peer.up) {
    return invalid("veth peer " + spec.peer.name +
                   " cannot be up at creation (the kernel answers ENOTCONN): set it up afterwards");
  }
  MessageBuilder b(out, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
  put_ifinfo(b, 0, spec.host.up ? std::optional<bool>(true) : std::nullopt);
  if (spec.host.mtu != 0) b.put_u32(IFLA_MTU, spec.host.mtu);
  if (spec.host.group) b.put_u32(IFLA_GROUP, *spec.host.group);
  b.put_strz(IFLA_IFNAME, spec.host.name);
  if (spec.host.mac) put_mac(b, IFLA_ADDRESS, *spec.host.mac);
  if (spec.host.netns_fd >= 0) b.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(spec.host.netns_fd));
  nlattr* linkinfo = b.nest_start(IFLA_LINKINFO);
  b.put_str(IFLA_INFO_KIND, "veth");  // no NUL, like iproute2
  nlattr* data = b.nest_start(IFLA_INFO_DATA);
  nlattr* peer = b.nest_start(VETH_INFO_PEER);
  // The peer is described by a full ifinfomsg + IFLA_* attributes inside the nest.
  put_ifinfo(b, 0, std::nullopt);
  if (spec.peer.mac) put_mac(b, IFLA_ADDRESS, *spec.peer.mac);
  if (spec.peer.mtu != 0) b.put_u32(IFLA_MTU, spec.peer.mtu);
  if (spec.peer.group) b.put_u32(IFLA_GROUP, *spec.peer.group);
  if (spec.peer.netns_fd >= 0) b.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(spec.peer.netns_fd));
  b.put_strz(IFLA_IFNAME, spec.peer.name);
  b.nest_end(peer);
  b.nest_end(data);
  b.nest_end(linkinfo);
  return b.finish();
}

Result<void> build_vlan_create(Bytes& out, uint32_t seq, const VlanSpec& spec) {
  OVNK_TRY(check_ifname(spec.name));
  if (spec.parent_index <= 0) return invalid("VLAN " + spec.name + " without a parent ifindex");
  if (spec.vlan_id == 0 || spec.vlan_id > 4094) {
    return invalid("VLAN id " + std::to_string(spec.vlan_id) + " outside 1..4094");
  }
  MessageBuilder b(out, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
  put_ifinfo(b, 0, spec.up ? std::optional<bool>(true) : std::nullopt);
  b.put_u32(IFLA_LINK, static_cast<uint32_t>(spec.parent_index));
  if (spec.mtu != 0) b.put_u32(IFLA_MTU, spec.mtu);
  if (spec.mac) put_mac(b, IFLA_ADDRESS, *spec.mac);
  if (spec.netns_fd >= 0) b.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(spec.netns_fd));
  b.put_strz(IFLA_IFNAME, spec.name);
  nlattr* linkinfo = b.nest_start(IFLA_LINKINFO);
  b.put_str(IFLA_INFO_KIND, "vlan");
  nlattr* data = b.nest_start(IFLA_INFO_DATA);
  b.put_u16(IFLA_VLAN_ID, spec.vlan_id);
  b.nest_end(data);
  b.nest_end(linkinfo);
  return b.finish();
}

Result<void> build_link_change(Bytes& out, uint32_t seq, const LinkChange& change) {
  const LinkRef& link = change.link;
  if (link.index <= 0) OVNK_TRY(check_ifname(link.name));
  if (change.new_name) {
    OVNK_TRY(check_ifname(*change.new_name));
    // By name the kernel finds the device through IFLA_IFNAME, which a rename
    // replaces: renaming needs the index.
    if (link.index <= 0) return invalid("renaming link " + link.to_string() + " needs its ifindex");
  }
  if (change.mtu && *change.mtu == 0) return invalid("MTU 0 for link " + link.to_string());
  MessageBuilder b(out, RTM_NEWLINK, NLM_F_ACK, seq);
  put_ifinfo(b, link.index > 0 ? link.index : 0, change.up);
  if (link.index <= 0) b.put_strz(IFLA_IFNAME, link.name);
  if (change.mtu) b.put_u32(IFLA_MTU, *change.mtu);
  if (change.group) b.put_u32(IFLA_GROUP, *change.group);
  if (change.mac) put_mac(b, IFLA_ADDRESS, *change.mac);
  if (change.new_name) b.put_strz(IFLA_IFNAME, *change.new_name);
  if (change.netns_fd) {
    if (*change.netns_fd < 0) return invalid("negative netns fd for link " + link.to_string());
    b.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(*change.netns_fd));
  }
  return b.finish();
}

Result<void> build_link_delete(Bytes& out, uint32_t seq, const LinkRef& link) {
  if (link.index <= 0) OVNK_TRY(check_ifname(link.name));
  MessageBuilder b(out, RTM_DELLINK, NLM_F_ACK, seq);
  put_ifinfo(b, link.index > 0 ? link.index : 0, std::nullopt);
  if (link.index <= 0) b.put_strz(IFLA_IFNAME, link.name);
  return b.finish();
}

Result<void> build_link_delete_group(Bytes& out, uint32_t seq, uint32_t group) {
  // Group 0 is "default": every interface of the netns. Never by accident.
  if (group == 0) return invalid("refusing to delete link group 0 (the default group)");
  MessageBuilder b(out, RTM_DELLINK, NLM_F_ACK, seq);
  put_ifinfo(b, 0, std::nullopt);
  b.put_u32(IFLA_GROUP, group);
  return b.finish();
}

Result<void> build_link_get(Bytes& out, uint32_t seq, const LinkRef& link) {
  if (link.index <= 0) OVNK_TRY(check_ifname(link.name));
  MessageBuilder b(out, RTM_GETLINK, NLM_F_ACK, seq);
  put_ifinfo(b, link.index > 0 ? link.index : 0, std::nullopt);
  if (link.index <= 0) b.put_strz(IFLA_IFNAME, link.name);
  b.put_u32(IFLA_EXT_MASK, kLinkExtMask);
  return b.finish();
}

Result<void> build_link_dump(Bytes& out, uint32_t seq) {
  MessageBuilder b(out, RTM_GETLINK, NLM_F_DUMP, seq);
  put_ifinfo(b, 0, std::nullopt);
  b.put_u32(IFLA_EXT_MASK, kLinkExtMask);
  return b.finish();
}

Result<void> build_link_set_up(Bytes& out, uint32_t seq, const LinkRef& link, bool up) {
  LinkChange c;
  c.link = link;
  c.up = up;
  return build_link_change(out, seq, c);
}

Result<void> build_link_set_mtu(Bytes& out, uint32_t seq, const LinkRef& link, uint32_t mtu) {
  LinkChange c;
  c.link = link;
  c.mtu = mtu;
  return build_link_change(out, seq, c);
}

Result<void> build_link_set_mac(Bytes& out, uint32_t seq, const LinkRef& link, const MacAddr& mac) {
  LinkChange c;
  c.link = link;
  c.mac = mac;
  return build_link_change(out, seq, c);
}

Result<void> build_link_set_name(Bytes& out, uint32_t seq, const LinkRef& link, std::string name) {
  LinkChange c;
  c.link = link;
  c.new_name = std::move(name);
  return build_link_change(out, seq, c);
}

Result<void> build_link_set_netns(Bytes& out, uint32_t seq, const LinkRef& link, int netns_fd) {
  LinkChange c;
  c.link = link;
  c.netns_fd = netns_fd;
  return build_link_change(out, seq, c);
}

Result<void> build_link_set_group(Bytes& out, uint32_t seq, const LinkRef& link, uint32_t group) {
  LinkChange c;
  c.link = link;
  c.group = group;
  return build_link_change(out, seq, c);
}

bool LinkInfo::up() const { return (flags & IFF_UP) != 0; }

namespace {

Result<void> parse_linkinfo(std::span<const char> nest, LinkInfo& info) {
  AttrReader r(nest);
  std::span<const char> data;
  bool have_data = false;
  while (auto a = r.next()) {
    if (a->type == IFLA_INFO_KIND) info.kind = std::string(a->str());
    if (a->type == IFLA_INFO_DATA) {
      data = a->payload;
      have_data = true;
    }
  }
  OVNK_TRY(r.status());
  // INFO_DATA is kind-specific: only VLAN's is read.
  if (have_data && info.kind == "vlan") {
    AttrReader d(data);
    while (auto a = d.next()) {
      if (a->type == IFLA_VLAN_ID) {
        OVNK_ASSIGN_OR_RETURN(uint16_t id, a->u16());
        info.vlan_id = id;
      }
    }
    OVNK_TRY(d.status());
  }
  return ok_result();
}

}  // namespace

Result<LinkInfo> parse_link(const Message& m) {
  if (m.type != RTM_NEWLINK) {
    return make_error("netlink", EBADMSG, "expected RTM_NEWLINK, got " + message_type_name(m.type));
  }
  OVNK_ASSIGN_OR_RETURN(ifinfomsg ifi, read_header<ifinfomsg>(m.payload, "RTM_NEWLINK"));
  LinkInfo info;
  info.index = ifi.ifi_index;
  info.type = ifi.ifi_type;
  info.flags = ifi.ifi_flags;
  AttrReader r(attrs_after(m.payload, sizeof(ifinfomsg)));
  while (auto a = r.next()) {
    switch (a->type) {
      case IFLA_IFNAME: info.name = std::string(a->str()); break;
      case IFLA_MTU: {
        OVNK_ASSIGN_OR_RETURN(info.mtu, a->u32());
        break;
      }
      case IFLA_ADDRESS:
        // Only Ethernet-sized addresses are MACs (lo has 6 zero bytes, tunnels 4/16).
        if (a->payload.size() == 6) info.mac = MacAddr::from_bytes(a->bytes()).value();
        break;
      case IFLA_GROUP: {
        OVNK_ASSIGN_OR_RETURN(info.group, a->u32());
        break;
      }
      case IFLA_MASTER: {
        OVNK_ASSIGN_OR_RETURN(uint32_t v, a->u32());
        info.master = static_cast<int>(v);
        break;
      }
      case IFLA_LINK: {
        OVNK_ASSIGN_OR_RETURN(uint32_t v, a->u32());
        info.link = static_cast<int>(v);
        break;
      }
      case IFLA_LINK_NETNSID: {
        OVNK_ASSIGN_OR_RETURN(int32_t v, a->s32());
        info.link_netnsid = v;
        break;
      }
      case IFLA_OPERSTATE: {
        OVNK_ASSIGN_OR_RETURN(info.operstate, a->u8());
        break;
      }
      case IFLA_LINKINFO: OVNK_TRY(parse_linkinfo(a->payload, info)); break;
      default: break;
    }
  }
  OVNK_TRY(r.status());
  if (info.index <= 0) return make_error("netlink", EBADMSG, "RTM_NEWLINK without an ifindex");
  return info;
}

}  // namespace ovnk::netlink
