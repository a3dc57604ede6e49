#include "cni-frontend/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <unordered_map>

#include "base/log.h"
#include "cni-frontend/server_connection.h"
#include "cni-frontend/socket_dir.h"
#include "reactor/listener.h"
#include "reactor/socket_address.h"
#include "reactor/socket_stream.h"

namespace ovnk::cni {

class CniServer::Impl final : public ServerContext {
 public:
  Impl(reactor::Loop& loop, CniHandler& handler, metrics::Registry& registry,
       CniServerOptions options)
      : loop_(loop),
        handler_(handler),
        registry_(registry),
        options_(std::move(options)),
        in_flight_gauge_(registry.gauge("ovnk_cni_requests_in_flight",
                                        "CNI requests being handled by the daemon now")),
        connections_gauge_(registry.gauge("ovnk_cni_connections",
                                          "Open connections on the CNI socket")) {}

  ~Impl() override {
    listener_.reset();
    // Release first (cancels what is in flight with kShutdown), delete later:
    // a connection may be on the stack if the server is destroyed from a
    // callback.
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [raw, connection] : connections) {
      connection->shut(CancelReason::kShutdown);
      loop_.delete_later(std::move(connection));
    }
    connections_gauge_.set(0);
  }

  Result<void> listen() {
    OVNK_TRY(prepare_socket_dir(options_.socket_path));
    OVNK_ASSIGN_OR_RETURN(auto address, reactor::SocketAddress::unix_path(options_.socket_path));
    reactor::ListenOptions listen_options;
    listen_options.backlog = options_.backlog;
    listen_options.remove_stale_socket = true;  // a crashed daemon's socket; a live one is refused
    auto listener = reactor::Listener::listen(
        loop_, address, [this](std::unique_ptr<reactor::Stream> s) { on_accept(std::move(s)); },
        listen_options);
    if (!listener.ok()) {
      return std::move(listener).error().with_context("CNI server");
    }
    listener_ = std::move(listener).value();
    OVNK_TRY(restrict_socket_file(options_.socket_path));
    LOG_INFO("cni_server_listening", log::kv("socket", options_.socket_path));
    return ok_result();
  }

  void on_accept(std::unique_ptr<reactor::Stream> stream) {
    if (!peer_allowed(*stream)) return;  // dropping the stream closes it
    auto connection = std::make_unique<ServerConnection>(*this, std::move(stream));
    ServerConnection* raw = connection.get();
    connections_.emplace(raw, std::move(connection));
    connections_gauge_.set(static_cast<double>(connections_.size()));
  }

  // The socket is root-only by its 0700 directory; the peer's credentials are
  // checked too, so that a socket path handed to another user (a bind mount, a
  // permissive directory made by someone else) still admits only root or the
  // daemon's own user.
  bool peer_allowed(reactor::Stream& stream) {
    auto* socket = dynamic_cast<reactor::SocketStream*>(&stream);
    ucred cred{};
    socklen_t len = sizeof cred;
    if (socket == nullptr || getsockopt(socket->fd(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      LOG_WARN("cni_peer_refused", log::kv("peer", stream.peer_name()),
               log::kv("reason", "no peer credentials"));
      return false;
    }
    if (cred.uid == 0 || cred.uid == geteuid()) return true;
    LOG_WARN("cni_peer_refused", log::kv("peer", stream.peer_name()), log::kv("uid", cred.uid),
             log::kv("pid", cred.pid), log::kv("reason", "not root"));
    registry_
        .counter("ovnk_cni_peers_refused_total",
                 "Connections to the CNI socket refused: the peer was neither root nor the daemon's user")
        .inc();
    return false;
  }

  // ServerContext:
  reactor::Loop& loop() override { return loop_; }
  CniHandler& handler() override { return handler_; }
  const CniServerOptions& options() const override { return options_; }
  metrics::Registry& registry() override { return registry_; }

  void request_started() override {
    ++in_flight_;
    in_flight_gauge_.set(static_cast<double>(in_flight_));
  }
  void request_ended() override {
    if (in_flight_ > 0) --in_flight_;
    in_flight_gauge_.set(static_cast<double>(in_flight_));
  }
  void request_answered(std::string_view command, int code, Duration took) override {
    const std::string code_label = code < 0 ? "cancelled" : std::to_string(code);
    registry_
        .counter("ovnk_cni_requests_total", "CNI requests answered, by command and CNI code (0 = ok)",
                 {{"command", std::string(command)}, {"code", code_label}})
        .inc();
    registry_
        .histogram("ovnk_cni_request_duration_seconds",
                   "Time from a CNI request's arrival to its answer", metrics::latency_buckets(),
                   {{"command", std::string(command)}})
        .observe(to_seconds(took));
  }
  void request_cancelled(CancelReason reason) override {
    registry_
        .counter("ovnk_cni_requests_cancelled_total", "CNI requests cancelled, by reason",
                 {{"reason", std::string(cancel_reason_name(reason))}})
        .inc();
  }
  void http_answered(std::string_view path, int status) override {
    registry_
        .counter("ovnk_cni_http_requests_total", "HTTP requests answered on the CNI socket",
                 {{"path", std::string(path)}, {"status", std::to_string(status)}})
        .inc();
  }
  void release(ServerConnection* connection) override {
    auto it = connections_.find(connection);
    if (it == connections_.end()) return;  // being shut down by ~Impl
    loop_.delete_later(std::move(it->second));
    connections_.erase(it);
    connections_gauge_.set(static_cast<double>(connections_.size()));
  }

  size_t connection_count() const { return connections_.size(); }
  size_t in_flight_count() const { return in_flight_; }

 private:
  reactor::Loop& loop_;
  CniHandler& handler_;
  metrics::Registry& registry_;
  CniServerOptions options_;
  metrics::Gauge& in_flight_gauge_;
  metrics::Gauge& connections_gauge_;
  size_t in_flight_ = 0;
  std::unique_ptr<reactor::Listener> listener_;
  std::unordered_map<ServerConnection*, std::unique_ptr<ServerConnection>> connections_;
};

Result<std::unique_ptr<CniServer>> CniServer::start(reactor::Loop& loop, CniHandler& handler,
                                                    metrics::Registry& registry,
                                                    CniServerOptions options) {
  auto impl = std::make_unique<Impl>(loop, handler, registry, std::move(options));
  OVNK_TRY(impl->listen());
  return std::unique_ptr<CniServer>(new CniServer(std::move(impl)));
}

CniServer::CniServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CniServer::~CniServer() = default;

const std::string& CniServer::socket_path() const { return impl_->options().socket_path; }
size_t CniServer::connections() const { return impl_->connection_count(); }
size_t CniServer::in_flight() const { return impl_->in_flight_count(); }

}  // namespace ovnk::cni
