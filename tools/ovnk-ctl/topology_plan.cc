#include "tools/ovnk-ctl/topology_plan.h"

#include <algorithm>
#include <cerrno>
#include <set>

namespace ovnk::ctl {

using ovsdb::Atom;
using ovsdb::Condition;
using ovsdb::Datum;
using ovsdb::Function;

namespace names {
std::string rtoj(std::string_view router) { return "rtoj-" + std::string(router); }
std::string jtor(std::string_view router) { return "jtor-" + std::string(router); }
std::string rtos(std::string_view node) { return "rtos-" + std::string(node); }
std::string stor(std::string_view node) { return "stor-" + std::string(node); }
std::string k8s(std::string_view node) { return "k8s-" + std::string(node); }
std::string gateway_router(std::string_view node) { return "GR_" + std::string(node); }
std::string external_switch(std::string_view node) { return "ext_" + std::string(node); }
std::string rtoe(std::string_view router) { return "rtoe-" + std::string(router); }
std::string etor(std::string_view router) { return "etor-" + std::string(router); }
std::string localnet(std::string_view physnet, std::string_view node) {
  return std::string(physnet) + "_" + std::string(node);
}
std::string gateway_chassis(std::string_view port, std::string_view chassis) {
  return std::string(port) + "-" + std::string(chassis);
}
}  // namespace names

namespace {

constexpr std::string_view kLS = "Logical_Switch";
constexpr std::string_view kLSP = "Logical_Switch_Port";
constexpr std::string_view kLR = "Logical_Router";
constexpr std::string_view kLRP = "Logical_Router_Port";
constexpr std::string_view kRoute = "Logical_Router_Static_Route";
constexpr std::string_view kNAT = "NAT";
constexpr std::string_view kGwChassis = "Gateway_Chassis";

Error plan_error(int code, std::string_view message) { return make_error("ctl", code, message); }

// ---- Building desired rows ----

DesiredRow named_row(std::string_view table, std::string_view name) {
  DesiredRow r;
  r.table = std::string(table);
  r.name = std::string(name);
  r.columns.emplace_back("name", Datum::string(std::string(name)));
  r.label = r.table + " " + r.name;
  return r;
}

DesiredRow anonymous_row(std::string_view table, std::vector<std::string> match, std::string label) {
  DesiredRow r;
  r.table = std::string(table);
  r.match = std::move(match);
  r.label = std::string(table) + " " + std::move(label);
  return r;
}

void set_column(DesiredRow& r, std::string column, Datum value) { r.columns.emplace_back(std::move(column), std::move(value)); }

void set_keys(DesiredRow& r, std::string column, StringPairs pairs) {
  r.map_keys.emplace_back(std::move(column), std::move(pairs));
}

void set_parent(DesiredRow& r, std::string_view table, std::string_view name, std::string_view column) {
  r.parent = ParentRef{std::string(table), std::string(name), std::string(column)};
}

// Ownership marks, written on insert only.
void mark(DesiredRow& r, std::string_view node) {
  StringPairs pairs{{std::string(kOwnerKey), std::string(kOwnerValue)}};
  if (!node.empty()) pairs.emplace_back(std::string(kNodeKey), std::string(node));
  r.insert_only.emplace_back("external_ids", std::move(pairs));
}

// A switch port of type router peering with `router_port`.
DesiredRow router_lsp(std::string_view switch_name, std::string_view name, std::string_view router_port,
                      std::string_view node) {
  DesiredRow r = named_row(kLSP, name);
  set_column(r, "type", Datum::string("router"));
  set_column(r, "addresses", Datum::string_set({"router"}));
  set_keys(r, "options", {{"router-port", std::string(router_port)}});
  mark(r, node);
  set_parent(r, kLS, switch_name, "ports");
  return r;
}

std::vector<std::string> prefix_strings(const std::vector<IpPrefix>& prefixes) {
  std::vector<std::string> out;
  for (const IpPrefix& p : prefixes) out.push_back(p.to_string());
  return out;
}

// IPv4 first: the MAC of a dual-stack port follows its IPv4 address, as in
// ovn-kubernetes.
const IpPrefix& mac_source(const std::vector<IpPrefix>& addrs) {
  for (const IpPrefix& p : addrs) {
    if (p.addr.is_v4()) return p;
  }
  return addrs.front();
}

DesiredRow router_port(std::string_view router, std::string_view name, const std::vector<IpPrefix>& networks) {
  DesiredRow r = named_row(kLRP, name);
  set_column(r, "mac", Datum::string(mac_for(mac_source(networks).addr)));
  set_column(r, "networks", Datum::string_set(prefix_strings(networks)));
  set_parent(r, kLR, router, "ports");
  return r;
}

DesiredRow static_route(std::string_view router, const IpPrefix& prefix, const IpAddr& nexthop, bool src_ip,
                        std::string_view output_port, std::string_view node) {
  std::string label = std::string(router) + ": " + (src_ip ? "from " : "") + prefix.to_string() + " via " +
                      nexthop.to_string();
  DesiredRow r = anonymous_row(kRoute, {"ip_prefix", "policy"}, std::move(label));
  set_column(r, "ip_prefix", Datum::string(prefix.to_string()));
  set_column(r, "policy", src_ip ? Datum::string("src-ip") : Datum());
  set_column(r, "nexthop", Datum::string(nexthop.to_string()));
  set_column(r, "output_port", output_port.empty() ? Datum() : Datum::string(std::string(output_port)));
  mark(r, node);
  set_parent(r, kLR, router, "static_routes");
  return r;
}

// ---- diff ----

struct Item {
  const DesiredRow* d = nullptr;
  size_t depth = 0;
  std::optional<ovsdb::Uuid> existing;
  ovsdb::Uuid uuid;
  bool parent_is_new = false;
  std::optional<ovsdb::Uuid> parent_uuid;
  bool needs_ref = false;  // existing, but its parent does not reference it yet
};

using NameKey = std::pair<std::string, std::string>;

bool row_matches(const SnapRow& row, const DesiredRow& d) {
  for (const std::string& column : d.match) {
    auto it = std::find_if(d.columns.begin(), d.columns.end(), [&](const auto& c) { return c.first == column; });
    if (it == d.columns.end()) return false;
    const Datum* have = row.get(column);
    if (have == nullptr || !(*have == it->second)) return false;
  }
  return true;
}

std::string names_of(const std::vector<const SnapRow*>& rows) {
  std::string out;
  for (const SnapRow* r : rows) {
    if (!out.empty()) out += ", ";
    std::string n = r->str("name");
    out += n.empty() ? r->uuid.to_string() : n;
  }
  return out;
}

}  // namespace

Result<ChangeSet> diff(const NbSnapshot& snapshot, const DesiredState& desired,
                       const std::function<ovsdb::Uuid()>& next_uuid) {
  std::vector<Item> items(desired.rows.size());
  std::map<NameKey, size_t> by_name;
  for (size_t i = 0; i < desired.rows.size(); ++i) {
    items[i].d = &desired.rows[i];
    const DesiredRow& d = desired.rows[i];
    if (!d.name.empty() && !by_name.emplace(NameKey{d.table, d.name}, i).second) {
      return plan_error(EINVAL, "plan lists " + d.label + " twice");
    }
  }
  // Depth in the plan's own parent chain: parents are resolved first and
  // inserted last (a reference to a new row must follow its insert).
  for (size_t i = 0; i < items.size(); ++i) {
    size_t depth = 0;
    const DesiredRow* d = items[i].d;
    while (d->parent) {
      auto it = by_name.find(NameKey{d->parent->table, d->parent->name});
      if (it == by_name.end()) break;
      if (++depth > items.size()) return plan_error(EINVAL, "parent cycle at " + items[i].d->label);
      d = items[it->second].d;
    }
    items[i].depth = depth;
  }
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return items[a].depth < items[b].depth; });

  for (size_t i : order) {
    Item& item = items[i];
    const DesiredRow& d = *item.d;
    if (d.parent) {
      auto it = by_name.find(NameKey{d.parent->table, d.parent->name});
      if (it != by_name.end()) {
        item.parent_uuid = items[it->second].uuid;
        item.parent_is_new = !items[it->second].existing;
      } else {
        auto parents = snapshot.find_by_name(d.parent->table, d.parent->name);
        if (parents.empty()) {
          return plan_error(ENOENT, d.parent->table + " " + d.parent->name + " does not exist (needed by " + d.label + ")");
        }
        if (parents.size() > 1) {
          return plan_error(EEXIST, "NB has " + std::to_string(parents.size()) + " rows " + d.parent->table + " " +
                                        d.parent->name + "; expected one");
        }
        item.parent_uuid = parents.front()->uuid;
      }
    }
    if (!d.name.empty()) {
      auto rows = snapshot.find_by_name(d.table, d.name);
      if (rows.size() > 1) {
        return plan_error(EEXIST, "NB has " + std::to_string(rows.size()) + " rows " + d.label + "; expected one");
      }
      if (!rows.empty()) {
        item.existing = rows.front()->uuid;
        if (d.parent) {
          auto refs = snapshot.referrers(d.parent->table, d.parent->column, *item.existing);
          bool ours = !item.parent_is_new && std::any_of(refs.begin(), refs.end(), [&](const SnapRow* r) {
            return r->uuid == *item.parent_uuid;
          });
          if (!ours && !refs.empty()) {
            return plan_error(EEXIST, d.label + " belongs to " + d.parent->table + " " + names_of(refs) + ", not " +
                                          d.parent->name);
          }
          item.needs_ref = !ours;
        }
      }
    } else if (d.parent && !item.parent_is_new) {
      const SnapRow* parent = snapshot.find(d.parent->table, *item.parent_uuid);
      for (const ovsdb::Uuid& u : parent != nullptr ? parent->uuids(d.parent->column) : std::vector<ovsdb::Uuid>{}) {
        const SnapRow* row = snapshot.find(d.table, u);
        if (row != nullptr && row_matches(*row, d)) {
          item.existing = u;
          break;
        }
      }
    }
    item.uuid = item.existing ? *item.existing : next_uuid();
  }

  ChangeSet cs;
  // 1. Inserts, children before parents; a new parent's insert carries the
  //    references to its new (or unreferenced) children.
  std::vector<size_t> insert_order(order.rbegin(), order.rend());
  std::stable_sort(insert_order.begin(), insert_order.end(),
                   [&](size_t a, size_t b) { return items[a].depth > items[b].depth; });
  for (size_t i : insert_order) {
    const Item& item = items[i];
    if (item.existing) continue;
    const DesiredRow& d = *item.d;
    RowInsert ins;
    ins.table = d.table;
    ins.uuid = item.uuid;
    ins.columns = d.columns;
    std::vector<std::pair<std::string, StringPairs>> maps = d.insert_only;
    for (const auto& [column, pairs] : d.map_keys) {
      auto it = std::find_if(maps.begin(), maps.end(), [&](const auto& m) { return m.first == column; });
      if (it == maps.end()) {
        maps.emplace_back(column, pairs);
      } else {
        it->second.insert(it->second.end(), pairs.begin(), pairs.end());  // managed values win
      }
    }
    for (const auto& [column, pairs] : maps) ins.columns.emplace_back(column, Datum::string_map(pairs));
    for (const Item& child : items) {
      if (!child.d->parent || !child.parent_uuid || !(*child.parent_uuid == item.uuid)) continue;
      if (child.d->parent->table != d.table) continue;
      auto it = std::find_if(ins.refs.begin(), ins.refs.end(),
                             [&](const auto& r) { return r.first == child.d->parent->column; });
      if (it == ins.refs.end()) {
        ins.refs.emplace_back(child.d->parent->column, std::vector<ovsdb::Uuid>{});
        it = ins.refs.end() - 1;
      }
      it->second.push_back(child.uuid);
    }
    cs.add(std::move(ins), "+ " + d.label);
  }
  // 2. Existing rows whose managed columns or keys differ.
  for (size_t i : order) {
    const Item& item = items[i];
    if (!item.existing) continue;
    const DesiredRow& d = *item.d;
    const SnapRow* row = snapshot.find(d.table, *item.existing);
    if (row == nullptr) continue;
    ColumnsSet update{d.table, *item.existing, {}};
    std::string what;
    for (const auto& [column, value] : d.columns) {
      const Datum* have = row->get(column);
      if (have != nullptr && *have == value) continue;
      update.columns.emplace_back(column, value);
      what += (what.empty() ? "" : ", ") + column;
    }
    if (!update.columns.empty()) cs.add(std::move(update), "~ " + d.label + ": " + what);
    for (const auto& [column, pairs] : d.map_keys) {
      MapKeysSet m{d.table, *item.existing, column, {}};
      std::string kv;
      for (const auto& [k, v] : pairs) {
        if (row->map_get(column, k) == std::optional<std::string>(v)) continue;
        m.pairs.emplace_back(k, v);
        kv += (kv.empty() ? "" : ", ") + column + ":" + k + "=" + v;
      }
      if (!m.pairs.empty()) cs.add(std::move(m), "~ " + d.label + ": " + kv);
    }
  }
  // 3. References from existing parents to new (or unreferenced) children.
  for (size_t i : insert_order) {
    const Item& item = items[i];
    const DesiredRow& d = *item.d;
    if (!d.parent || item.parent_is_new) continue;
    if (item.existing && !item.needs_ref) continue;
    cs.add(RefChange{d.parent->table, *item.parent_uuid, d.parent->column, item.uuid, true},
           item.existing ? "~ " + d.parent->table + " " + d.parent->name + ": " + d.parent->column + " += " + d.label
                         : std::string());
  }
  // 4. Marked rows the plan no longer wants.
  for (const Prune& prune : desired.prune) {
    auto parents = snapshot.find_by_name(prune.parent.table, prune.parent.name);
    if (parents.size() != 1) continue;  // new (nothing to prune) or ambiguous (reported above)
    const SnapRow& parent = *parents.front();
    for (const ovsdb::Uuid& u : parent.uuids(prune.parent.column)) {
      bool wanted = std::any_of(items.begin(), items.end(), [&](const Item& i) { return i.existing == u; });
      const SnapRow* row = snapshot.find(prune.table, u);
      if (wanted || row == nullptr) continue;
      if (row->map_get("external_ids", kOwnerKey) != std::optional<std::string>(std::string(kOwnerValue)) ||
          row->map_get("external_ids", kNodeKey) != std::optional<std::string>(prune.node)) {
        continue;
      }
      std::string what = !row->str("name").empty()      ? row->str("name")
                         : !row->str("ip_prefix").empty() ? row->str("ip_prefix") + " via " + row->str("nexthop")
                                                          : row->str("type") + " " + row->str("logical_ip");
      cs.add(RefChange{prune.parent.table, parent.uuid, prune.parent.column, u, false},
             "- " + prune.table + " " + prune.parent.name + ": " + what);
    }
  }
  if (!cs.empty()) {
    cs.guards = desired.guards;
    // Root rows are not unique by name in the schema: make sure nobody
    // created one with the same name since the snapshot.
    for (const Item& item : items) {
      if (item.existing || item.d->name.empty() || is_non_root(item.d->table)) continue;
      cs.guards.push_back(Guard{item.d->table, {Condition::of("name", Function::kEqual, Datum::string(item.d->name))}});
    }
  }
  return cs;
}

// ---- ClusterConfig ----

Result<ClusterConfig> ClusterConfig::parse(std::string_view cluster, std::string_view node_prefix,
                                           std::string_view join) {
  ClusterConfig c;
  OVNK_ASSIGN_OR_RETURN(c.cluster_cidrs, parse_cidr_list(cluster));
  OVNK_ASSIGN_OR_RETURN(c.node_prefixes, parse_node_prefixes(node_prefix, c.cluster_cidrs));
  std::vector<IpPrefix> joins;
  if (join.empty()) {
    for (const IpPrefix& p : c.cluster_cidrs) {
      joins.push_back(p.addr.is_v4() ? IpPrefix::parse("100.64.0.0/16").value() : IpPrefix::parse("fd98::/64").value());
    }
  } else {
    OVNK_ASSIGN_OR_RETURN(joins, parse_cidr_list(join));
  }
  for (const IpPrefix& cidr : c.cluster_cidrs) {
    const IpPrefix* j = find_family(joins, cidr.addr);
    if (j == nullptr) {
      return plan_error(EINVAL, "no join CIDR of the family of cluster CIDR " + cidr.to_string());
    }
    if (j->len > (j->addr.is_v4() ? 30 : 126)) {
      return plan_error(EINVAL, "join CIDR " + j->to_string() + " is too small");
    }
    if (overlaps(*j, cidr)) {
      return plan_error(EINVAL, "join CIDR " + j->to_string() + " overlaps cluster CIDR " + cidr.to_string());
    }
    c.join_cidrs.push_back(*j);
  }
  if (joins.size() != c.join_cidrs.size()) {
    return plan_error(EINVAL, "join CIDRs '" + std::string(join) + "' name a family the cluster does not have");
  }
  return c;
}

Result<std::optional<ClusterConfig>> ClusterConfig::read(const NbSnapshot& snapshot) {
  auto routers = snapshot.find_by_name(kLR, names::kClusterRouter);
  if (routers.empty()) return std::optional<ClusterConfig>();
  if (routers.size() > 1) return plan_error(EEXIST, "NB has several logical routers named ovn_cluster_router");
  auto cidrs = routers.front()->map_get("external_ids", kClusterCidrsKey);
  if (!cidrs) return std::optional<ClusterConfig>();
  auto prefixes = routers.front()->map_get("external_ids", kNodePrefixesKey);
  auto joins = routers.front()->map_get("external_ids", kJoinCidrsKey);
  auto c = parse(*cidrs, prefixes.value_or(""), joins.value_or(""));
  if (!c.ok()) return c.error().with_context("cluster config in ovn_cluster_router external_ids");
  return std::optional<ClusterConfig>(std::move(c).value());
}

std::vector<std::pair<std::string, std::string>> ClusterConfig::external_ids() const {
  std::string prefixes;
  for (uint8_t p : node_prefixes) {
    if (!prefixes.empty()) prefixes.push_back(',');
    prefixes += std::to_string(p);
  }
  return {{std::string(kClusterCidrsKey), join_prefixes(cluster_cidrs)},
          {std::string(kNodePrefixesKey), prefixes},
          {std::string(kJoinCidrsKey), join_prefixes(join_cidrs)}};
}

std::string ClusterConfig::describe() const {
  std::string out;
  for (size_t i = 0; i < cluster_cidrs.size(); ++i) {
    if (!out.empty()) out += ", ";
    out += cluster_cidrs[i].to_string() + " (nodes /" + std::to_string(node_prefixes[i]) + ")";
  }
  return out + ", join " + join_prefixes(join_cidrs);
}

std::vector<IpPrefix> ClusterConfig::router_join_addrs() const {
  std::vector<IpPrefix> out;
  for (const IpPrefix& j : join_cidrs) out.push_back(IpPrefix{*nth_address(j, 1), j.len});
  return out;
}

std::optional<uint8_t> ClusterConfig::node_prefix_for(const IpAddr& like) const {
  for (size_t i = 0; i < cluster_cidrs.size(); ++i) {
    if (same_family(cluster_cidrs[i].addr, like)) return node_prefixes[i];
  }
  return std::nullopt;
}

// ---- Node subnets ----

std::vector<IpPrefix> switch_subnets(const SnapRow& ls) {
  if (auto text = ls.map_get("external_ids", kSubnetsKey)) {
    auto list = parse_cidr_list(*text);
    if (list.ok()) return std::move(list).value();
  }
  std::vector<IpPrefix> out;
  if (auto v4 = ls.map_get("other_config", "subnet")) {
    auto p = IpPrefix::parse(*v4);
    if (p.ok() && p->addr.is_v4()) out.push_back(p->network());
  }
  if (auto v6 = ls.map_get("other_config", "ipv6_prefix")) {
    // ovn-kubernetes writes the bare network address; OVN hands out /64s from it.
    auto p = v6->find('/') == std::string::npos ? IpPrefix::parse(*v6 + "/64") : IpPrefix::parse(*v6);
    if (p.ok() && p->addr.is_v6()) out.push_back(p->network());
  }
  return out;
}

std::map<std::string, std::vector<IpPrefix>> recorded_node_subnets(const NbSnapshot& snapshot) {
  std::map<std::string, std::vector<IpPrefix>> out;
  for (const auto& [uuid, row] : snapshot.rows(kLS)) {
    std::vector<IpPrefix> subnets = switch_subnets(row);
    if (subnets.empty()) continue;
    auto& list = out[row.str("name")];
    list.insert(list.end(), subnets.begin(), subnets.end());
  }
  return out;
}

// ---- cluster-init ----

Result<DesiredState> plan_cluster(const NbSnapshot& snapshot, const ClusterConfig& config) {
  OVNK_ASSIGN_OR_RETURN(std::optional<ClusterConfig> existing, ClusterConfig::read(snapshot));
  if (existing && !(*existing == config)) {
    return plan_error(EEXIST, "the cluster is already initialised with " + existing->describe() +
                                  "; refusing to change it to " + config.describe());
  }
  DesiredState s;
  DesiredRow router = named_row(kLR, names::kClusterRouter);
  StringPairs ids = config.external_ids();
  ids.emplace_back("k8s-cluster-router", "yes");
  set_keys(router, "external_ids", std::move(ids));
  mark(router, "");
  s.rows.push_back(std::move(router));

  DesiredRow join = named_row(kLS, names::kJoinSwitch);
  mark(join, "");
  s.rows.push_back(std::move(join));

  const std::string rtoj = names::rtoj(names::kClusterRouter);
  DesiredRow port = router_port(names::kClusterRouter, rtoj, config.router_join_addrs());
  mark(port, "");
  s.rows.push_back(std::move(port));
  s.rows.push_back(router_lsp(names::kJoinSwitch, names::jtor(names::kClusterRouter), rtoj, ""));
  return s;
}

// ---- node-add ----

Result<NodePlan> plan_node(const NbSnapshot& snapshot, const ClusterConfig& config, const NodeOptions& options) {
  const std::string& node = options.node;
  if (node.empty()) return plan_error(EINVAL, "empty node name");
  if (node == names::kJoinSwitch || node.starts_with("ext_") || node.starts_with("GR_")) {
    return plan_error(EINVAL, "node name '" + node + "' collides with a cluster switch or router name");
  }
  std::map<std::string, std::vector<IpPrefix>> recorded = recorded_node_subnets(snapshot);
  std::vector<IpPrefix> own;
  if (auto it = recorded.find(node); it != recorded.end()) own = it->second;

  std::vector<IpPrefix> requested;
  for (const IpPrefix& r : options.subnets) {
    IpPrefix net = r.network();
    const IpPrefix* cidr = config.cluster_for(net.addr);
    if (cidr == nullptr) return plan_error(EINVAL, "subnet " + net.to_string() + ": the cluster has no CIDR of its family");
    if (!contains(*cidr, net)) {
      return plan_error(EINVAL, "subnet " + net.to_string() + " is not inside cluster CIDR " + cidr->to_string());
    }
    if (net.len > (net.addr.is_v4() ? 29 : 126)) {
      return plan_error(EINVAL, "subnet " + net.to_string() + " is too small for a gateway, a management port and pods");
    }
    if (const IpPrefix* mine = find_family(own, net.addr); mine != nullptr && !(*mine == net)) {
      return plan_error(EEXIST, "node " + node + " already has subnet " + mine->to_string() +
                                    " (node-del it first to change its subnet)");
    }
    requested.push_back(net);
  }

  NodePlan plan;
  for (size_t i = 0; i < config.cluster_cidrs.size(); ++i) {
    const IpPrefix& cidr = config.cluster_cidrs[i];
    std::vector<IpPrefix> taken;
    for (const auto& [name, subnets] : recorded) {
      if (name == node) continue;
      for (const IpPrefix& s : subnets) {
        if (same_family(s.addr, cidr.addr)) taken.push_back(s);
      }
    }
    auto is_free = [&](const IpPrefix& candidate) {
      return std::none_of(taken.begin(), taken.end(), [&](const IpPrefix& t) { return overlaps(t, candidate); });
    };
    IpPrefix chosen;
    if (const IpPrefix* mine = find_family(own, cidr.addr)) {
      if (!contains(cidr, *mine)) {
        return plan_error(EINVAL, "node " + node + " has subnet " + mine->to_string() + ", outside cluster CIDR " +
                                      cidr.to_string());
      }
      plan.subnets.push_back(*mine);
      continue;
    }
    if (const IpPrefix* req = find_family(requested, cidr.addr)) {
      if (!is_free(*req)) return plan_error(EEXIST, "subnet " + req->to_string() + " overlaps another node's subnet");
      chosen = *req;
    } else {
      // The lowest free subnet: at most taken.size() candidates are in use,
      // so the search ends quickly unless someone recorded huge subnets.
      const uint64_t count = subnet_count(cidr, config.node_prefixes[i]);
      const uint64_t limit = std::min<uint64_t>(count, uint64_t{1} << 24);
      bool found = false;
      for (uint64_t n = 0; n < limit && !found; ++n) {
        auto candidate = nth_subnet(cidr, config.node_prefixes[i], n);
        if (candidate && is_free(*candidate)) {
          chosen = *candidate;
          found = true;
        }
      }
      if (!found) return plan_error(ENOSPC, "no free /" + std::to_string(config.node_prefixes[i]) + " left in " + cidr.to_string());
    }
    plan.allocated = true;
    plan.subnets.push_back(chosen);
    // Commit only if nobody took the same subnet meanwhile.
    if (chosen.addr.is_v4()) {
      plan.desired.guards.push_back(Guard{std::string(kLS),
                                          {Condition::of("other_config", Function::kIncludes,
                                                         Datum::string_map({{"subnet", chosen.to_string()}}))}});
    } else {
      plan.desired.guards.push_back(Guard{std::string(kLS),
                                          {Condition::of("other_config", Function::kIncludes,
                                                         Datum::string_map({{"ipv6_prefix", chosen.addr.to_string()}}))}});
    }
  }

  std::vector<IpPrefix> gateways, managements;
  for (const IpPrefix& s : plan.subnets) {
    gateways.push_back(gateway_if_addr(s));
    managements.push_back(management_if_addr(s));
  }

  DesiredRow ls = named_row(kLS, node);
  StringPairs other;
  for (size_t i = 0; i < plan.subnets.size(); ++i) {
    if (plan.subnets[i].addr.is_v4()) {
      other.emplace_back("subnet", plan.subnets[i].to_string());
      other.emplace_back("exclude_ips", managements[i].addr.to_string());
    } else {
      other.emplace_back("ipv6_prefix", plan.subnets[i].addr.to_string());
    }
  }
  set_keys(ls, "other_config", std::move(other));
  set_keys(ls, "external_ids", {{std::string(kNodeKey), node}, {std::string(kSubnetsKey), join_prefixes(plan.subnets)}});
  mark(ls, node);
  plan.desired.rows.push_back(std::move(ls));

  const std::string rtos = names::rtos(node);
  DesiredRow lrp = router_port(names::kClusterRouter, rtos, gateways);
  mark(lrp, node);
  plan.desired.rows.push_back(std::move(lrp));
  if (options.pin_chassis) {
    DesiredRow gc = named_row(kGwChassis, names::gateway_chassis(rtos, node));
    set_column(gc, "chassis_name", Datum::string(node));
    set_column(gc, "priority", Datum::integer(1));
    mark(gc, node);
    set_parent(gc, kLRP, rtos, "gateway_chassis");
    plan.desired.rows.push_back(std::move(gc));
  }
  // Without --pin-chassis, a pin made by an earlier node-add goes.
  plan.desired.prune.push_back(Prune{ParentRef{std::string(kLRP), rtos, "gateway_chassis"}, std::string(kGwChassis), node});
  plan.desired.rows.push_back(router_lsp(node, names::stor(node), rtos, node));

  DesiredRow mp = named_row(kLSP, names::k8s(node));
  std::string address = mac_for(mac_source(managements).addr);
  for (const IpPrefix& m : managements) address += " " + m.addr.to_string();
  set_column(mp, "addresses", Datum::string_set({address}));
  mark(mp, node);
  set_parent(mp, kLS, node, "ports");
  plan.desired.rows.push_back(std::move(mp));
  return plan;
}

// ---- gateway-add ----

Result<GatewayPlan> plan_gateway(const NbSnapshot& snapshot, const ClusterConfig& config,
                                 const GatewayOptions& options) {
  const std::string& node = options.node;
  if (node.empty()) return plan_error(EINVAL, "empty node name");
  if (options.physnet.empty()) return plan_error(EINVAL, "empty physical network name");
  if (options.addresses.empty()) return plan_error(EINVAL, "no gateway address");
  std::map<std::string, std::vector<IpPrefix>> recorded = recorded_node_subnets(snapshot);
  auto own = recorded.find(node);
  if (own == recorded.end()) return plan_error(ENOENT, "node " + node + " has no switch with a subnet (run node-add first)");
  for (const IpPrefix& a : options.addresses) {
    if (config.cluster_for(a.addr) == nullptr) {
      return plan_error(EINVAL, "gateway address " + a.to_string() + ": the cluster has no CIDR of its family");
    }
    if (find_family(options.nexthops, a.addr) == nullptr) {
      return plan_error(EINVAL, "no next hop of the family of gateway address " + a.to_string());
    }
  }
  for (const IpAddr& n : options.nexthops) {
    if (find_family(options.addresses, n) == nullptr) {
      return plan_error(EINVAL, "next hop " + n.to_string() + " has no gateway address of its family");
    }
  }

  const std::string gr = names::gateway_router(node);
  const std::string rtoj = names::rtoj(gr);
  GatewayPlan plan;
  // GR_<node>'s address on join: kept if it has one, else the lowest free
  // offset from 2 (.1 is the cluster router's).
  std::vector<IpPrefix> current;
  for (const SnapRow* p : snapshot.find_by_name(kLRP, rtoj)) {
    for (const std::string& n : p->strings("networks")) {
      if (auto prefix = IpPrefix::parse(n); prefix.ok()) current.push_back(*prefix);
    }
  }
  for (const IpPrefix& join : config.join_cidrs) {
    const IpPrefix* have = find_family(current, join.addr);
    if (have != nullptr && contains(join, have->addr) && have->len == join.len) {
      plan.join_addrs.push_back(*have);
      continue;
    }
    std::set<uint64_t> used;
    for (const auto& [uuid, lrp] : snapshot.rows(kLRP)) {
      if (lrp.str("name") == rtoj) continue;
      for (const std::string& n : lrp.strings("networks")) {
        auto prefix = IpPrefix::parse(n);
        if (!prefix.ok()) continue;
        if (auto off = address_offset(join, prefix->addr)) used.insert(*off);
      }
    }
    const uint64_t host_bits = join.addr.bit_width() - join.len;
    const uint64_t last = host_bits >= 63 ? (uint64_t{1} << 62) : (uint64_t{1} << host_bits) - (join.addr.is_v4() ? 2 : 1);
    uint64_t offset = 2;
    while (offset <= last && used.count(offset) != 0) ++offset;
    if (offset > last) return plan_error(ENOSPC, "no free address left in join CIDR " + join.to_string());
    IpPrefix addr{*nth_address(join, offset), join.len};
    plan.join_addrs.push_back(addr);
    plan.desired.guards.push_back(Guard{std::string(kLRP),
                                        {Condition::of("networks", Function::kIncludes, Datum::string(addr.to_string()))}});
  }

  DesiredRow router = named_row(kLR, gr);
  set_keys(router, "options", {{"chassis", node}});
  std::string physical_ips;
  for (const IpPrefix& a : options.addresses) physical_ips += (physical_ips.empty() ? "" : ",") + a.addr.to_string();
  set_keys(router, "external_ids", {{std::string(kNodeKey), node}, {"physical_ips", physical_ips}});
  mark(router, node);
  plan.desired.rows.push_back(std::move(router));

  DesiredRow join_port = router_port(gr, rtoj, plan.join_addrs);
  mark(join_port, node);
  plan.desired.rows.push_back(std::move(join_port));
  plan.desired.rows.push_back(router_lsp(names::kJoinSwitch, names::jtor(gr), rtoj, node));

  const std::string rtoe = names::rtoe(gr);
  DesiredRow ext_port = router_port(gr, rtoe, options.addresses);
  mark(ext_port, node);
  plan.desired.rows.push_back(std::move(ext_port));

  const std::string ext = names::external_switch(node);
  DesiredRow ext_switch = named_row(kLS, ext);
  set_keys(ext_switch, "external_ids", {{std::string(kNodeKey), node}});
  mark(ext_switch, node);
  plan.desired.rows.push_back(std::move(ext_switch));
  plan.desired.rows.push_back(router_lsp(ext, names::etor(gr), rtoe, node));

  DesiredRow ln = named_row(kLSP, names::localnet(options.physnet, node));
  set_column(ln, "type", Datum::string("localnet"));
  set_column(ln, "addresses", Datum::string_set({"unknown"}));
  set_keys(ln, "options", {{"network_name", options.physnet}});
  mark(ln, node);
  set_parent(ln, kLS, ext, "ports");
  plan.desired.rows.push_back(std::move(ln));

  plan.desired.prune = {
      {ParentRef{std::string(kLR), gr, "static_routes"}, std::string(kRoute), node},
      {ParentRef{std::string(kLR), gr, "nat"}, std::string(kNAT), node},
      {ParentRef{std::string(kLR), std::string(names::kClusterRouter), "static_routes"}, std::string(kRoute), node},
  };
  const std::vector<IpPrefix> router_join = config.router_join_addrs();
  for (const IpPrefix& a : options.addresses) {
    const IpPrefix& cluster = *config.cluster_for(a.addr);
    const IpAddr& nexthop = *find_family(options.nexthops, a.addr);
    // Back into the cluster through the cluster router.
    plan.desired.rows.push_back(static_route(gr, cluster, find_family(router_join, a.addr)->addr, false, "", node));
    // Out through the external network.
    plan.desired.rows.push_back(static_route(gr, default_route(a.addr), nexthop, false, rtoe, node));
    DesiredRow nat = anonymous_row(kNAT, {"type", "logical_ip"}, gr + ": snat " + cluster.to_string() + " to " + a.addr.to_string());
    set_column(nat, "type", Datum::string("snat"));
    set_column(nat, "logical_ip", Datum::string(cluster.to_string()));
    set_column(nat, "external_ip", Datum::string(a.addr.to_string()));
    mark(nat, node);
    set_parent(nat, kLR, gr, "nat");
    plan.desired.rows.push_back(std::move(nat));
    // The node's pods leave the cluster through their node's gateway.
    if (const IpPrefix* subnet = find_family(own->second, a.addr)) {
      plan.desired.rows.push_back(static_route(names::kClusterRouter, *subnet,
                                               find_family(plan.join_addrs, a.addr)->addr, true, "", node));
    }
  }
  return plan;
}

// ---- node-del ----

ChangeSet plan_node_delete(const NbSnapshot& snapshot, std::string_view node) {
  ChangeSet cs;
  std::set<ovsdb::Uuid> deleted;
  const std::string gr = names::gateway_router(node);
  std::vector<IpPrefix> subnets;
  for (const SnapRow* ls : snapshot.find_by_name(kLS, node)) {
    auto s = switch_subnets(*ls);
    subnets.insert(subnets.end(), s.begin(), s.end());
  }
  auto delete_root = [&](std::string_view table, std::string_view name) {
    for (const SnapRow* row : snapshot.find_by_name(table, name)) {
      cs.add(RowDelete{std::string(table), row->uuid}, "- " + std::string(table) + " " + std::string(name));
      deleted.insert(row->uuid);
    }
  };
  delete_root(kLS, node);
  delete_root(kLS, names::external_switch(node));
  delete_root(kLR, gr);
  auto unlink = [&](std::string_view table, std::string_view name, std::string_view parent_table,
                    std::string_view column) {
    for (const SnapRow* row : snapshot.find_by_name(table, name)) {
      for (const SnapRow* parent : snapshot.referrers(parent_table, column, row->uuid)) {
        if (deleted.count(parent->uuid) != 0) continue;
        cs.add(RefChange{std::string(parent_table), parent->uuid, std::string(column), row->uuid, false},
               "- " + std::string(table) + " " + std::string(name));
      }
    }
  };
  unlink(kLRP, names::rtos(node), kLR, "ports");
  unlink(kLSP, names::jtor(gr), kLS, "ports");
  unlink(kLSP, names::stor(node), kLS, "ports");
  unlink(kLSP, names::k8s(node), kLS, "ports");
  // Routes and NATs of the node on routers that stay (the cluster router's
  // src-ip route through GR_<node>, also when another tool made it unmarked).
  for (const auto& [uuid, router] : snapshot.rows(kLR)) {
    if (deleted.count(uuid) != 0) continue;
    for (const ovsdb::Uuid& u : router.uuids("static_routes")) {
      const SnapRow* route = snapshot.find(kRoute, u);
      if (route == nullptr) continue;
      bool mine = route->map_get("external_ids", kNodeKey) == std::optional<std::string>(std::string(node));
      if (!mine && route->strings("policy") == std::vector<std::string>{"src-ip"}) {
        auto prefix = IpPrefix::parse(route->str("ip_prefix"));
        mine = prefix.ok() && std::find(subnets.begin(), subnets.end(), prefix->network()) != subnets.end();
      }
      if (!mine) continue;
      cs.add(RefChange{std::string(kLR), uuid, "static_routes", u, false},
             "- " + std::string(kRoute) + " " + router.str("name") + ": " + route->str("ip_prefix") + " via " +
                 route->str("nexthop"));
    }
    for (const ovsdb::Uuid& u : router.uuids("nat")) {
      const SnapRow* nat = snapshot.find(kNAT, u);
      if (nat == nullptr || nat->map_get("external_ids", kNodeKey) != std::optional<std::string>(std::string(node))) continue;
      cs.add(RefChange{std::string(kLR), uuid, "nat", u, false}, "- NAT " + router.str("name") + ": " + nat->str("type"));
    }
  }
  return cs;
}

}  // namespace ovnk::ctl
