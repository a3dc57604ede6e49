#include "netlink/ack.h"

#include <linux/netlink.h>

#include <cstring>

namespace ovnk::netlink {

namespace {

Result<void> parse_ext_ack(std::span<const char> tlvs, Ack& ack) {
  AttrReader r(tlvs);
  while (auto a = r.next()) {
    switch (a->type) {
      case NLMSGERR_ATTR_MSG: ack.message = std::string(a->str()); break;
      case NLMSGERR_ATTR_OFFS: {
        OVNK_ASSIGN_OR_RETURN(uint32_t off, a->u32());
        ack.bad_attr_offset = off;
        break;
      }
      case NLMSGERR_ATTR_MISS_TYPE: {
        OVNK_ASSIGN_OR_RETURN(uint32_t t, a->u32());
        ack.missing_attr = t;
        break;
      }
      default: break;  // cookie, policy, ...: not needed to explain an error
    }
  }
  return r.status();
}

int errno_from_kernel(int32_t error) {
  // The kernel sends -errno; a positive value would be a broken peer, and
  // INT_MIN cannot be negated: both are reported as EPROTO.
  if (error > 0 || error < -4095) return EPROTO;
  return -error;
}

}  // namespace

Result<Ack> parse_error_message(const Message& m) {
  // struct nlmsgerr { int error; struct nlmsghdr msg; } then, unless capped,
  // the rest of the request, then (NLM_F_ACK_TLVS) the extended ack.
  constexpr size_t kFixed = sizeof(int32_t) + sizeof(nlmsghdr);
  if (m.payload.size() < kFixed) {
    return make_error("netlink", EBADMSG,
                      "NLMSG_ERROR truncated: " + std::to_string(m.payload.size()) + " bytes");
  }
  int32_t error;
  nlmsghdr echoed;
  std::memcpy(&error, m.payload.data(), sizeof error);
  std::memcpy(&echoed, m.payload.data() + sizeof error, sizeof echoed);
  Ack ack;
  ack.error = errno_from_kernel(error);
  ack.request_type = echoed.nlmsg_type;
  ack.request_seq = echoed.nlmsg_seq;
  size_t tlv_start = kFixed;
  if ((m.flags & NLM_F_CAPPED) == 0) {
    if (echoed.nlmsg_len < sizeof(nlmsghdr)) {
      return make_error("netlink", EBADMSG, "NLMSG_ERROR echoes a request shorter than its header");
    }
    tlv_start = sizeof(int32_t) + echoed.nlmsg_len;
  }
  tlv_start = (tlv_start + 3) & ~size_t{3};
  if ((m.flags & NLM_F_ACK_TLVS) != 0) {
    if (tlv_start > m.payload.size()) {
      return make_error("netlink", EBADMSG, "NLMSG_ERROR extended ack beyond the message");
    }
    OVNK_TRY(parse_ext_ack(m.payload.subspan(tlv_start), ack));
  }
  return ack;
}

Result<Ack> parse_done_message(const Message& m) {
  Ack ack;
  if (m.payload.size() < sizeof(int32_t)) {
    // Some families end dumps with an empty NLMSG_DONE: success.
    if (m.payload.empty()) return ack;
    return make_error("netlink", EBADMSG,
                      "NLMSG_DONE truncated: " + std::to_string(m.payload.size()) + " bytes");
  }
  int32_t error;
  std::memcpy(&error, m.payload.data(), sizeof error);
  ack.error = errno_from_kernel(error);
  if (error == 0) ack.error = 0;
  if ((m.flags & NLM_F_ACK_TLVS) != 0) OVNK_TRY(parse_ext_ack(m.payload.subspan(sizeof error), ack));
  return ack;
}

Error ack_error(const Ack& ack, std::string_view what) {
  Error e = errno_error("netlink", ack.error, what);
  if (!ack.message.empty()) e.message.append(" (kernel: ").append(ack.message).append(")");
  if (ack.missing_attr) {
    e.message.append(" (missing attribute ").append(std::to_string(*ack.missing_attr)).append(")");
  }
  return e;
}

}  // namespace ovnk::netlink
