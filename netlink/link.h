// rtnetlink link messages: builders for what the agent does to interfaces
// (veth pairs whose pod end is born inside the pod netns, VLAN sub-interfaces,
// up/down, MTU, MAC, rename, move to a netns, group; delete by index, name or
// group; get and dump) and the parser of RTM_NEWLINK replies into LinkInfo.
//
// Every builder appends one message to caller memory (see message.h) with
// NLM_F_ACK set, so that every request is answered; attribute order follows
// iproute2's, so captures of `ip` are directly comparable. Validation that the
// kernel would only answer with a bare EINVAL (names longer than 15 bytes,
// group 0 deletion, VLAN id range) is done here with a clearer message.
// Pure code: file descriptors (netns) are plain numbers copied into messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "netlink/inet.h"
#include "netlink/message.h"

namespace ovnk::netlink {

// IFNAMSIZ - 1: the kernel refuses longer names.
inline constexpr size_t kMaxIfNameLen = 15;
Result<void> check_ifname(std::string_view name);

// A link addressed by index (when > 0) or else by name.
struct LinkRef {
  int index = 0;
  std::string name;

  static LinkRef by_index(int i) { return LinkRef{i, {}}; }
  static LinkRef by_name(std::string n) { return LinkRef{0, std::move(n)}; }
  std::string to_string() const;
};

struct VethEnd {
  std::string name;
  std::optional<MacAddr> mac;
  uint32_t mtu = 0;                // 0: kernel default
  std::optional<uint32_t> group;   // IFLA_GROUP
  int netns_fd = -1;               // IFLA_NET_NS_FD: created directly in that netns
  // IFF_UP at creation: host end only. The kernel opens the peer before the
  // two are paired and answers ENOTCONN, so the builder refuses peer.up;
  // bring the peer up with a second request (from its own netns).
  bool up = false;
};

struct VethSpec {
  VethEnd host;  // the end created where the socket lives (unless host.netns_fd)
  VethEnd peer;  // VETH_INFO_PEER, typically the pod's eth0 with peer.netns_fd set
};

struct VlanSpec {
  std::string name;
  int parent_index = 0;  // IFLA_LINK, in the socket's netns
  uint16_t vlan_id = 0;  // 1..4094
  uint32_t mtu = 0;
  std::optional<MacAddr> mac;
  int netns_fd = -1;     // create the VLAN device inside another netns
  bool up = false;
};

// "ip link set": only the fields that are set are changed.
struct LinkChange {
  LinkRef link;
  std::optional<bool> up;
  std::optional<uint32_t> mtu;
  std::optional<MacAddr> mac;
  std::optional<std::string> new_name;
  std::optional<int> netns_fd;     // move into this netns
  std::optional<uint32_t> group;
};

Result<void> build_veth_create(Bytes& out, uint32_t seq, const VethSpec& spec);
Result<void> build_vlan_create(Bytes& out, uint32_t seq, const VlanSpec& spec);
Result<void> build_link_change(Bytes& out, uint32_t seq, const LinkChange& change);
Result<void> build_link_delete(Bytes& out, uint32_t seq, const LinkRef& link);
// RTM_DELLINK with ifindex 0 and IFLA_GROUP: every link of the group in the
// socket's netns, in one kernel call (one RCU grace period for all of them).
Result<void> build_link_delete_group(Bytes& out, uint32_t seq, uint32_t group);
// One link (a reply RTM_NEWLINK, then the ack).
Result<void> build_link_get(Bytes& out, uint32_t seq, const LinkRef& link);
// Every link of the netns (multi-part, NLMSG_DONE); statistics skipped.
Result<void> build_link_dump(Bytes& out, uint32_t seq);

// Conveniences over build_link_change.
Result<void> build_link_set_up(Bytes& out, uint32_t seq, const LinkRef& link, bool up);
Result<void> build_link_set_mtu(Bytes& out, uint32_t seq, const LinkRef& link, uint32_t mtu);
Result<void> build_link_set_mac(Bytes& out, uint32_t seq, const LinkRef& link, const MacAddr& mac);
Result<void> build_link_set_name(Bytes& out, uint32_t seq, const LinkRef& link, std::string name);
Result<void> build_link_set_netns(Bytes& out, uint32_t seq, const LinkRef& link, int netns_fd);
Result<void> build_link_set_group(Bytes& out, uint32_t seq, const LinkRef& link, uint32_t group);

struct LinkInfo {
  int index = 0;
  std::string name;
  uint16_t type = 0;      // ARPHRD_*
  uint32_t flags = 0;     // IFF_*
  uint32_t mtu = 0;
  std::optional<MacAddr> mac;
  uint32_t group = 0;
  std::string kind;       // IFLA_INFO_KIND: "veth", "vlan", ... ("" for physical)
  int master = 0;         // IFLA_MASTER
  int link = 0;           // IFLA_LINK: a veth's peer index, a VLAN's parent
  std::optional<int32_t> link_netnsid;  // the peer/parent lives in another netns
  uint8_t operstate = 0;  // IF_OPER_*
  std::optional<uint16_t> vlan_id;

  bool up() const;
};

// An RTM_NEWLINK message (dump row or get reply).
Result<LinkInfo> parse_link(const Message& m);

}  // namespace ovnk::netlink
