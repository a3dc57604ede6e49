// SubnetIpam: the node's IPv4 address allocator for pods, over the node subnet.
//
// What is never handed out: the network address, the gateway (.1, held by the
// cluster router's port rtos-<node>), the management address (.2, the node's
// ovn-k8s-mp0), the broadcast address, and whatever the switch's
// other_config:exclude_ips names. Everything else is allocated next-fit: the
// cursor moves on after each allocation, so an address just released is the
// last to be reused (stale ARP entries and conntrack state of a dead pod do
// not hit its successor at once).
//
// There is no state file: the allocator is rebuilt from the NB replica on start
// (every address of every Logical_Switch_Port of the node's switch is held)
// plus the pods the agent has in flight. Each held address records its owner (a
// container id, or "lsp:<name>" for a port the agent did not create), so that
// a release by the wrong owner is refused and reconciliation can tell what
// holds what. Invariant: an address is held by at most one owner.
//
// MAC addresses follow ovn-kubernetes: 0a:58 followed by the four IPv4 bytes.
// Pure code; IPv4 only (dual-stack is not done yet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "netlink/inet.h"

namespace ovnk::agent {

// 0a:58:a.b.c.d
netlink::MacAddr mac_for_ip(const netlink::IpAddr& ip);

// Inclusive range of addresses (a single address is first == last).
struct IpRange {
  netlink::IpAddr first;
  netlink::IpAddr last;
};
// other_config:exclude_ips of a Logical_Switch: "10.244.1.2 10.244.1.5..10.244.1.9"
// (space separated, ranges with ".."). IPv4 only; an inverted range is an error.
Result<std::vector<IpRange>> parse_exclude_ips(std::string_view text);

class SubnetIpam {
 public:
  // An IPv4 subnet of at most /30 (a /31 or /32 leaves nothing after the
  // gateway and management addresses). The host bits of `subnet` are ignored.
  static Result<SubnetIpam> create(const netlink::IpPrefix& subnet);

  const netlink::IpPrefix& subnet() const { return subnet_; }
  netlink::IpAddr gateway() const { return at(1); }
  netlink::IpAddr management() const { return at(2); }
  // An address of the pod: its IP with the subnet's prefix length.
  netlink::IpPrefix pod_prefix(const netlink::IpAddr& ip) const;

  bool contains(const netlink::IpAddr& ip) const;
  // Network, gateway, management, broadcast or excluded.
  bool is_reserved(const netlink::IpAddr& ip) const;
  // Addresses that could ever be handed out, and those held now.
  size_t capacity() const { return capacity_; }
  size_t in_use() const { return owners_.size(); }
  size_t available() const { return capacity_ - owners_.size(); }

  // Never hands out these addresses (exclude_ips); ones outside the subnet are
  // ignored. An address already held stays held.
  void exclude(const std::vector<IpRange>& ranges);

  // The next free address, next-fit. Error (code kExhausted) when none is left.
  Result<netlink::IpAddr> allocate(std::string owner);
  // Holds `ip` for `owner`. Holding an address again for the same owner is a
  // no-op. Errors: outside the subnet, reserved, held by another owner.
  Result<void> reserve(const netlink::IpAddr& ip, std::string owner);
  // Frees `ip` if `owner` holds it; false otherwise (nothing changes).
  bool release(const netlink::IpAddr& ip, std::string_view owner);
  // Frees every address `owner` holds; returns how many.
  size_t release_owner(std::string_view owner);
  std::optional<std::string_view> owner(const netlink::IpAddr& ip) const;
  // Drops every allocation (exclusions stay): the start of a rebuild.
  void clear();
  // (address, owner) of every held address, in address order.
  std::vector<std::pair<netlink::IpAddr, std::string>> allocations() const;

  static constexpr int kExhausted = 1;  // Error::code of allocate() in domain "ipam"

 private:
  SubnetIpam() = default;
  netlink::IpAddr at(uint32_t offset) const;
  std::optional<uint32_t> offset_of(const netlink::IpAddr& ip) const;
  bool reserved_offset(uint32_t offset) const;

  netlink::IpPrefix subnet_;
  uint32_t base_ = 0;   // network address, host order
  uint32_t size_ = 0;   // addresses in the subnet, network and broadcast included
  size_t capacity_ = 0;
  uint32_t cursor_ = 3; // next offset to try
  std::vector<bool> excluded_;
  std::unordered_map<uint32_t, std::string> owners_;  // by offset
};

}  // namespace ovnk::agent
