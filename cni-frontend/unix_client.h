// The shim's blocking HTTP/1.1 client over the daemon's unix socket.
//
// The shim is a short-lived process doing one request, so blocking calls with
// poll() deadlines are the simplest correct thing: one socket, no threads, no
// loop. The whole round trip (connect, send, wait, read) shares one deadline.
// Failures map to CNI codes: 100 when connect() fails (no daemon, no socket
// file, permissions; a full backlog is retried until the deadline), 101 when
// the deadline passes, 5 when the connection breaks after it was made (the
// daemon died or restarted mid-request), 105 for an answer that is not HTTP.
#pragma once

#include "cni-frontend/plugin.h"

namespace ovnk::cni {

class UnixHttpTransport final : public DaemonTransport {
 public:
  Result<DaemonReply> post(std::string_view socket_path, std::string_view body,
                           Duration timeout) override;
};

}  // namespace ovnk::cni
