#include "tools/ovnk-ctl/report.h"

#include <algorithm>
#include <map>

#include "ovsdb-proto/json_writer.h"

namespace ovnk::ctl {

namespace {

constexpr std::string_view kLS = "Logical_Switch";
constexpr std::string_view kLSP = "Logical_Switch_Port";
constexpr std::string_view kLR = "Logical_Router";
constexpr std::string_view kLRP = "Logical_Router_Port";

std::string joined(const std::vector<std::string>& items, std::string_view sep = ",") {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::optional<bool> bool_column(const SnapRow& row, std::string_view column) {
  const ovsdb::Datum* d = row.get(column);
  if (d == nullptr) return std::nullopt;
  const ovsdb::Atom* a = d->as_scalar();
  if (a == nullptr || !a->is_boolean()) return std::nullopt;
  return a->as_boolean();
}

bool is_node_switch(const SnapRow& ls) {
  std::string name = ls.str("name");
  if (name == names::kJoinSwitch || name.starts_with("ext_")) return false;
  return !switch_subnets(ls).empty();
}

const SnapRow* one_by_name(const NbSnapshot& snapshot, std::string_view table, std::string_view name) {
  auto rows = snapshot.find_by_name(table, name);
  return rows.empty() ? nullptr : rows.front();
}

std::vector<const SnapRow*> ports_of(const NbSnapshot& snapshot, const SnapRow& parent, std::string_view table,
                                     std::string_view column) {
  std::vector<const SnapRow*> out;
  for (const ovsdb::Uuid& u : parent.uuids(column)) {
    if (const SnapRow* r = snapshot.find(table, u)) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const SnapRow* a, const SnapRow* b) { return a->str("name") < b->str("name"); });
  return out;
}

std::optional<GatewayInfo> read_gateway(const NbSnapshot& snapshot, const std::string& node) {
  const std::string gr = names::gateway_router(node);
  const SnapRow* router = one_by_name(snapshot, kLR, gr);
  if (router == nullptr) return std::nullopt;
  GatewayInfo g;
  g.router = gr;
  g.chassis = router->map_get("options", "chassis").value_or("");
  if (const SnapRow* p = one_by_name(snapshot, kLRP, names::rtoe(gr))) g.addresses = p->strings("networks");
  if (const SnapRow* p = one_by_name(snapshot, kLRP, names::rtoj(gr))) g.join = p->strings("networks");
  for (const ovsdb::Uuid& u : router->uuids("static_routes")) {
    const SnapRow* r = snapshot.find("Logical_Router_Static_Route", u);
    if (r != nullptr && (r->str("ip_prefix") == "0.0.0.0/0" || r->str("ip_prefix") == "::/0")) {
      g.nexthops.push_back(r->str("nexthop"));
    }
  }
  for (const ovsdb::Uuid& u : router->uuids("nat")) {
    const SnapRow* n = snapshot.find("NAT", u);
    if (n != nullptr && n->str("type") == "snat") g.snat.push_back(n->str("logical_ip") + "->" + n->str("external_ip"));
  }
  if (const SnapRow* ext = one_by_name(snapshot, kLS, names::external_switch(node))) {
    for (const SnapRow* p : ports_of(snapshot, *ext, kLSP, "ports")) {
      if (p->str("type") == "localnet") g.physnet = p->map_get("options", "network_name").value_or("");
    }
  }
  std::sort(g.nexthops.begin(), g.nexthops.end());
  std::sort(g.snat.begin(), g.snat.end());
  return g;
}

std::string yes_no(const std::optional<bool>& b) { return !b ? "-" : *b ? "yes" : "no"; }

void write_strings(ovsdb::JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
  w.key(key).start_array();
  for (const std::string& s : items) w.string(s);
  w.end_array();
}

void write_optional_bool(ovsdb::JsonWriter& w, std::string_view key, const std::optional<bool>& b) {
  w.key(key);
  if (b) {
    w.boolean(*b);
  } else {
    w.null();
  }
}

}  // namespace

ClusterInfo read_cluster(const NbSnapshot& snapshot) {
  ClusterInfo info;
  auto config = ClusterConfig::read(snapshot);
  if (config.ok()) {
    info.config = *config;
  } else {
    info.config_error = config.error().message;
  }
  info.cluster_router = one_by_name(snapshot, kLR, names::kClusterRouter) != nullptr;
  info.join_switch = one_by_name(snapshot, kLS, names::kJoinSwitch) != nullptr;
  std::map<std::string, NodeInfo> nodes;
  for (const auto& [uuid, ls] : snapshot.rows(kLS)) {
    if (!is_node_switch(ls)) continue;
    NodeInfo n;
    n.name = ls.str("name");
    for (const IpPrefix& s : switch_subnets(ls)) n.subnets.push_back(s.to_string());
    if (const SnapRow* rtos = one_by_name(snapshot, kLRP, names::rtos(n.name))) {
      n.router_port = rtos->strings("networks");
      for (const SnapRow* gc : ports_of(snapshot, *rtos, "Gateway_Chassis", "gateway_chassis")) {
        n.pinned_chassis += (n.pinned_chassis.empty() ? "" : ",") + gc->str("chassis_name");
      }
    }
    const std::string mp = names::k8s(n.name);
    for (const SnapRow* p : ports_of(snapshot, ls, kLSP, "ports")) {
      if (p->str("name") == mp) {
        n.management = joined(p->strings("addresses"), " ");
        n.management_up = bool_column(*p, "up");
      } else if (p->str("type").empty()) {
        ++n.pods;
        if (bool_column(*p, "up") == std::optional<bool>(true)) ++n.pods_up;
      }
    }
    n.gateway = read_gateway(snapshot, n.name);
    nodes.emplace(n.name, std::move(n));
  }
  for (auto& [name, n] : nodes) info.nodes.push_back(std::move(n));
  return info;
}

std::vector<PodInfo> read_pods(const NbSnapshot& snapshot, std::string_view node_filter) {
  std::vector<PodInfo> out;
  for (const auto& [uuid, ls] : snapshot.rows(kLS)) {
    if (!is_node_switch(ls)) continue;
    const std::string node = ls.str("name");
    if (!node_filter.empty() && node != node_filter) continue;
    const std::string mp = names::k8s(node);
    for (const SnapRow* p : ports_of(snapshot, ls, kLSP, "ports")) {
      if (!p->str("type").empty() || p->str("name") == mp) continue;
      PodInfo pod;
      pod.node = node;
      pod.port = p->str("name");
      auto ns = p->map_get("external_ids", "namespace");
      size_t sep = pod.port.find('_');
      if (ns) {
        pod.pod_namespace = *ns;
        pod.pod = pod.port.starts_with(*ns + "_") ? pod.port.substr(ns->size() + 1) : pod.port;
      } else if (sep != std::string::npos) {
        pod.pod_namespace = pod.port.substr(0, sep);
        pod.pod = pod.port.substr(sep + 1);
      } else {
        pod.pod = pod.port;
      }
      // "<mac> <ip> [<ip>]": the first address set that carries a MAC.
      for (const std::string& a : p->strings("addresses")) {
        size_t pos = 0;
        std::vector<std::string> words;
        while (pos < a.size()) {
          size_t space = a.find(' ', pos);
          if (space == std::string::npos) space = a.size();
          if (space > pos) words.push_back(a.substr(pos, space - pos));
          pos = space + 1;
        }
        if (words.empty()) continue;
        pod.mac = words.front();
        pod.ips.assign(words.begin() + 1, words.end());
        break;
      }
      pod.up = bool_column(*p, "up");
      pod.chassis = p->map_get("options", "requested-chassis").value_or("");
      if (const ovsdb::Datum* parent = p->get("parent_name"); parent && parent->as_scalar() && parent->as_scalar()->is_string()) {
        pod.parent = parent->as_scalar()->as_string();
      }
      if (const ovsdb::Datum* tag = p->get("tag"); tag && tag->as_scalar() && tag->as_scalar()->is_integer()) {
        pod.tag = tag->as_scalar()->as_integer();
      }
      out.push_back(std::move(pod));
    }
  }
  std::sort(out.begin(), out.end(), [](const PodInfo& a, const PodInfo& b) {
    return a.node != b.node ? a.node < b.node : a.port < b.port;
  });
  return out;
}

std::string render_table(const std::vector<std::string>& headings, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(headings.size(), 0);
  for (size_t i = 0; i < headings.size(); ++i) width[i] = headings[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < width.size(); ++i) {
      std::string cell = i < cells.size() ? cells[i] : "";
      out += cell;
      if (i + 1 < width.size()) out += std::string(width[i] - cell.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headings);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string status_text(const ClusterInfo& info) {
  std::string out;
  if (info.config) {
    out += "cluster: " + info.config->describe() + "\n";
  } else if (!info.config_error.empty()) {
    out += "cluster: unreadable config: " + info.config_error + "\n";
  } else {
    out += "cluster: not initialised (ovnk-ctl cluster-init)\n";
  }
  out += "cluster router " + std::string(names::kClusterRouter) + ": " + (info.cluster_router ? "present" : "missing") +
         ", join switch: " + (info.join_switch ? "present" : "missing") + "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const NodeInfo& n : info.nodes) {
    std::string gw = "-";
    if (n.gateway) {
      gw = n.gateway->router + " " + joined(n.gateway->addresses) + " via " + joined(n.gateway->nexthops) +
           (n.gateway->physnet.empty() ? "" : " (" + n.gateway->physnet + ")");
    }
    rows.push_back({n.name, joined(n.subnets), n.router_port.empty() ? "missing" : joined(n.router_port),
                    n.management.empty() ? "missing" : n.management + " up=" + yes_no(n.management_up),
                    std::to_string(n.pods_up) + "/" + std::to_string(n.pods), n.pinned_chassis.empty() ? "-" : n.pinned_chassis,
                    gw});
  }
  if (rows.empty()) return out + "no nodes\n";
  return out + render_table({"NODE", "SUBNETS", "ROUTER PORT", "MANAGEMENT", "PODS UP", "PINNED", "GATEWAY"}, rows);
}

std::string status_json(const ClusterInfo& info) {
  ovsdb::JsonWriter w;
  w.start_object();
  w.key("cluster");
  if (info.config) {
    w.start_object();
    std::vector<std::string> cidrs, joins, prefixes;
    for (const IpPrefix& p : info.config->cluster_cidrs) cidrs.push_back(p.to_string());
    for (const IpPrefix& p : info.config->join_cidrs) joins.push_back(p.to_string());
    write_strings(w, "cluster_cidrs", cidrs);
    w.key("node_prefixes").start_array();
    for (uint8_t p : info.config->node_prefixes) w.integer(p);
    w.end_array();
    write_strings(w, "join_cidrs", joins);
    w.end_object();
  } else {
    w.null();
  }
  if (!info.config_error.empty()) w.key("config_error").string(info.config_error);
  w.key("cluster_router").boolean(info.cluster_router);
  w.key("join_switch").boolean(info.join_switch);
  w.key("nodes").start_array();
  for (const NodeInfo& n : info.nodes) {
    w.start_object();
    w.key("name").string(n.name);
    write_strings(w, "subnets", n.subnets);
    write_strings(w, "router_port", n.router_port);
    w.key("pinned_chassis").string(n.pinned_chassis);
    w.key("management").string(n.management);
    write_optional_bool(w, "management_up", n.management_up);
    w.key("pods").uinteger(n.pods);
    w.key("pods_up").uinteger(n.pods_up);
    w.key("gateway");
    if (n.gateway) {
      w.start_object();
      w.key("router").string(n.gateway->router);
      w.key("chassis").string(n.gateway->chassis);
      write_strings(w, "addresses", n.gateway->addresses);
      write_strings(w, "join", n.gateway->join);
      write_strings(w, "nexthops", n.gateway->nexthops);
      w.key("physnet").string(n.gateway->physnet);
      write_strings(w, "snat", n.gateway->snat);
      w.end_object();
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take() + "\n";
}

std::string pods_text(const std::vector<PodInfo>& pods) {
  std::vector<std::vector<std::string>> rows;
  for (const PodInfo& p : pods) {
    std::string parent = p.parent.empty() ? "-" : p.parent + (p.tag ? " tag " + std::to_string(*p.tag) : "");
    rows.push_back({p.node, p.pod_namespace.empty() ? "-" : p.pod_namespace, p.pod, p.mac, joined(p.ips),
                    yes_no(p.up), p.chassis.empty() ? "-" : p.chassis, parent});
  }
  if (rows.empty()) return "no pods\n";
  return render_table({"NODE", "NAMESPACE", "POD", "MAC", "IPS", "UP", "CHASSIS", "PARENT"}, rows);
}

std::string pods_json(const std::vector<PodInfo>& pods) {
  ovsdb::JsonWriter w;
  w.start_array();
  for (const PodInfo& p : pods) {
    w.start_object();
    w.key("node").string(p.node);
    w.key("port").string(p.port);
    w.key("namespace").string(p.pod_namespace);
    w.key("pod").string(p.pod);
    w.key("mac").string(p.mac);
    write_strings(w, "ips", p.ips);
    write_optional_bool(w, "up", p.up);
    w.key("chassis").string(p.chassis);
    w.key("parent").string(p.parent);
    w.key("tag");
    if (p.tag) {
      w.integer(*p.tag);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  return w.take() + "\n";
}

}  // namespace ovnk::ctl
