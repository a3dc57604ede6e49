#include "reactor/socket_address.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstring>

namespace ovnk::reactor {
namespace {

Error bad_address(std::string_view text, std::string_view why) {
  std::string m = "invalid address '";
  m.append(text).append("': ").append(why);
  return make_error("config", EINVAL, m);
}

Result<uint16_t> parse_port(std::string_view text, std::string_view whole) {
  if (text.empty()) return bad_address(whole, "missing port");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) {
    return bad_address(whole, "port '" + std::string(text) + "' is not a number in 0..65535");
  }
  return static_cast<uint16_t>(value);
}

// The scope of an IPv6 link-local address: an interface index or name.
Result<uint32_t> parse_scope(std::string_view scope, std::string_view whole) {
  if (scope.empty()) return bad_address(whole, "empty IPv6 scope after '%'");
  uint32_t index = 0;
  auto [end, ec] = std::from_chars(scope.data(), scope.data() + scope.size(), index);
  if (ec == std::errc() && end == scope.data() + scope.size()) return index;
  std::string name(scope);
  index = if_nametoindex(name.c_str());
  if (index == 0) return bad_address(whole, "unknown interface '" + name + "' in IPv6 scope");
  return index;
}

}  // namespace

SocketAddress::SocketAddress() {
  std::memset(&storage_, 0, sizeof storage_);
  storage_.ss_family = AF_UNSPEC;
}

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  if (text.starts_with("unix:")) {
    std::string_view path = text.substr(5);
    if (path.empty()) return bad_address(text, "empty unix socket path");
    return unix_path(path);
  }
  if (text.starts_with("tcp:")) {
    OVNK_ASSIGN_OR_RETURN(HostPort hp, split_host_port(text.substr(4)));
    auto address = from_ip(hp.host, hp.port);
    if (!address.ok()) {
      return bad_address(text, "'" + hp.host +
                                   "' is not a numeric IPv4 or IPv6 address (host names go "
                                   "through the resolver)");
    }
    return address;
  }
  return bad_address(text, "expected unix:PATH, tcp:IP:PORT or tcp:[IPV6]:PORT");
}

Result<SocketAddress> SocketAddress::unix_path(std::string_view path) {
  SocketAddress a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.storage_);
  if (path.empty()) return bad_address(path, "empty unix socket path");
  if (path.size() >= sizeof un->sun_path) {
    return bad_address(path, "unix socket path longer than " +
                                 std::to_string(sizeof un->sun_path - 1) + " bytes");
  }
  if (path.find('\0') != std::string_view::npos) return bad_address(path, "NUL in unix socket path");
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  un->sun_path[path.size()] = '\0';
  a.length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

Result<SocketAddress> SocketAddress::from_ip(std::string_view ip, uint16_t port) {
  SocketAddress a;
  size_t pct = ip.find('%');
  bool has_scope = pct != std::string_view::npos;
  std::string h(ip.substr(0, pct));
  if (!has_scope) {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    if (inet_pton(AF_INET, h.c_str(), &in4->sin_addr) == 1) {
      in4->sin_family = AF_INET;
      in4->sin_port = htons(port);
      a.length_ = sizeof(sockaddr_in);
      return a;
    }
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET6, h.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (has_scope) {
      OVNK_ASSIGN_OR_RETURN(in6->sin6_scope_id, parse_scope(ip.substr(pct + 1), ip));
    }
    a.length_ = sizeof(sockaddr_in6);
    return a;
  }
  return bad_address(ip, "not a numeric IPv4 or IPv6 address");
}

Result<SocketAddress> SocketAddress::from_sockaddr(const struct sockaddr* address, socklen_t length) {
  if (address == nullptr || length < static_cast<socklen_t>(sizeof(sa_family_t)) ||
      length > static_cast<socklen_t>(sizeof(sockaddr_storage))) {
    return make_error("config", EINVAL, "invalid sockaddr length " + std::to_string(length));
  }
  SocketAddress a;
  switch (address->sa_family) {
    case AF_UNIX:
      break;
    case AF_INET:
      if (length < static_cast<socklen_t>(sizeof(sockaddr_in))) {
        return make_error("config", EINVAL, "short sockaddr_in");
      }
      length = sizeof(sockaddr_in);
      break;
    case AF_INET6:
      if (length < static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        return make_error("config", EINVAL, "short sockaddr_in6");
      }
      length = sizeof(sockaddr_in6);
      break;
    default:
      return make_error("config", EAFNOSUPPORT,
                        "unsupported address family " + std::to_string(address->sa_family));
  }
  std::memcpy(&a.storage_, address, static_cast<size_t>(length));
  a.length_ = length;
  return a;
}

int SocketAddress::family() const { return storage_.ss_family; }

const struct sockaddr* SocketAddress::sockaddr() const {
  return reinterpret_cast<const struct sockaddr*>(&storage_);
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

SocketAddress SocketAddress::with_port(uint16_t port) const {
  SocketAddress copy = *this;
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&copy.storage_)->sin_port = htons(port);
  if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&copy.storage_)->sin6_port = htons(port);
  return copy;
}

std::string SocketAddress::host() const {
  char buf[INET6_ADDRSTRLEN + 16] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    std::string out = buf;
    if (in6->sin6_scope_id != 0) out.append("%").append(std::to_string(in6->sin6_scope_id));
    return out;
  }
  return {};
}

std::string SocketAddress::path() const {
  if (family() != AF_UNIX) return {};
  const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
  if (static_cast<size_t>(length_) <= offsetof(sockaddr_un, sun_path)) return {};  // unnamed
  size_t max = static_cast<size_t>(length_) - offsetof(sockaddr_un, sun_path);
  return std::string(un->sun_path, strnlen(un->sun_path, max));
}

std::string SocketAddress::to_string() const {
  switch (family()) {
    case AF_UNIX: return "unix:" + path();
    case AF_INET: return "tcp:" + host() + ":" + std::to_string(port());
    case AF_INET6: return "tcp:[" + host() + "]:" + std::to_string(port());
    default: return {};
  }
}

bool SocketAddress::operator==(const SocketAddress& other) const {
  if (family() != other.family()) return false;
  if (is_unix()) return path() == other.path();
  return length_ == other.length_ &&
         std::memcmp(&storage_, &other.storage_, static_cast<size_t>(length_)) == 0;
}

Result<HostPort> split_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return bad_address(text, "missing ']' after IPv6 address");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(":")) return bad_address(text, "expected ':PORT' after ']'");
    port = rest.substr(1);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad_address(text, "expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return bad_address(text, "an IPv6 address needs brackets: [ADDRESS]:PORT");
    }
  }
  if (host.empty()) return bad_address(text, "empty host");
  OVNK_ASSIGN_OR_RETURN(uint16_t p, parse_port(port, text));
  return HostPort{std::string(host), p};
}

}  // namespace ovnk::reactor
