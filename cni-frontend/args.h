// CNI_ARGS: the runtime's "K=V;K=V" extra arguments.
//
// Known keys are the ones kubelet, containerd and CRI-O pass: K8S_POD_NAMESPACE,
// K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID, and IgnoreUnknown. As in
// libcni's LoadArgs (which every reference plugin uses): an empty CNI_ARGS is
// fine; each pair must have exactly one '='; an unknown key is an error unless
// IgnoreUnknown is "1"/"true" (case-insensitive) somewhere in the string, in
// which case it is kept in `unknown` (podman sends only
// "IgnoreUnknown=1;K8S_POD_NAME=..."). The error code is 4 (invalid environment
// variable, naming CNI_ARGS), since CNI_ARGS is an environment variable, not a
// network config field (code 2).
// Deviation, on purpose: empty pairs (";;", a trailing ';') are skipped rather
// than refused; no runtime means anything by them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ovnk::cni {

struct CniArgs {
  bool ignore_unknown = false;
  std::string pod_namespace;           // K8S_POD_NAMESPACE
  std::string pod_name;                // K8S_POD_NAME
  std::string pod_infra_container_id;  // K8S_POD_INFRA_CONTAINER_ID
  std::string pod_uid;                 // K8S_POD_UID
  std::vector<std::pair<std::string, std::string>> unknown;  // only with IgnoreUnknown

  bool has_pod() const { return !pod_namespace.empty() && !pod_name.empty(); }
  bool operator==(const CniArgs&) const = default;
};

Result<CniArgs> parse_cni_args(std::string_view text);

}  // namespace ovnk::cni
