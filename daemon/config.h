// The daemon's configuration: command-line flags and an optional key=value
// file, parsed into one DaemonConfig with errors that say which flag, file and
// line is wrong. Pure: the file is read through a caller-supplied function.
//
//   ovnk-reactor --node NAME --nb REMOTE --node-subnet CIDR
//                [--ovs REMOTE] [--cluster-cidr CIDR] [--cni-socket PATH]
//                [--mtu N] [--backend uv|uring] [--batch-max N] [--batch-interval MS]
//                [--config FILE] [--log-level L] [--ready-timeout S]
//                [--reconcile-interval S] [--tx-offloads on|off]
//                [--bridge NAME] [--create-topology on|off]
//                [--management-port on|off] [--system-id ID] [--ovn-remote REMOTE]
//                [--encap-type geneve|vxlan|stt] [--encap-ip IP] [--bridge-mappings MAP]
//                [--nb-client-privkey F --nb-client-cert F --nb-client-cacert F]
//
// Flags take "--key value" or "--key=value". The file holds the same keys
// without the dashes, one "key = value" a line; '#' starts a comment. Flags
// win over the file, the file over the defaults. Required: node, nb,
// node-subnet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "base/result.h"
#include "base/time.h"
#include "netlink/inet.h"
#include "reactor/loop.h"

namespace ovnk::daemon {

struct DaemonConfig {
  std::string node;
  std::string nb_remote;
  std::string ovs_remote = "unix:/var/run/openvswitch/db.sock";
  netlink::IpPrefix node_subnet;
  std::optional<netlink::IpPrefix> cluster_cidr;
  std::string cni_socket = "/var/run/ovnk-reactor/cni.sock";
  uint32_t mtu = 1400;
  reactor::Backend backend = reactor::Backend::kLibuv;
  size_t batch_max = 256;
  Duration batch_interval = std::chrono::milliseconds(10);  // pacing of batches that are not full
  std::string config_file;
  log::Level log_level = log::Level::kInfo;
  Duration ready_timeout = std::chrono::seconds(60);
  Duration reconcile_interval = std::chrono::seconds(60);
  bool offloads_off = true;
  std::string bridge = "br-int";
  bool create_topology = true;
  // The node's management port ovn-k8s-mp0 (agent/management_port.h); off
  // when something else owns it.
  bool management_port = true;
  // Open_vSwitch external_ids for ovn-controller (agent/node_ovs_config.h):
  // written only when set; encap_type defaults to geneve once any is set.
  std::optional<std::string> system_id;
  std::optional<std::string> ovn_remote;
  std::optional<std::string> encap_type;
  std::optional<std::string> encap_ip;
  std::optional<std::string> bridge_mappings;
  // TLS for ssl: Northbound remotes (ovn-kubernetes' flag names): our key and
  // certificate, and the CA the server's certificate must chain to. Required
  // together when --nb has an ssl: remote.
  std::string nb_client_privkey;
  std::string nb_client_cert;
  std::string nb_client_cacert;
  bool help = false;  // --help: print usage() and exit 0
};

// Reads a whole file (the daemon passes one that uses the file system).
using ReadFileFn = std::function<Result<std::string>(const std::string& path)>;

// argv without the program name.
Result<DaemonConfig> parse_config(const std::vector<std::string>& args, const ReadFileFn& read_file);

// Applies one "key=value" file's text to `config` (for tests; parse_config
// calls it). `origin` names the file in errors.
Result<void> apply_config_text(DaemonConfig& config, std::string_view text, std::string_view origin);

std::string usage();

}  // namespace ovnk::daemon
