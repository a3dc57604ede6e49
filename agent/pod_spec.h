// PodSpec: what the pod pipeline needs to know about one CNI request, derived
// once from the validated CniRequest (pure; no replica, no socket).
//
// Naming follows ovn-kubernetes (so its tools read our rows):
//   - the Logical_Switch_Port is "<namespace>_<pod>" when the runtime passed
//     K8S_POD_NAMESPACE and K8S_POD_NAME, else the container id (podman and
//     ctr often send no Kubernetes arguments);
//   - the host end of the veth is the first 15 characters of the container id.
//
// Addresses the request may impose (instead of the node IPAM):
//   - runtimeConfig "k8s.ovn.org/pod-networks": the ovn-kubernetes pod
//     annotation, as a JSON string or as the object itself; its "default"
//     network gives ip_addresses (or ip_address), mac_address, gateway_ips (or
//     gateway_ip) and routes [{dest, nextHop}];
//   - CNI_ARGS "k8s.ovn.org/pod-networks=<the same JSON>" (needs IgnoreUnknown);
//   - the CNI conventions: runtimeConfig "ips" / "mac", CNI_ARGS IP= / MAC=.
// A bad value is a precise error: code 7 for the config, 4 for CNI_ARGS.
// Only IPv4 addresses are used (dual-stack is not done yet).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cni-frontend/types.h"
#include "netlink/inet.h"

namespace ovnk::agent {

struct RouteSpec {
  netlink::IpPrefix dst;
  std::optional<netlink::IpAddr> gateway;
  bool operator==(const RouteSpec&) const = default;
};

// ip/mac/gateway/routes of a pod, however they were decided.
struct PodNetwork {
  netlink::IpPrefix address;             // the pod IP with the subnet's length
  std::optional<netlink::MacAddr> mac;   // unset: derived from the IP (0a:58:...)
  std::vector<netlink::IpAddr> gateways;
  std::vector<RouteSpec> routes;
  bool operator==(const PodNetwork&) const = default;
};

// The "default" network of a k8s.ovn.org/pod-networks annotation. `what` names
// the source in errors; `code` is the CNI code of a failure.
Result<PodNetwork> parse_pod_networks(std::string_view json, std::string_view what, int code);

// One entry of Logical_Switch_Port.addresses: "<mac> <ip> [<ip>...]". The
// special entries ("router", "unknown", "dynamic") and entries without an IPv4
// address are errors (the caller skips them).
struct LspAddress {
  netlink::MacAddr mac;
  netlink::IpAddr ip;  // the first IPv4 address
};
Result<LspAddress> parse_lsp_address(std::string_view entry);

struct PodSpec {
  std::string container_id;
  std::string netns;     // may be empty on DEL
  std::string ifname;    // CNI_IFNAME
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;   // K8S_POD_UID: options:iface-id-ver
  std::string lsp_name;
  std::string host_ifname;
  std::string label;     // for logs: "namespace/pod" or the container id
  std::optional<PodNetwork> requested;  // ip/mac/gateway imposed by the request
  bool ipam_from_ovn = false;           // ipamMode "ovn": wait for a pre-provisioned LSP
  std::optional<uint32_t> mtu;          // the config's "mtu"
};

std::string host_ifname_for(std::string_view container_id);
std::string lsp_name_for(std::string_view pod_namespace, std::string_view pod_name,
                         std::string_view container_id);

Result<PodSpec> pod_spec_from_request(const cni::CniRequest& request);

}  // namespace ovnk::agent
