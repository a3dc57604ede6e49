#include "cni-frontend/handler.h"

#include <string>

namespace ovnk::cni {

std::string_view cancel_reason_name(CancelReason reason) {
  switch (reason) {
    case CancelReason::kDeadline: return "deadline";
    case CancelReason::kClientGone: return "client_gone";
    case CancelReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

std::unique_ptr<CniCall> NotImplementedHandler::start(const CniRequest& request, CniDone done) {
  done(CniReply::failure(CniError::make(
      Code::kNotImplemented, std::string(command_name(request.command)) + " is not implemented yet",
      "the ovnk-reactor daemon has no pod pipeline yet; it validated the request and stops here")));
  return nullptr;
}

}  // namespace ovnk::cni
