// CNI spec versions this plugin speaks, and how they differ on the wire.
//
// Supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0. Older (0.1/0.2, the ip4/ip6
// result) are refused with code 1; runtimes of the last years all speak 0.3+.
// Differences that matter here:
//   - 0.3.x/0.4.0 results carry "version":"4"|"6" on each ip; 1.x dropped it.
//   - CHECK exists from 0.4.0; GC and STATUS from 1.1.0.
//   - 1.1.0 adds interface mtu/socketPath/pciID and route mtu/advmss/priority/
//     table/scope; they are left out when answering an older version.
#pragma once

#include <array>
#include <string_view>

#include "base/result.h"

namespace ovnk::cni {

enum class SpecVersion { k030, k031, k040, k100, k110 };

inline constexpr SpecVersion kLatestVersion = SpecVersion::k110;
inline constexpr std::array<std::string_view, 5> kSupportedVersions = {"0.3.0", "0.3.1", "0.4.0",
                                                                      "1.0.0", "1.1.0"};

std::string_view version_string(SpecVersion v);
// Exactly one of kSupportedVersions; anything else is code 1.
Result<SpecVersion> parse_version(std::string_view text);

inline bool has_ip_version_field(SpecVersion v) { return v < SpecVersion::k100; }
inline bool has_check(SpecVersion v) { return v >= SpecVersion::k040; }
inline bool has_gc_and_status(SpecVersion v) { return v >= SpecVersion::k110; }
inline bool has_1_1_result_fields(SpecVersion v) { return v >= SpecVersion::k110; }

}  // namespace ovnk::cni
