// CniServer: the daemon's end of the CNI socket. HTTP/1.1 over a unix socket,
// on the reactor:
//
//   POST /cni      {env, config} (request_codec.h) -> validated CniRequest ->
//                  CniHandler; the answer is the CNI result/error object in the
//                  request's cniVersion: 200 on success, the error's HTTP status
//                  (errors.h http_status_for) otherwise
//   GET  /healthz  200 "ok"
//   GET  /metrics  the metrics registry in Prometheus text format
//
// Works with `curl --unix-socket /var/run/ovnk-reactor/cni.sock http://x/healthz`.
//
// Behaviour:
//   - socket directory 0700, socket 0600, owned by the daemon's user; a stale
//     socket file (nobody answers on it: a crashed daemon) is replaced, a live
//     one makes start() fail with a clear error (another daemon serves it);
//   - request bodies over max_request_bytes are refused with 413 before being
//     read (and the connection closed); malformed HTTP gets 400 and a close;
//   - each CNI request has a deadline, min(request_timeout, the config's
//     timeoutSeconds): when it passes the handler's call is cancelled and the
//     client gets code 101 (HTTP 504), the connection stays usable;
//   - a client that closes its connection (even half-closes: the shim never
//     does) while its request is with the handler cancels it (kClientGone);
//   - keep-alive and pipelining (answered in order, one at a time per
//     connection); idle connections close after idle_timeout;
//   - destroying the server closes the socket and every connection and cancels
//     what is in flight (kShutdown). The loop, handler and registry must
//     outlive it.
// Metrics (on the given registry):
//   ovnk_cni_requests_total{command,code}       CNI requests answered (code 0 = ok)
//   ovnk_cni_request_duration_seconds{command}  time from request to answer
//   ovnk_cni_requests_in_flight                 requests with the handler now
//   ovnk_cni_requests_cancelled_total{reason}   deadline / client_gone / shutdown
//   ovnk_cni_http_requests_total{path,status}   every HTTP request answered
//   ovnk_cni_connections                        open connections
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "cni-frontend/handler.h"
#include "cni-frontend/metrics.h"
#include "cni-frontend/types.h"
#include "reactor/loop.h"

namespace ovnk::cni {

struct CniServerOptions {
  std::string socket_path{kDefaultDaemonSocket};
  size_t max_request_bytes = 1u << 20;
  Duration request_timeout = kDefaultTimeout;
  Duration idle_timeout = std::chrono::seconds(120);  // keep-alive connections with nothing to do
  Duration linger_timeout = std::chrono::seconds(2);  // after a final answer, for the peer to close
  int backlog = 1024;  // pod bursts: hundreds of shims connect at once
};

class CniServer {
 public:
  static Result<std::unique_ptr<CniServer>> start(reactor::Loop& loop, CniHandler& handler,
                                                  metrics::Registry& registry,
                                                  CniServerOptions options);
  ~CniServer();
  CniServer(const CniServer&) = delete;
  CniServer& operator=(const CniServer&) = delete;

  const std::string& socket_path() const;
  size_t connections() const;
  size_t in_flight() const;

  class Impl;

 private:
  explicit CniServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ovnk::cni
