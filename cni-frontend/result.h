// The JSON the plugin prints: success results in every supported cniVersion,
// the error object, the VERSION reply; and the reverse for results (a config's
// prevResult, which may come from any supported version).
//
// Conversion rules (the spec and libcni's types/040 and types/100):
//   1.1.0        interfaces{name,mac,sandbox,mtu,socketPath,pciID},
//                ips{interface,address,gateway}, routes{dst,gw,mtu,advmss,
//                priority,table,scope}, dns;
//   1.0.0        the same without the 1.1 fields;
//   0.4.0/0.3.x  ips also carry "version":"4"|"6" (derived from the address),
//                and no 1.1 fields.
// Empty optional fields are left out (as libcni's omitempty does); "dns" is
// left out when empty. Output is compact JSON with a trailing newline.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

std::string encode_result(const CniResult& result, SpecVersion version);

// Reads a result of any supported version. Addresses must be CIDRs, gateways
// IPs, interface indexes within the interfaces list. Failures are code 7
// (code 6 when it is not JSON at all) and say which field is wrong.
Result<CniResult> decode_result(std::string_view json);

// {"cniVersion":..,"code":..,"msg":..,"details":..}; details left out if empty.
std::string encode_error(const CniError& error, std::string_view cni_version);

// Reads an error object (what the daemon answers with a non-200 status): code
// 6/7 unless it has an integer "code" >= 1 and a string "msg".
Result<CniError> decode_error(std::string_view json);

// The VERSION reply: {"cniVersion":<as asked>,"supportedVersions":[...]}.
std::string encode_version_reply(std::string_view cni_version);

}  // namespace ovnk::cni
