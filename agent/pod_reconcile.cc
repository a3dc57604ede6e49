// The node side of PodManager (pod_manager.h): start-up (databases, topology,
// first reconcile), the replica watches, periodic reconciliation, GC.
#include <cerrno>
#include <set>
#include <unordered_set>

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

// ---- start-up --------------------------------------------------------------------

void PodManager::refresh_anchors() {
  if (const ovsdb::Replica* nb = nb_.replica()) switch_uuid_ = find_node_switch(*nb, options_.node);
  bridge_uuid_.reset();
  if (const ovsdb::Replica* ovs = ovs_.replica()) {
    if (const ovsdb::ReplicaTable* b = ovs->table("Bridge")) {
      if (const ovsdb::Row* row = b->find_by_string("name", options_.bridge)) bridge_uuid_ = row->uuid();
    }
  }
}

void PodManager::on_nb_ready() {
  nb_seen_ready_ = true;
  if (!lsp_watch_ && nb_.replica() != nullptr) {
    auto w = nb_.replica()->watch("Logical_Switch_Port", [this](const ovsdb::RowChange& c) { on_lsp_change(c); });
    if (w.ok()) lsp_watch_ = std::move(w).value();
  }
  refresh_anchors();
  nb_batch_->pump();
  maybe_sync();
}

void PodManager::on_ovs_ready() {
  ovs_seen_ready_ = true;
  if (!iface_watch_ && ovs_.replica() != nullptr) {
    auto w = ovs_.replica()->watch("Interface", [this](const ovsdb::RowChange& c) { on_interface_change(c); });
    if (w.ok()) iface_watch_ = std::move(w).value();
    // Pods that were waiting when the watch did not exist yet (none, unless
    // the OVS session was late): check the replica once.
  }
  refresh_anchors();
  ovs_batch_->pump();
  maybe_sync();
}

void PodManager::on_disconnected() {
  // The batchers stop building while a session is not ready; pods wait (their
  // deadline still runs).
}

void PodManager::maybe_sync() {
  if (sync_ != SyncState::kWaitingForDatabases) return;
  if (!nb_seen_ready_ || !ovs_seen_ready_ || !nb_.is_ready() || !ovs_.is_ready()) return;
  if (!bridge_uuid_) {
    sync_error_ = make_error("ovn", ENOENT, "bridge " + options_.bridge +
                                                " not found in the Open_vSwitch database (is ovn-controller set up?)");
    LOG_WARN("node_waiting", log::kv("node", options_.node), log::kv("reason", sync_error_->message));
    // ovn-controller creates br-int shortly after it starts: look again soon.
    reconcile_timer_->start(std::chrono::seconds(1));
    return;
  }
  sync_error_.reset();
  const ovsdb::Replica& nb = *nb_.replica();
  TopologyView view = read_topology(nb, options_.node);
  if (!options_.create_topology) {
    if (!view.switch_uuid) {
      sync_ = SyncState::kBroken;
      sync_error_ = make_error("ovn", ENOENT, "logical switch " + options_.node + " does not exist in NB");
      LOG_ERROR("node_broken", log::kv("node", options_.node), log::kv("error", *sync_error_));
      return;
    }
    sync_ = SyncState::kReconciling;
    reconcile();
    return;
  }
  auto plan = plan_topology(view, topology_, [this] { return ovsdb::Uuid::generate(rng_); });
  if (!plan.ok()) {
    sync_ = SyncState::kBroken;
    sync_error_ = plan.error();
    LOG_ERROR("node_broken", log::kv("node", options_.node), log::kv("error", *sync_error_));
    std::vector<std::string> waiting;
    for (auto& [cid, pod] : pods_) {
      if (pod->state == PodState::kWaitingForSync) waiting.push_back(cid);
    }
    for (const std::string& cid : waiting) {
      if (Pod* p = find(cid)) fail(*p, *sync_error_);
    }
    return;
  }
  if (!plan->has_value()) {
    sync_ = SyncState::kReconciling;
    reconcile();
    return;
  }
  sync_ = SyncState::kBootstrapping;
  LOG_INFO("node_topology_create", log::kv("node", options_.node), log::kv("subnet", ipam_.subnet().to_string()));
  nb_.transact(std::move(**plan), [this](ovsdb::TransactResult r) {
    if (!r.ok()) {
      topology_done(make_error("ovsdb", r.error.code, r.error.message));
    } else {
      topology_done(TxnBatcher::OpResults{});
    }
  });
}

void PodManager::topology_done(Result<TxnBatcher::OpResults> r) {
  if (!r.ok()) {
    // Someone may have created part of it meanwhile: read again and retry on
    // the next ready (or now, if the session still is).
    LOG_WARN("node_topology_failed", log::kv("node", options_.node), log::kv("error", r.error()));
    sync_ = SyncState::kWaitingForDatabases;
    sync_error_ = r.error();
    reconcile_timer_->start(std::chrono::seconds(1));
    return;
  }
  LOG_INFO("node_topology_ready", log::kv("node", options_.node));
  refresh_anchors();
  sync_ = SyncState::kReconciling;
  reconcile();
}

void PodManager::first_reconcile_done() {
  sync_ = SyncState::kRunning;
  sync_error_.reset();
  LOG_INFO("node_running", log::kv("node", options_.node), log::kv("subnet", ipam_.subnet().to_string()),
           log::kv("pods", pods_.size()), log::kv("addresses_in_use", ipam_.in_use()));
  if (options_.reconcile_interval > Duration::zero()) {
    reconcile_timer_->start(options_.reconcile_interval, options_.reconcile_interval);
  }
  start_waiting_pods();
}

void PodManager::start_waiting_pods() {
  std::vector<std::pair<std::string, uint64_t>> waiting;
  for (auto& [cid, pod] : pods_) {
    if (pod->state == PodState::kWaitingForSync) waiting.emplace_back(cid, pod->serial);
  }
  for (auto& [cid, serial] : waiting) {
    Pod* p = find(cid);
    if (p != nullptr && p->serial == serial && p->state == PodState::kWaitingForSync) start(*p);
  }
}

void PodManager::on_lsp_change(const ovsdb::RowChange& change) {
  // Ports someone else made on our switch hold their addresses in the IPAM
  // (owner "lsp:<name>") for as long as they exist.
  if (change.old_row != nullptr && !owned_by_us(change.table, *change.old_row, options_.node)) {
    ipam_.release_owner("lsp:" + string_column(change.table, *change.old_row, "name"));
    m_->ipam_in_use.set(static_cast<double>(ipam_.in_use()));
    m_->ipam_free.set(static_cast<double>(ipam_.available()));
  }
  if (change.new_row == nullptr) return;
  std::string name = string_column(change.table, *change.new_row, "name");
  if (!owned_by_us(change.table, *change.new_row, options_.node) && switch_uuid_ && nb_.replica() != nullptr) {
    const ovsdb::ReplicaTable* ls = nb_.replica()->table("Logical_Switch");
    const ovsdb::Row* sw = ls ? ls->find(*switch_uuid_) : nullptr;
    const ovsdb::Datum* ports = sw ? ls->get(*sw, "ports") : nullptr;
    const ovsdb::Datum* addrs = change.table.get(*change.new_row, "addresses");
    if (ports != nullptr && addrs != nullptr && ports->contains(ovsdb::Atom::uuid(change.new_row->uuid()))) {
      for (const ovsdb::Atom& a : addrs->keys()) {
        if (!a.is_string()) continue;
        auto parsed = parse_lsp_address(a.as_string());
        if (!parsed.ok() || !ipam_.contains(parsed->ip) || ipam_.is_reserved(parsed->ip)) continue;
        auto held = ipam_.reserve(parsed->ip, "lsp:" + name);
        if (!held.ok()) {
          LOG_WARN("ipam_conflict", log::kv("lsp", name), log::kv("ip", parsed->ip.to_string()),
                   log::kv("error", held.error()));
        }
      }
    }
    m_->ipam_in_use.set(static_cast<double>(ipam_.in_use()));
    m_->ipam_free.set(static_cast<double>(ipam_.available()));
  }
  // Every LSP change of the cluster passes here: only walk the pods when one waits.
  if (pods_waiting_for_lsp_ == 0) return;
  for (auto& [cid, pod] : pods_) {
    if (pod->state == PodState::kWaitingForLsp && pod->spec.lsp_name == name) {
      // Re-evaluated from the loop: the watch callback runs in the middle of
      // an update, and decide_addresses() may submit and fail pods.
      if (!lsp_recheck_timer_->active()) lsp_recheck_timer_->start(Duration::zero());
      return;
    }
  }
}

void PodManager::recheck_waiting_lsp() {
  std::vector<std::pair<std::string, uint64_t>> waiting;
  for (auto& [cid, pod] : pods_) {
    if (pod->state == PodState::kWaitingForLsp) waiting.emplace_back(cid, pod->serial);
  }
  for (auto& [cid, serial] : waiting) {
    Pod* p = find(cid);
    if (p != nullptr && p->serial == serial && p->state == PodState::kWaitingForLsp) decide_addresses(*p);
  }
}

// ---- IPAM rebuild -----------------------------------------------------------------

void PodManager::rebuild_ipam() {
  ipam_.clear();
  const ovsdb::Replica* nb = nb_.replica();
  const ovsdb::ReplicaTable* ls = nb ? nb->table("Logical_Switch") : nullptr;
  const ovsdb::ReplicaTable* lsps = nb ? nb->table("Logical_Switch_Port") : nullptr;
  const ovsdb::Row* sw = (ls != nullptr && switch_uuid_) ? ls->find(*switch_uuid_) : nullptr;
  if (sw != nullptr && lsps != nullptr) {
    if (auto ex = map_value(*ls, *sw, "other_config", "exclude_ips")) {
      auto ranges = parse_exclude_ips(*ex);
      if (ranges.ok()) {
        ipam_.exclude(*ranges);
      } else {
        LOG_WARN("ipam_bad_exclude_ips", log::kv("node", options_.node), log::kv("error", ranges.error()));
      }
    }
    if (const ovsdb::Datum* ports = ls->get(*sw, "ports")) {
      for (const ovsdb::Atom& ref : ports->keys()) {
        if (!ref.is_uuid()) continue;
        const ovsdb::Row* lsp = lsps->find(ref.as_uuid());
        if (lsp == nullptr) continue;
        std::string owner = "lsp:" + string_column(*lsps, *lsp, "name");
        if (owned_by_us(*lsps, *lsp, options_.node)) {
          if (auto sb = map_value(*lsps, *lsp, "external_ids", kSandboxKey)) owner = std::string(*sb);
        }
        const ovsdb::Datum* addrs = lsps->get(*lsp, "addresses");
        if (addrs == nullptr) continue;
        for (const ovsdb::Atom& a : addrs->keys()) {
          if (!a.is_string()) continue;
          auto parsed = parse_lsp_address(a.as_string());
          if (!parsed.ok() || !ipam_.contains(parsed->ip) || ipam_.is_reserved(parsed->ip)) continue;
          auto held = ipam_.reserve(parsed->ip, owner);
          if (!held.ok()) {
            LOG_WARN("ipam_conflict", log::kv("node", options_.node), log::kv("ip", parsed->ip.to_string()),
                     log::kv("error", held.error()));
          }
        }
      }
    }
  }
  // Pods in flight hold their address before their LSP exists.
  for (auto& [cid, pod] : pods_) {
    if (!pod->ip_held || !pod->ip) continue;
    auto held = ipam_.reserve(*pod->ip, cid);
    if (!held.ok()) {
      LOG_WARN("ipam_conflict", log::kv("pod", pod->spec.label), log::kv("ip", pod->ip->to_string()),
               log::kv("error", held.error()));
    }
  }
  m_->ipam_in_use.set(static_cast<double>(ipam_.in_use()));
  m_->ipam_free.set(static_cast<double>(ipam_.available()));
}

// ---- reconcile ----------------------------------------------------------------------

void PodManager::reconcile() {
  if (sync_ == SyncState::kWaitingForDatabases) {
    // A retry tick after a failed topology transaction or a missing bridge.
    refresh_anchors();
    maybe_sync();
    return;
  }
  if (reconcile_running_ || !nb_.is_ready() || !ovs_.is_ready()) return;
  if (sync_ != SyncState::kRunning && sync_ != SyncState::kReconciling) return;
  reconcile_running_ = true;
  const bool first = sync_ == SyncState::kReconciling;
  const MonoTime started = loop_.now();
  auto queued = netlink::dump_links(host_, [this, first, started](Result<std::vector<netlink::LinkInfo>> r) {
    (void)started;
    reconcile_with_links(std::move(r), first);
  });
  if (!queued.ok()) reconcile_with_links(std::move(queued).error(), first);
}

void PodManager::reconcile_with_links(Result<std::vector<netlink::LinkInfo>> links, bool first) {
  reconcile_running_ = false;
  m_->reconcile_runs.inc();
  refresh_anchors();
  if (!links.ok()) {
    LOG_WARN("reconcile_link_dump_failed", log::kv("node", options_.node), log::kv("error", links.error()));
    rebuild_ipam();
    if (first) first_reconcile_done();
    return;
  }
  // Host veths of ours: the pod link group marks them.
  std::unordered_map<std::string, const netlink::LinkInfo*> our_links;
  for (const netlink::LinkInfo& l : *links) {
    if (l.group == options_.pod_link_group) our_links.emplace(l.name, &l);
  }
  struct Leftover {
    std::string lsp_name;
    std::string iface_name;
    std::optional<ovsdb::Uuid> lsp;
    std::optional<ovsdb::Uuid> iface;
    std::optional<ovsdb::Uuid> port;
    std::optional<LspAddress> address;
    std::string iface_id;
    bool lsp_ours = true;
  };
  std::map<std::string, Leftover> by_sandbox;  // not in memory
  std::unordered_set<std::string> our_iface_names;
  const ovsdb::Replica* ovs = ovs_.replica();
  const ovsdb::Replica* nb = nb_.replica();
  if (ovs != nullptr) {
    const ovsdb::ReplicaTable* ifaces = ovs->table("Interface");
    const ovsdb::ReplicaTable* ports = ovs->table("Port");
    for (const ovsdb::Row& row : *ifaces) {
      if (!owned_by_us(*ifaces, row, "")) continue;
      std::string name = string_column(*ifaces, row, "name");
      our_iface_names.insert(name);
      auto sb = map_value(*ifaces, row, "external_ids", kSandboxKey);
      if (!sb || find(std::string(*sb)) != nullptr) continue;
      Leftover& l = by_sandbox[std::string(*sb)];
      l.iface_name = name;
      l.iface = row.uuid();
      l.iface_id = std::string(map_value(*ifaces, row, "external_ids", "iface-id").value_or(""));
      if (const ovsdb::Row* port = ports->find_by_string("name", name)) l.port = port->uuid();
    }
  }
  if (nb != nullptr) {
    const ovsdb::ReplicaTable* lsps = nb->table("Logical_Switch_Port");
    for (const ovsdb::Row& row : *lsps) {
      if (!owned_by_us(*lsps, row, options_.node)) continue;
      auto sb = map_value(*lsps, row, "external_ids", kSandboxKey);
      if (!sb || find(std::string(*sb)) != nullptr) continue;
      Leftover& l = by_sandbox[std::string(*sb)];
      l.lsp_name = string_column(*lsps, row, "name");
      l.lsp = row.uuid();
      if (const ovsdb::Datum* a = lsps->get(row, "addresses")) {
        for (const ovsdb::Atom& atom : a->keys()) {
          if (!atom.is_string()) continue;
          auto parsed = parse_lsp_address(atom.as_string());
          if (parsed.ok()) {
            l.address = *parsed;
            break;
          }
        }
      }
    }
  }

  // A port plugged to an LSP someone else made (ipamMode "ovn"): that LSP is
  // the pod's, found by the Interface's iface-id.
  if (nb != nullptr) {
    const ovsdb::ReplicaTable* lsps = nb->table("Logical_Switch_Port");
    for (auto& [sandbox, l] : by_sandbox) {
      if (l.lsp || l.iface_id.empty()) continue;
      const ovsdb::Row* row = lsps->find_by_string("name", l.iface_id);
      if (row == nullptr || owned_by_us(*lsps, *row, options_.node)) continue;
      if (const ovsdb::Datum* a = lsps->get(*row, "addresses")) {
        for (const ovsdb::Atom& atom : a->keys()) {
          if (!atom.is_string()) continue;
          auto parsed = parse_lsp_address(atom.as_string());
          if (parsed.ok()) {
            l.address = *parsed;
            l.lsp = row->uuid();
            l.lsp_name = l.iface_id;
            l.lsp_ours = false;
            break;
          }
        }
      }
    }
  }

  size_t adopted = 0;
  size_t cleaned = 0;
  for (auto& [sandbox, l] : by_sandbox) {
    PodSpec spec;
    spec.container_id = sandbox;
    spec.label = sandbox;
    spec.host_ifname = l.iface_name.empty() ? host_ifname_for(sandbox) : l.iface_name;
    spec.lsp_name = l.lsp_name.empty() ? sandbox : l.lsp_name;
    const bool complete = l.lsp && l.iface && l.port && l.address && our_links.count(spec.host_ifname) != 0;
    if (complete) {
      // Fully plugged before we (re)started: adopt it, a retried ADD gets it.
      Pod& pod = create_pod(spec);
      pod.adopted = true;
      pod.state = PodState::kReady;
      pod.ready_at = loop_.now();
      pod.ip = l.address->ip;
      pod.ip_held = l.lsp_ours;
      pod.mac = l.address->mac;
      pod.prefix_len = ipam_.subnet().len;
      pod.mtu = options_.mtu;
      pod.gateways = {ipam_.gateway()};
      if (options_.cluster_cidr) pod.routes.push_back(RouteSpec{*options_.cluster_cidr, ipam_.gateway()});
      pod.lsp_uuid = l.lsp;
      pod.lsp_ours = l.lsp_ours;
      pod.iface_uuid = l.iface;
      pod.port_uuid = l.port;
      pod.port_ours = true;
      pod.link_maybe = true;
      pod.spec.ifname = "eth0";
      pod.result = make_result(pod, "");
      ++adopted;
      m_->adopted.inc();
      LOG_INFO("pod_adopted", log::kv("pod", sandbox), log::kv("ip", pod.ip->to_string()));
      continue;
    }
    ++cleaned;
    m_->cleaned_pods.inc();
    LOG_INFO("reconcile_cleanup_pod", log::kv("pod", sandbox), log::kv("lsp", l.lsp ? l.lsp_name : "-"),
             log::kv("port", l.iface ? l.iface_name : "-"),
             log::kv("veth", our_links.count(spec.host_ifname) != 0));
    delete_pod(std::move(spec), [sandbox](Result<void> r) {
      if (!r.ok()) LOG_WARN("reconcile_cleanup_failed", log::kv("pod", sandbox), log::kv("error", r.error()));
    });
  }
  // Plugged pods whose host veth vanished: their netns died without a DEL.
  std::vector<std::string> dead;
  for (auto& [cid, pod] : pods_) {
    if (pod->state != PodState::kReady || !pod->link_maybe) continue;
    if (!first && pod->ready_at > loop_.now() - std::chrono::seconds(5)) continue;  // newer than the dump
    if (our_links.count(pod->spec.host_ifname) == 0) dead.push_back(cid);
  }
  for (const std::string& cid : dead) {
    ++cleaned;
    m_->cleaned_pods.inc();
    LOG_INFO("reconcile_pod_netns_gone", log::kv("pod", find(cid)->spec.label), log::kv("container", cid));
    Pod* p = find(cid);
    p->link_maybe = false;
    delete_pod(p->spec, [cid](Result<void> r) {
      if (!r.ok()) LOG_WARN("reconcile_cleanup_failed", log::kv("pod", cid), log::kv("error", r.error()));
    });
  }
  // Host veths of ours with no port and no pod in memory.
  std::unordered_set<std::string> in_memory;
  for (auto& [cid, pod] : pods_) in_memory.insert(pod->spec.host_ifname);
  size_t links_cleaned = 0;
  for (auto& [name, info] : our_links) {
    if (our_iface_names.count(name) != 0 || in_memory.count(name) != 0) continue;
    ++links_cleaned;
    m_->cleaned_links.inc();
    LOG_INFO("reconcile_cleanup_veth", log::kv("node", options_.node), log::kv("veth", name));
    const std::string veth = name;
    linker_.remove(veth, [veth](Result<void> r) {
      if (!r.ok()) LOG_WARN("reconcile_cleanup_failed", log::kv("veth", veth), log::kv("error", r.error()));
    });
  }
  rebuild_ipam();
  LOG_INFO("reconcile_done", log::kv("node", options_.node), log::kv("first", first), log::kv("adopted", adopted),
           log::kv("pods_cleaned", cleaned), log::kv("veths_cleaned", links_cleaned),
           log::kv("pods", pods_.size()), log::kv("addresses_in_use", ipam_.in_use()));
  if (first) first_reconcile_done();
}

// ---- GC -------------------------------------------------------------------------------

std::unique_ptr<cni::CniCall> PodManager::gc(std::vector<cni::Attachment> valid, cni::CniDone done) {
  const uint64_t waiter = add_waiter(std::move(done));
  auto call = make_call(waiter);
  m_->gc_runs.inc();
  if (!nb_seen_ready_ || !ovs_seen_ready_) {
    reply(waiter, CniReply::failure(CniError::make(Code::kTryAgainLater, "not connected to the OVN databases yet")));
    return call;
  }
  std::unordered_set<std::string> keep;
  for (const cni::Attachment& a : valid) keep.insert(a.container_id);
  std::map<std::string, PodSpec> victims;
  for (auto& [cid, pod] : pods_) {
    // Pods in the middle of an ADD are left alone: GC must not race an ADD.
    if (keep.count(cid) != 0) continue;
    if (pod->state != PodState::kReady && pod->state != PodState::kTearingDown) continue;
    victims.emplace(cid, pod->spec);
  }
  auto consider = [&](const std::string& sandbox, const std::string& lsp_name, const std::string& ifname) {
    if (keep.count(sandbox) != 0 || find(sandbox) != nullptr || victims.count(sandbox) != 0) return;
    PodSpec spec;
    spec.container_id = sandbox;
    spec.label = sandbox;
    spec.lsp_name = lsp_name.empty() ? sandbox : lsp_name;
    spec.host_ifname = ifname.empty() ? host_ifname_for(sandbox) : ifname;
    victims.emplace(sandbox, std::move(spec));
  };
  if (const ovsdb::Replica* nb = nb_.replica()) {
    const ovsdb::ReplicaTable* lsps = nb->table("Logical_Switch_Port");
    for (const ovsdb::Row& row : *lsps) {
      if (!owned_by_us(*lsps, row, options_.node)) continue;
      if (auto sb = map_value(*lsps, row, "external_ids", kSandboxKey)) {
        consider(std::string(*sb), string_column(*lsps, row, "name"), "");
      }
    }
  }
  if (const ovsdb::Replica* ovs = ovs_.replica()) {
    const ovsdb::ReplicaTable* ifaces = ovs->table("Interface");
    for (const ovsdb::Row& row : *ifaces) {
      if (!owned_by_us(*ifaces, row, "")) continue;
      if (auto sb = map_value(*ifaces, row, "external_ids", kSandboxKey)) {
        consider(std::string(*sb), "", string_column(*ifaces, row, "name"));
      }
    }
  }
  LOG_INFO("pod_gc", log::kv("node", options_.node), log::kv("valid", keep.size()),
           log::kv("removing", victims.size()));
  if (victims.empty()) {
    reply(waiter, CniReply::success());
    return call;
  }
  const uint64_t op_id = next_op_++;
  auto op = std::make_unique<GcOp>();
  op->waiter = waiter;
  op->remaining = static_cast<int>(victims.size());
  gcs_.emplace(op_id, std::move(op));
  for (auto& [cid, spec] : victims) {
    const std::string id = cid;
    delete_pod(spec, [this, op_id, id](Result<void> r) {
      auto it = gcs_.find(op_id);
      if (it == gcs_.end()) return;
      GcOp& g = *it->second;
      if (!r.ok()) g.errors.push_back(id + ": " + r.error().to_string());
      if (--g.remaining > 0) return;
      std::unique_ptr<GcOp> finished = std::move(it->second);
      gcs_.erase(it);
      if (finished->errors.empty()) {
        reply(finished->waiter, CniReply::success());
      } else {
        std::string details;
        for (const std::string& e : finished->errors) details += (details.empty() ? "" : "; ") + e;
        reply(finished->waiter, CniReply::failure(CniError::make(
                                    Code::kOvsdbError,
                                    "GC could not remove " + std::to_string(finished->errors.size()) + " pod(s)",
                                    details)));
      }
    });
  }
  return call;
}

}  // namespace ovnk::agent
