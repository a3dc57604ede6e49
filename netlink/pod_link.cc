#include "netlink/pod_link.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>

#include "base/log.h"
#include "netlink/address.h"
#include "netlink/ethtool.h"
#include "netlink/ops.h"

namespace ovnk::netlink {

struct PodLinker::Pod {
  uint64_t id = 0;
  Stage stage = Stage::kCreating;
  PodLinkPlan plan;
  AddDone done;
  NetnsHandle netns;
  std::vector<uint32_t> host_ids;  // requests on the host socket
  int outstanding = 0;             // requests of the current stage not answered yet
  bool created = false;            // the veth exists: a failure must roll it back
  std::optional<Error> error;      // first failure
  PodLinkInfo info;
  std::unique_ptr<NetlinkSocket> rtnl;  // in the pod netns
  std::unique_ptr<NetlinkSocket> genl;  // in the pod netns, for ethtool

  std::string describe() const {
    return "pod veth " + plan.host_ifname + "/" + plan.pod_ifname + " (netns " + plan.netns_path + ")";
  }
  void record(const Error& e) {
    if (!error) error = e;
  }
  // Counts a queued request, or records why it could not be queued.
  void track(const Result<uint32_t>& queued) {
    if (queued.ok()) {
      ++outstanding;
    } else {
      record(queued.error());
    }
  }
};

namespace {

// Pod sockets carry a handful of messages: no need for a big receive buffer.
SocketOptions pod_socket_options() {
  SocketOptions o;
  o.rcvbuf = 0;
  o.recv_buffer = 16 * 1024;
  return o;
}

}  // namespace

PodLinker::PodLinker(reactor::Loop& loop, NetlinkSocket& host, Options options)
    : loop_(&loop), host_(&host), options_(options) {
  early_timer_ = loop.make_timer([this] {
    std::vector<std::function<void()>> batch;
    batch.swap(early_);
    for (auto& completion : batch) completion();
  });
  offload_wake_timer_ = loop.make_timer([this] {
    std::vector<uint64_t> waiters;
    waiters.swap(offload_waiters_);
    for (uint64_t id : waiters) {
      Pod* p = find(id);
      if (p == nullptr || p->stage != Stage::kConfiguring) continue;
      if (!p->error) queue_offloads(*p);
      pod_step_done(id, ok_result());  // the wait itself
    }
  });
}

PodLinker::~PodLinker() {
  // Replies still due on the host socket must not reach a dead object.
  for (auto& [id, pod] : pods_) {
    for (uint32_t rid : pod->host_ids) host_->cancel(rid);
  }
  for (auto& [id, round] : rounds_) {
    for (uint32_t rid : round.ids) host_->cancel(rid);
  }
  if (round_hook_ != 0) host_->cancel_hook(round_hook_);
}

PodLinker::Pod* PodLinker::find(uint64_t id) {
  auto it = pods_.find(id);
  return it == pods_.end() ? nullptr : it->second.get();
}

void PodLinker::complete_soon(std::function<void()> completion) {
  early_.push_back(std::move(completion));
  if (!early_timer_->active()) early_timer_->start(Duration::zero());
}

void PodLinker::fail_soon(AddDone done, Error error) {
  ++stats_.add_failed;
  complete_soon([done = std::move(done), error = std::move(error)]() mutable { done(std::move(error)); });
}

void PodLinker::add(PodLinkPlan plan, AddDone done) {
  std::string what = "plug pod veth " + plan.host_ifname + "/" + plan.pod_ifname;
  if (auto ok = check_ifname(plan.host_ifname); !ok.ok()) {
    return fail_soon(std::move(done), ok.error().with_context(what + ": host end"));
  }
  if (auto ok = check_ifname(plan.pod_ifname); !ok.ok()) {
    return fail_soon(std::move(done), ok.error().with_context(what + ": pod end"));
  }
  if (plan.netns_path.empty()) {
    return fail_soon(std::move(done), make_error("netlink", EINVAL, what + ": no netns path"));
  }
  Result<NetnsHandle> ns = NetnsHandle::open_path(plan.netns_path);
  if (!ns.ok()) return fail_soon(std::move(done), ns.error().with_context(what));
  auto pod = std::make_unique<Pod>();
  pod->id = ++last_pod_id_;
  pod->plan = std::move(plan);
  pod->done = std::move(done);
  pod->netns = std::move(ns).value();
  Pod& ref = *pod;
  pods_.emplace(ref.id, std::move(pod));
  start(ref);
}

void PodLinker::start(Pod& pod) {
  const PodLinkPlan& plan = pod.plan;
  VethSpec spec;
  spec.host.name = plan.host_ifname;
  spec.host.mtu = plan.mtu;
  if (plan.group != 0) spec.host.group = plan.group;
  spec.host.up = true;
  spec.peer.name = plan.pod_ifname;
  spec.peer.mac = plan.mac;
  spec.peer.mtu = plan.mtu;
  spec.peer.netns_fd = pod.netns.fd();
  uint64_t id = pod.id;
  Result<uint32_t> create = ack_request(
      *host_, [spec](Bytes& out, uint32_t seq) { return build_veth_create(out, seq, spec); },
      "create " + pod.describe(), [this, id](Result<void> r) {
        if (Pod* p = find(id); p != nullptr && r.ok()) p->created = true;
        host_step_done(id, std::move(r));
      });
  // Sent in the same datagram, answered right after the create: the host end's
  // index and, through IFLA_LINK, the pod end's.
  Result<uint32_t> get = get_link(*host_, LinkRef::by_name(plan.host_ifname), [this, id](Result<LinkInfo> r) {
    Pod* p = find(id);
    if (p == nullptr) return;
    if (!r.ok()) return host_step_done(id, std::move(r).error());
    p->info.host_ifindex = r->index;
    p->info.pod_ifindex = r->link;
    host_step_done(id, ok_result());
  });
  for (const Result<uint32_t>* q : {&create, &get}) {
    pod.track(*q);
    if (q->ok()) pod.host_ids.push_back(**q);
  }
  if (pod.outstanding == 0) {
    // Nothing went out: no reply will conclude this pod.
    Error e = pod.error.value_or(make_error("netlink", EINVAL, "request not queued"));
    AddDone done = std::move(pod.done);
    pods_.erase(id);
    fail_soon(std::move(done), std::move(e));
  }
}

void PodLinker::host_step_done(uint64_t id, Result<void> r) {
  Pod* p = find(id);
  if (p == nullptr || p->stage != Stage::kCreating) return;
  if (!r.ok()) p->record(r.error());
  if (--p->outstanding > 0) return;
  if (p->error) {
    if (p->created) return rollback(*p);
    return finish(id, *p->error);
  }
  if (p->info.pod_ifindex <= 0) {
    p->record(make_error("netlink", EPROTO, p->describe() + ": host end reports no peer ifindex"));
    return rollback(*p);
  }
  configure(*p);
}

void PodLinker::configure(Pod& pod) {
  pod.stage = Stage::kConfiguring;
  const PodLinkPlan& plan = pod.plan;
  bool has_v6 = false;
  for (const IpPrefix& a : plan.addresses) has_v6 = has_v6 || a.addr.is_v6();
  Result<int> rtnl_fd = make_error("netlink", EINVAL, "not created");
  Result<int> genl_fd = make_error("netlink", EINVAL, "not created");
  Result<void> sysctls = ok_result();
  // One visit: sockets (bound to this netns for life) and the sysctls of the
  // interface that now exists there.
  Result<void> entered = in_netns(pod.netns, [&] {
    rtnl_fd = NetlinkSocket::create_fd(NETLINK_ROUTE);
    if (plan.offloads_off) genl_fd = NetlinkSocket::create_fd(NETLINK_GENERIC);
    if (has_v6 && plan.ipv6_no_dad) {
      for (const char* setting : {"accept_dad", "dad_transmits"}) {
        Result<std::string> key = ipv6_conf_key(plan.pod_ifname, setting);
        sysctls = key.ok() ? write_sysctl(*key, "0") : Result<void>(key.error());
        if (!sysctls.ok()) break;
      }
    }
  });
  if (!entered.ok()) {
    pod.record(entered.error().with_context(pod.describe()));
    return rollback(pod);
  }
  // Adopt whatever was created so that every fd has an owner before any exit.
  if (rtnl_fd.ok()) {
    auto s = NetlinkSocket::adopt(*loop_, *rtnl_fd, NETLINK_ROUTE, pod_socket_options());
    if (s.ok()) {
      pod.rtnl = std::move(s).value();
    } else {
      pod.record(s.error().with_context(pod.describe()));
    }
  } else {
    pod.record(rtnl_fd.error().with_context(pod.describe()));
  }
  if (plan.offloads_off) {
    if (genl_fd.ok()) {
      auto s = NetlinkSocket::adopt(*loop_, *genl_fd, NETLINK_GENERIC, pod_socket_options());
      if (s.ok()) {
        pod.genl = std::move(s).value();
      } else {
        pod.record(s.error().with_context(pod.describe()));
      }
    } else {
      pod.record(genl_fd.error().with_context(pod.describe()));
    }
  }
  if (!sysctls.ok()) pod.record(sysctls.error().with_context(pod.describe() + ": IPv6 DAD sysctl"));
  if (pod.error) return rollback(pod);
  queue_pod_requests(pod);
}

void PodLinker::queue_pod_requests(Pod& pod) {
  const PodLinkPlan& plan = pod.plan;
  NetlinkSocket& s = *pod.rtnl;
  uint64_t id = pod.id;
  int ifindex = pod.info.pod_ifindex;
  auto step = [this, id](Result<void> r) { pod_step_done(id, std::move(r)); };
  pod.outstanding = 0;
  // Up first (a veth peer cannot be born up): the IPv4 connected route and the
  // IPv6 prefix route then appear as the addresses are added, so the gateway
  // routes can follow in the same datagram.
  pod.track(ack_request(
      s, [ifindex](Bytes& out, uint32_t seq) { return build_link_set_up(out, seq, LinkRef::by_index(ifindex), true); },
      "set up " + pod.describe(), step));
  for (const IpPrefix& a : plan.addresses) {
    AddressSpec spec;
    spec.ifindex = ifindex;
    spec.prefix = a;
    if (a.addr.is_v6() && plan.ipv6_no_dad) spec.flags = IFA_F_NODAD;
    pod.track(ack_request(
        s, [spec](Bytes& out, uint32_t seq) { return build_address_add(out, seq, spec); },
        "add address " + a.to_string() + " to " + pod.describe(), step));
  }
  auto queue_route = [&](const RouteSpec& spec, const std::string& what) {
    pod.track(ack_request(
        s, [spec](Bytes& out, uint32_t seq) { return build_route_add(out, seq, spec); },
        "add route " + what + " in " + pod.describe(), step));
  };
  for (const IpAddr& gw : plan.gateways) {
    RouteSpec spec = RouteSpec::default_via(gw, ifindex);
    spec.protocol = plan.route_protocol;
    queue_route(spec, "default via " + gw.to_string());
  }
  for (const PodRoute& r : plan.routes) {
    RouteSpec spec;
    spec.dst = r.dst;
    spec.gateway = r.gateway;
    spec.oif = ifindex;
    spec.protocol = plan.route_protocol;
    spec.priority = r.metric;
    spec.mtu = r.mtu;
    queue_route(spec, r.dst.to_string() + (r.gateway ? " via " + r.gateway->to_string() : ""));
  }
  // Read the pod end back: its MAC (kernel-chosen unless planned) and a check
  // that the index taken from the host end is this interface.
  pod.track(get_link(s, LinkRef::by_name(plan.pod_ifname), [this, id](Result<LinkInfo> r) {
    Pod* p = find(id);
    if (p == nullptr) return;
    if (!r.ok()) return pod_step_done(id, std::move(r).error());
    if (r->index != p->info.pod_ifindex || !r->mac) {
      return pod_step_done(id, make_error("netlink", EPROTO,
                                          p->describe() + ": pod end has ifindex " +
                                              std::to_string(r->index) + ", host end says " +
                                              std::to_string(p->info.pod_ifindex)));
    }
    p->info.pod_mac = *r->mac;
    pod_step_done(id, ok_result());
  }));
  if (plan.offloads_off) queue_offloads(pod);
  if (pod.outstanding == 0) {
    // Nothing in flight can conclude this pod: do it from the loop.
    pod.outstanding = 1;
    loop_->defer([this, id] { pod_step_done(id, ok_result()); });
  }
}

void PodLinker::queue_offloads(Pod& pod) {
  if (ethtool_family_ && learned_offloads_) return queue_offloads_one_set(pod, *ethtool_family_);
  uint64_t id = pod.id;
  if (offload_learner_) {
    // Counted as a step, so the pod cannot conclude before it is woken.
    ++pod.outstanding;
    offload_waiters_.push_back(id);
    return;
  }
  offload_learner_ = id;
  if (ethtool_family_) return queue_offloads_read_back(pod, *ethtool_family_);
  pod.track(resolve_genl_family(*pod.genl, std::string(kEthtoolFamilyName), [this, id](Result<GenlFamily> r) {
    Pod* p = find(id);
    if (p == nullptr) return;
    if (!r.ok()) return pod_step_done(id, std::move(r).error());
    ethtool_family_ = r->id;
    queue_offloads_read_back(*p, r->id);
    pod_step_done(id, ok_result());
  }));
}

void PodLinker::wake_offload_waiters() {
  offload_learner_.reset();
  if (!offload_waiters_.empty()) offload_wake_timer_->start(Duration::zero());
}

void PodLinker::queue_offloads_read_back(Pod& pod, uint16_t family) {
  uint64_t id = pod.id;
  ++stats_.offloads_read_back;
  // Read the device's features, switch off the pod offloads it has on, read
  // back. Names come from the device: kernels differ in which ones exist.
  auto verify = [this, id](Result<Features> r) {
    Pod* p = find(id);
    if (p == nullptr) return;
    if (!r.ok()) return pod_step_done(id, std::move(r).error());
    std::vector<std::string> still_on = pod_offloads_still_on(*r);
    if (!still_on.empty()) {
      return pod_step_done(id, make_error("netlink", EPROTO,
                                          p->describe() + ": offload " + still_on.front() +
                                              " still on after ethtool features set"));
    }
    pod_step_done(id, ok_result());
  };
  LinkRef dev = LinkRef::by_index(pod.info.pod_ifindex);
  pod.track(ethtool_get_features(*pod.genl, family, dev, [this, id, family, dev, verify](Result<Features> r) {
    Pod* q = find(id);
    if (q == nullptr) return;
    if (!r.ok()) return pod_step_done(id, std::move(r).error());
    std::vector<FeatureChange> off = pod_offload_changes(*r);
    if (!learned_offloads_) learned_offloads_ = off;
    if (offload_learner_ == id) wake_offload_waiters();
    if (!off.empty()) {
      // Queued before this step counts as done, so the pod cannot conclude in between.
      q->track(ethtool_set_features(*q->genl, family, dev, std::move(off),
                                    [this, id](Result<void> s) { pod_step_done(id, std::move(s)); }));
      q->track(ethtool_get_features(*q->genl, family, dev, verify));
    }
    pod_step_done(id, ok_result());
  }));
}

void PodLinker::queue_offloads_one_set(Pod& pod, uint16_t family) {
  if (learned_offloads_->empty()) return;  // this kind of veth has no pod offload to switch off
  uint64_t id = pod.id;
  LinkRef dev = LinkRef::by_index(pod.info.pod_ifindex);
  pod.track(ethtool_set_features_checked(
      *pod.genl, family, dev, *learned_offloads_, [this, id, family](Result<FeaturesSetReply> r) {
        Pod* p = find(id);
        if (p == nullptr) return;
        if (r.ok() && r->unapplied.bits.empty()) {
          ++stats_.offloads_by_one_set;
          return pod_step_done(id, ok_result());
        }
        // Not the device we learned from (or the set failed): this pod, and the
        // ones after it, take the path that reads the device first.
        LOG_WARN("pod_offloads_relearned", log::kv("pod", p->describe()),
                 log::kv("why", r.ok() ? std::to_string(r->unapplied.bits.size()) + " bits not applied"
                                       : r.error().to_string()));
        learned_offloads_.reset();
        queue_offloads_read_back(*p, family);
        pod_step_done(id, ok_result());
      }));
}

void PodLinker::pod_step_done(uint64_t id, Result<void> r) {
  Pod* p = find(id);
  if (p == nullptr || p->stage != Stage::kConfiguring) return;
  if (!r.ok()) p->record(r.error());
  if (--p->outstanding > 0) return;
  if (p->error) return rollback(*p);
  finish(id, p->info);
}

void PodLinker::rollback(Pod& pod) {
  pod.stage = Stage::kRollingBack;
  // We may be running inside one of these sockets' callbacks.
  if (pod.rtnl) loop_->delete_later(std::move(pod.rtnl));
  if (pod.genl) loop_->delete_later(std::move(pod.genl));
  Error error = pod.error.value_or(make_error("netlink", EPROTO, "rollback without an error"));
  LOG_WARN("pod_link_failed", log::kv("host_if", pod.plan.host_ifname),
           log::kv("netns", pod.plan.netns_path), log::kv("error", error),
           log::kv("rollback", options_.rollback));
  if (!options_.rollback) return finish(pod.id, std::move(error));
  ++stats_.rollbacks;
  uint64_t id = pod.id;
  LinkRef link = pod.info.host_ifindex > 0 ? LinkRef::by_index(pod.info.host_ifindex)
                                           : LinkRef::by_name(pod.plan.host_ifname);
  remove_link(std::move(link), [this, id](Result<void> r) {
    Pod* p = find(id);
    if (p == nullptr) return;
    if (!r.ok()) {
      LOG_WARN("pod_link_rollback_failed", log::kv("host_if", p->plan.host_ifname),
               log::kv("error", r.error()));
    }
    finish(id, p->error.value_or(make_error("netlink", EPROTO, "rolled back")));
  });
}

void PodLinker::finish(uint64_t id, Result<PodLinkInfo> result) {
  auto it = pods_.find(id);
  if (it == pods_.end()) return;
  std::unique_ptr<Pod> pod = std::move(it->second);
  pods_.erase(it);
  if (offload_learner_ == id) wake_offload_waiters();  // it finished without learning
  if (pod->rtnl) loop_->delete_later(std::move(pod->rtnl));
  if (pod->genl) loop_->delete_later(std::move(pod->genl));
  if (result.ok()) {
    ++stats_.added;
  } else {
    ++stats_.add_failed;
  }
  pod->done(std::move(result));
}

void PodLinker::remove(std::string host_ifname, RemoveDone done) {
  if (auto ok = check_ifname(host_ifname); !ok.ok()) {
    ++stats_.remove_failed;
    Error e = ok.error().with_context("remove pod veth");
    return complete_soon([done = std::move(done), e = std::move(e)]() mutable { done(std::move(e)); });
  }
  remove_link(LinkRef::by_name(std::move(host_ifname)), std::move(done));
}

void PodLinker::remove_link(LinkRef link, RemoveDone done) {
  uint64_t rid = open_round_;
  Round& round = rounds_[rid];
  size_t index = round.items.size();
  round.items.push_back(Removal{link, std::move(done), std::nullopt, false});
  uint32_t group = options_.delete_group;
  Result<uint32_t> q = ack_request(
      *host_,
      [link, group](Bytes& out, uint32_t seq) { return build_link_set_group(out, seq, link, group); },
      "move link " + link.to_string() + " to delete group " + std::to_string(group),
      [this, rid, index](Result<void> r) {
        auto it = rounds_.find(rid);
        if (it == rounds_.end() || r.ok()) return;
        Removal& item = it->second.items[index];
        if (r.error().code == ENODEV) {
          item.already_gone = true;
        } else {
          item.error = r.error();
        }
      });
  if (q.ok()) {
    round.ids.push_back(*q);
  } else {
    round.items[index].error = q.error();
  }
  if (round_hook_ == 0) round_hook_ = host_->before_flush([this, rid] { flush_round(rid); });
}

void PodLinker::flush_round(uint64_t round_id) {
  round_hook_ = 0;
  ++open_round_;
  uint32_t group = options_.delete_group;
  Result<uint32_t> q = ack_request(
      *host_, [group](Bytes& out, uint32_t seq) { return build_link_delete_group(out, seq, group); },
      "delete link group " + std::to_string(group),
      [this, round_id](Result<void> r) { round_done(round_id, std::move(r)); });
  if (!q.ok()) return round_done(round_id, q.error());
  ++stats_.delete_batches;
  rounds_[round_id].ids.push_back(*q);
}

void PodLinker::round_done(uint64_t round_id, Result<void> r) {
  auto node = rounds_.extract(round_id);
  if (node.empty()) return;
  for (Removal& item : node.mapped().items) {
    Result<void> out = ok_result();
    if (item.error) {
      out = *item.error;
    } else if (!item.already_gone && !r.ok() && r.error().code != ENODEV) {
      // ENODEV: nothing left in the group, i.e. this link is gone too.
      out = r.error();
    }
    if (out.ok()) {
      ++stats_.removed;
    } else {
      ++stats_.remove_failed;
    }
    item.done(std::move(out));
  }
}

size_t PodLinker::pending_removals() const {
  size_t n = 0;
  for (const auto& [id, round] : rounds_) n += round.items.size();
  return n;
}

}  // namespace ovnk::netlink
