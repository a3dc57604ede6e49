// CNI error codes and the error object every failed CNI operation prints.
//
// The spec reserves codes 0-99 (1-7 and 11 since 0.3/1.0, 50-51 for STATUS since
// 1.1); 100+ belong to the plugin. Ours say which part of the node agent failed,
// so that an operator reading `kubectl describe pod` knows where to look:
//
//   1   incompatible CNI version: cniVersion missing or not one of 0.3.0, 0.3.1,
//       0.4.0, 1.0.0, 1.1.0.
//   2   unsupported field in the network config; msg names the key and value.
//   3   container unknown or does not exist (the runtime need not call DEL).
//   4   invalid environment variable (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
//       CNI_IFNAME, CNI_ARGS); msg names the variable.
//   5   I/O failure: reading stdin, or the connection to the daemon broke
//       after the request was sent (it may or may not have been applied).
//   6   failed to decode content: stdin or a request body is not valid JSON.
//   7   invalid network config: a field has the wrong type or value, a required
//       field (name, type, prevResult on CHECK, valid attachments on GC) is
//       missing.
//   11  try again later: a transient condition in the daemon (e.g. starting up).
//   50  STATUS only: the plugin cannot serve ADD (daemon not reachable/ready).
//   51  STATUS only: not available, and existing pods may have limited
//       connectivity.
//   100 the daemon is not reachable: connect() on its unix socket failed
//       (not running, wrong "daemonSocket" in the config, permissions).
//   101 timeout: the daemon did not answer within the deadline
//       ("timeoutSeconds", default 120 s, the kubelet CRI timeout); the daemon
//       cancelled the request.
//   102 OVN/OVSDB error: a Northbound or Open_vSwitch transaction failed.
//   103 netlink error: creating or configuring the pod's interfaces failed.
//   104 not implemented: the daemon does not handle this command yet.
//   105 internal error: a bug or an answer that breaks the protocol; details
//       carry what was seen.
//
// Invariant: a CniError always has a code > 0 and a non-empty msg.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::cni {

enum class Code : int {
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodeFailure = 6,
  kInvalidConfig = 7,
  kTryAgainLater = 11,
  kPluginNotAvailable = 50,
  kPluginNotAvailableLimited = 51,
  kDaemonUnreachable = 100,
  kTimeout = 101,
  kOvsdbError = 102,
  kNetlinkError = 103,
  kNotImplemented = 104,
  kInternal = 105,
};

// The domain of ovnk::Error values that carry a CNI code (Error::code).
inline constexpr std::string_view kErrorDomain = "cni";

// A short, stable description of a code ("Incompatible CNI version").
std::string_view code_description(int code);

struct CniError {
  int code = static_cast<int>(Code::kInternal);
  std::string msg;      // short: what failed
  std::string details;  // long: the values involved and what to check

  static CniError make(Code code, std::string msg, std::string details = {}) {
    return CniError{static_cast<int>(code), std::move(msg), std::move(details)};
  }
  // An Error from the "cni" domain keeps its code; any other becomes 105 with
  // the error's text as details.
  static CniError from_error(const Error& error);
  // The "cni" domain Error carrying this code; msg and details joined.
  Error to_error() const;

  bool operator==(const CniError&) const = default;
};

// Builds a "cni" domain Error directly: the usual way pure code reports.
inline Error cni_error(Code code, std::string_view message) {
  return make_error(kErrorDomain, static_cast<int>(code), message);
}

// An untrusted value for a message: quoted, non-printable bytes as \xNN, cut
// after 64 bytes, so that a hostile request cannot flood a log or a pod event.
std::string quote_value(std::string_view value);

// The HTTP status the daemon answers with for a code: 400 for bad requests,
// 404 unknown container, 501 not implemented, 503 try again / unavailable,
// 504 timeout, 500 otherwise. The shim treats any non-200 as an error.
int http_status_for(int code);

}  // namespace ovnk::cni
