#include "ovsdb-proto/remote.h"

#include <cerrno>
#include <utility>

#include "base/log.h"
#include "reactor/socket_address.h"

namespace ovnk::ovsdb {

namespace {

Error remote_error(std::string_view text, std::string_view what) {
  return make_error("ovsdb", EINVAL, "remote '" + std::string(text) + "': " + std::string(what));
}

}  // namespace

std::string_view remote_kind_name(RemoteKind kind) {
  switch (kind) {
    case RemoteKind::kUnix:
      return "unix";
    case RemoteKind::kTcp:
      return "tcp";
    case RemoteKind::kSsl:
      return "ssl";
  }
  return "unknown";
}

Result<Remote> Remote::parse(std::string_view text) {
  Remote r;
  r.text_ = std::string(text);
  if (text.starts_with("unix:")) {
    r.kind_ = RemoteKind::kUnix;
    r.path_ = std::string(text.substr(5));
    if (r.path_.empty()) return remote_error(text, "empty unix socket path");
    // Checks the length limit of sun_path now rather than at every connect.
    auto address = reactor::SocketAddress::unix_path(r.path_);
    if (!address.ok()) return remote_error(text, address.error().message);
    return r;
  }
  if (text.starts_with("tcp:") || text.starts_with("ssl:")) {
    r.kind_ = text.starts_with("tcp:") ? RemoteKind::kTcp : RemoteKind::kSsl;
    auto hp = reactor::split_host_port(text.substr(4));
    if (!hp.ok()) return remote_error(text, hp.error().message);
    if (hp->host.empty()) return remote_error(text, "empty host");
    r.host_ = hp->host;
    r.port_ = hp->port;
    if (r.port_ == 0) return remote_error(text, "port 0");
    r.host_is_ip_ = reactor::SocketAddress::from_ip(r.host_, r.port_).ok();
    return r;
  }
  return remote_error(text, "expected unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT");
}

Result<std::vector<Remote>> parse_remotes(std::string_view text) {
  std::vector<Remote> out;
  size_t pos = 0;
  for (;;) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos
                                                                              : comma - pos);
    if (item.empty()) return remote_error(text, "empty remote in the list");
    OVNK_ASSIGN_OR_RETURN(Remote r, Remote::parse(item));
    out.push_back(std::move(r));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

Result<reactor::TlsContext> make_client_tls(const TlsFiles& files) {
  if (files.private_key.empty() || files.certificate.empty() || files.ca_cert.empty()) {
    return make_error("tls", EINVAL,
                      "ssl: remotes need a private key, a certificate and a CA certificate "
                      "(--private-key, --certificate, --ca-cert)");
  }
  reactor::TlsConfig config;
  config.key_file = files.private_key;
  config.cert_file = files.certificate;
  config.ca_file = files.ca_cert;
  return reactor::TlsContext::client(config);
}

namespace {

// One connect of one remote: [resolve] -> connect each address in turn [-> TLS].
// Every outcome goes through finish(), which hands the callback over last
// because the callback usually destroys this object.
class RemoteConnect final : public reactor::ConnectAttempt {
 public:
  RemoteConnect(reactor::Loop& loop, reactor::Resolver* resolver, Remote remote,
                std::optional<reactor::TlsContext> tls, ConnectOptions options,
                reactor::ConnectCallback callback)
      : loop_(loop),
        resolver_(resolver),
        remote_(std::move(remote)),
        tls_(std::move(tls)),
        options_(options),
        callback_(std::move(callback)),
        deadline_(loop.now() + options.timeout) {}

  ~RemoteConnect() override = default;

  void start() {
    if (remote_.is_ssl() && !tls_) {
      fail_later(make_error("tls", EINVAL,
                            "connect " + remote_.text() +
                                ": ssl: remotes need a private key, a certificate and a CA certificate"));
      return;
    }
    if (remote_.is_unix()) {
      auto address = reactor::SocketAddress::unix_path(remote_.path());
      if (!address.ok()) {
        fail_later(std::move(address).error());
        return;
      }
      addresses_.push_back(std::move(address).value());
      try_next();
      return;
    }
    if (remote_.host_is_ip()) {
      addresses_.push_back(reactor::SocketAddress::from_ip(remote_.host(), remote_.port()).value());
      try_next();
      return;
    }
    if (resolver_ == nullptr) {
      fail_later(make_error("dns", EINVAL, "connect " + remote_.text() + ": no resolver for host names"));
      return;
    }
    LOG_DEBUG("ovsdb_remote_resolve", log::kv("remote", remote_.text()));
    resolve_ = resolver_->resolve(remote_.host(), remote_.port(), reactor::AddressFamily::kAny,
                                  [this](Result<std::vector<reactor::ResolvedAddress>> r) {
                                    on_resolved(std::move(r));
                                  });
  }

 private:
  void on_resolved(Result<std::vector<reactor::ResolvedAddress>> resolved) {
    loop_.delete_later(std::move(resolve_));
    if (!resolved.ok()) {
      finish(std::move(resolved).error().with_context("connect " + remote_.text()));
      return;
    }
    for (const auto& a : *resolved) {
      auto address = reactor::SocketAddress::from_sockaddr(a.sockaddr_ptr(), a.length);
      if (address.ok()) addresses_.push_back(std::move(address).value());
    }
    if (addresses_.empty()) {
      finish(make_error("dns", EINVAL, "connect " + remote_.text() + ": no usable address"));
      return;
    }
    try_next();
  }

  void try_next() {
    if (next_ >= addresses_.size()) {
      finish(std::move(last_error_));
      return;
    }
    Duration left = deadline_ - loop_.now();
    if (left <= Duration::zero()) {
      finish(next_ == 0 ? make_error("io", ETIMEDOUT, "connect " + remote_.text() + ": timed out")
                        : std::move(last_error_));
      return;
    }
    const reactor::SocketAddress& address = addresses_[next_++];
    LOG_DEBUG("ovsdb_remote_connect", log::kv("remote", remote_.text()),
              log::kv("address", address.to_string()));
    auto on_done = [this](Result<std::unique_ptr<reactor::Stream>> r) { on_connected(std::move(r)); };
    if (remote_.is_ssl()) {
      reactor::TlsOptions tls_options;
      tls_options.stream = options_.stream;
      // Names are checked against the certificate; IP literals only against the CA,
      // as ovsdb-client does.
      std::string verify_name = remote_.host_is_ip() ? std::string() : remote_.host();
      inner_ = reactor::connect_tls(loop_, address, *tls_, std::move(verify_name), left, std::move(on_done),
                                    tls_options);
    } else {
      inner_ = reactor::SocketStream::connect(loop_, address, left, std::move(on_done), options_.stream);
    }
  }

  void on_connected(Result<std::unique_ptr<reactor::Stream>> r) {
    // The attempt that called us is on the stack: destroy it after this iteration.
    loop_.delete_later(std::move(inner_));
    if (r.ok()) {
      finish(std::move(r));
      return;
    }
    last_error_ = std::move(r).error();
    if (!remote_.is_unix() && !remote_.host_is_ip()) {
      last_error_ = std::move(last_error_).with_context(remote_.text());
    }
    try_next();
  }

  // Errors found inside connect_remote() are delivered from the loop.
  void fail_later(Error error) {
    last_error_ = std::move(error);
    notify_ = loop_.make_timer([this] { finish(std::move(last_error_)); });
    notify_->start(Duration::zero());
  }

  void finish(Result<std::unique_ptr<reactor::Stream>> result) {
    if (!callback_) return;
    reactor::ConnectCallback cb = std::move(callback_);
    callback_ = nullptr;
    cb(std::move(result));  // may destroy this
  }

  reactor::Loop& loop_;
  reactor::Resolver* resolver_;
  Remote remote_;
  std::optional<reactor::TlsContext> tls_;
  ConnectOptions options_;
  reactor::ConnectCallback callback_;
  MonoTime deadline_;
  std::vector<reactor::SocketAddress> addresses_;
  size_t next_ = 0;
  Error last_error_;
  std::unique_ptr<reactor::ResolveRequest> resolve_;
  std::unique_ptr<reactor::ConnectAttempt> inner_;
  std::unique_ptr<reactor::Timer> notify_;
};

}  // namespace

std::unique_ptr<reactor::ConnectAttempt> connect_remote(reactor::Loop& loop, reactor::Resolver* resolver,
                                                        const Remote& remote,
                                                        const reactor::TlsContext* tls,
                                                        const ConnectOptions& options,
                                                        reactor::ConnectCallback callback) {
  std::optional<reactor::TlsContext> context;
  if (tls != nullptr) context = *tls;
  auto attempt = std::make_unique<RemoteConnect>(loop, resolver, remote, std::move(context), options,
                                                 std::move(callback));
  attempt->start();
  return attempt;
}

}  // namespace ovnk::ovsdb
