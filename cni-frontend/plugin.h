// The logic of the ovnk-cni shim, apart from its I/O: from the environment and
// stdin the runtime gave it to what it prints and its exit status.
//
//   VERSION           answered here, without the daemon;
//   everything else   validated here (make_request), then forwarded as
//                     POST /cni {env, config} through a DaemonTransport; a 200
//                     answer is printed as is (the daemon already wrote it in the
//                     config's cniVersion), any other status carries an error
//                     object which is printed, normalised, with exit status 1.
// Transport failures become our codes: 100 daemon unreachable, 101 timeout, 5
// connection lost mid-request; for STATUS an unreachable daemon is the spec's
// 50 ("plugin not available") instead.
// The shim waits kTimeoutGrace longer than the config's timeoutSeconds, which
// the daemon also applies, so that normally the daemon's own 101 answer (which
// says what it was waiting for) arrives before the shim gives up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/time.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

inline constexpr Duration kTimeoutGrace = std::chrono::seconds(2);

struct DaemonReply {
  int status = 0;    // HTTP status
  std::string body;  // the CNI result or error object, or empty
};

class DaemonTransport {
 public:
  virtual ~DaemonTransport() = default;
  // One POST /cni round trip. Errors are "cni" domain errors with code 100
  // (connect failed), 101 (no complete answer within `timeout`) or 5 (the
  // connection broke after connecting).
  virtual Result<DaemonReply> post(std::string_view socket_path, std::string_view body,
                                   Duration timeout) = 0;
};

struct PluginInput {
  CniEnv env;
  std::string stdin_data;
  std::optional<Error> stdin_error;  // reading stdin failed (code 5)
};

struct PluginOutput {
  std::string stdout_data;
  int exit_code = 0;
};

PluginOutput run_plugin(const PluginInput& input, DaemonTransport& transport);

}  // namespace ovnk::cni
