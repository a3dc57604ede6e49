// The ADD and DEL halves of the pod pipeline (pod_manager.h). CHECK is in
// pod_check.cc; start-up, reconciliation and GC in pod_reconcile.cc.
#include "agent/pod_manager.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "agent/ovn_rows.h"
#include "agent/pod_manager_internal.h"
#include "base/log.h"
#include "cni-frontend/errors.h"
#include "netlink/ops.h"

namespace ovnk::agent {

using cni::CniError;
using cni::CniReply;
using cni::Code;
using netlink::IpAddr;
using netlink::IpPrefix;

// ---- metrics ----------------------------------------------------------------

namespace {

metrics::Histogram& stage_histogram(metrics::Registry& r, const char* stage) {
  return r.histogram("ovnk_pod_add_stage_seconds", "Time a pod ADD spent in each stage of the pipeline",
                     metrics::latency_buckets(), {{"stage", stage}});
}

const char* stage_name(int s) {
  static const char* const kNames[] = {"waiting_for_sync", "waiting_for_lsp", "nb",   "netlink",
                                       "ovs",              "waiting_ready",   "ready", "teardown"};
  return (s >= 0 && s < 8) ? kNames[s] : "unknown";
}

}  // namespace

PodManager::Metrics::Metrics(metrics::Registry& r)
    : ipam(stage_histogram(r, "ipam")),
      nb(stage_histogram(r, "nb")),
      link(stage_histogram(r, "netlink")),
      ovs(stage_histogram(r, "ovs")),
      ready(stage_histogram(r, "ovn_installed")),
      add_total(r.histogram("ovnk_pod_add_seconds", "Time from a pod ADD to its answer",
                            metrics::latency_buckets())),
      del_total(r.histogram("ovnk_pod_del_seconds", "Time from a pod DEL (or cleanup) to its answer",
                            metrics::latency_buckets())),
      add_ok(r.counter("ovnk_pod_adds_total", "Pod ADDs answered", {{"result", "ok"}})),
      add_failed(r.counter("ovnk_pod_adds_total", "Pod ADDs answered", {{"result", "error"}})),
      add_repeated(r.counter("ovnk_pod_adds_repeated_total",
                             "ADDs of a container already plugged or in flight (joined, not redone)")),
      del_ok(r.counter("ovnk_pod_dels_total", "Pod teardowns (DEL, GC, cleanup, failed ADD)", {{"result", "ok"}})),
      del_failed(r.counter("ovnk_pod_dels_total", "Pod teardowns (DEL, GC, cleanup, failed ADD)",
                           {{"result", "error"}})),
      check_ok(r.counter("ovnk_pod_checks_total", "CNI CHECKs answered", {{"result", "ok"}})),
      check_failed(r.counter("ovnk_pod_checks_total", "CNI CHECKs answered", {{"result", "error"}})),
      gc_runs(r.counter("ovnk_gc_runs_total", "CNI GC requests handled")),
      reconcile_runs(r.counter("ovnk_reconcile_runs_total", "Reconciliation passes")),
      cleaned_pods(r.counter("ovnk_reconcile_cleaned_total", "Leftovers removed by reconciliation",
                             {{"kind", "pod"}})),
      cleaned_links(r.counter("ovnk_reconcile_cleaned_total", "Leftovers removed by reconciliation",
                              {{"kind", "host_veth"}})),
      adopted(r.counter("ovnk_reconcile_adopted_total", "Plugged pods found on start and adopted")),
      pods(r.gauge("ovnk_pods", "Pods the agent holds (in flight, plugged or being removed)")),
      ipam_in_use(r.gauge("ovnk_ipam_addresses_in_use", "Node subnet addresses held")),
      ipam_free(r.gauge("ovnk_ipam_addresses_free", "Node subnet addresses left")) {}

metrics::Histogram& PodManager::Metrics::stage(PodState s) {
  switch (s) {
    case PodState::kNb: return nb;
    case PodState::kLinking: return link;
    case PodState::kOvs: return ovs;
    case PodState::kWaitingReady: return ready;
    default: return ipam;
  }
}

cni::CniError pipeline_error(const Error& error, const std::string& label) {
  const std::string who = "pod " + label + ": ";
  if (error.domain == cni::kErrorDomain) {
    CniError e = CniError::from_error(error);
    e.msg = who + e.msg;
    return e;
  }
  if (error.domain == "ovsdb" || error.domain == "ovn") {
    return CniError::make(Code::kOvsdbError, who + "OVN database error", error.to_string());
  }
  if (error.domain == "netlink" || error.domain == "io") {
    return CniError::make(Code::kNetlinkError, who + "netlink error", error.to_string());
  }
  if (error.domain == "ipam") {
    return CniError::make(Code::kTryAgainLater, who + "no address available", error.to_string());
  }
  return CniError::make(Code::kInternal, who + "internal error", error.to_string());
}

// ---- calls --------------------------------------------------------------------

class ManagerCall final : public cni::CniCall {
 public:
  ManagerCall(PodManager* m, uint64_t id) : m_(m), id_(id) {}
  ~ManagerCall() override { m_->drop_waiter(id_); }
  void cancel(cni::CancelReason) override { m_->drop_waiter(id_); }

 private:
  PodManager* m_;
  uint64_t id_;
};

uint64_t PodManager::add_waiter(cni::CniDone done) {
  uint64_t id = next_waiter_++;
  waiters_.emplace(id, std::move(done));
  return id;
}

void PodManager::drop_waiter(uint64_t id) { waiters_.erase(id); }

void PodManager::reply(uint64_t waiter, CniReply r) {
  auto it = waiters_.find(waiter);
  if (it == waiters_.end()) return;  // cancelled: the pipeline goes on without an audience
  cni::CniDone done = std::move(it->second);
  waiters_.erase(it);
  done(std::move(r));
}

std::unique_ptr<cni::CniCall> PodManager::make_call(uint64_t waiter) {
  return std::make_unique<ManagerCall>(this, waiter);
}

// ---- construction ---------------------------------------------------------------

Result<std::unique_ptr<PodManager>> PodManager::create(reactor::Loop& loop, ovsdb::Session& nb,
                                                       ovsdb::Session& ovs, netlink::NetlinkSocket& host,
                                                       netlink::PodLinker& linker,
                                                       metrics::Registry& registry, AgentOptions options) {
  if (options.node.empty()) return make_error("agent", EINVAL, "the node name is empty");
  OVNK_ASSIGN_OR_RETURN(SubnetIpam ipam, SubnetIpam::create(options.node_subnet));
  return std::unique_ptr<PodManager>(
      new PodManager(loop, nb, ovs, host, linker, registry, std::move(options), std::move(ipam)));
}

PodManager::PodManager(reactor::Loop& loop, ovsdb::Session& nb, ovsdb::Session& ovs,
                       netlink::NetlinkSocket& host, netlink::PodLinker& linker,
                       metrics::Registry& registry, AgentOptions options, SubnetIpam ipam)
    : loop_(loop),
      nb_(nb),
      ovs_(ovs),
      host_(host),
      linker_(linker),
      registry_(registry),
      options_(std::move(options)),
      ipam_(std::move(ipam)),
      rng_(std::random_device{}()),
      m_(std::make_unique<Metrics>(registry)) {
  topology_.node = options_.node;
  topology_.subnet = ipam_.subnet();
  topology_.gateway = ipam_.gateway();
  topology_.management = ipam_.management();
  BatcherOptions nbo;
  nbo.name = "nb";
  nbo.batch_max = options_.batch_max;
  nbo.min_interval = options_.batch_interval;
  nb_batch_ = std::make_unique<TxnBatcher>(loop_, nb_, std::string(kNbDatabase), registry_, nbo);
  BatcherOptions ovso = nbo;
  ovso.name = "ovs";
  ovs_batch_ = std::make_unique<TxnBatcher>(loop_, ovs_, std::string(kOvsDatabase), registry_, ovso);
  reconcile_timer_ = loop_.make_timer([this] { reconcile(); });
  lsp_recheck_timer_ = loop_.make_timer([this] { recheck_waiting_lsp(); });
  m_->ipam_free.set(static_cast<double>(ipam_.available()));
}

PodManager::~PodManager() {
  // Batchers first: their callbacks point at pods.
  nb_batch_.reset();
  ovs_batch_.reset();
  lsp_watch_.reset();
  iface_watch_.reset();
  for (auto& [id, op] : checks_) {
    if (op->socket) loop_.delete_later(std::move(op->socket));
  }
}

// ---- one pod: ADD -------------------------------------------------------------------

PodManager::Pod* PodManager::find(const std::string& cid) {
  auto it = pods_.find(cid);
  return it == pods_.end() ? nullptr : it->second.get();
}

PodManager::Pod& PodManager::create_pod(PodSpec spec) {
  auto pod = std::make_unique<Pod>();
  pod->serial = next_serial_++;
  pod->spec = std::move(spec);
  pod->started = loop_.now();
  pod->stage_started = pod->started;
  Pod& ref = *pod;
  pods_[ref.spec.container_id] = std::move(pod);
  m_->pods.set(static_cast<double>(pods_.size()));
  return ref;
}

void PodManager::enter_stage(Pod& pod, PodState state) {
  const MonoTime now = loop_.now();
  if (pod.state != PodState::kWaitingForSync && pod.state != PodState::kWaitingForLsp &&
      pod.state != PodState::kReady && pod.state != PodState::kTearingDown) {
    m_->stage(pod.state).observe(to_seconds(now - pod.stage_started));
  }
  LOG_DEBUG("pod_stage", log::kv("pod", pod.spec.label), log::kv("container", pod.spec.container_id),
            log::kv("from", stage_name(static_cast<int>(pod.state))),
            log::kv("to", stage_name(static_cast<int>(state))),
            log::kv("ms", to_millis(now - pod.stage_started)));
  if (pod.state == PodState::kWaitingForLsp) --pods_waiting_for_lsp_;
  if (state == PodState::kWaitingForLsp) ++pods_waiting_for_lsp_;
  pod.state = state;
  pod.stage_started = now;
}

std::unique_ptr<cni::CniCall> PodManager::add(PodSpec spec, cni::CniDone done) {
  const uint64_t waiter = add_waiter(std::move(done));
  auto call = make_call(waiter);
  if (spec.netns.empty()) {
    reply(waiter, CniReply::failure(CniError::make(Code::kInvalidEnvironment, "CNI_NETNS is required for ADD")));
    return call;
  }
  struct stat st{};
  if (::stat(spec.netns.c_str(), &st) != 0) {
    const int err = errno;
    reply(waiter, CniReply::failure(CniError::make(
                      Code::kInvalidEnvironment,
                      "CNI_NETNS " + cni::quote_value(spec.netns) + " cannot be opened: " + std::strerror(err),
                      "the pod's network namespace must exist when ADD is called")));
    return call;
  }
  if (sync_ == SyncState::kBroken) {
    reply(waiter, CniReply::failure(pipeline_error(*sync_error_, spec.label)));
    return call;
  }
  if (Pod* p = find(spec.container_id)) {
    m_->add_repeated.inc();
    LOG_INFO("pod_add_repeated", log::kv("pod", spec.label), log::kv("container", spec.container_id),
             log::kv("state", stage_name(static_cast<int>(p->state))));
    if (p->state == PodState::kReady) {
      reply(waiter, CniReply::success(make_result(*p, spec.netns)));
    } else if (p->state == PodState::kTearingDown) {
      if (!p->restart_spec) p->restart_spec = std::move(spec);
      p->restart_waiters.push_back(waiter);
    } else {
      p->add_waiters.push_back(waiter);
    }
    return call;
  }
  // Another container holding the same LSP name is an older sandbox of the
  // same Kubernetes pod (kubelet runs one sandbox per pod): it goes first.
  std::string older;
  for (auto& [cid, other] : pods_) {
    if (other->spec.lsp_name == spec.lsp_name) older = cid;
  }
  Pod& pod = create_pod(std::move(spec));
  pod.add_waiters.push_back(waiter);
  LOG_INFO("pod_add", log::kv("pod", pod.spec.label), log::kv("container", pod.spec.container_id),
           log::kv("netns", pod.spec.netns));
  const std::string cid = pod.spec.container_id;
  const uint64_t serial = pod.serial;
  pod.deadline = loop_.make_timer([this, cid, serial] { on_deadline(cid, serial); });
  pod.deadline->start(options_.ready_timeout);
  if (!older.empty()) {
    LOG_INFO("pod_replaces_sandbox", log::kv("pod", pod.spec.label), log::kv("container", cid),
             log::kv("older", older));
    delete_pod(find(older)->spec, [this, cid, serial](Result<void>) {
      Pod* p = find(cid);
      if (p != nullptr && p->serial == serial && p->state == PodState::kWaitingForSync && running()) start(*p);
    });
    return call;
  }
  if (running()) start(pod);
  return call;
}

void PodManager::start(Pod& pod) {
  decide_addresses(pod);
}

void PodManager::decide_addresses(Pod& pod) {
  const PodSpec& spec = pod.spec;
  const ovsdb::Replica* nb = nb_.replica();
  const ovsdb::ReplicaTable* lsps = nb != nullptr ? nb->table("Logical_Switch_Port") : nullptr;
  const ovsdb::Row* row = lsps != nullptr ? lsps->find_by_string("name", spec.lsp_name) : nullptr;
  pod.prefix_len = ipam_.subnet().len;
  pod.mtu = spec.mtu.value_or(options_.mtu);
  pod.gateways = {ipam_.gateway()};
  pod.routes.clear();
  if (options_.cluster_cidr) pod.routes.push_back(RouteSpec{*options_.cluster_cidr, ipam_.gateway()});

  if (row != nullptr) {
    const bool ours = owned_by_us(*lsps, *row, options_.node);
    auto sandbox = map_value(*lsps, *row, "external_ids", kSandboxKey);
    const bool same_sandbox = ours && sandbox && *sandbox == spec.container_id;
    if (!ours || same_sandbox) {
      // Pre-provisioned (retrieve ip/mac/gateway from OVN), or ours from an
      // earlier try of this very container: use it as it is.
      std::optional<LspAddress> addr;
      if (const ovsdb::Datum* a = lsps->get(*row, "addresses")) {
        for (const ovsdb::Atom& atom : a->keys()) {
          if (!atom.is_string()) continue;
          auto parsed = parse_lsp_address(atom.as_string());
          if (parsed.ok()) {
            addr = *parsed;
            break;
          }
        }
      }
      if (!addr) {
        if (!ours && spec.ipam_from_ovn) {
          enter_stage(pod, PodState::kWaitingForLsp);
          LOG_INFO("pod_waiting_for_lsp", log::kv("pod", spec.label), log::kv("lsp", spec.lsp_name));
          return;
        }
        return fail(pod, make_error("ovn", EINVAL,
                                    "logical switch port " + spec.lsp_name +
                                        " exists without a usable \"<mac> <ipv4>\" address"));
      }
      pod.ip = addr->ip;
      pod.mac = addr->mac;
      pod.lsp_uuid = row->uuid();
      pod.lsp_ours = ours;
      if (ours) {
        if (auto r = ipam_.reserve(addr->ip, spec.container_id); r.ok()) pod.ip_held = true;
      }
      if (!ipam_.contains(addr->ip)) {
        // A central controller may use another prefix length: keep the subnet's.
        LOG_WARN("pod_address_outside_node_subnet", log::kv("pod", spec.label),
                 log::kv("ip", addr->ip.to_string()), log::kv("subnet", ipam_.subnet().to_string()));
      }
      LOG_INFO("pod_address_from_ovn", log::kv("pod", spec.label), log::kv("lsp", spec.lsp_name),
               log::kv("ip", addr->ip.to_string()), log::kv("mac", addr->mac.to_string()));
      m_->ipam.observe(to_seconds(loop_.now() - pod.stage_started));
      return start_link(pod);
    }
    // Ours, from an older sandbox that is gone: the NB transaction replaces it.
    pod.stale_lsp = row->uuid();
    if (sandbox) ipam_.release_owner(*sandbox);
  } else if (spec.ipam_from_ovn) {
    enter_stage(pod, PodState::kWaitingForLsp);
    LOG_INFO("pod_waiting_for_lsp", log::kv("pod", spec.label), log::kv("lsp", spec.lsp_name));
    return;
  }

  if (spec.requested) {
    const PodNetwork& req = *spec.requested;
    if (!ipam_.contains(req.address.addr)) {
      return fail(pod, cni::cni_error(Code::kInvalidConfig,
                                      "requested address " + req.address.to_string() +
                                          " is not in the node subnet " + ipam_.subnet().to_string()));
    }
    auto held = ipam_.reserve(req.address.addr, spec.container_id);
    if (!held.ok()) {
      return fail(pod, cni::cni_error(Code::kInvalidConfig, "requested address " + req.address.to_string() +
                                                                 " cannot be used: " + held.error().message));
    }
    pod.ip = req.address.addr;
    pod.ip_held = true;
    pod.mac = req.mac.value_or(mac_for_ip(req.address.addr));
    if (!req.gateways.empty()) pod.gateways = req.gateways;
    for (const RouteSpec& r : req.routes) pod.routes.push_back(r);
  } else {
    auto ip = ipam_.allocate(spec.container_id);
    if (!ip.ok()) return fail(pod, ip.error());
    pod.ip = *ip;
    pod.ip_held = true;
    pod.mac = mac_for_ip(*ip);
  }
  m_->ipam_in_use.set(static_cast<double>(ipam_.in_use()));
  m_->ipam_free.set(static_cast<double>(ipam_.available()));
  m_->ipam.observe(to_seconds(loop_.now() - pod.stage_started));
  submit_nb(pod);
}

void PodManager::submit_nb(Pod& pod) {
  enter_stage(pod, PodState::kNb);
  LspPlan plan;
  plan.uuid = ovsdb::Uuid::generate(rng_);
  plan.name = pod.spec.lsp_name;
  plan.mac = pod.mac;
  plan.ip = *pod.ip;
  plan.pod_uid = pod.spec.pod_uid;
  plan.node = options_.node;
  plan.pod_namespace = pod.spec.pod_namespace;
  plan.sandbox = pod.spec.container_id;
  pod.lsp_uuid = plan.uuid;
  pod.lsp_ours = true;
  const std::string cid = pod.spec.container_id;
  const uint64_t serial = pod.serial;
  const std::optional<ovsdb::Uuid> stale = pod.stale_lsp;
  TxnBatcher::Item item;
  item.label = pod.spec.label;
  item.build = [this, plan, stale](ovsdb::TransactionBuilder& txn) {
    if (!switch_uuid_) return false;
    if (stale) {
      add_lsp_remove(txn, *switch_uuid_, *stale);
      txn.delete_rows("Logical_Switch_Port", {ovsdb::Condition::uuid_is(*stale)});
    }
    add_lsp_insert(txn, *switch_uuid_, plan);
    return true;
  };
  item.applied = [this, uuid = plan.uuid] {
    const ovsdb::ReplicaTable* t = nb_.replica() ? nb_.replica()->table("Logical_Switch_Port") : nullptr;
    return t != nullptr && t->find(uuid) != nullptr;
  };
  item.done = [this, cid, serial](Result<TxnBatcher::OpResults> r) { nb_done(cid, serial, std::move(r)); };
  pod.nb_item = nb_batch_->submit(std::move(item));
  // The veth needs only the address and MAC, known now: it is made while the
  // NB transaction is in flight (the OVS port, which ovn-controller binds to the
  // LSP, waits for both).
  begin_link(pod);
}

void PodManager::nb_done(const std::string& cid, uint64_t serial, Result<TxnBatcher::OpResults> r) {
  Pod* pod = find(cid);
  if (pod == nullptr || pod->serial != serial) return;
  pod->nb_item = 0;
  if (pod->state != PodState::kNb) return;
  if (!r.ok()) return fail(*pod, std::move(r).error().with_context("add logical switch port " + pod->spec.lsp_name));
  // The last operation mutates the switch: a count of 0 means the switch is
  // gone, and the port was dropped by the server's garbage collection.
  if (r->empty() ? !switch_uuid_ : (r->back().count.value_or(1) == 0)) {
    return fail(*pod, make_error("ovn", ENOENT, "logical switch " + options_.node +
                                                    " not found in NB: the port cannot be attached"));
  }
  if (pod->link_in_flight) return enter_stage(*pod, PodState::kLinking);  // link_done() goes on
  submit_ovs(*pod);
}

void PodManager::start_link(Pod& pod) {
  enter_stage(pod, PodState::kLinking);
  begin_link(pod);
}

void PodManager::begin_link(Pod& pod) {
  netlink::PodLinkPlan plan;
  plan.netns_path = pod.spec.netns;
  plan.host_ifname = pod.spec.host_ifname;
  plan.pod_ifname = pod.spec.ifname;
  plan.mac = pod.mac;
  plan.mtu = pod.mtu;
  plan.addresses = {IpPrefix{*pod.ip, pod.prefix_len}};
  plan.gateways = pod.gateways;
  for (const RouteSpec& r : pod.routes) {
    netlink::PodRoute route;
    route.dst = r.dst;
    route.gateway = r.gateway;
    plan.routes.push_back(route);
  }
  plan.group = options_.pod_link_group;
  plan.offloads_off = options_.offloads_off;
  pod.link_in_flight = true;
  const std::string cid = pod.spec.container_id;
  const uint64_t serial = pod.serial;
  linker_.add(std::move(plan), [this, cid, serial](Result<netlink::PodLinkInfo> r) {
    link_done(cid, serial, std::move(r));
  });
}

void PodManager::link_done(const std::string& cid, uint64_t serial, Result<netlink::PodLinkInfo> r) {
  Pod* pod = find(cid);
  if (pod == nullptr || pod->serial != serial) return;
  pod->link_in_flight = false;
  if (r.ok()) {
    pod->link_maybe = true;
    pod->link = *r;
  }
  if (pod->state == PodState::kTearingDown) return continue_teardown(*pod);
  if (!r.ok()) {
    // The linker rolled back what it made; a host veth that already existed
    // (EEXIST) is someone else's or a leftover that reconcile will judge.
    return fail(*pod, std::move(r).error());
  }
  if (pod->state == PodState::kNb) return;  // the NB insert is still in flight: nb_done() goes on
  submit_ovs(*pod);
}

void PodManager::submit_ovs(Pod& pod) {
  enter_stage(pod, PodState::kOvs);
  OvsPortPlan plan;
  plan.interface_uuid = ovsdb::Uuid::generate(rng_);
  plan.port_uuid = ovsdb::Uuid::generate(rng_);
  plan.name = pod.spec.host_ifname;
  plan.iface_id = pod.spec.lsp_name;
  plan.iface_id_ver = pod.spec.pod_uid;
  plan.sandbox = pod.spec.container_id;
  plan.mac = pod.mac;
  plan.ip = IpPrefix{*pod.ip, pod.prefix_len};
  pod.iface_uuid = plan.interface_uuid;
  pod.port_uuid = plan.port_uuid;
  pod.port_ours = true;
  const std::string cid = pod.spec.container_id;
  const uint64_t serial = pod.serial;
  TxnBatcher::Item item;
  item.label = pod.spec.label;
  item.build = [this, plan](ovsdb::TransactionBuilder& txn) {
    if (!bridge_uuid_) return false;
    add_ovs_port_insert(txn, *bridge_uuid_, plan);
    return true;
  };
  item.applied = [this, uuid = plan.interface_uuid] {
    const ovsdb::ReplicaTable* t = ovs_.replica() ? ovs_.replica()->table("Interface") : nullptr;
    return t != nullptr && t->find(uuid) != nullptr;
  };
  item.done = [this, cid, serial](Result<TxnBatcher::OpResults> r) { ovs_done(cid, serial, std::move(r)); };
  pod.ovs_item = ovs_batch_->submit(std::move(item));
}

void PodManager::ovs_done(const std::string& cid, uint64_t serial, Result<TxnBatcher::OpResults> r) {
  Pod* pod = find(cid);
  if (pod == nullptr || pod->serial != serial) return;
  pod->ovs_item = 0;
  if (pod->state != PodState::kOvs) return;
  if (!r.ok()) return fail(*pod, std::move(r).error().with_context("add OVS port " + pod->spec.host_ifname));
  if (r->empty() ? !bridge_uuid_ : (r->back().count.value_or(1) == 0)) {
    return fail(*pod, make_error("ovn", ENOENT, "bridge " + options_.bridge + " not found in Open_vSwitch"));
  }
  wait_ready(*pod);
}

void PodManager::wait_ready(Pod& pod) {
  enter_stage(pod, PodState::kWaitingReady);
  by_iface_[*pod.iface_uuid] = pod.spec.container_id;
  // The update may have come with (or before) the reply.
  const ovsdb::ReplicaTable* t = ovs_.replica() ? ovs_.replica()->table("Interface") : nullptr;
  const ovsdb::Row* row = t != nullptr ? t->find(*pod.iface_uuid) : nullptr;
  if (row != nullptr && map_value(*t, *row, "external_ids", "ovn-installed") == std::optional<std::string_view>("true")) {
    become_ready(pod);
  }
}

void PodManager::on_interface_change(const ovsdb::RowChange& change) {
  if (change.new_row == nullptr || by_iface_.empty()) return;
  auto it = by_iface_.find(change.new_row->uuid());
  if (it == by_iface_.end()) return;
  Pod* pod = find(it->second);
  if (pod == nullptr || pod->state != PodState::kWaitingReady) return;
  const ovsdb::ReplicaTable& t = change.table;
  const ovsdb::Row& row = *change.new_row;
  pod->iface_error = string_column(t, row, "error");
  if (!pod->iface_error.empty()) {
    LOG_WARN("pod_interface_error", log::kv("pod", pod->spec.label), log::kv("interface", pod->spec.host_ifname),
             log::kv("error", pod->iface_error));
  }
  if (map_value(t, row, "external_ids", "ovn-installed") == std::optional<std::string_view>("true")) {
    become_ready(*pod);
  }
}

cni::CniResult PodManager::make_result(const Pod& pod, const std::string& netns) const {
  cni::CniResult r;
  cni::CniInterface host;
  host.name = pod.spec.host_ifname;
  r.interfaces.push_back(host);
  cni::CniInterface inner;
  inner.name = pod.spec.ifname;
  inner.mac = pod.mac.to_string();
  inner.sandbox = netns;
  if (pod.mtu != 0) inner.mtu = pod.mtu;
  r.interfaces.push_back(inner);
  cni::CniIp ip;
  ip.address = IpPrefix{*pod.ip, pod.prefix_len}.to_string();
  if (!pod.gateways.empty()) ip.gateway = pod.gateways.front().to_string();
  ip.interface = 1;
  r.ips.push_back(ip);
  for (const IpAddr& gw : pod.gateways) {
    cni::CniRoute route;
    route.dst = "0.0.0.0/0";
    route.gw = gw.to_string();
    r.routes.push_back(route);
  }
  for (const RouteSpec& rs : pod.routes) {
    cni::CniRoute route;
    route.dst = rs.dst.to_string();
    if (rs.gateway) route.gw = rs.gateway->to_string();
    r.routes.push_back(route);
  }
  return r;
}

void PodManager::become_ready(Pod& pod) {
  enter_stage(pod, PodState::kReady);
  pod.ready_at = loop_.now();
  pod.deadline.reset();
  if (pod.iface_uuid) by_iface_.erase(*pod.iface_uuid);
  pod.result = make_result(pod, pod.spec.netns);
  const double total = to_seconds(loop_.now() - pod.started);
  m_->add_total.observe(total);
  LOG_INFO("pod_ready", log::kv("pod", pod.spec.label), log::kv("container", pod.spec.container_id),
           log::kv("ip", pod.ip->to_string()), log::kv("mac", pod.mac.to_string()),
           log::kv("ms", total * 1000.0));
  std::vector<uint64_t> waiters;
  waiters.swap(pod.add_waiters);
  const cni::CniResult result = *pod.result;
  for (uint64_t w : waiters) {
    m_->add_ok.inc();
    reply(w, CniReply::success(result));
  }
}

void PodManager::fail(Pod& pod, Error error) {
  if (pod.state == PodState::kTearingDown) return;
  LOG_WARN("pod_add_failed", log::kv("pod", pod.spec.label), log::kv("container", pod.spec.container_id),
           log::kv("stage", stage_name(static_cast<int>(pod.state))), log::kv("error", error));
  if (!pod.failure) pod.failure = std::move(error);
  teardown(pod);
}

void PodManager::on_deadline(const std::string& cid, uint64_t serial) {
  Pod* pod = find(cid);
  if (pod == nullptr || pod->serial != serial) return;
  std::string waiting_for;
  switch (pod->state) {
    case PodState::kWaitingForSync:
      waiting_for = "the node to be ready (NB and OVS connections, node switch)";
      break;
    case PodState::kWaitingForLsp:
      waiting_for = "a pre-provisioned logical switch port " + pod->spec.lsp_name + " with addresses";
      break;
    case PodState::kNb:
      waiting_for = "the NB transaction adding the logical switch port";
      if (pod->link_in_flight) waiting_for += " (and the veth to be created)";
      break;
    case PodState::kLinking: waiting_for = "the veth to be created"; break;
    case PodState::kOvs: waiting_for = "the Open_vSwitch transaction adding the port"; break;
    case PodState::kWaitingReady:
      waiting_for = "ovn-controller to set external_ids:ovn-installed on interface " + pod->spec.host_ifname +
                    " (is ovn-controller running?)";
      if (!pod->iface_error.empty()) waiting_for += "; the interface reports: " + pod->iface_error;
      break;
    case PodState::kReady:
    case PodState::kTearingDown:
      return;
  }
  fail(*pod, cni::cni_error(Code::kTimeout, "timed out after " +
                                                std::to_string(to_whole_millis(options_.ready_timeout) / 1000) +
                                                " s waiting for " + waiting_for));
}

// ---- teardown -----------------------------------------------------------------------

void PodManager::teardown(Pod& pod) {
  if (pod.state == PodState::kTearingDown) return;
  enter_stage(pod, PodState::kTearingDown);
  pod.deadline.reset();
  if (pod.iface_uuid) by_iface_.erase(*pod.iface_uuid);
  // An insert still queued is dropped; one in flight commits before our
  // removal, which follows it on the same connection.
  if (pod.nb_item != 0) {
    nb_batch_->cancel(pod.nb_item);
    pod.nb_item = 0;
  }
  if (pod.ovs_item != 0) {
    ovs_batch_->cancel(pod.ovs_item);
    pod.ovs_item = 0;
  }
  continue_teardown(pod);
}

void PodManager::continue_teardown(Pod& pod) {
  if (pod.removals_started || pod.link_in_flight) return;  // link_done() comes back here
  pod.removals_started = true;
  const std::string cid = pod.spec.container_id;
  const uint64_t serial = pod.serial;
  pod.removals_pending = 0;
  if (pod.port_ours && pod.port_uuid) {
    ++pod.removals_pending;
    TxnBatcher::Item item;
    item.label = pod.spec.label;
    item.build = [this, port = *pod.port_uuid](ovsdb::TransactionBuilder& txn) {
      if (!bridge_uuid_) return false;
      add_ovs_port_remove(txn, *bridge_uuid_, port);
      return true;
    };
    item.applied = [this, port = *pod.port_uuid] {
      const ovsdb::ReplicaTable* t = ovs_.replica() ? ovs_.replica()->table("Port") : nullptr;
      return t != nullptr && t->find(port) == nullptr;
    };
    item.done = [this, cid, serial](Result<TxnBatcher::OpResults> r) {
      removal_done(cid, serial, 0, r.ok() ? Result<void>() : Result<void>(std::move(r).error()));
    };
    ovs_batch_->submit(std::move(item));
  }
  if (pod.lsp_ours && (pod.lsp_uuid || pod.stale_lsp)) {
    ++pod.removals_pending;
    TxnBatcher::Item item;
    item.label = pod.spec.label;
    item.build = [this, lsp = pod.lsp_uuid, stale = pod.stale_lsp](ovsdb::TransactionBuilder& txn) {
      if (!switch_uuid_) return false;
      if (lsp) add_lsp_remove(txn, *switch_uuid_, *lsp);
      if (stale) add_lsp_remove(txn, *switch_uuid_, *stale);
      return true;
    };
    item.applied = [this, lsp = pod.lsp_uuid] {
      const ovsdb::ReplicaTable* t = nb_.replica() ? nb_.replica()->table("Logical_Switch_Port") : nullptr;
      return t != nullptr && (!lsp || t->find(*lsp) == nullptr);
    };
    item.done = [this, cid, serial](Result<TxnBatcher::OpResults> r) {
      removal_done(cid, serial, 1, r.ok() ? Result<void>() : Result<void>(std::move(r).error()));
    };
    nb_batch_->submit(std::move(item));
  }
  if (pod.link_maybe) {
    ++pod.removals_pending;
    linker_.remove(pod.spec.host_ifname,
                   [this, cid, serial](Result<void> r) { removal_done(cid, serial, 2, std::move(r)); });
  }
  if (pod.removals_pending == 0) finish_teardown(pod);
}

void PodManager::removal_done(const std::string& cid, uint64_t serial, int which, Result<void> r) {
  Pod* pod = find(cid);
  if (pod == nullptr || pod->serial != serial) return;
  if (!r.ok()) {
    static const char* const kWhat[] = {"remove OVS port", "remove logical switch port", "remove host veth"};
    Error e = std::move(r).error().with_context(std::string(kWhat[which]) + " " +
                                                (which == 1 ? pod->spec.lsp_name : pod->spec.host_ifname));
    LOG_WARN("pod_removal_failed", log::kv("pod", pod->spec.label), log::kv("container", cid), log::kv("error", e));
    if (which == 1) pod->nb_removed = false;
    if (!pod->removal_error) pod->removal_error = std::move(e);
  }
  if (--pod->removals_pending == 0) finish_teardown(*pod);
}

void PodManager::finish_teardown(Pod& pod) {
  const std::string cid = pod.spec.container_id;
  // The address goes back only once no LSP can hold it any more (else the
  // next reconcile's rebuild keeps it held by the LSP).
  if (pod.nb_removed) ipam_.release_owner(cid);
  m_->ipam_in_use.set(static_cast<double>(ipam_.in_use()));
  m_->ipam_free.set(static_cast<double>(ipam_.available()));
  if (pod.iface_uuid) by_iface_.erase(*pod.iface_uuid);
  const double took = to_seconds(loop_.now() - pod.stage_started);
  m_->del_total.observe(took);
  (pod.removal_error ? m_->del_failed : m_->del_ok).inc();
  LOG_INFO("pod_removed", log::kv("pod", pod.spec.label), log::kv("container", cid),
           log::kv("ms", took * 1000.0), log::kv("ok", !pod.removal_error.has_value()));

  std::unique_ptr<Pod> owned = std::move(pods_[cid]);
  pods_.erase(cid);
  if (owned != nullptr && owned->state == PodState::kWaitingForLsp) --pods_waiting_for_lsp_;
  m_->pods.set(static_cast<double>(pods_.size()));

  CniError add_error = owned->failure ? pipeline_error(*owned->failure, owned->spec.label)
                                      : CniError::make(Code::kTryAgainLater,
                                                       "pod " + owned->spec.label + " was deleted while being added");
  for (uint64_t w : owned->add_waiters) {
    m_->add_failed.inc();
    reply(w, CniReply::failure(add_error));
  }
  Result<void> outcome = owned->removal_error ? Result<void>(*owned->removal_error) : Result<void>();
  for (GoneFn& fn : owned->gone) fn(outcome);
  if (owned->restart_spec) {
    // An ADD came while the pod was being undone: start it afresh.
    PodSpec spec = std::move(*owned->restart_spec);
    std::vector<uint64_t> waiters = std::move(owned->restart_waiters);
    if (find(cid) == nullptr) {
      Pod& fresh = create_pod(std::move(spec));
      fresh.add_waiters = std::move(waiters);
      const uint64_t serial = fresh.serial;
      fresh.deadline = loop_.make_timer([this, cid, serial] { on_deadline(cid, serial); });
      fresh.deadline->start(options_.ready_timeout);
      if (running()) start(fresh);
    } else {
      for (uint64_t w : waiters) find(cid)->add_waiters.push_back(w);
    }
  }
}

// ---- DEL ------------------------------------------------------------------------------

PodManager::Pod& PodManager::pod_from_leftovers(PodSpec spec) {
  Pod& pod = create_pod(std::move(spec));
  const std::string& cid = pod.spec.container_id;
  // NB: by name first (index), then by the sandbox mark (a DEL may come
  // without the Kubernetes arguments its ADD had).
  if (const ovsdb::Replica* nb = nb_.replica()) {
    if (const ovsdb::ReplicaTable* lsps = nb->table("Logical_Switch_Port")) {
      auto matches = [&](const ovsdb::Row& row) {
        return owned_by_us(*lsps, row, options_.node) &&
               map_value(*lsps, row, "external_ids", kSandboxKey) == std::optional<std::string_view>(cid);
      };
      const ovsdb::Row* row = lsps->find_by_string("name", pod.spec.lsp_name);
      if (row == nullptr || !matches(*row)) {
        row = nullptr;
        for (const ovsdb::Row& r : *lsps) {
          if (matches(r)) {
            row = &r;
            break;
          }
        }
      }
      if (row != nullptr) {
        pod.lsp_uuid = row->uuid();
        pod.lsp_ours = true;
        pod.spec.lsp_name = string_column(*lsps, *row, "name");
      }
    }
  }
  if (const ovsdb::Replica* ovs = ovs_.replica()) {
    const ovsdb::ReplicaTable* ifaces = ovs->table("Interface");
    const ovsdb::ReplicaTable* ports = ovs->table("Port");
    const ovsdb::Row* iface = ifaces ? ifaces->find_by_string("name", pod.spec.host_ifname) : nullptr;
    if (iface != nullptr && owned_by_us(*ifaces, *iface, "") &&
        map_value(*ifaces, *iface, "external_ids", kSandboxKey) == std::optional<std::string_view>(cid)) {
      pod.iface_uuid = iface->uuid();
      if (const ovsdb::Row* port = ports ? ports->find_by_string("name", pod.spec.host_ifname) : nullptr) {
        pod.port_uuid = port->uuid();
        pod.port_ours = true;
      }
    }
  }
  return pod;
}

void PodManager::delete_pod(PodSpec spec, GoneFn gone) {
  if (Pod* p = find(spec.container_id)) {
    p->gone.push_back(std::move(gone));
    if (p->restart_spec) {
      // DEL wins over an ADD that was waiting for the previous teardown.
      for (uint64_t w : p->restart_waiters) {
        reply(w, CniReply::failure(CniError::make(Code::kTryAgainLater,
                                                  "pod " + p->spec.label + " was deleted while being added")));
      }
      p->restart_waiters.clear();
      p->restart_spec.reset();
    }
    if (p->state != PodState::kTearingDown) teardown(*p);
    return;
  }
  Pod& pod = pod_from_leftovers(std::move(spec));
  pod.gone.push_back(std::move(gone));
  pod.state = PodState::kTearingDown;
  // Only a host veth in our link group is ours to delete: ask the kernel.
  pod.link_in_flight = true;
  const std::string cid = pod.spec.container_id;
  const uint64_t serial = pod.serial;
  auto probe = netlink::get_link(
      host_, netlink::LinkRef::by_name(pod.spec.host_ifname),
      [this, cid, serial](Result<netlink::LinkInfo> r) {
        Pod* p = find(cid);
        if (p == nullptr || p->serial != serial) return;
        p->link_in_flight = false;
        p->link_maybe = r.ok() && r->group == options_.pod_link_group;
        continue_teardown(*p);
      });
  if (!probe.ok()) {
    pod.link_in_flight = false;
    continue_teardown(pod);
  }
}

std::unique_ptr<cni::CniCall> PodManager::del(PodSpec spec, cni::CniDone done) {
  const uint64_t waiter = add_waiter(std::move(done));
  auto call = make_call(waiter);
  if (!nb_seen_ready_ || !ovs_seen_ready_) {
    reply(waiter, CniReply::failure(CniError::make(
                      Code::kTryAgainLater, "not connected to the OVN databases yet",
                      "DEL needs the NB and Open_vSwitch contents to find the pod's rows; retry shortly")));
    return call;
  }
  LOG_INFO("pod_del", log::kv("pod", spec.label), log::kv("container", spec.container_id));
  const std::string label = spec.label;
  delete_pod(std::move(spec), [this, waiter, label](Result<void> r) {
    if (r.ok()) {
      reply(waiter, CniReply::success());
    } else {
      reply(waiter, CniReply::failure(pipeline_error(r.error(), label)));
    }
  });
  return call;
}

cni::CniReply PodManager::status() const {
  std::string problem;
  if (!nb_.is_ready()) problem = "not connected to the OVN Northbound database";
  else if (!ovs_.is_ready()) problem = "not connected to the Open_vSwitch database";
  else if (sync_ == SyncState::kBroken && sync_error_) problem = sync_error_->message;
  else if (sync_ != SyncState::kRunning) problem = "the node is being set up (topology, first reconcile)";
  if (problem.empty()) return CniReply::success();
  return CniReply::failure(CniError::make(Code::kPluginNotAvailable, problem));
}

}  // namespace ovnk::agent
