// AgentCniHandler: the CniHandler the daemon plugs behind the CNI server. It
// turns each validated request into a PodSpec (pod_spec.h; a bad runtimeConfig
// or CNI_ARGS is answered here with its code) and hands it to the PodManager:
// ADD, DEL, CHECK, GC and STATUS. The manager must outlive the handler and
// every call it returned.
#pragma once

#include <memory>

#include "agent/pod_manager.h"
#include "cni-frontend/handler.h"

namespace ovnk::agent {

class AgentCniHandler final : public cni::CniHandler {
 public:
  explicit AgentCniHandler(PodManager& manager) : manager_(manager) {}
  std::unique_ptr<cni::CniCall> start(const cni::CniRequest& request, cni::CniDone done) override;

 private:
  PodManager& manager_;
};

}  // namespace ovnk::agent
