// Plain value types for what netlink messages carry: IPv4/IPv6 addresses,
// prefixes (address + length) and Ethernet MAC addresses.
//
// Invariants: an IpAddr is either unset (family 0) or holds exactly 4 (AF_INET)
// or 16 (AF_INET6) meaningful bytes in network order; an IpPrefix's length never
// exceeds its family's bit width. Parsing untrusted text never throws: it
// returns an Error naming the text. Pure code: no sockets, no clock.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::netlink {

class IpAddr {
 public:
  IpAddr() = default;
  static IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // Bytes in network order: 4 for IPv4, 16 for IPv6; anything else is an error.
  static Result<IpAddr> from_bytes(std::span<const uint8_t> bytes);
  static Result<IpAddr> parse(std::string_view text);

  bool is_set() const { return family_ != 0; }
  bool is_v4() const { return family_ == kFamilyV4; }
  bool is_v6() const { return family_ == kFamilyV6; }
  // AF_INET, AF_INET6 or 0 (unset), as the kernel's *_family fields want it.
  uint8_t family() const { return family_; }
  size_t size() const { return is_v4() ? 4 : is_v6() ? 16 : 0; }
  std::span<const uint8_t> bytes() const { return {bytes_.data(), size()}; }
  uint8_t bit_width() const { return static_cast<uint8_t>(size() * 8); }
  std::string to_string() const;

  friend bool operator==(const IpAddr&, const IpAddr&) = default;

  static constexpr uint8_t kFamilyV4 = 2;   // AF_INET
  static constexpr uint8_t kFamilyV6 = 10;  // AF_INET6

 private:
  uint8_t family_ = 0;
  std::array<uint8_t, 16> bytes_{};
};

struct IpPrefix {
  IpAddr addr;
  uint8_t len = 0;

  // "10.244.1.5/24", "fd00::5/64"; a bare address means a host prefix (/32, /128).
  static Result<IpPrefix> parse(std::string_view text);
  static Result<IpPrefix> make(IpAddr addr, unsigned len);
  // The same prefix with the host bits cleared ("10.244.1.0/24").
  IpPrefix network() const;
  std::string to_string() const;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

struct MacAddr {
  std::array<uint8_t, 6> bytes{};

  static Result<MacAddr> parse(std::string_view text);  // "0a:58:0a:f4:01:05"
  static Result<MacAddr> from_bytes(std::span<const uint8_t> bytes);
  std::string to_string() const;
  friend bool operator==(const MacAddr&, const MacAddr&) = default;
};

}  // namespace ovnk::netlink
