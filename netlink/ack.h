// The kernel's answers that end a request: NLMSG_ERROR (an ACK when error is
// 0) and NLMSG_DONE (the end of a multi-part dump), with the extended ACK
// attributes (NETLINK_EXT_ACK: a human-readable message, the offset of the
// offending attribute, a missing attribute type).
//
// Both the capped form (NETLINK_CAP_ACK: only the request's header is echoed)
// and the full form (the whole request echoed) are parsed; truncated or
// inconsistent input is an EBADMSG error, never a crash. Pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "netlink/message.h"

namespace ovnk::netlink {

struct Ack {
  int error = 0;              // positive errno; 0 = success
  std::string message;        // NLMSGERR_ATTR_MSG, empty when absent
  std::optional<uint32_t> bad_attr_offset;  // NLMSGERR_ATTR_OFFS (into the request)
  std::optional<uint32_t> missing_attr;     // NLMSGERR_ATTR_MISS_TYPE
  uint16_t request_type = 0;  // the echoed request's nlmsg_type (NLMSG_ERROR only)
  uint32_t request_seq = 0;
};

// An NLMSG_ERROR message.
Result<Ack> parse_error_message(const Message& m);
// An NLMSG_DONE message: an error code (0 for a complete dump), maybe ext-ack TLVs.
Result<Ack> parse_done_message(const Message& m);

// The Error for a failed ack: domain "netlink", code = the errno, message
// "<what>: <strerror>" plus the kernel's own words when it gave some:
// "create veth pod1: File exists (kernel: ...)".
Error ack_error(const Ack& ack, std::string_view what);

}  // namespace ovnk::netlink
