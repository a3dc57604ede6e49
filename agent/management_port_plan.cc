#include "agent/management_port_plan.h"

#include <cerrno>

#include "agent/ipam.h"
#include "agent/ovn_rows.h"
#include "agent/topology.h"

namespace ovnk::agent {

using ovsdb::Atom;
using ovsdb::Condition;
using ovsdb::Datum;
using ovsdb::InsertOptions;
using ovsdb::Mutation;
using ovsdb::Mutator;

namespace {

Error plan_error(int code, std::string message) { return make_error("management-port", code, std::move(message)); }

bool prefix_contains(const netlink::IpPrefix& net, const netlink::IpAddr& ip) {
  if (net.addr.family() != ip.family()) return false;
  return netlink::IpPrefix{ip, net.len}.network() == net.network();
}

// The .1 of a subnet: the node switch's router port (ovn-kubernetes).
netlink::IpAddr first_host(const netlink::IpPrefix& net) {
  std::array<uint8_t, 16> b{};
  const netlink::IpPrefix network = net.network();  // bytes() is a view: keep its owner alive
  auto src = network.addr.bytes();
  std::copy(src.begin(), src.end(), b.begin());
  b[src.size() - 1] = static_cast<uint8_t>(b[src.size() - 1] + 1);
  return *netlink::IpAddr::from_bytes(std::span<const uint8_t>(b.data(), src.size()));
}

std::optional<int64_t> integer_column(const ovsdb::ReplicaTable& table, const ovsdb::Row& row,
                                      std::string_view column) {
  const Datum* d = table.get(row, column);
  if (d == nullptr) return std::nullopt;
  const Atom* a = d->as_scalar();
  if (a == nullptr || !a->is_integer()) return std::nullopt;
  return a->as_integer();
}

}  // namespace

std::string management_lsp_name(std::string_view node) { return "k8s-" + std::string(node); }

Result<ManagementAddress> parse_lsp_addresses(std::string_view addresses) {
  ManagementAddress out;
  bool have_mac = false;
  while (!addresses.empty()) {
    size_t sp = addresses.find(' ');
    std::string_view word = addresses.substr(0, sp);
    addresses = sp == std::string_view::npos ? std::string_view() : addresses.substr(sp + 1);
    if (word.empty()) continue;
    if (!have_mac) {
      auto mac = netlink::MacAddr::parse(word);
      if (!mac.ok()) return plan_error(EINVAL, "LSP addresses '" + std::string(word) + "...': no MAC first");
      out.mac = *mac;
      have_mac = true;
      continue;
    }
    auto ip = netlink::IpAddr::parse(word);
    if (!ip.ok()) return plan_error(EINVAL, "LSP addresses: '" + std::string(word) + "' is not an IP address");
    out.ips.push_back(*ip);
  }
  if (!have_mac || out.ips.empty()) return plan_error(EINVAL, "LSP addresses need \"<mac> <ip>\"");
  return out;
}

ManagementLspView read_management_lsp(const ovsdb::Replica& nb, const std::string& node) {
  ManagementLspView v;
  v.switch_uuid = find_node_switch(nb, node);
  const ovsdb::ReplicaTable* lsps = nb.table("Logical_Switch_Port");
  if (lsps == nullptr) return v;
  const ovsdb::Row* row = lsps->find_by_string("name", management_lsp_name(node));
  if (row == nullptr) return v;
  v.exists = true;
  if (const Datum* a = lsps->get(*row, "addresses")) {
    for (const Atom& atom : a->keys()) {
      if (atom.is_string() && !atom.as_string().empty()) {
        v.addresses = atom.as_string();
        break;
      }
    }
  }
  return v;
}

Result<std::optional<ovsdb::TransactionBuilder>> plan_management_lsp(
    const ManagementLspView& view, const ManagementLspConfig& config, const std::function<ovsdb::Uuid()>& next_uuid) {
  if (view.exists) return std::optional<ovsdb::TransactionBuilder>();
  if (!view.switch_uuid) {
    return plan_error(ENOENT, "node switch '" + config.node + "' not in NB (or not unique): cannot add " +
                                  management_lsp_name(config.node) + " yet");
  }
  if (!config.management.is_v4()) return plan_error(EINVAL, "management address must be IPv4");
  ovsdb::TransactionBuilder txn{std::string(kNbDatabase)};
  txn.comment("ovnk-reactor: management port of " + config.node);
  const ovsdb::Uuid u = next_uuid();
  const std::string ref = uuid_name(u);
  const std::string address = lsp_address(mac_for_ip(config.management), config.management);
  txn.insert("Logical_Switch_Port",
             {{"name", Datum::string(management_lsp_name(config.node))},
              {"addresses", Datum::string(address)},
              {"external_ids", Datum::string_map({{kOwnerKey, kOwnerValue}, {kNodeKey, config.node}})}},
             InsertOptions{ref, u});
  txn.mutate("Logical_Switch", {Condition::uuid_is(*view.switch_uuid)},
             {Mutation{"ports", Mutator::kInsert, Datum::named_uuid(ref)}});
  return std::optional<ovsdb::TransactionBuilder>(std::move(txn));
}

ManagementOvsView read_management_ovs(const ovsdb::Replica& ovs, const std::string& bridge) {
  ManagementOvsView v;
  const ovsdb::ReplicaTable* bridges = ovs.table("Bridge");
  const ovsdb::ReplicaTable* ports = ovs.table("Port");
  const ovsdb::ReplicaTable* ifaces = ovs.table("Interface");
  const Datum* bridge_ports = nullptr;
  if (bridges != nullptr) {
    if (const ovsdb::Row* b = bridges->find_by_string("name", bridge)) {
      v.bridge_uuid = b->uuid();
      bridge_ports = bridges->get(*b, "ports");
    }
  }
  if (ports != nullptr) {
    // Through the schema's name index: this runs on every change of the
    // bridge, i.e. on every batch of pod ports.
    const Datum name = Datum::string(std::string(kManagementPortName));
    v.ports_named = ports->count_by("name", name);
    if (v.ports_named == 1) v.port_uuid = ports->find_by("name", name)->uuid();
    if (v.port_uuid && bridge_ports != nullptr) v.port_on_bridge = bridge_ports->contains(Atom::uuid(*v.port_uuid));
  }
  if (ifaces != nullptr) {
    if (const ovsdb::Row* i = ifaces->find_by_string("name", std::string(kManagementPortName))) {
      v.iface_uuid = i->uuid();
      v.iface_type = string_column(*ifaces, *i, "type");
      if (auto id = map_value(*ifaces, *i, "external_ids", "iface-id")) v.iface_id = std::string(*id);
      v.mtu_request = integer_column(*ifaces, *i, "mtu_request");
      v.ofport = integer_column(*ifaces, *i, "ofport");
      const Datum* e = ifaces->get(*i, "error");
      if (e != nullptr && e->as_scalar() != nullptr && e->as_scalar()->is_string()) v.error = e->as_scalar()->as_string();
    }
  }
  return v;
}

Result<std::optional<ovsdb::TransactionBuilder>> plan_management_ovs(
    const ManagementOvsView& view, const ManagementOvsConfig& config, const std::function<ovsdb::Uuid()>& next_uuid) {
  if (!view.bridge_uuid) {
    return plan_error(ENOENT, "bridge '" + config.bridge + "' not in the Open_vSwitch database (create it, or set --bridge)");
  }
  if (view.ports_named > 1) {
    return plan_error(EEXIST, std::to_string(view.ports_named) + " OVS ports are named " +
                                  std::string(kManagementPortName) + "; delete the extra ones");
  }
  if (view.port_uuid && !view.port_on_bridge) {
    return plan_error(EEXIST, "OVS port " + std::string(kManagementPortName) + " is on another bridge than " +
                                  config.bridge + "; move it or delete it");
  }
  const std::string lsp = management_lsp_name(config.node);
  const auto mtu = static_cast<int64_t>(config.mtu);
  ovsdb::TransactionBuilder txn{std::string(kOvsDatabase)};
  if (!view.port_uuid || !view.iface_uuid) {
    // Missing (or a Port without its Interface): a fresh pair. A Port row
    // without the Interface cannot be repaired in place, so it goes first.
    txn.comment("ovnk-reactor: management port " + std::string(kManagementPortName) + " for " + lsp);
    if (view.port_uuid) {
      txn.mutate("Bridge", {Condition::uuid_is(*view.bridge_uuid)},
                 {Mutation{"ports", Mutator::kDelete, Datum::uuid(*view.port_uuid)}});
    }
    const ovsdb::Uuid iu = next_uuid();
    const ovsdb::Uuid pu = next_uuid();
    const std::string iref = uuid_name(iu);
    const std::string pref = uuid_name(pu);
    txn.insert("Interface",
               {{"name", Datum::string(std::string(kManagementPortName))},
                {"type", Datum::string("internal")},
                {"mtu_request", Datum::integer(mtu)},
                {"external_ids", Datum::string_map({{"iface-id", lsp}, {kOwnerKey, kOwnerValue}})}},
               InsertOptions{iref, iu});
    txn.insert("Port",
               {{"name", Datum::string(std::string(kManagementPortName))},
                {"interfaces", Datum::named_uuid(iref)},
                {"external_ids", Datum::string_map({{kOwnerKey, kOwnerValue}})}},
               InsertOptions{pref, pu});
    txn.mutate("Bridge", {Condition::uuid_is(*view.bridge_uuid)},
               {Mutation{"ports", Mutator::kInsert, Datum::named_uuid(pref)}});
    return std::optional<ovsdb::TransactionBuilder>(std::move(txn));
  }
  ovsdb::ColumnValues fix;
  if (view.iface_type != "internal") fix.emplace_back("type", Datum::string("internal"));
  if (view.mtu_request != mtu) fix.emplace_back("mtu_request", Datum::integer(mtu));
  const bool fix_id = view.iface_id != lsp;
  if (fix.empty() && !fix_id) return std::optional<ovsdb::TransactionBuilder>();
  txn.comment("ovnk-reactor: repair management port " + std::string(kManagementPortName));
  if (!fix.empty()) txn.update("Interface", {Condition::uuid_is(*view.iface_uuid)}, fix);
  if (fix_id) {
    // Only the iface-id key: other external_ids stay.
    txn.mutate("Interface", {Condition::uuid_is(*view.iface_uuid)},
               {Mutation{"external_ids", Mutator::kDelete, Datum::string_set({"iface-id"})},
                Mutation{"external_ids", Mutator::kInsert, Datum::string_map({{"iface-id", lsp}})}});
  }
  return std::optional<ovsdb::TransactionBuilder>(std::move(txn));
}

Result<bool> management_interface_created(const ManagementOvsView& view) {
  if (!view.iface_uuid || !view.ofport) return false;
  if (*view.ofport > 0) return true;
  if (*view.ofport < 0) {
    return plan_error(EIO, "ovs-vswitchd could not create " + std::string(kManagementPortName) + ": " +
                               (view.error.empty() ? "no error given (see ovs-vswitchd.log)" : view.error));
  }
  return false;
}

Result<ManagementKernelPlan> plan_management_kernel(const ManagementAddress& lsp, const ManagementKernelConfig& config) {
  ManagementKernelPlan plan;
  plan.mac = lsp.mac;
  plan.mtu = config.mtu;
  for (const netlink::IpAddr& ip : lsp.ips) {
    const netlink::IpPrefix* subnet = nullptr;
    for (const auto& s : config.node_subnets) {
      if (prefix_contains(s, ip)) subnet = &s;
    }
    if (subnet == nullptr) {
      bool family_configured = false;
      for (const auto& s : config.node_subnets) family_configured |= s.addr.family() == ip.family();
      if (!family_configured) continue;  // a family this node does not serve (dual-stack LSP, v4 node)
      return plan_error(EINVAL, "management address " + ip.to_string() + " is outside the node subnet");
    }
    plan.addresses.push_back(netlink::IpPrefix{ip, subnet->len});
  }
  if (plan.addresses.empty()) return plan_error(EINVAL, "the management LSP has no address in the node subnet");
  for (const netlink::IpPrefix& cidr : config.cluster_cidrs) {
    const netlink::IpPrefix* via = nullptr;
    for (const auto& a : plan.addresses) {
      if (a.addr.family() == cidr.addr.family()) via = &a;
    }
    if (via == nullptr) {
      return plan_error(EINVAL, "cluster CIDR " + cidr.to_string() + " has no management address of its family");
    }
    netlink::RouteSpec r;
    r.dst = cidr.network();
    r.gateway = first_host(*via);
    r.protocol = netlink::kRouteProtoOvnk;
    plan.routes.push_back(r);
  }
  return plan;
}

std::optional<netlink::LinkChange> plan_management_link(const netlink::LinkInfo& current,
                                                        const ManagementKernelPlan& plan) {
  netlink::LinkChange c;
  c.link = netlink::LinkRef::by_index(current.index);
  bool any = false;
  if (current.mac != plan.mac) {
    c.mac = plan.mac;
    any = true;
  }
  if (current.mtu != plan.mtu) {
    c.mtu = plan.mtu;
    any = true;
  }
  if (!current.up()) {
    c.up = true;
    any = true;
  }
  if (!any) return std::nullopt;
  return c;
}

std::vector<ovsdb::MonitorRequest> with_node_columns(std::vector<ovsdb::MonitorRequest> requests) {
  auto add = [&](const std::string& table, std::vector<std::string> columns) {
    for (auto& r : requests) {
      if (r.table != table) continue;
      if (r.columns.empty()) return;  // every column already
      for (auto& c : columns) {
        if (std::find(r.columns.begin(), r.columns.end(), c) == r.columns.end()) r.columns.push_back(c);
      }
      return;
    }
    ovsdb::MonitorRequest r;
    r.table = table;
    r.columns = std::move(columns);
    requests.push_back(std::move(r));
  };
  add("Bridge", {"name", "ports"});
  add("Port", {"name", "interfaces"});
  add("Interface", {"name", "type", "external_ids", "error", "ofport", "mtu_request"});
  add("Open_vSwitch", {"external_ids"});
  return requests;
}

}  // namespace ovnk::agent
