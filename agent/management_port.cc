#include "agent/management_port.h"

#include <linux/if_addr.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <random>

#include "base/log.h"
#include "netlink/address.h"
#include "netlink/ops.h"

namespace ovnk::agent {

std::string_view management_port_state_name(ManagementPort::State state) {
  switch (state) {
    case ManagementPort::State::kWaitingForDatabases: return "waiting_for_databases";
    case ManagementPort::State::kWaitingForLsp: return "waiting_for_lsp";
    case ManagementPort::State::kNbTxn: return "nb_txn";
    case ManagementPort::State::kOvsTxn: return "ovs_txn";
    case ManagementPort::State::kWaitingForInterface: return "waiting_for_interface";
    case ManagementPort::State::kConfiguringKernel: return "configuring_kernel";
    case ManagementPort::State::kReady: return "ready";
    case ManagementPort::State::kFailed: return "failed";
  }
  return "?";
}

std::unique_ptr<ManagementPort> ManagementPort::create(reactor::Loop& loop, ovsdb::Session& nb, ovsdb::Session& ovs,
                                                       netlink::NetlinkSocket& host, ManagementPortOptions options) {
  return std::unique_ptr<ManagementPort>(new ManagementPort(loop, nb, ovs, host, std::move(options)));
}

ManagementPort::ManagementPort(reactor::Loop& loop, ovsdb::Session& nb, ovsdb::Session& ovs,
                               netlink::NetlinkSocket& host, ManagementPortOptions options)
    : loop_(loop), nb_(nb), ovs_(ovs), host_(host), options_(std::move(options)),
      lsp_name_(management_lsp_name(options_.node)), rng_(std::random_device{}()) {
  kick_ = loop_.make_timer([this] { step(); });
  retry_ = loop_.make_timer([this] {
    if (state_ == State::kFailed) step();
  });
  recheck_ = loop_.make_timer([this] {
    if (state_ == State::kReady) step();
  });
}

ManagementPort::~ManagementPort() {
  if (txn_session_ != nullptr) txn_session_->forget(txn_token_);
  cancel_netlink();
}

void ManagementPort::cancel_netlink() {
  for (uint32_t id : netlink_ids_) host_.cancel(id);
  netlink_ids_.clear();
  netlink_pending_ = 0;
  ++generation_;
}

void ManagementPort::on_nb_ready() {
  watch_replicas();
  schedule();
}

void ManagementPort::on_ovs_ready() {
  watch_replicas();
  schedule();
}

void ManagementPort::watch_replicas() {
  // Only the rows named after the management port, its LSP, the node switch
  // and the bridge start a pass: the pods' rows change all the time.
  auto named = [this](std::string table, std::string name) {
    return [this, table = std::move(table), name = std::move(name)](const ovsdb::RowChange& c) {
      for (const ovsdb::Row* row : {c.old_row, c.new_row}) {
        if (row == nullptr) continue;
        const ovsdb::Datum* d = c.table.get(*row, "name");
        const ovsdb::Atom* a = d ? d->as_scalar() : nullptr;
        if (a != nullptr && a->is_string() && a->as_string() == name) {
          schedule();
          return;
        }
      }
    };
  };
  auto add = [this](ovsdb::Replica* replica, const char* table, ovsdb::ChangeCallback cb) {
    auto w = replica->watch(table, std::move(cb));
    if (w.ok()) {
      watches_.push_back(std::move(w).value());
    } else {
      LOG_WARN("management_port_watch_failed", log::kv("table", table), log::kv("error", w.error()));
    }
  };
  if (!nb_watched_ && nb_.replica() != nullptr) {
    nb_watched_ = true;
    add(nb_.replica(), "Logical_Switch_Port", named("Logical_Switch_Port", lsp_name_));
    add(nb_.replica(), "Logical_Switch", named("Logical_Switch", options_.node));
  }
  if (!ovs_watched_ && ovs_.replica() != nullptr) {
    ovs_watched_ = true;
    add(ovs_.replica(), "Interface", named("Interface", std::string(kManagementPortName)));
    add(ovs_.replica(), "Port", named("Port", std::string(kManagementPortName)));
    add(ovs_.replica(), "Bridge", named("Bridge", options_.bridge));
  }
}

bool ManagementPort::busy() const {
  return state_ == State::kNbTxn || state_ == State::kOvsTxn || state_ == State::kConfiguringKernel;
}

void ManagementPort::schedule() {
  if (busy()) {
    again_ = true;
    return;
  }
  if (!kick_->active()) kick_->start(Duration::zero());
}

void ManagementPort::enter(State s) {
  if (s != state_) {
    LOG_DEBUG("management_port_state", log::kv("node", options_.node), log::kv("from", management_port_state_name(state_)),
              log::kv("to", management_port_state_name(s)));
  }
  state_ = s;
}

void ManagementPort::fail(Error error, std::string_view hint) {
  LOG_ERROR("management_port_failed", log::kv("node", options_.node), log::kv("port", kManagementPortName),
            log::kv("lsp", lsp_name_), log::kv("error", error), log::kv("hint", hint),
            log::kv("retry_s", std::chrono::duration_cast<std::chrono::seconds>(options_.retry).count()));
  last_error_ = std::move(error);
  enter(State::kFailed);
  again_ = false;
  retry_->start(options_.retry);
}

void ManagementPort::step() {
  if (busy()) {
    again_ = true;
    return;
  }
  again_ = false;
  const ovsdb::Replica* nb = nb_.replica();
  const ovsdb::Replica* ovs = ovs_.replica();
  if (!nb_.is_ready() || !ovs_.is_ready() || nb == nullptr || ovs == nullptr) {
    enter(State::kWaitingForDatabases);
    return;
  }

  // NB: the LSP gives the MAC and address.
  ManagementLspView lsp = read_management_lsp(*nb, options_.node);
  if (!lsp.exists) {
    if (options_.create_lsp && lsp.switch_uuid) {
      ManagementLspConfig c;
      c.node = options_.node;
      const netlink::IpPrefix net = options_.node_subnet.network();
      const auto b = net.addr.bytes();
      c.management = netlink::IpAddr::v4(b[0], b[1], b[2], static_cast<uint8_t>(b[3] + 2));
      auto plan = plan_management_lsp(lsp, c, [this] { return ovsdb::Uuid::generate(rng_); });
      if (!plan.ok()) return fail(plan.error(), "check the node switch in NB");
      if (plan->has_value()) {
        LOG_INFO("management_lsp_create", log::kv("node", options_.node), log::kv("lsp", lsp_name_),
                 log::kv("address", c.management.to_string()));
        return transact(nb_, std::move(**plan), State::kNbTxn, "create LSP " + lsp_name_);
      }
    }
    if (!logged_waiting_) {
      logged_waiting_ = true;
      LOG_WARN("management_lsp_missing", log::kv("node", options_.node), log::kv("lsp", lsp_name_),
               log::kv("hint", options_.create_lsp
                                   ? "waiting for the node switch to be created"
                                   : "the cluster side has not added this node (e.g. ovnk-ctl node-add); waiting"));
    }
    enter(State::kWaitingForLsp);
    return;
  }
  logged_waiting_ = false;
  auto address = parse_lsp_addresses(lsp.addresses);
  if (!address.ok()) return fail(address.error(), "fix the addresses of LSP " + lsp_name_ + " in NB (\"<mac> <ip>\")");
  ManagementKernelConfig kc;
  kc.node_subnets = {options_.node_subnet};
  kc.cluster_cidrs = options_.cluster_cidrs;
  kc.mtu = options_.mtu;
  auto kernel = plan_management_kernel(*address, kc);
  if (!kernel.ok()) return fail(kernel.error(), "LSP " + lsp_name_ + " disagrees with --node-subnet/--cluster-cidr");

  // OVS: the port, then the interface ovs-vswitchd makes for it.
  ManagementOvsView view = read_management_ovs(*ovs, options_.bridge);
  ManagementOvsConfig oc{options_.node, options_.bridge, options_.mtu};
  auto ovs_plan = plan_management_ovs(view, oc, [this] { return ovsdb::Uuid::generate(rng_); });
  if (!ovs_plan.ok()) return fail(ovs_plan.error(), "fix the OVS ports named ovn-k8s-mp0 (ovs-vsctl show)");
  if (ovs_plan->has_value()) {
    LOG_INFO("management_port_ovs", log::kv("node", options_.node), log::kv("port", kManagementPortName),
             log::kv("bridge", options_.bridge), log::kv("action", view.port_uuid ? "repair" : "create"));
    return transact(ovs_, std::move(**ovs_plan), State::kOvsTxn, "OVS port " + std::string(kManagementPortName));
  }
  auto created = management_interface_created(view);
  if (!created.ok()) return fail(created.error(), "see ovs-vswitchd.log for why the interface could not be made; checked again after the retry delay");
  if (!*created) {
    enter(State::kWaitingForInterface);
    return;
  }
  configure_kernel(std::move(kernel).value());
}

void ManagementPort::transact(ovsdb::Session& session, ovsdb::TransactionBuilder txn, State waiting, std::string what) {
  enter(waiting);
  txn_session_ = &session;
  txn_token_ = session.transact(std::move(txn), [this, what = std::move(what)](ovsdb::TransactResult r) {
    txn_session_ = nullptr;
    enter(State::kWaitingForInterface);  // not busy: the next pass decides
    if (!r.ok()) {
      std::string detail = r.status == ovsdb::TxnStatus::kOpError ? r.result.describe_failure() : r.error.to_string();
      return fail(make_error("ovsdb", EIO, what + ": " + detail), "the transaction is retried");
    }
    wrote_ = true;
    schedule();
  });
}

void ManagementPort::configure_kernel(ManagementKernelPlan plan) {
  enter(State::kConfiguringKernel);
  cancel_netlink();
  netlink_error_.reset();
  kernel_changed_ = false;
  const uint64_t gen = generation_;
  auto id = netlink::get_link(host_, netlink::LinkRef::by_name(std::string(kManagementPortName)),
                              [this, gen, plan](Result<netlink::LinkInfo> link) {
                                if (gen != generation_) return;
                                kernel_link(std::move(link), plan);
                              });
  if (!id.ok()) {
    enter(State::kWaitingForInterface);
    return fail(id.error(), "internal error building a netlink request");
  }
  netlink_ids_.push_back(*id);
}

void ManagementPort::kernel_link(Result<netlink::LinkInfo> link, const ManagementKernelPlan& plan) {
  netlink_ids_.clear();
  if (!link.ok()) {
    enter(State::kWaitingForInterface);
    return fail(link.error(), "OVS reports the port created but the kernel has no " +
                                  std::string(kManagementPortName) +
                                  " in the daemon's netns: run the daemon in ovs-vswitchd's netns");
  }
  const int index = link->index;
  const uint64_t gen = generation_;
  auto done = [this, gen](Result<void> r) {
    if (gen != generation_) return;
    if (!r.ok() && !netlink_error_) netlink_error_ = std::move(r).error();
    if (--netlink_pending_ == 0) kernel_done();
  };
  std::vector<netlink::Session::BuildFn> requests;
  std::vector<std::string> whats;
  if (auto change = plan_management_link(*link, plan)) {
    kernel_changed_ = true;
    requests.push_back([c = *change](netlink::Bytes& out, uint32_t seq) { return netlink::build_link_change(out, seq, c); });
    whats.push_back("set " + std::string(kManagementPortName) + " mac " + plan.mac.to_string() + " mtu " +
                    std::to_string(plan.mtu) + " up");
  }
  for (const netlink::IpPrefix& a : plan.addresses) {
    netlink::AddressSpec spec;
    spec.ifindex = index;
    spec.prefix = a;
    if (a.addr.is_v6()) spec.flags = IFA_F_NODAD;
    requests.push_back([spec](netlink::Bytes& out, uint32_t seq) { return netlink::build_address_replace(out, seq, spec); });
    whats.push_back("address " + a.to_string() + " on " + std::string(kManagementPortName));
  }
  for (netlink::RouteSpec r : plan.routes) {
    r.oif = index;
    requests.push_back([r](netlink::Bytes& out, uint32_t seq) { return netlink::build_route_replace(out, seq, r); });
    whats.push_back("route " + r.dst.to_string() + " via " + r.gateway->to_string() + " dev " +
                    std::string(kManagementPortName));
  }
  netlink_pending_ = requests.size();
  if (requests.empty()) return kernel_done();
  for (size_t i = 0; i < requests.size(); ++i) {
    auto id = netlink::ack_request(host_, requests[i], whats[i], done);
    if (!id.ok()) {
      cancel_netlink();
      enter(State::kWaitingForInterface);
      return fail(id.error(), "internal error building a netlink request");
    }
    netlink_ids_.push_back(*id);
  }
}

void ManagementPort::kernel_done() {
  netlink_ids_.clear();
  enter(State::kWaitingForInterface);  // not busy while deciding
  if (netlink_error_) {
    Error e = std::move(*netlink_error_);
    netlink_error_.reset();
    return fail(std::move(e), "check `ip addr show " + std::string(kManagementPortName) +
                                  "` and `ip route` in the daemon's netns; retried");
  }
  if (kernel_changed_ || wrote_ || last_error_ || !announced_) {
    LOG_INFO("management_port_ready", log::kv("node", options_.node), log::kv("port", kManagementPortName),
             log::kv("lsp", lsp_name_), log::kv("mtu", options_.mtu),
             log::kv("cluster_cidrs", options_.cluster_cidrs.size()));
    announced_ = true;
    wrote_ = false;
  }
  last_error_.reset();
  enter(State::kReady);
  if (options_.recheck_interval > Duration::zero() && !recheck_->active()) {
    recheck_->start(options_.recheck_interval, options_.recheck_interval);
  }
  if (again_) schedule();
}

}  // namespace ovnk::agent
