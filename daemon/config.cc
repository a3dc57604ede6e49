#include "daemon/config.h"

#include <cerrno>
#include <charconv>

namespace ovnk::daemon {

namespace {

Error config_error(std::string_view message) { return make_error("config", EINVAL, message); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max, std::string_view what) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return config_error(std::string(what) + ": '" + std::string(text) + "' is not a whole number");
  }
  if (v < min || v > max) {
    return config_error(std::string(what) + ": " + std::string(text) + " is out of range [" +
                        std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return v;
}

Result<bool> parse_switch(std::string_view text, std::string_view what) {
  if (text == "on" || text == "true" || text == "yes" || text == "1") return true;
  if (text == "off" || text == "false" || text == "no" || text == "0") return false;
  return config_error(std::string(what) + ": '" + std::string(text) + "' is not on/off");
}

Result<netlink::IpPrefix> parse_cidr(std::string_view text, std::string_view what) {
  auto p = netlink::IpPrefix::parse(text);
  if (!p.ok() || text.find('/') == std::string_view::npos) {
    return config_error(std::string(what) + ": '" + std::string(text) + "' is not a CIDR (e.g. 10.244.1.0/24)");
  }
  return p->network();
}

// Flags without a value.
bool takes_value(std::string_view key) { return key != "help"; }

Result<void> apply(DaemonConfig& c, std::string_view key, std::string_view value, std::string_view where) {
  const std::string flag = std::string(where).empty() ? "--" + std::string(key) : std::string(where) + std::string(key);
  if (key == "node") {
    if (value.empty()) return config_error(flag + ": the node name is empty");
    c.node = std::string(value);
  } else if (key == "nb") {
    if (value.empty()) return config_error(flag + ": empty remote");
    c.nb_remote = std::string(value);
  } else if (key == "ovs") {
    if (value.empty()) return config_error(flag + ": empty remote");
    c.ovs_remote = std::string(value);
  } else if (key == "node-subnet") {
    OVNK_ASSIGN_OR_RETURN(c.node_subnet, parse_cidr(value, flag));
  } else if (key == "cluster-cidr") {
    OVNK_ASSIGN_OR_RETURN(auto p, parse_cidr(value, flag));
    c.cluster_cidr = p;
  } else if (key == "cni-socket") {
    if (value.empty() || value.front() != '/') return config_error(flag + ": '" + std::string(value) + "' is not an absolute path");
    c.cni_socket = std::string(value);
  } else if (key == "mtu") {
    OVNK_ASSIGN_OR_RETURN(auto v, parse_uint(value, 68, 65535, flag));
    c.mtu = static_cast<uint32_t>(v);
  } else if (key == "backend") {
    auto b = reactor::parse_backend(value);
    if (!b.ok()) return config_error(flag + ": '" + std::string(value) + "' is not uv or uring");
    c.backend = *b;
  } else if (key == "batch-max") {
    OVNK_ASSIGN_OR_RETURN(auto v, parse_uint(value, 1, 100000, flag));
    c.batch_max = static_cast<size_t>(v);
  } else if (key == "batch-interval") {
    OVNK_ASSIGN_OR_RETURN(auto v, parse_uint(value, 0, 1000, flag));
    c.batch_interval = std::chrono::milliseconds(v);
  } else if (key == "config") {
    c.config_file = std::string(value);
  } else if (key == "log-level") {
    auto l = log::parse_level(value);
    if (!l.ok()) return config_error(flag + ": '" + std::string(value) + "' is not trace, debug, info, warn, error or off");
    c.log_level = *l;
  } else if (key == "ready-timeout") {
    OVNK_ASSIGN_OR_RETURN(auto v, parse_uint(value, 1, 3600, flag));
    c.ready_timeout = std::chrono::seconds(v);
  } else if (key == "reconcile-interval") {
    OVNK_ASSIGN_OR_RETURN(auto v, parse_uint(value, 0, 86400, flag));
    c.reconcile_interval = std::chrono::seconds(v);
  } else if (key == "tx-offloads") {
    OVNK_ASSIGN_OR_RETURN(bool on, parse_switch(value, flag));
    c.offloads_off = !on;
  } else if (key == "bridge") {
    if (value.empty()) return config_error(flag + ": empty bridge name");
    c.bridge = std::string(value);
  } else if (key == "create-topology") {
    OVNK_ASSIGN_OR_RETURN(c.create_topology, parse_switch(value, flag));
  } else if (key == "management-port") {
    OVNK_ASSIGN_OR_RETURN(c.management_port, parse_switch(value, flag));
  } else if (key == "system-id") {
    if (value.empty()) return config_error(flag + ": empty system id");
    c.system_id = std::string(value);
  } else if (key == "ovn-remote") {
    if (value.empty()) return config_error(flag + ": empty remote");
    c.ovn_remote = std::string(value);
  } else if (key == "encap-type") {
    if (value != "geneve" && value != "vxlan" && value != "stt") {
      return config_error(flag + ": '" + std::string(value) + "' is not geneve, vxlan or stt");
    }
    c.encap_type = std::string(value);
  } else if (key == "encap-ip") {
    auto ip = netlink::IpAddr::parse(value);
    if (!ip.ok()) return config_error(flag + ": '" + std::string(value) + "' is not an IP address");
    c.encap_ip = ip->to_string();
  } else if (key == "bridge-mappings") {
    // "physnet:br-phy[,physnet2:br-x]"
    std::string_view rest = value;
    if (rest.empty()) return config_error(flag + ": empty mapping (e.g. physnet:br-phy)");
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      size_t colon = item.find(':');
      if (colon == 0 || colon == std::string_view::npos || colon + 1 == item.size()) {
        return config_error(flag + ": '" + std::string(item) + "' is not NETWORK:BRIDGE");
      }
    }
    c.bridge_mappings = std::string(value);
  } else if (key == "nb-client-privkey" || key == "nb-client-cert" || key == "nb-client-cacert") {
    if (value.empty()) return config_error(flag + ": empty file name");
    std::string& file = key == "nb-client-privkey" ? c.nb_client_privkey
                        : key == "nb-client-cert"  ? c.nb_client_cert
                                                   : c.nb_client_cacert;
    file = std::string(value);
  } else {
    return config_error(flag + ": unknown option (see --help)");
  }
  return ok_result();
}

Result<void> check_required(const DaemonConfig& c) {
  if (c.node.empty()) return config_error("--node is required (the node's name, e.g. its hostname)");
  if (c.nb_remote.empty()) return config_error("--nb is required (the OVN Northbound remote, e.g. unix:/var/run/ovn/ovnnb_db.sock)");
  const bool nb_ssl = c.nb_remote.find("ssl:") != std::string::npos;
  const bool nb_tls_complete = !c.nb_client_privkey.empty() && !c.nb_client_cert.empty() && !c.nb_client_cacert.empty();
  if (nb_ssl && !nb_tls_complete) {
    return config_error("--nb " + c.nb_remote +
                        ": ssl: remotes need --nb-client-privkey, --nb-client-cert and --nb-client-cacert "
                        "(the server's certificate is verified against the CA)");
  }
  if (!c.node_subnet.addr.is_set()) return config_error("--node-subnet is required (the node's pod subnet, e.g. 10.244.1.0/24)");
  if (!c.node_subnet.addr.is_v4()) return config_error("--node-subnet: only IPv4 is supported");
  if (c.node_subnet.len < 8 || c.node_subnet.len > 30) {
    return config_error("--node-subnet: " + c.node_subnet.to_string() + " must be between /8 and /30");
  }
  if (c.cluster_cidr) {
    const auto& cc = *c.cluster_cidr;
    bool inside = cc.addr.is_v4() && cc.len <= c.node_subnet.len &&
                  netlink::IpPrefix{c.node_subnet.addr, cc.len}.network() == cc;
    if (!inside) {
      return config_error("--cluster-cidr " + cc.to_string() + " does not contain --node-subnet " +
                          c.node_subnet.to_string());
    }
  }
  return ok_result();
}

}  // namespace

Result<void> apply_config_text(DaemonConfig& config, std::string_view text, std::string_view origin) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const std::string where = std::string(origin) + " line " + std::to_string(line_no) + ": ";
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return config_error(where + "expected key = value, got '" + std::string(line) + "'");
    std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (key == "config") return config_error(where + "'config' cannot be set from a config file");
    OVNK_TRY(apply(config, key, value, where));
  }
  return ok_result();
}

Result<DaemonConfig> parse_config(const std::vector<std::string>& args, const ReadFileFn& read_file) {
  // Split into (key, value) pairs first, so that --config is known before the
  // other flags are applied on top of the file.
  std::vector<std::pair<std::string, std::string>> flags;
  DaemonConfig config;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      config.help = true;
      return config;
    }
    if (a.substr(0, 2) != "--" || a.size() == 2) {
      return config_error("unexpected argument '" + std::string(a) + "' (flags start with --; see --help)");
    }
    a.remove_prefix(2);
    std::string key;
    std::string value;
    if (size_t eq = a.find('='); eq != std::string_view::npos) {
      key = std::string(a.substr(0, eq));
      value = std::string(a.substr(eq + 1));
    } else {
      key = std::string(a);
      if (!takes_value(key)) continue;
      if (i + 1 >= args.size()) return config_error("--" + key + " needs a value");
      value = args[++i];
    }
    flags.emplace_back(std::move(key), std::move(value));
  }
  for (const auto& [key, value] : flags) {
    if (key == "config") config.config_file = value;
  }
  if (!config.config_file.empty()) {
    auto text = read_file(config.config_file);
    if (!text.ok()) return config_error("--config " + config.config_file + ": " + text.error().to_string());
    OVNK_TRY(apply_config_text(config, *text, config.config_file));
  }
  for (const auto& [key, value] : flags) OVNK_TRY(apply(config, key, value, ""));
  OVNK_TRY(check_required(config));
  return config;
}

std::string usage() {
  return R"(usage: ovnk-reactor --node NAME --nb REMOTE --node-subnet CIDR [options]

Plugs pods into OVN: serves the CNI socket for the ovnk-cni plugin, speaks
OVSDB to the OVN Northbound and Open_vSwitch databases and rtnetlink to the
kernel, batching the work of concurrent pods.

  --node NAME               this node (logical switch name, requested-chassis)
  --nb REMOTE               OVN Northbound: unix:PATH, tcp:IP:PORT, ssl:IP:PORT (comma list)
  --ovs REMOTE              Open_vSwitch database (default unix:/var/run/openvswitch/db.sock)
  --node-subnet CIDR        the node's pod subnet (.1 gateway, .2 management)
  --cluster-cidr CIDR       the cluster's pod network (a pod route via the gateway)
  --cni-socket PATH         CNI socket (default /var/run/ovnk-reactor/cni.sock)
  --mtu N                   pod interface MTU (default 1400)
  --backend uv|uring        event loop (default uv; uring falls back to uv if unavailable)
  --batch-max N             pods per OVSDB transaction (default 256)
  --batch-interval MS       least time between two batches that are not full, so that a
                            steady trickle of pods still shares transactions (default 10, 0 = off)
  --ready-timeout S         seconds an ADD may take until ovn-installed (default 60)
  --reconcile-interval S    seconds between reconciliations, 0 = only at start (default 60)
  --tx-offloads on|off      TX offloads of the pod interface (default off)
  --bridge NAME             integration bridge (default br-int)
  --create-topology on|off  create the node switch, router port and management LSP if missing (default on)
  --management-port on|off  create and keep the management port ovn-k8s-mp0 (default on)
  --system-id ID            Open_vSwitch external_ids:system-id (the chassis name)
  --ovn-remote REMOTE       external_ids:ovn-remote, the SB database for ovn-controller
  --encap-type T            external_ids:ovn-encap-type: geneve (default), vxlan, stt
  --encap-ip IP             external_ids:ovn-encap-ip, this node's tunnel address
  --bridge-mappings MAP     external_ids:ovn-bridge-mappings, e.g. physnet:br-phy (localnet)
  --nb-client-privkey F     for ssl: Northbound remotes: our private key (PEM)
  --nb-client-cert F        ... our certificate (PEM)
  --nb-client-cacert F      ... the CA the server's certificate must chain to (PEM)
  --log-level L             trace, debug, info, warn, error (default info)
  --config FILE             key = value lines with the same keys; flags win
  --help                    this text
)";
}

}  // namespace ovnk::daemon
