// CniHandler: what the daemon plugs behind the CNI server (the pod pipeline),
// asynchronous so that a request can be answered much later (an ADD waits for
// OVN, netlink and ovn-controller) while hundreds of others are in flight.
//
// Contract, for one request:
//   - start() begins the work and returns a CniCall handle (or nullptr when it
//     already answered). `done` is called exactly once, from the loop, maybe
//     from inside start() itself.
//   - The server may cancel: it calls CniCall::cancel(reason) (deadline passed,
//     the client went away, shutdown) and then destroys the handle. After
//     cancel() or destruction, `done` must never be called; the handler stops
//     or detaches whatever it can (an ADD already applied is undone by the
//     runtime's DEL, which the spec guarantees). Destroying the handle without
//     cancel() also means "cancelled" (RAII, as everywhere in the reactor).
//   - After `done`, the server destroys the handle with loop.delete_later(),
//     since `done` usually runs on the handler's own stack.
// CniReply: an error, or success with a result (ADD) or without (DEL, CHECK,
// GC, STATUS). The server writes it in the request's cniVersion.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "cni-frontend/errors.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

struct CniReply {
  std::optional<CniError> error;
  std::optional<CniResult> result;

  static CniReply success() { return CniReply{}; }
  static CniReply success(CniResult r) { return CniReply{std::nullopt, std::move(r)}; }
  static CniReply failure(CniError e) { return CniReply{std::move(e), std::nullopt}; }
  bool ok() const { return !error.has_value(); }
};

enum class CancelReason {
  kDeadline,    // the request outlived its deadline; the client gets code 101
  kClientGone,  // the client closed its connection (the runtime gave up or died)
  kShutdown,    // the server is being destroyed
};
std::string_view cancel_reason_name(CancelReason reason);  // "deadline", ...

class CniCall {
 public:
  virtual ~CniCall() = default;
  virtual void cancel(CancelReason /*reason*/) {}
};

using CniDone = std::function<void(CniReply)>;

class CniHandler {
 public:
  virtual ~CniHandler() = default;
  virtual std::unique_ptr<CniCall> start(const CniRequest& request, CniDone done) = 0;
};

// Answers every request with code 104 (not implemented) at once: what the
// daemon serves until the pod pipeline exists.
class NotImplementedHandler final : public CniHandler {
 public:
  std::unique_ptr<CniCall> start(const CniRequest& request, CniDone done) override;
};

}  // namespace ovnk::cni
