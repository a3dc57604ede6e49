#include "agent/cni_handler.h"

#include "agent/pod_spec.h"
#include "cni-frontend/errors.h"

namespace ovnk::agent {

std::unique_ptr<cni::CniCall> AgentCniHandler::start(const cni::CniRequest& request, cni::CniDone done) {
  switch (request.command) {
    case cni::Command::kStatus:
      done(manager_.status());
      return nullptr;
    case cni::Command::kGc:
      return manager_.gc(request.config.valid_attachments.value_or(std::vector<cni::Attachment>{}),
                         std::move(done));
    case cni::Command::kVersion:
      done(cni::CniReply::failure(
          cni::CniError::make(cni::Code::kInvalidEnvironment, "VERSION is answered by the plugin itself")));
      return nullptr;
    default:
      break;
  }
  auto spec = pod_spec_from_request(request);
  if (!spec.ok()) {
    done(cni::CniReply::failure(cni::CniError::from_error(spec.error())));
    return nullptr;
  }
  switch (request.command) {
    case cni::Command::kAdd:
      return manager_.add(std::move(spec).value(), std::move(done));
    case cni::Command::kDel:
      return manager_.del(std::move(spec).value(), std::move(done));
    case cni::Command::kCheck:
      return manager_.check(std::move(spec).value(), request.config.prev_result, std::move(done));
    default:
      break;
  }
  done(cni::CniReply::failure(cni::CniError::make(cni::Code::kNotImplemented, "unknown command")));
  return nullptr;
}

}  // namespace ovnk::agent
