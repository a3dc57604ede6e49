#include "netlink/ethtool.h"

#include <linux/ethtool_netlink.h>
#include <linux/netlink.h>

#include "netlink/genl.h"

namespace ovnk::netlink {

namespace {

// Large enough for the header and a few dozen feature names.
constexpr size_t kEthtoolMaxMessage = 4096;

void put_header(MessageBuilder& b, const LinkRef& dev, uint32_t flags) {
  nlattr* h = b.nest_start(ETHTOOL_A_FEATURES_HEADER | NLA_F_NESTED);
  if (dev.index > 0) {
    b.put_u32(ETHTOOL_A_HEADER_DEV_INDEX, static_cast<uint32_t>(dev.index));
  } else {
    b.put_strz(ETHTOOL_A_HEADER_DEV_NAME, dev.name);
  }
  if (flags != 0) b.put_u32(ETHTOOL_A_HEADER_FLAGS, flags);
  b.nest_end(h);
}

Result<void> check_dev(const LinkRef& dev) {
  if (dev.index <= 0) OVNK_TRY(check_ifname(dev.name));
  return ok_result();
}

Result<FeatureBit> parse_bit(std::span<const char> nest) {
  FeatureBit bit;
  AttrReader r(nest);
  while (auto a = r.next()) {
    switch (a->type) {
      case ETHTOOL_A_BITSET_BIT_INDEX: {
        OVNK_ASSIGN_OR_RETURN(bit.index, a->u32());
        break;
      }
      case ETHTOOL_A_BITSET_BIT_NAME: bit.name = std::string(a->str()); break;
      case ETHTOOL_A_BITSET_BIT_VALUE: bit.on = true; break;
      default: break;
    }
  }
  OVNK_TRY(r.status());
  return bit;
}

Result<FeatureBits> parse_bitset(std::span<const char> nest) {
  FeatureBits out;
  bool nomask = false;
  std::span<const char> value;
  std::span<const char> mask;
  AttrReader r(nest);
  while (auto a = r.next()) {
    switch (a->type) {
      case ETHTOOL_A_BITSET_NOMASK: nomask = true; break;
      case ETHTOOL_A_BITSET_BITS: {
        AttrReader bits(a->payload);
        while (auto b = bits.next()) {
          if (b->type != ETHTOOL_A_BITSET_BITS_BIT) continue;
          OVNK_ASSIGN_OR_RETURN(FeatureBit bit, parse_bit(b->payload));
          out.bits.push_back(std::move(bit));
        }
        OVNK_TRY(bits.status());
        break;
      }
      case ETHTOOL_A_BITSET_VALUE: value = a->payload; break;
      case ETHTOOL_A_BITSET_MASK: mask = a->payload; break;
      default: break;
    }
  }
  OVNK_TRY(r.status());
  // With no mask, listing a bit means it is set (the VALUE flag is redundant).
  if (nomask) {
    for (FeatureBit& b : out.bits) b.on = true;
  }
  // Compact form (never requested, parsed for completeness): no names.
  if (out.bits.empty() && !value.empty()) {
    for (size_t byte = 0; byte < value.size(); ++byte) {
      unsigned v = static_cast<unsigned char>(value[byte]);
      unsigned m = byte < mask.size() ? static_cast<unsigned char>(mask[byte]) : 0u;
      for (unsigned bit = 0; bit < 8; ++bit) {
        bool on = ((v >> bit) & 1u) != 0;
        bool listed = nomask || ((m >> bit) & 1u) != 0;
        if (!listed && !on) continue;
        out.bits.push_back(FeatureBit{static_cast<uint32_t>(byte * 8 + bit), {}, on});
      }
    }
  }
  return out;
}

}  // namespace

bool is_pod_offload_feature(std::string_view name) {
  auto starts = [name](std::string_view p) { return name.substr(0, p.size()) == p; };
  auto ends = [name](std::string_view p) {
    return name.size() >= p.size() && name.substr(name.size() - p.size()) == p;
  };
  return starts("tx-checksum-") ||                         // ethtool "tx"
         starts("tx-scatter-gather") ||                    // "sg" (and fraglist)
         (starts("tx-tcp") && ends("-segmentation")) ||    // "tso": every TCP variant
         name == "tx-generic-segmentation";                // "gso"
}

std::vector<FeatureChange> pod_offload_changes(const Features& current) {
  std::vector<FeatureChange> out;
  for (const std::string& name : pod_offloads_still_on(current)) out.push_back(FeatureChange{name, false});
  return out;
}

std::vector<std::string> pod_offloads_still_on(const Features& current) {
  std::vector<std::string> out;
  for (const FeatureBit& b : current.active.bits) {
    if (b.on && is_pod_offload_feature(b.name) && current.hw.is_on(b.name)) out.push_back(b.name);
  }
  return out;
}

std::optional<bool> FeatureBits::get(std::string_view name) const {
  for (const FeatureBit& b : bits) {
    if (b.name == name) return b.on;
  }
  return std::nullopt;
}

namespace {

Result<void> build_features_set(Bytes& out, uint32_t seq, uint16_t family_id, const LinkRef& dev,
                                std::span<const FeatureChange> changes, uint32_t header_flags) {
  OVNK_TRY(check_dev(dev));
  if (family_id == 0) return make_error("netlink", EINVAL, "ethtool family id not resolved");
  if (changes.empty()) return make_error("netlink", EINVAL, "ethtool features set without features");
  MessageBuilder b(out, family_id, NLM_F_ACK, seq, kEthtoolMaxMessage);
  put_genl_header(b, ETHTOOL_MSG_FEATURES_SET, ETHTOOL_GENL_VERSION);
  put_header(b, dev, header_flags);
  nlattr* wanted = b.nest_start(ETHTOOL_A_FEATURES_WANTED | NLA_F_NESTED);
  nlattr* bits = b.nest_start(ETHTOOL_A_BITSET_BITS | NLA_F_NESTED);
  for (const FeatureChange& c : changes) {
    if (c.name.empty()) return make_error("netlink", EINVAL, "ethtool feature with an empty name");
    nlattr* bit = b.nest_start(ETHTOOL_A_BITSET_BITS_BIT | NLA_F_NESTED);
    b.put_strz(ETHTOOL_A_BITSET_BIT_NAME, c.name);
    // Without NOMASK, a listed bit without VALUE means "clear it".
    if (c.on) b.put_flag(ETHTOOL_A_BITSET_BIT_VALUE);
    b.nest_end(bit);
  }
  b.nest_end(bits);
  b.nest_end(wanted);
  return b.finish();
}

// The attributes of an ethtool reply of this family and command.
Result<std::span<const char>> reply_attrs(const Message& m, uint16_t family_id, uint8_t want,
                                          std::string_view want_name) {
  uint8_t cmd = 0;
  OVNK_ASSIGN_OR_RETURN(std::span<const char> attrs, genl_attrs(m, family_id, &cmd));
  if (cmd != want) {
    return make_error("netlink", EBADMSG, "ethtool reply with command " + std::to_string(cmd) + " (want " +
                                              std::string(want_name) + ")");
  }
  return attrs;
}

}  // namespace

Result<void> build_ethtool_features_set(Bytes& out, uint32_t seq, uint16_t family_id,
                                        const LinkRef& dev, std::span<const FeatureChange> changes) {
  return build_features_set(out, seq, family_id, dev, changes, ETHTOOL_FLAG_OMIT_REPLY);
}

Result<void> build_ethtool_features_set_with_reply(Bytes& out, uint32_t seq, uint16_t family_id,
                                                   const LinkRef& dev, std::span<const FeatureChange> changes) {
  return build_features_set(out, seq, family_id, dev, changes, ETHTOOL_FLAG_COMPACT_BITSETS);
}

Result<void> build_ethtool_features_get(Bytes& out, uint32_t seq, uint16_t family_id,
                                        const LinkRef& dev) {
  OVNK_TRY(check_dev(dev));
  if (family_id == 0) return make_error("netlink", EINVAL, "ethtool family id not resolved");
  MessageBuilder b(out, family_id, NLM_F_ACK, seq);
  put_genl_header(b, ETHTOOL_MSG_FEATURES_GET, ETHTOOL_GENL_VERSION);
  put_header(b, dev, 0);
  return b.finish();
}

Result<Features> parse_ethtool_features(const Message& m, uint16_t family_id) {
  OVNK_ASSIGN_OR_RETURN(std::span<const char> attrs,
                        reply_attrs(m, family_id, ETHTOOL_MSG_FEATURES_GET_REPLY, "FEATURES_GET_REPLY"));
  Features f;
  AttrReader r(attrs);
  while (auto a = r.next()) {
    switch (a->type) {
      case ETHTOOL_A_FEATURES_HEADER: {
        AttrReader h(a->payload);
        while (auto ha = h.next()) {
          if (ha->type == ETHTOOL_A_HEADER_DEV_INDEX) {
            OVNK_ASSIGN_OR_RETURN(uint32_t idx, ha->u32());
            f.ifindex = static_cast<int>(idx);
          }
          if (ha->type == ETHTOOL_A_HEADER_DEV_NAME) f.ifname = std::string(ha->str());
        }
        OVNK_TRY(h.status());
        break;
      }
      case ETHTOOL_A_FEATURES_HW: {
        OVNK_ASSIGN_OR_RETURN(f.hw, parse_bitset(a->payload));
        break;
      }
      case ETHTOOL_A_FEATURES_WANTED: {
        OVNK_ASSIGN_OR_RETURN(f.wanted, parse_bitset(a->payload));
        break;
      }
      case ETHTOOL_A_FEATURES_ACTIVE: {
        OVNK_ASSIGN_OR_RETURN(f.active, parse_bitset(a->payload));
        break;
      }
      case ETHTOOL_A_FEATURES_NOCHANGE: {
        OVNK_ASSIGN_OR_RETURN(f.nochange, parse_bitset(a->payload));
        break;
      }
      default: break;
    }
  }
  OVNK_TRY(r.status());
  return f;
}

Result<FeaturesSetReply> parse_ethtool_features_set_reply(const Message& m, uint16_t family_id) {
  OVNK_ASSIGN_OR_RETURN(std::span<const char> attrs,
                        reply_attrs(m, family_id, ETHTOOL_MSG_FEATURES_SET_REPLY, "FEATURES_SET_REPLY"));
  FeaturesSetReply out;
  AttrReader r(attrs);
  while (auto a = r.next()) {
    switch (a->type) {
      case ETHTOOL_A_FEATURES_WANTED: {
        OVNK_ASSIGN_OR_RETURN(out.unapplied, parse_bitset(a->payload));
        break;
      }
      case ETHTOOL_A_FEATURES_ACTIVE: {
        OVNK_ASSIGN_OR_RETURN(out.changed, parse_bitset(a->payload));
        break;
      }
      default: break;
    }
  }
  OVNK_TRY(r.status());
  return out;
}

}  // namespace ovnk::netlink
