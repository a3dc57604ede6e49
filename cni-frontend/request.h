// From what the runtime handed the plugin (environment + stdin config) to a
// validated CniRequest. The shim runs it to fail fast without bothering the
// daemon; the daemon runs it again on what arrives over the socket, since
// anything that can open the socket (curl) can send anything.
//
// Order of checks, so that the first error is the most useful one:
// CNI_COMMAND (4), the config (6/1/7/2), the command against the version
// (CHECK needs 0.4.0+, GC and STATUS 1.1.0+: code 1), the attachment variables
// (4), CNI_ARGS (4), then command-specific config: CHECK needs prevResult, GC
// needs its valid-attachments list (7).
#pragma once

#include <string_view>

#include "base/result.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

// VERSION is not a request (the shim answers it): it is refused here with 4.
Result<CniRequest> make_request(const CniEnv& env, std::string_view config_json);

}  // namespace ovnk::cni
