// Address arithmetic for the cluster topology: CIDR lists (IPv4, IPv6 or
// dual-stack), containment and overlap, the n-th node subnet of a cluster
// CIDR, the n-th address of a subnet, and ovn-kubernetes' MAC for an address.
//
// Every function works for both families with the same code: an address is
// read as a 128-bit number (IPv4 in the low 32 bits), so a /48 IPv6 cluster
// split into /64 node subnets is computed exactly like 10.244.0.0/16 into /24.
// Lists are given on the command line and stored in NB as comma-separated
// text ("10.244.0.0/16,fd00:10:244::/48"), at most one entry per family.
// Pure: no sockets, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "netlink/inet.h"

namespace ovnk::ctl {

using netlink::IpAddr;
using netlink::IpPrefix;

// "10.244.0.0/16,fd00:10:244::/48": one prefix per family at most, normalised
// to its network address (host bits cleared). Empty text is an error.
Result<std::vector<IpPrefix>> parse_cidr_list(std::string_view text);
// Interface addresses, host bits kept: "172.16.0.2/24,fd00:ff::2/64".
Result<std::vector<IpPrefix>> parse_if_addr_list(std::string_view text);
// Bare addresses: "172.16.0.1,fd00:ff::1".
Result<std::vector<IpAddr>> parse_addr_list(std::string_view text);
// Prefix lengths parallel to `cidrs`: "24" or "24,64". One value for a
// dual-stack list applies to IPv4, and IPv6 gets 64 (ovn-kubernetes' default
// host subnet length). Each must be at least its CIDR's length and leave room
// for the network, gateway and management addresses and a pod.
Result<std::vector<uint8_t>> parse_node_prefixes(std::string_view text, const std::vector<IpPrefix>& cidrs);

// Comma-separated text of a list (the stored form).
std::string join_prefixes(const std::vector<IpPrefix>& prefixes);
std::string join_addrs(const std::vector<IpAddr>& addrs);

bool same_family(const IpAddr& a, const IpAddr& b);
bool contains(const IpPrefix& outer, const IpAddr& addr);
// `inner` lies entirely inside `outer` (same family, inner.len >= outer.len).
bool contains(const IpPrefix& outer, const IpPrefix& inner);
bool overlaps(const IpPrefix& a, const IpPrefix& b);

// How many subnets of length `len` fit in `outer` (saturates at UINT64_MAX).
uint64_t subnet_count(const IpPrefix& outer, uint8_t len);
// The index-th subnet of length `len` inside `outer`; nullopt when `len` is
// shorter than outer's or longer than the family's width, or index is past
// the end.
std::optional<IpPrefix> nth_subnet(const IpPrefix& outer, uint8_t len, uint64_t index);
// network + offset, nullopt when it falls outside the prefix.
std::optional<IpAddr> nth_address(const IpPrefix& prefix, uint64_t offset);
// addr - network; nullopt when addr is outside or the offset needs more than 64 bits.
std::optional<uint64_t> address_offset(const IpPrefix& prefix, const IpAddr& addr);

// The node's gateway (.1) and management (.2) addresses as interface
// addresses with the subnet's length ("10.244.1.1/24").
IpPrefix gateway_if_addr(const IpPrefix& subnet);
IpPrefix management_if_addr(const IpPrefix& subnet);
// 0.0.0.0/0 or ::/0 for the family of `like`.
IpPrefix default_route(const IpAddr& like);

// ovn-kubernetes' MAC for an address: 0a:58 followed by the last four bytes
// (all of an IPv4 address).
std::string mac_for(const IpAddr& ip);

// The entry of `list` of the same family as `like`, if any.
const IpPrefix* find_family(const std::vector<IpPrefix>& list, const IpAddr& like);
const IpAddr* find_family(const std::vector<IpAddr>& list, const IpAddr& like);

}  // namespace ovnk::ctl
