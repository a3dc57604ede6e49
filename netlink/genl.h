// Generic netlink framing and the controller family: a generic netlink message
// is nlmsghdr (type = the family's dynamic id) + genlmsghdr (command, version)
// + attributes. Family ids are assigned at module load, so a family is
// resolved by name first (CTRL_CMD_GETFAMILY on GENL_ID_CTRL). Ids are global
// to the kernel, not per network namespace: one resolution serves every netns.
// Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "netlink/message.h"

namespace ovnk::netlink {

// Starts a generic netlink message (header + genlmsghdr); attributes follow.
// The builder must then be finished by the caller.
void put_genl_header(MessageBuilder& b, uint8_t cmd, uint8_t version);

// The payload after genlmsghdr of a reply from `family_id`, checked.
Result<std::span<const char>> genl_attrs(const Message& m, uint16_t family_id, uint8_t* cmd = nullptr);

Result<void> build_genl_get_family(Bytes& out, uint32_t seq, std::string_view name);

struct GenlFamily {
  uint16_t id = 0;
  std::string name;
  uint32_t version = 0;
  uint32_t max_attr = 0;
  std::vector<std::pair<std::string, uint32_t>> mcast_groups;  // name, id
};

Result<GenlFamily> parse_genl_family(const Message& m);

}  // namespace ovnk::netlink
