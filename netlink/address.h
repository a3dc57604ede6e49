// rtnetlink address messages: add/delete an IPv4 or IPv6 address with its
// prefix length on an interface, dump the addresses of a netns, and parse the
// RTM_NEWADDR rows into AddressInfo.
//
// Like iproute2, IFA_LOCAL and IFA_ADDRESS both carry the address (they only
// differ on point-to-point links). IPv4 addresses get the subnet broadcast
// (what `ip addr add ... brd +` and the Go netlink library do) unless the prefix
// is /31 or /32. Pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "netlink/inet.h"
#include "netlink/message.h"

namespace ovnk::netlink {

struct AddressSpec {
  int ifindex = 0;
  IpPrefix prefix;          // the address itself and its prefix length
  uint32_t flags = 0;       // IFA_F_*, e.g. IFA_F_NODAD for IPv6 in a fresh pod
  uint8_t scope = 0;        // RT_SCOPE_UNIVERSE
  bool broadcast = true;    // IPv4 only: add the subnet broadcast address
};

Result<void> build_address_add(Bytes& out, uint32_t seq, const AddressSpec& spec);
// Like add, but an existing address is updated instead of EEXIST.
Result<void> build_address_replace(Bytes& out, uint32_t seq, const AddressSpec& spec);
Result<void> build_address_delete(Bytes& out, uint32_t seq, const AddressSpec& spec);
// family: AF_INET, AF_INET6 or 0 for both.
Result<void> build_address_dump(Bytes& out, uint32_t seq, uint8_t family);

struct AddressInfo {
  int ifindex = 0;
  IpPrefix prefix;          // IFA_LOCAL if present (IFA_ADDRESS otherwise) / prefixlen
  uint8_t scope = 0;
  uint32_t flags = 0;       // IFA_FLAGS when present (it has the bits above 0xff)
  std::string label;        // IFA_LABEL (IPv4)
  std::optional<IpAddr> broadcast;
};

Result<AddressInfo> parse_address(const Message& m);

}  // namespace ovnk::netlink
