// Validation of the CNI attachment parameters, per the spec (section 2/3).
//
//   container id: not empty, starts with an ASCII letter or digit, then letters,
//                 digits, '_', '.', '-';
//   ifname:       not empty, at most 15 bytes (IFNAMSIZ - 1), not "." or "..",
//                 no '/', ':' or whitespace (the kernel's dev_valid_name);
//   netns:        required for ADD and CHECK, optional for DEL (runtimes send
//                 an empty one when the sandbox is gone); when present it must
//                 be an absolute path (/proc/<pid>/ns/net or /run/netns/<x>).
// Which variables a command needs: ADD/CHECK all four, DEL all but CNI_NETNS,
// VERSION/GC/STATUS only CNI_COMMAND (GC's CNI_PATH is not needed: nothing is
// delegated). Failures are code 4 and name the variable.
#pragma once

#include <string_view>

#include "base/result.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

Result<void> validate_container_id(std::string_view id);
Result<void> validate_ifname(std::string_view ifname);
Result<void> validate_netns(std::string_view netns, Command command);
// The variables `command` needs (see above); CNI_COMMAND itself is parsed before.
Result<void> validate_env(const CniEnv& env, Command command);

}  // namespace ovnk::cni
