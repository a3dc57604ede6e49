#include "agent/ipam.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace ovnk::agent {

using netlink::IpAddr;
using netlink::IpPrefix;
using netlink::MacAddr;

namespace {

uint32_t to_host(const IpAddr& ip) {
  auto b = ip.bytes();
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

IpAddr from_host(uint32_t v) {
  return IpAddr::v4(static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                    static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v));
}

Error ipam_error(int code, std::string_view message) { return make_error("ipam", code, message); }

}  // namespace

MacAddr mac_for_ip(const IpAddr& ip) {
  MacAddr mac;
  mac.bytes[0] = 0x0a;
  mac.bytes[1] = 0x58;
  auto b = ip.bytes();
  for (size_t i = 0; i < 4 && i < b.size(); ++i) mac.bytes[2 + i] = b[i];
  return mac;
}

Result<std::vector<IpRange>> parse_exclude_ips(std::string_view text) {
  std::vector<IpRange> out;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == ',')) ++pos;
    if (pos >= text.size()) break;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != ',') ++end;
    std::string_view token = text.substr(pos, end - pos);
    pos = end;
    size_t dots = token.find("..");
    std::string_view first = dots == std::string_view::npos ? token : token.substr(0, dots);
    std::string_view last = dots == std::string_view::npos ? token : token.substr(dots + 2);
    auto a = IpAddr::parse(first);
    auto b = IpAddr::parse(last);
    if (!a.ok() || !b.ok() || !a->is_v4() || !b->is_v4()) {
      return ipam_error(EINVAL, "exclude_ips: '" + std::string(token) + "' is not an IPv4 address or range");
    }
    if (to_host(*a) > to_host(*b)) {
      return ipam_error(EINVAL, "exclude_ips: range '" + std::string(token) + "' is inverted");
    }
    out.push_back(IpRange{*a, *b});
  }
  return out;
}

Result<SubnetIpam> SubnetIpam::create(const IpPrefix& subnet) {
  if (!subnet.addr.is_v4()) {
    return ipam_error(EINVAL, "node subnet " + subnet.to_string() + " is not IPv4 (only IPv4 is supported)");
  }
  if (subnet.len > 30 || subnet.len < 8) {
    return ipam_error(EINVAL, "node subnet " + subnet.to_string() +
                                  " must be between /8 and /30 (network, gateway, management and "
                                  "broadcast addresses are reserved)");
  }
  SubnetIpam ipam;
  ipam.subnet_ = subnet.network();
  ipam.base_ = to_host(ipam.subnet_.addr);
  ipam.size_ = uint32_t{1} << (32 - subnet.len);
  ipam.capacity_ = ipam.size_ - 4;
  ipam.excluded_.assign(ipam.size_, false);
  return ipam;
}

IpAddr SubnetIpam::at(uint32_t offset) const { return from_host(base_ + offset); }

IpPrefix SubnetIpam::pod_prefix(const IpAddr& ip) const { return IpPrefix{ip, subnet_.len}; }

std::optional<uint32_t> SubnetIpam::offset_of(const IpAddr& ip) const {
  if (!ip.is_v4()) return std::nullopt;
  uint32_t v = to_host(ip);
  if (v < base_ || v - base_ >= size_) return std::nullopt;
  return v - base_;
}

bool SubnetIpam::contains(const IpAddr& ip) const { return offset_of(ip).has_value(); }

bool SubnetIpam::reserved_offset(uint32_t offset) const {
  return offset <= 2 || offset == size_ - 1 || excluded_[offset];
}

bool SubnetIpam::is_reserved(const IpAddr& ip) const {
  auto off = offset_of(ip);
  return off && reserved_offset(*off);
}

void SubnetIpam::exclude(const std::vector<IpRange>& ranges) {
  for (const IpRange& r : ranges) {
    uint32_t lo = to_host(r.first);
    uint32_t hi = to_host(r.last);
    uint32_t first = std::max(lo, base_);
    uint32_t last = std::min(hi, base_ + size_ - 1);
    for (uint64_t v = first; v <= last && lo <= hi; ++v) {
      uint32_t off = static_cast<uint32_t>(v) - base_;
      if (reserved_offset(off) || owners_.count(off) != 0) continue;
      excluded_[off] = true;
      --capacity_;
    }
  }
}

Result<IpAddr> SubnetIpam::allocate(std::string owner) {
  if (available() == 0) {
    return ipam_error(kExhausted, "node subnet " + subnet_.to_string() + " has no free address (" +
                                      std::to_string(owners_.size()) + " in use)");
  }
  for (uint32_t tried = 0; tried < size_; ++tried) {
    uint32_t off = cursor_;
    cursor_ = cursor_ + 1 >= size_ ? 0 : cursor_ + 1;
    if (reserved_offset(off) || owners_.count(off) != 0) continue;
    owners_.emplace(off, std::move(owner));
    return at(off);
  }
  // available() said there was one: the bookkeeping is broken.
  std::abort();
}

Result<void> SubnetIpam::reserve(const IpAddr& ip, std::string owner) {
  auto off = offset_of(ip);
  if (!off) {
    return ipam_error(EINVAL, ip.to_string() + " is not in the node subnet " + subnet_.to_string());
  }
  if (reserved_offset(*off)) {
    return ipam_error(EINVAL, ip.to_string() + " is reserved in " + subnet_.to_string() +
                                  " (network, gateway, management, broadcast or excluded)");
  }
  auto it = owners_.find(*off);
  if (it != owners_.end()) {
    if (it->second == owner) return ok_result();
    return ipam_error(EEXIST, ip.to_string() + " is already held by " + it->second);
  }
  owners_.emplace(*off, std::move(owner));
  return ok_result();
}

bool SubnetIpam::release(const IpAddr& ip, std::string_view owner) {
  auto off = offset_of(ip);
  if (!off) return false;
  auto it = owners_.find(*off);
  if (it == owners_.end() || it->second != owner) return false;
  owners_.erase(it);
  return true;
}

size_t SubnetIpam::release_owner(std::string_view owner) {
  size_t n = 0;
  for (auto it = owners_.begin(); it != owners_.end();) {
    if (it->second == owner) {
      it = owners_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::optional<std::string_view> SubnetIpam::owner(const IpAddr& ip) const {
  auto off = offset_of(ip);
  if (!off) return std::nullopt;
  auto it = owners_.find(*off);
  if (it == owners_.end()) return std::nullopt;
  return std::string_view(it->second);
}

void SubnetIpam::clear() { owners_.clear(); }

std::vector<std::pair<IpAddr, std::string>> SubnetIpam::allocations() const {
  std::vector<std::pair<uint32_t, std::string>> sorted(owners_.begin(), owners_.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::pair<IpAddr, std::string>> out;
  out.reserve(sorted.size());
  for (auto& [off, who] : sorted) out.emplace_back(at(off), std::move(who));
  return out;
}

}  // namespace ovnk::agent
