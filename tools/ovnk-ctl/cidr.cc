#include "tools/ovnk-ctl/cidr.h"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <limits>

namespace ovnk::ctl {

namespace {

Error cidr_error(std::string_view message) { return make_error("ctl", EINVAL, message); }

// An address as a 128-bit number, most significant half first.
struct U128 {
  uint64_t hi = 0;
  uint64_t lo = 0;

  friend bool operator==(const U128&, const U128&) = default;
  friend bool operator<(const U128& a, const U128& b) { return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo; }
};

U128 to_u128(const IpAddr& a) {
  U128 v;
  std::span<const uint8_t> b = a.bytes();
  for (size_t i = 0; i < b.size(); ++i) {
    v.hi = (v.hi << 8) | (v.lo >> 56);
    v.lo = (v.lo << 8) | b[i];
  }
  return v;
}

IpAddr from_u128(U128 v, const IpAddr& like) {
  std::array<uint8_t, 16> b{};
  size_t n = like.size();
  for (size_t i = n; i-- > 0;) {
    b[i] = static_cast<uint8_t>(v.lo & 0xff);
    v.lo = (v.lo >> 8) | (v.hi << 56);
    v.hi >>= 8;
  }
  return IpAddr::from_bytes({b.data(), n}).value();
}

U128 shl(U128 v, unsigned n) {
  if (n == 0) return v;
  if (n >= 128) return {};
  if (n >= 64) return {v.lo << (n - 64), 0};
  return {(v.hi << n) | (v.lo >> (64 - n)), v.lo << n};
}

U128 add(U128 a, U128 b) {
  U128 r{a.hi + b.hi, a.lo + b.lo};
  if (r.lo < a.lo) ++r.hi;
  return r;
}

U128 sub(U128 a, U128 b) {
  U128 r{a.hi - b.hi, a.lo - b.lo};
  if (a.lo < b.lo) --r.hi;
  return r;
}

// The number of addresses of a prefix minus one (its host part all ones).
U128 host_mask(unsigned host_bits) {
  if (host_bits == 0) return {};
  U128 one_shifted = shl(U128{0, 1}, host_bits);
  if (host_bits >= 128) return {~uint64_t{0}, ~uint64_t{0}};
  return sub(one_shifted, U128{0, 1});
}

std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.push_back(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

template <class T, class Family>
Result<void> one_per_family(const std::vector<T>& items, Family family_of, std::string_view text) {
  if (items.empty()) return cidr_error("empty address list");
  if (items.size() > 2 || (items.size() == 2 && family_of(items[0]) == family_of(items[1]))) {
    return cidr_error("'" + std::string(text) + "': at most one IPv4 and one IPv6 entry");
  }
  return ok_result();
}

Result<std::vector<IpPrefix>> parse_prefixes(std::string_view text, bool normalise) {
  std::vector<IpPrefix> out;
  for (std::string_view item : split_list(text)) {
    if (item.empty()) return cidr_error("empty entry in '" + std::string(text) + "'");
    if (item.find('/') == std::string_view::npos) {
      return cidr_error("'" + std::string(item) + "' has no prefix length (want ADDRESS/LEN)");
    }
    auto p = IpPrefix::parse(item);
    if (!p.ok()) return cidr_error("'" + std::string(item) + "' is not a CIDR: " + p.error().message);
    out.push_back(normalise ? p->network() : *p);
  }
  OVNK_TRY(one_per_family(out, [](const IpPrefix& p) { return p.addr.family(); }, text));
  return out;
}

}  // namespace

Result<std::vector<IpPrefix>> parse_cidr_list(std::string_view text) { return parse_prefixes(text, true); }

Result<std::vector<IpPrefix>> parse_if_addr_list(std::string_view text) {
  OVNK_ASSIGN_OR_RETURN(std::vector<IpPrefix> out, parse_prefixes(text, false));
  for (const IpPrefix& p : out) {
    if (p.addr == p.network().addr && p.len < p.addr.bit_width()) {
      return cidr_error("'" + p.to_string() + "' is a network address, not an interface address");
    }
  }
  return out;
}

Result<std::vector<IpAddr>> parse_addr_list(std::string_view text) {
  std::vector<IpAddr> out;
  for (std::string_view item : split_list(text)) {
    auto a = IpAddr::parse(item);
    if (!a.ok()) return cidr_error("'" + std::string(item) + "' is not an IP address");
    out.push_back(*a);
  }
  OVNK_TRY(one_per_family(out, [](const IpAddr& a) { return a.family(); }, text));
  return out;
}

Result<std::vector<uint8_t>> parse_node_prefixes(std::string_view text, const std::vector<IpPrefix>& cidrs) {
  std::vector<unsigned> values;
  for (std::string_view item : split_list(text)) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size()) {
      return cidr_error("node prefix '" + std::string(item) + "' is not a number");
    }
    values.push_back(v);
  }
  std::vector<uint8_t> out;
  if (values.size() == cidrs.size()) {
    for (unsigned v : values) out.push_back(static_cast<uint8_t>(v > 255 ? 255 : v));
  } else if (values.size() == 1 && cidrs.size() == 2) {
    for (const IpPrefix& c : cidrs) out.push_back(c.addr.is_v4() ? static_cast<uint8_t>(values[0] > 255 ? 255 : values[0]) : 64);
  } else {
    return cidr_error("give one node prefix per cluster CIDR (got " + std::to_string(values.size()) + " for " +
                      std::to_string(cidrs.size()) + ")");
  }
  for (size_t i = 0; i < cidrs.size(); ++i) {
    const IpPrefix& c = cidrs[i];
    // Network, gateway (.1), management (.2) and at least one pod; IPv4 also
    // loses the broadcast address.
    unsigned max_len = c.addr.is_v4() ? 29u : 126u;
    if (out[i] < c.len || out[i] > max_len) {
      return cidr_error("node prefix /" + std::to_string(out[i]) + " does not fit cluster CIDR " + c.to_string() +
                        " (want /" + std::to_string(c.len) + " to /" + std::to_string(max_len) + ")");
    }
  }
  return out;
}

std::string join_prefixes(const std::vector<IpPrefix>& prefixes) {
  std::string out;
  for (const IpPrefix& p : prefixes) {
    if (!out.empty()) out.push_back(',');
    out += p.to_string();
  }
  return out;
}

std::string join_addrs(const std::vector<IpAddr>& addrs) {
  std::string out;
  for (const IpAddr& a : addrs) {
    if (!out.empty()) out.push_back(',');
    out += a.to_string();
  }
  return out;
}

bool same_family(const IpAddr& a, const IpAddr& b) { return a.is_set() && a.family() == b.family(); }

bool contains(const IpPrefix& outer, const IpAddr& addr) {
  if (!same_family(outer.addr, addr)) return false;
  return IpPrefix{addr, outer.len}.network().addr == outer.network().addr;
}

bool contains(const IpPrefix& outer, const IpPrefix& inner) {
  return same_family(outer.addr, inner.addr) && inner.len >= outer.len && contains(outer, inner.addr);
}

bool overlaps(const IpPrefix& a, const IpPrefix& b) { return contains(a, b) || contains(b, a); }

uint64_t subnet_count(const IpPrefix& outer, uint8_t len) {
  if (len < outer.len || len > outer.addr.bit_width()) return 0;
  unsigned bits = len - outer.len;
  return bits >= 64 ? std::numeric_limits<uint64_t>::max() : uint64_t{1} << bits;
}

std::optional<IpPrefix> nth_subnet(const IpPrefix& outer, uint8_t len, uint64_t index) {
  if (len < outer.len || len > outer.addr.bit_width()) return std::nullopt;
  unsigned bits = len - outer.len;
  if (bits < 64 && index >= (uint64_t{1} << bits)) return std::nullopt;
  unsigned shift = outer.addr.bit_width() - len;
  U128 base = to_u128(outer.network().addr);
  U128 v = add(base, shl(U128{0, index}, shift));
  return IpPrefix{from_u128(v, outer.addr), len};
}

std::optional<IpAddr> nth_address(const IpPrefix& prefix, uint64_t offset) {
  unsigned host_bits = prefix.addr.bit_width() - prefix.len;
  if (host_bits < 64 && offset > host_mask(host_bits).lo) return std::nullopt;
  U128 v = add(to_u128(prefix.network().addr), U128{0, offset});
  return from_u128(v, prefix.addr);
}

std::optional<uint64_t> address_offset(const IpPrefix& prefix, const IpAddr& addr) {
  if (!contains(prefix, addr)) return std::nullopt;
  U128 d = sub(to_u128(addr), to_u128(prefix.network().addr));
  if (d.hi != 0) return std::nullopt;
  return d.lo;
}

IpPrefix gateway_if_addr(const IpPrefix& subnet) { return IpPrefix{*nth_address(subnet, 1), subnet.len}; }
IpPrefix management_if_addr(const IpPrefix& subnet) { return IpPrefix{*nth_address(subnet, 2), subnet.len}; }

IpPrefix default_route(const IpAddr& like) {
  std::array<uint8_t, 16> zero{};
  return IpPrefix{IpAddr::from_bytes({zero.data(), like.size()}).value(), 0};
}

std::string mac_for(const IpAddr& ip) {
  std::span<const uint8_t> b = ip.bytes();
  const uint8_t* last4 = b.data() + (b.size() - 4);
  char buf[18];
  std::snprintf(buf, sizeof buf, "0a:58:%02x:%02x:%02x:%02x", last4[0], last4[1], last4[2], last4[3]);
  return buf;
}

const IpPrefix* find_family(const std::vector<IpPrefix>& list, const IpAddr& like) {
  for (const IpPrefix& p : list) {
    if (same_family(p.addr, like)) return &p;
  }
  return nullptr;
}

const IpAddr* find_family(const std::vector<IpAddr>& list, const IpAddr& like) {
  for (const IpAddr& a : list) {
    if (same_family(a, like)) return &a;
  }
  return nullptr;
}

}  // namespace ovnk::ctl
