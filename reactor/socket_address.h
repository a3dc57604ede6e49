// SocketAddress: where a stream connects to or listens on, as a sockaddr plus the
// text form used in configuration and logs.
//
// Text forms (the Open vSwitch remote syntax, numeric only):
//   unix:/run/ovnk/cni.sock       a unix stream socket path (absolute or relative)
//   tcp:127.0.0.1:6641            IPv4
//   tcp:[::1]:6641                IPv6, brackets required
//   tcp:[fe80::1%eth0]:6641       IPv6 with a scope (interface name or index)
// Host names are NOT resolved here (no blocking lookups on the loop): split the
// text with split_host_port(), resolve the host with the DNS resolver, and build
// the address with from_ip() or from_sockaddr().
//
// Invariants: a SocketAddress is either empty (family() == AF_UNSPEC, only a
// default-constructed one) or holds a valid AF_UNIX/AF_INET/AF_INET6 sockaddr;
// to_string() of a parsed address parses back to the same address.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::reactor {

class SocketAddress {
 public:
  SocketAddress();  // empty

  // Parses "unix:PATH", "tcp:IP:PORT" or "tcp:[IPV6]:PORT" (port 0..65535).
  static Result<SocketAddress> parse(std::string_view text);
  // A unix socket path; fails when it does not fit in sun_path (107 bytes).
  static Result<SocketAddress> unix_path(std::string_view path);
  // A numeric IPv4 or IPv6 address (no brackets) and a port.
  static Result<SocketAddress> from_ip(std::string_view ip, uint16_t port);
  // Copies a sockaddr from the kernel or a resolver (AF_UNIX/AF_INET/AF_INET6).
  static Result<SocketAddress> from_sockaddr(const struct sockaddr* address, socklen_t length);

  int family() const;  // AF_UNSPEC, AF_UNIX, AF_INET or AF_INET6
  bool empty() const { return family() == AF_UNSPEC; }
  bool is_unix() const { return family() == AF_UNIX; }
  bool is_tcp() const { return family() == AF_INET || family() == AF_INET6; }

  const struct sockaddr* sockaddr() const;
  socklen_t length() const { return length_; }

  uint16_t port() const;  // tcp only, 0 otherwise
  SocketAddress with_port(uint16_t port) const;  // tcp only; unchanged otherwise
  std::string host() const;  // numeric IP without brackets (tcp), "" otherwise
  std::string path() const;  // unix only, "" otherwise (and for unnamed sockets)

  // "unix:/path", "tcp:1.2.3.4:80", "tcp:[::1]:80"; "unix:" for an unnamed unix
  // socket (the peer of an accepted connection), "" when empty.
  std::string to_string() const;

  bool operator==(const SocketAddress& other) const;

 private:
  struct sockaddr_storage storage_;
  socklen_t length_ = 0;
};

// "HOST:PORT" or "[HOST]:PORT" split without resolving anything: HOST may be a
// name, an IPv4 or an IPv6 literal (brackets removed). For "tcp:"/"ssl:" remotes
// whose host needs the resolver.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> split_host_port(std::string_view text);

}  // namespace ovnk::reactor
