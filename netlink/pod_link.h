// PodLinker: plugs pods' network interfaces, many per loop iteration, and
// unplugs them in batches. This is the netlink stage of the pod pipeline.
//
// add(plan) for one pod:
//   1. host socket: RTM_NEWLINK veth, host end named/MTU/group/up, pod end
//      created directly inside the pod netns (IFLA_NET_NS_FD in
//      VETH_INFO_PEER) with its name, MAC, MTU; plus RTM_GETLINK of the host
//      end, whose IFLA_LINK is the pod end's ifindex.
//   2. one visit to the pod netns (in_netns): create the pod's netlink
//      socket(s), write the IPv6 DAD sysctls of the pod interface; back to the
//      host netns at once.
//   3. pod socket: link up, addresses, default routes via the gateways, extra routes,
//      RTM_GETLINK read-back (MAC, index); pod generic socket: ethtool
//      features off and read back.
// Every pod added in one iteration shares the host socket's sendmsg in step 1;
// step 3 is one sendmsg per pod. A failure after the veth exists deletes it
// (rollback) before the error is reported. Errors name the pod's interfaces
// and carry the kernel's errno and message; they affect that pod only (a
// vanished netns included).
//
// remove(host_ifname): moves the host end into Options::delete_group, and once
// per flush one RTM_DELLINK of that group deletes every link moved meanwhile
// (the pod ends go with them): one RCU grace period for the whole batch
// instead of one per link. A link already gone counts as removed (CNI DEL is
// idempotent).
//
// Callbacks run exactly once, from the loop (never inside add/remove), unless
// the PodLinker is destroyed first: then they never run. Destroy it outside
// its own callbacks (loop.delete_later); the host socket must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "netlink/ethtool.h"
#include "netlink/inet.h"
#include "netlink/link.h"
#include "netlink/netns.h"
#include "netlink/route.h"
#include "netlink/socket.h"
#include "reactor/loop.h"

namespace ovnk::netlink {

struct PodRoute {
  IpPrefix dst;
  std::optional<IpAddr> gateway;  // none: on-link
  uint32_t mtu = 0;               // RTAX_MTU
  uint32_t metric = 0;
};

struct PodLinkPlan {
  std::string netns_path;           // /var/run/netns/NAME or /proc/PID/ns/net
  std::string host_ifname;          // <= 15 bytes
  std::string pod_ifname = "eth0";
  std::optional<MacAddr> mac;       // of the pod end; kernel-chosen when unset
  uint32_t mtu = 1400;              // both ends; 0 = kernel default
  std::vector<IpPrefix> addresses;  // on the pod end
  std::vector<IpAddr> gateways;     // a default route via each (one per family)
  std::vector<PodRoute> routes;     // more routes in the pod netns
  uint32_t group = 0;               // IFLA_GROUP of the host end; 0 = default group
  bool offloads_off = false;        // pod end: TX checksum, SG, TSO, GSO off (ethtool)
  bool ipv6_no_dad = true;          // accept_dad=0, dad_transmits=0, IFA_F_NODAD
  uint8_t route_protocol = kRouteProtoStatic;
};

struct PodLinkInfo {
  int host_ifindex = 0;
  int pod_ifindex = 0;   // in the pod netns
  MacAddr pod_mac;
};

class PodLinker {
 public:
  struct Options {
    // Links being removed pass through this group; nothing else may use it.
    uint32_t delete_group = 0x6f766e6b;  // "ovnk"
    bool rollback = true;
  };
  struct Stats {
    uint64_t added = 0;
    uint64_t add_failed = 0;
    uint64_t removed = 0;
    uint64_t remove_failed = 0;
    uint64_t delete_batches = 0;  // RTM_DELLINK-by-group calls
    uint64_t rollbacks = 0;
    uint64_t offloads_read_back = 0;    // pods whose offloads went read, set, read again
    uint64_t offloads_by_one_set = 0;   // pods switched by the learned set, proven by its reply
  };
  using AddDone = std::function<void(Result<PodLinkInfo>)>;
  using RemoveDone = std::function<void(Result<void>)>;

  // `host` is a NETLINK_ROUTE socket in the host netns.
  PodLinker(reactor::Loop& loop, NetlinkSocket& host, Options options);
  PodLinker(reactor::Loop& loop, NetlinkSocket& host) : PodLinker(loop, host, Options{}) {}
  PodLinker(const PodLinker&) = delete;
  PodLinker& operator=(const PodLinker&) = delete;
  ~PodLinker();

  void add(PodLinkPlan plan, AddDone done);
  void remove(std::string host_ifname, RemoveDone done);

  size_t pending() const { return pods_.size() + pending_removals(); }
  const Stats& stats() const { return stats_; }
  // Known once one pod has needed it (generic netlink ids are global).
  std::optional<uint16_t> ethtool_family() const { return ethtool_family_; }

 private:
  enum class Stage {
    kCreating,     // veth create + host-end get queued on the host socket; waits for both
    kConfiguring,  // pod sockets open, pod requests in flight; waits for all of them
    kRollingBack,  // a step after creation failed: removing the veth, then reporting
  };
  struct Pod;
  struct Removal {
    LinkRef link;
    RemoveDone done;
    std::optional<Error> error;  // moving into the delete group failed (not ENODEV)
    bool already_gone = false;
  };
  struct Round {
    std::vector<Removal> items;
    std::vector<uint32_t> ids;  // requests on the host socket, for cancellation
  };

  void start(Pod& pod);
  void host_step_done(uint64_t id, Result<void> r);
  void configure(Pod& pod);
  void queue_pod_requests(Pod& pod);
  void queue_offloads(Pod& pod);
  void queue_offloads_read_back(Pod& pod, uint16_t family);
  void queue_offloads_one_set(Pod& pod, uint16_t family);
  void wake_offload_waiters();
  void pod_step_done(uint64_t id, Result<void> r);
  void rollback(Pod& pod);
  void finish(uint64_t id, Result<PodLinkInfo> result);
  void fail_soon(AddDone done, Error error);
  void complete_soon(std::function<void()> completion);
  void remove_link(LinkRef link, RemoveDone done);
  void flush_round(uint64_t round_id);
  void round_done(uint64_t round_id, Result<void> r);
  size_t pending_removals() const;
  Pod* find(uint64_t id);

  reactor::Loop* loop_;
  NetlinkSocket* host_;
  Options options_;
  uint64_t last_pod_id_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Pod>> pods_;
  std::map<uint64_t, Round> rounds_;
  uint64_t open_round_ = 1;        // the round remove() adds to
  uint64_t round_hook_ = 0;        // host socket hook that closes the open round
  std::optional<uint16_t> ethtool_family_;
  // The pod offloads to switch off, learned from the first veth read back. Every
  // pod veth is the same kind of device on the same kernel, so later pods get one
  // FEATURES_SET whose reply proves it applied; a reply that says otherwise sends
  // that pod (and the next ones) back to the read-set-read path.
  std::optional<std::vector<FeatureChange>> learned_offloads_;
  // The pod reading its veth to learn them; pods configured meanwhile wait for it
  // (a burst would otherwise read every veth) and are woken when it has learned,
  // or when it finishes without learning (then the next one tries).
  std::optional<uint64_t> offload_learner_;
  std::vector<uint64_t> offload_waiters_;
  std::unique_ptr<reactor::Timer> offload_wake_timer_;
  // Outcomes known before anything was queued (validation, a netns that cannot
  // be opened), delivered from the loop like every other outcome.
  std::vector<std::function<void()>> early_;
  std::unique_ptr<reactor::Timer> early_timer_;
  Stats stats_;
};

}  // namespace ovnk::netlink
