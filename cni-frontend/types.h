// The CNI request and result as plain values, independent of any JSON library
// and of the cniVersion they travel in.
//
// CniEnv is the environment exactly as the runtime set it (strings, absent =
// empty); CniRequest is what the daemon works on once it is validated: the
// command, the checked attachment parameters, the parsed CNI_ARGS and network
// config. CniResult is the 1.1 result model; result.h writes it in whatever
// cniVersion the runtime asked for and reads 0.3.x-1.1 results (prevResult).
//
// Invariants of a CniRequest built by make_request(): container_id and ifname
// are valid per the spec for commands that carry them, netns is absolute or
// (DEL only) empty, and config.version supports the command.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "cni-frontend/args.h"
#include "cni-frontend/version.h"

namespace ovnk::cni {

enum class Command { kAdd, kDel, kCheck, kVersion, kGc, kStatus };
std::string_view command_name(Command command);  // "ADD", "DEL", ...
Result<Command> parse_command(std::string_view text);  // code 4 when unknown

struct CniEnv {
  std::string command;       // CNI_COMMAND
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS
  std::string path;          // CNI_PATH
  bool operator==(const CniEnv&) const = default;
};

struct CniInterface {
  std::string name;
  std::string mac;      // optional
  std::string sandbox;  // netns path for container interfaces, empty on the host
  std::optional<uint32_t> mtu;  // 1.1
  std::string socket_path;      // 1.1
  std::string pci_id;           // 1.1
  bool operator==(const CniInterface&) const = default;
};

struct CniIp {
  std::string address;  // CIDR, "10.244.1.5/24" or "fd00::5/64"
  std::string gateway;  // optional
  std::optional<uint32_t> interface;  // index into CniResult::interfaces
  bool is_ipv6() const { return address.find(':') != std::string::npos; }
  bool operator==(const CniIp&) const = default;
};

struct CniRoute {
  std::string dst;  // CIDR
  std::string gw;   // optional
  // 1.1 only:
  std::optional<int64_t> mtu;
  std::optional<int64_t> advmss;
  std::optional<int64_t> priority;
  std::optional<int64_t> table;
  std::optional<int64_t> scope;
  bool operator==(const CniRoute&) const = default;
};

struct CniDns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
  bool empty() const {
    return nameservers.empty() && domain.empty() && search.empty() && options.empty();
  }
  bool operator==(const CniDns&) const = default;
};

struct CniResult {
  std::vector<CniInterface> interfaces;
  std::vector<CniIp> ips;
  std::vector<CniRoute> routes;
  CniDns dns;
  bool operator==(const CniResult&) const = default;
};

// Where the daemon takes the pod's ip/mac/gateway from.
enum class IpamMode {
  kSubnet,  // "subnet": allocated from the node's subnet by the daemon (default)
  kOvn,     // "ovn": read from a pre-provisioned Logical_Switch_Port
};

// One entry of GC's "cni.dev/valid-attachments".
struct Attachment {
  std::string container_id;
  std::string ifname;
  bool operator==(const Attachment&) const = default;
};

inline constexpr std::string_view kDefaultDaemonSocket = "/var/run/ovnk-reactor/cni.sock";
inline constexpr Duration kDefaultTimeout = std::chrono::seconds(120);  // kubelet's CRI timeout

// The plugin configuration object on stdin, after the runtime derived it from a
// conflist. Fields of ours (all optional):
//   "daemonSocket"   string  unix socket of the daemon (default above)
//   "timeoutSeconds" number  (0, 3600], whole request deadline (default 120)
//   "mtu"            number  68..65535, pod interface MTU (default: the
//                            daemon's, 1400 in overlay mode)
//   "ipamMode"       string  "subnet" | "ovn" (default "subnet")
// Unknown fields are ignored (the spec allows plugins to ignore them).
struct NetConfig {
  std::string cni_version;  // as given, one of kSupportedVersions
  SpecVersion version = kLatestVersion;
  std::string name;
  std::string type;
  std::string daemon_socket{kDefaultDaemonSocket};
  Duration timeout = kDefaultTimeout;
  std::optional<uint32_t> mtu;
  IpamMode ipam_mode = IpamMode::kSubnet;
  std::optional<CniResult> prev_result;
  // GC: "cni.dev/valid-attachments" (or the earlier "cni.dev/attachments").
  std::optional<std::vector<Attachment>> valid_attachments;
  std::string json;  // the whole object, minified: what is forwarded and logged
};

struct CniRequest {
  Command command = Command::kAdd;
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string path;
  CniArgs args;
  NetConfig config;
};

}  // namespace ovnk::cni
