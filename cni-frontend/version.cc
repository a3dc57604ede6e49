#include "cni-frontend/version.h"

#include <string>

#include "cni-frontend/errors.h"

namespace ovnk::cni {

std::string_view version_string(SpecVersion v) {
  return kSupportedVersions[static_cast<size_t>(v)];
}

Result<SpecVersion> parse_version(std::string_view text) {
  for (size_t i = 0; i < kSupportedVersions.size(); ++i) {
    if (kSupportedVersions[i] == text) return static_cast<SpecVersion>(i);
  }
  std::string msg = "unsupported cniVersion ";
  msg.append(quote_value(text)).append("; this plugin supports 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0");
  return cni_error(Code::kIncompatibleVersion, msg);
}

}  // namespace ovnk::cni
