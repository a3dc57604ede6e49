// Remotes of an OVSDB client: the Open vSwitch connection syntax, and the
// connect that turns one remote into an open Stream on the loop.
//
// Syntax (ovsdb-server(1) "active" remotes; several are comma-separated, e.g. the
// members of a raft cluster):
//   unix:PATH                a unix socket
//   tcp:HOST:PORT            HOST an IPv4 literal, [IPv6] in brackets, or a name
//   ssl:HOST:PORT            the same over TLS; needs a private key, a certificate
//                            and a CA certificate (ovsdb-server asks for a client
//                            certificate)
//
// Connecting a name resolves it with the c-ares resolver (never a blocking
// look-up on the loop) and tries every address it returns, in order, until one
// accepts. TLS always verifies the server certificate against the CA; when the
// remote names a host (not an IP literal), the certificate must also match the
// name (SNI is sent). For an IP literal only the chain is checked, as
// ovsdb-client does.
//
// Invariants: a parsed Remote is valid (a port, a non-empty host or path) and
// text() is what the user wrote, for logs. The connect callback is called exactly
// once, from the loop, never from inside connect_remote(), unless the returned
// handle is destroyed first (which cancels the attempt: DNS query, socket and
// handshake).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "reactor/loop.h"
#include "reactor/resolver.h"
#include "reactor/socket_stream.h"
#include "reactor/tls.h"

namespace ovnk::ovsdb {

enum class RemoteKind : uint8_t { kUnix, kTcp, kSsl };
std::string_view remote_kind_name(RemoteKind kind);  // "unix", "tcp", "ssl"

class Remote {
 public:
  static Result<Remote> parse(std::string_view text);

  RemoteKind kind() const { return kind_; }
  bool is_unix() const { return kind_ == RemoteKind::kUnix; }
  bool is_ssl() const { return kind_ == RemoteKind::kSsl; }
  // unix: the socket path.
  const std::string& path() const { return path_; }
  // tcp/ssl: the host without brackets, and the port.
  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }
  // tcp/ssl: whether host() is an IPv4/IPv6 literal (no resolution, no name check).
  bool host_is_ip() const { return host_is_ip_; }
  // As written: "tcp:[::1]:6641".
  const std::string& text() const { return text_; }

 private:
  RemoteKind kind_ = RemoteKind::kUnix;
  std::string path_;
  std::string host_;
  uint16_t port_ = 0;
  bool host_is_ip_ = false;
  std::string text_;
};

// "unix:/a,tcp:10.0.0.1:6641" -> two remotes. Empty items are errors.
Result<std::vector<Remote>> parse_remotes(std::string_view text);

// The private key, certificate and CA of "ssl:" remotes, as ovsdb-client's
// --private-key, --certificate and --ca-cert.
struct TlsFiles {
  std::string private_key;
  std::string certificate;
  std::string ca_cert;
};
// A client TLS context from the three files; every one is required.
Result<reactor::TlsContext> make_client_tls(const TlsFiles& files);

struct ConnectOptions {
  Duration timeout = seconds(2);  // covers resolution, connect and TLS handshake
  reactor::StreamOptions stream;
};

// Connects to `remote`. `resolver` is used only for host names (may be null when
// every remote is an IP literal or a unix path: a name then fails cleanly);
// `tls` is required for ssl: remotes. Errors name the remote: "connect
// tcp:ovn-nb:6641: resolve ovn-nb: no such host (NXDOMAIN)".
std::unique_ptr<reactor::ConnectAttempt> connect_remote(reactor::Loop& loop, reactor::Resolver* resolver,
                                                        const Remote& remote,
                                                        const reactor::TlsContext* tls,
                                                        const ConnectOptions& options,
                                                        reactor::ConnectCallback callback);

}  // namespace ovnk::ovsdb
