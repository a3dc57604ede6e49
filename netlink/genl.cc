#include "netlink/genl.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

namespace ovnk::netlink {

void put_genl_header(MessageBuilder& b, uint8_t cmd, uint8_t version) {
  genlmsghdr* g = b.put_header<genlmsghdr>();
  if (g == nullptr) return;
  g->cmd = cmd;
  g->version = version;
}

Result<std::span<const char>> genl_attrs(const Message& m, uint16_t family_id, uint8_t* cmd) {
  if (m.type != family_id) {
    return make_error("netlink", EBADMSG,
                      "expected generic netlink family " + std::to_string(family_id) + ", got " +
                          message_type_name(m.type, NETLINK_GENERIC));
  }
  OVNK_ASSIGN_OR_RETURN(genlmsghdr g, read_header<genlmsghdr>(m.payload, "generic netlink"));
  if (cmd != nullptr) *cmd = g.cmd;
  return attrs_after(m.payload, sizeof(genlmsghdr));
}

Result<void> build_genl_get_family(Bytes& out, uint32_t seq, std::string_view name) {
  if (name.empty() || name.size() >= GENL_NAMSIZ) {
    return make_error("netlink", EINVAL, "generic netlink family name '" + std::string(name) + "'");
  }
  MessageBuilder b(out, GENL_ID_CTRL, NLM_F_ACK, seq);
  put_genl_header(b, CTRL_CMD_GETFAMILY, 1);
  b.put_strz(CTRL_ATTR_FAMILY_NAME, name);
  return b.finish();
}

namespace {

Result<void> parse_mcast_groups(std::span<const char> nest, GenlFamily& family) {
  AttrReader groups(nest);
  while (auto g = groups.next()) {
    AttrReader fields(g->payload);
    std::pair<std::string, uint32_t> entry;
    while (auto f = fields.next()) {
      if (f->type == CTRL_ATTR_MCAST_GRP_NAME) entry.first = std::string(f->str());
      if (f->type == CTRL_ATTR_MCAST_GRP_ID) {
        OVNK_ASSIGN_OR_RETURN(entry.second, f->u32());
      }
    }
    OVNK_TRY(fields.status());
    family.mcast_groups.push_back(std::move(entry));
  }
  return groups.status();
}

}  // namespace

Result<GenlFamily> parse_genl_family(const Message& m) {
  uint8_t cmd = 0;
  OVNK_ASSIGN_OR_RETURN(std::span<const char> attrs, genl_attrs(m, GENL_ID_CTRL, &cmd));
  if (cmd != CTRL_CMD_NEWFAMILY) {
    return make_error("netlink", EBADMSG, "controller reply with command " + std::to_string(cmd));
  }
  GenlFamily family;
  AttrReader r(attrs);
  while (auto a = r.next()) {
    switch (a->type) {
      case CTRL_ATTR_FAMILY_ID: {
        OVNK_ASSIGN_OR_RETURN(family.id, a->u16());
        break;
      }
      case CTRL_ATTR_FAMILY_NAME: family.name = std::string(a->str()); break;
      case CTRL_ATTR_VERSION: {
        OVNK_ASSIGN_OR_RETURN(family.version, a->u32());
        break;
      }
      case CTRL_ATTR_MAXATTR: {
        OVNK_ASSIGN_OR_RETURN(family.max_attr, a->u32());
        break;
      }
      case CTRL_ATTR_MCAST_GROUPS: OVNK_TRY(parse_mcast_groups(a->payload, family)); break;
      default: break;
    }
  }
  OVNK_TRY(r.status());
  // Dynamic ids start above the reserved range (GENL_MIN_ID).
  if (family.id < GENL_MIN_ID) {
    return make_error("netlink", EBADMSG,
                      "controller reply for '" + family.name + "' without a valid family id");
  }
  return family;
}

}  // namespace ovnk::netlink
