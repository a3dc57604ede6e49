// CNI CHECK (pod_manager.h): the pod's LSP and OVS interface from the
// replicas, then its interface, address and routes from netlink dumps taken
// inside its netns. Every problem found is listed; the first one decides the
// code (102 OVN, 103 netlink).
#include <linux/netlink.h>
#include <sys/socket.h>

#include "agent/ovn_rows.h"
#include "agent/pod_manager.h"
#include "agent/pod_manager_internal.h"
#include "base/log.h"
#include "cni-frontend/errors.h"
#include "netlink/ops.h"

namespace ovnk::agent {

using cni::CniError;
using cni::CniReply;
using cni::Code;

std::unique_ptr<cni::CniCall> PodManager::check(PodSpec spec, std::optional<cni::CniResult> prev,
                                                cni::CniDone done) {
  const uint64_t waiter = add_waiter(std::move(done));
  auto call = make_call(waiter);
  Pod* pod = find(spec.container_id);
  if (pod == nullptr) {
    m_->check_failed.inc();
    reply(waiter, CniReply::failure(CniError::make(Code::kUnknownContainer,
                                                   "CHECK: container " + cni::quote_value(spec.container_id) +
                                                       " is not plugged on this node")));
    return call;
  }
  if (pod->state != PodState::kReady) {
    m_->check_failed.inc();
    reply(waiter, CniReply::failure(CniError::make(Code::kTryAgainLater,
                                                   "CHECK: pod " + pod->spec.label + " is still being " +
                                                       (pod->state == PodState::kTearingDown ? "removed" : "added"))));
    return call;
  }
  auto op = std::make_unique<CheckOp>();
  op->waiter = waiter;
  op->label = pod->spec.label;
  op->ifname = spec.ifname;
  op->netns = spec.netns;
  op->address = netlink::IpPrefix{*pod->ip, pod->prefix_len};
  op->mac = pod->mac;
  if (!pod->gateways.empty()) op->gateway = pod->gateways.front();
  op->mtu = pod->mtu;

  if (prev) {
    bool found = false;
    for (const cni::CniIp& ip : prev->ips) found = found || ip.address == op->address.to_string();
    if (!found) op->ovn_problems.push_back("prevResult does not hold the pod's address " + op->address.to_string());
  }
  // NB: the LSP with the expected address.
  const std::string expected = lsp_address(pod->mac, *pod->ip);
  const ovsdb::Replica* nb = nb_.replica();
  const ovsdb::ReplicaTable* lsps = nb ? nb->table("Logical_Switch_Port") : nullptr;
  const ovsdb::Row* lsp = lsps ? lsps->find_by_string("name", pod->spec.lsp_name) : nullptr;
  if (lsp == nullptr) {
    op->ovn_problems.push_back("logical switch port " + pod->spec.lsp_name + " is missing from NB");
  } else {
    const ovsdb::Datum* addrs = lsps->get(*lsp, "addresses");
    if (addrs == nullptr || !addrs->contains(ovsdb::Atom::string(expected))) {
      op->ovn_problems.push_back("logical switch port " + pod->spec.lsp_name + " has addresses " +
                                 (addrs ? addrs->to_json() : std::string("[]")) + ", expected \"" + expected + "\"");
    }
    if (switch_uuid_) {
      const ovsdb::ReplicaTable* ls = nb->table("Logical_Switch");
      const ovsdb::Row* sw = ls->find(*switch_uuid_);
      const ovsdb::Datum* ports = sw ? ls->get(*sw, "ports") : nullptr;
      if (ports == nullptr || !ports->contains(ovsdb::Atom::uuid(lsp->uuid()))) {
        op->ovn_problems.push_back("logical switch port " + pod->spec.lsp_name + " is not on switch " + options_.node);
      }
    }
  }
  // OVS: the Interface bound to the LSP, with flows installed.
  const ovsdb::Replica* ovs = ovs_.replica();
  const ovsdb::ReplicaTable* ifaces = ovs ? ovs->table("Interface") : nullptr;
  const ovsdb::Row* iface = ifaces ? ifaces->find_by_string("name", pod->spec.host_ifname) : nullptr;
  if (iface == nullptr) {
    op->ovn_problems.push_back("OVS interface " + pod->spec.host_ifname + " is missing");
  } else {
    auto iface_id = map_value(*ifaces, *iface, "external_ids", "iface-id");
    if (iface_id != std::optional<std::string_view>(pod->spec.lsp_name)) {
      op->ovn_problems.push_back("OVS interface " + pod->spec.host_ifname + " has iface-id " +
                                 std::string(iface_id.value_or("(none)")) + ", expected " + pod->spec.lsp_name);
    }
    if (map_value(*ifaces, *iface, "external_ids", "ovn-installed") != std::optional<std::string_view>("true")) {
      op->ovn_problems.push_back("OVS interface " + pod->spec.host_ifname +
                                 " has no ovn-installed=true (ovn-controller has not installed its flows)");
    }
    std::string err = string_column(*ifaces, *iface, "error");
    if (!err.empty()) op->ovn_problems.push_back("OVS interface " + pod->spec.host_ifname + " reports: " + err);
  }
  const uint64_t op_id = next_op_++;
  checks_.emplace(op_id, std::move(op));
  check_with_netlink(op_id);
  return call;
}

void PodManager::check_with_netlink(uint64_t op_id) {
  CheckOp& op = *checks_.at(op_id);
  auto ns = netlink::NetnsHandle::open_path(op.netns);
  if (!ns.ok()) {
    op.netlink_problems.push_back("pod netns " + op.netns + " cannot be opened: " + ns.error().message);
    return finish_check(op_id);
  }
  auto sock = netlink::NetlinkSocket::open_in(loop_, NETLINK_ROUTE, *ns);
  if (!sock.ok()) {
    op.netlink_problems.push_back("netlink socket in " + op.netns + ": " + sock.error().message);
    return finish_check(op_id);
  }
  op.socket = std::move(sock).value();
  op.pending = 3;
  auto step = [this, op_id](std::optional<Error> e) {
    auto it = checks_.find(op_id);
    if (it == checks_.end()) return;
    if (e) it->second->netlink_problems.push_back(e->to_string());
    if (--it->second->pending == 0) finish_check(op_id);
  };
  auto q1 = netlink::dump_links(*op.socket, [this, op_id, step](Result<std::vector<netlink::LinkInfo>> r) {
    if (r.ok()) checks_.at(op_id)->links = std::move(r).value();
    step(r.ok() ? std::nullopt : std::optional<Error>(r.error()));
  });
  auto q2 = netlink::dump_addresses(*op.socket, AF_INET,
                                    [this, op_id, step](Result<std::vector<netlink::AddressInfo>> r) {
                                      if (r.ok()) checks_.at(op_id)->addresses = std::move(r).value();
                                      step(r.ok() ? std::nullopt : std::optional<Error>(r.error()));
                                    });
  auto q3 = netlink::dump_routes(*op.socket, AF_INET, [this, op_id, step](Result<std::vector<netlink::RouteInfo>> r) {
    if (r.ok()) checks_.at(op_id)->routes = std::move(r).value();
    step(r.ok() ? std::nullopt : std::optional<Error>(r.error()));
  });
  for (auto* q : {&q1, &q2, &q3}) {
    if (!q->ok()) step(q->error());
  }
}

void PodManager::finish_check(uint64_t op_id) {
  auto it = checks_.find(op_id);
  if (it == checks_.end()) return;
  std::unique_ptr<CheckOp> op = std::move(it->second);
  checks_.erase(it);
  if (op->socket) loop_.delete_later(std::move(op->socket));  // we may be in its callback

  if (op->netlink_problems.empty()) {
    const netlink::LinkInfo* link = nullptr;
    for (const netlink::LinkInfo& l : op->links) {
      if (l.name == op->ifname) link = &l;
    }
    if (link == nullptr) {
      op->netlink_problems.push_back("interface " + op->ifname + " is missing from netns " + op->netns);
    } else {
      if (!link->up()) op->netlink_problems.push_back("interface " + op->ifname + " is down");
      if (!link->mac || !(*link->mac == op->mac)) {
        op->netlink_problems.push_back("interface " + op->ifname + " has MAC " +
                                       (link->mac ? link->mac->to_string() : std::string("(none)")) +
                                       ", expected " + op->mac.to_string());
      }
      if (op->mtu != 0 && link->mtu != op->mtu) {
        op->netlink_problems.push_back("interface " + op->ifname + " has MTU " + std::to_string(link->mtu) +
                                       ", expected " + std::to_string(op->mtu));
      }
      bool has_address = false;
      for (const netlink::AddressInfo& a : op->addresses) {
        has_address = has_address || (a.ifindex == link->index && a.prefix == op->address);
      }
      if (!has_address) {
        op->netlink_problems.push_back("interface " + op->ifname + " does not have address " + op->address.to_string());
      }
      if (op->gateway) {
        bool has_default = false;
        for (const netlink::RouteInfo& r : op->routes) {
          has_default = has_default || (r.dst.len == 0 && r.gateway && *r.gateway == *op->gateway &&
                                        (r.oif == 0 || r.oif == link->index));
        }
        if (!has_default) {
          op->netlink_problems.push_back("no default route via " + op->gateway->to_string() + " in netns " + op->netns);
        }
      }
    }
  }
  if (op->ovn_problems.empty() && op->netlink_problems.empty()) {
    m_->check_ok.inc();
    LOG_INFO("pod_check_ok", log::kv("pod", op->label));
    return reply(op->waiter, CniReply::success());
  }
  m_->check_failed.inc();
  std::string details;
  for (const auto* list : {&op->ovn_problems, &op->netlink_problems}) {
    for (const std::string& p : *list) details += (details.empty() ? "" : "; ") + p;
  }
  const bool ovn_first = !op->ovn_problems.empty();
  LOG_WARN("pod_check_failed", log::kv("pod", op->label), log::kv("problems", details));
  reply(op->waiter, CniReply::failure(CniError::make(
                        ovn_first ? Code::kOvsdbError : Code::kNetlinkError,
                        "CHECK failed for pod " + op->label + ": " +
                            (ovn_first ? op->ovn_problems.front() : op->netlink_problems.front()),
                        details)));
}

}  // namespace ovnk::agent
