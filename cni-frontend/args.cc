#include "cni-frontend/args.h"

#include "cni-frontend/errors.h"

namespace ovnk::cni {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Error args_error(std::string_view what, std::string_view pair) {
  std::string m = "invalid environment variable CNI_ARGS; ";
  m.append(what).append(" ").append(quote_value(pair));
  return cni_error(Code::kInvalidEnvironment, m);
}

}  // namespace

Result<CniArgs> parse_cni_args(std::string_view text) {
  CniArgs out;
  std::vector<std::string_view> unknown_pairs;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(pos, end - pos);
    pos = end + 1;
    if (pair.empty()) continue;

    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.find('=', eq + 1) != std::string_view::npos) {
      return args_error("a pair must be KEY=VALUE with exactly one '=':", pair);
    }
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = pair.substr(eq + 1);
    if (key.empty()) return args_error("empty key in", pair);

    // libcni matches keys against Go struct field names, so case matters for
    // the K8S_* keys, and IgnoreUnknown is spelled the way every runtime sends it.
    if (key == "IgnoreUnknown") {
      if (iequals(value, "1") || iequals(value, "true")) {
        out.ignore_unknown = true;
      } else if (iequals(value, "0") || iequals(value, "false")) {
        out.ignore_unknown = false;
      } else {
        return args_error("IgnoreUnknown must be 1, 0, true or false:", pair);
      }
    } else if (key == "K8S_POD_NAMESPACE") {
      out.pod_namespace = std::string(value);
    } else if (key == "K8S_POD_NAME") {
      out.pod_name = std::string(value);
    } else if (key == "K8S_POD_INFRA_CONTAINER_ID") {
      out.pod_infra_container_id = std::string(value);
    } else if (key == "K8S_POD_UID") {
      out.pod_uid = std::string(value);
    } else {
      unknown_pairs.push_back(pair);
      out.unknown.emplace_back(std::string(key), std::string(value));
    }
  }
  // IgnoreUnknown applies to the whole string wherever it appears (libcni
  // decides after the loop too).
  if (!unknown_pairs.empty() && !out.ignore_unknown) {
    return args_error("unknown key (set IgnoreUnknown=1 to allow it):", unknown_pairs.front());
  }
  return out;
}

}  // namespace ovnk::cni
