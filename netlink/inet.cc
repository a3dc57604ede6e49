#include "netlink/inet.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace ovnk::netlink {

static_assert(IpAddr::kFamilyV4 == AF_INET && IpAddr::kFamilyV6 == AF_INET6);

namespace {

Error parse_error(std::string_view what, std::string_view text) {
  std::string m(what);
  m.append(" '").append(text).append("'");
  return make_error("netlink", EINVAL, m);
}

}  // namespace

IpAddr IpAddr::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr out;
  out.family_ = kFamilyV4;
  out.bytes_[0] = a;
  out.bytes_[1] = b;
  out.bytes_[2] = c;
  out.bytes_[3] = d;
  return out;
}

Result<IpAddr> IpAddr::from_bytes(std::span<const uint8_t> bytes) {
  IpAddr out;
  if (bytes.size() == 4) {
    out.family_ = kFamilyV4;
  } else if (bytes.size() == 16) {
    out.family_ = kFamilyV6;
  } else {
    return make_error("netlink", EINVAL,
                      "IP address of " + std::to_string(bytes.size()) + " bytes (want 4 or 16)");
  }
  std::memcpy(out.bytes_.data(), bytes.data(), bytes.size());
  return out;
}

Result<IpAddr> IpAddr::parse(std::string_view text) {
  // inet_pton wants a NUL-terminated string; 45 characters is the longest IPv6 text.
  if (text.empty() || text.size() > 45) return parse_error("not an IP address", text);
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr out;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, out.bytes_.data()) != 1) return parse_error("not an IPv4 address", text);
    out.family_ = kFamilyV4;
  } else {
    if (inet_pton(AF_INET6, buf, out.bytes_.data()) != 1) return parse_error("not an IPv6 address", text);
    out.family_ = kFamilyV6;
  }
  return out;
}

std::string IpAddr::to_string() const {
  if (!is_set()) return "<unset>";
  char buf[INET6_ADDRSTRLEN];
  if (inet_ntop(family_, bytes_.data(), buf, sizeof buf) == nullptr) return "<invalid>";
  return buf;
}

Result<IpPrefix> IpPrefix::make(IpAddr addr, unsigned len) {
  if (!addr.is_set()) return make_error("netlink", EINVAL, "prefix without an address");
  if (len > addr.bit_width()) {
    return make_error("netlink", EINVAL,
                      "prefix length " + std::to_string(len) + " too long for " + addr.to_string());
  }
  return IpPrefix{addr, static_cast<uint8_t>(len)};
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  OVNK_ASSIGN_OR_RETURN(IpAddr addr, IpAddr::parse(text.substr(0, slash)));
  if (slash == std::string_view::npos) return IpPrefix{addr, addr.bit_width()};
  std::string_view len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size() || len_text.empty()) {
    return parse_error("bad prefix length in", text);
  }
  return make(addr, len);
}

IpPrefix IpPrefix::network() const {
  std::array<uint8_t, 16> b{};
  std::span<const uint8_t> src = addr.bytes();
  std::memcpy(b.data(), src.data(), src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    size_t bit = i * 8;
    if (bit >= len) {
      b[i] = 0;
    } else if (bit + 8 > len) {
      b[i] = static_cast<uint8_t>(b[i] & (0xffu << (8 - (len - bit))));
    }
  }
  return IpPrefix{IpAddr::from_bytes({b.data(), src.size()}).value(), len};
}

std::string IpPrefix::to_string() const { return addr.to_string() + "/" + std::to_string(len); }

Result<MacAddr> MacAddr::parse(std::string_view text) {
  MacAddr out;
  if (text.size() != 17) return parse_error("not a MAC address", text);
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':') return parse_error("not a MAC address", text);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data() + i * 3, text.data() + i * 3 + 2, v, 16);
    if (ec != std::errc() || end != text.data() + i * 3 + 2) return parse_error("not a MAC address", text);
    out.bytes[i] = static_cast<uint8_t>(v);
  }
  return out;
}

Result<MacAddr> MacAddr::from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != 6) {
    return make_error("netlink", EINVAL,
                      "hardware address of " + std::to_string(bytes.size()) + " bytes (want 6)");
  }
  MacAddr out;
  std::memcpy(out.bytes.data(), bytes.data(), 6);
  return out;
}

std::string MacAddr::to_string() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(17);
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0) s.push_back(':');
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0xf]);
  }
  return s;
}

}  // namespace ovnk::netlink
