// The network configuration on the plugin's stdin: the plugin configuration
// object the runtime derived from a conflist (or a lone .conf), with cniVersion,
// name, type, runtime-inserted prevResult/runtimeConfig/args, and our fields
// (see NetConfig in types.h).
//
// Checks: valid JSON object (else 6); cniVersion present and supported (else 1;
// libcni reads a missing one as 0.1.0, which we do not speak); name and type
// non-empty strings, name per the spec's network name rule (else 7); our fields
// typed and in range (else 7; an unknown ipamMode is 2, naming key and value);
// prevResult a valid result of any supported version (else 7).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

Result<NetConfig> parse_config(std::string_view json);

// The cniVersion a VERSION call's stdin ({"cniVersion":..}) asks the reply to
// carry, echoed as given even if unsupported (the runtime reads
// supportedVersions). Empty or whitespace-only stdin, or no cniVersion: the
// latest. Not JSON: 6; a cniVersion that is not a string: 7.
Result<std::string> version_request(std::string_view json);

// For error replies when the config may be broken: its cniVersion if it is a
// supported one, else the latest. Never fails.
std::string_view reply_version(std::string_view json);

}  // namespace ovnk::cni
