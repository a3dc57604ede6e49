#include "agent/node_ovs_config_writer.h"

#include "base/log.h"

namespace ovnk::agent {

NodeOvsConfigWriter::NodeOvsConfigWriter(reactor::Loop& loop, ovsdb::Session& ovs, NodeOvsConfig config,
                                         Duration retry)
    : ovs_(ovs), config_(std::move(config)), retry_delay_(retry) {
  kick_ = loop.make_timer([this] { apply(); });
  retry_ = loop.make_timer([this] { apply(); });
}

NodeOvsConfigWriter::~NodeOvsConfigWriter() {
  if (in_flight_) ovs_.forget(token_);
}

void NodeOvsConfigWriter::on_ovs_ready() {
  if (config_.desired().empty()) return;
  if (!watch_ && ovs_.replica() != nullptr) {
    auto w = ovs_.replica()->watch("Open_vSwitch", [this](const ovsdb::RowChange&) {
      if (!kick_->active()) kick_->start(Duration::zero());
    });
    if (w.ok()) {
      watch_ = std::move(w).value();
    } else {
      LOG_WARN("node_ovs_config_watch_failed", log::kv("error", w.error()),
               log::kv("hint", "the Open_vSwitch table is not monitored; settings are applied on connect only"));
    }
  }
  apply();
}

bool NodeOvsConfigWriter::in_sync() const {
  if (ovs_.replica() == nullptr) return false;
  auto plan = plan_node_ovs_config(read_open_vswitch(*ovs_.replica()), config_);
  return plan.ok() && !plan->has_value();
}

void NodeOvsConfigWriter::apply() {
  if (in_flight_) {
    again_ = true;
    return;
  }
  again_ = false;
  if (!ovs_.is_ready() || ovs_.replica() == nullptr) return;
  OpenVswitchView view = read_open_vswitch(*ovs_.replica());
  auto plan = plan_node_ovs_config(view, config_);
  if (!plan.ok()) {
    LOG_ERROR("node_ovs_config_failed", log::kv("error", plan.error()),
              log::kv("hint", "initialise the database (ovs-vsctl init); retried"));
    retry_->start(retry_delay_);
    return;
  }
  if (!plan->has_value()) return;
  if (writes_ > 0) {
    LOG_WARN("node_ovs_config_rewritten", log::kv("hint", "someone else changes the same Open_vSwitch external_ids; "
                                                          "the daemon's flags win"));
  }
  std::string keys;
  for (const auto& [k, v] : config_.desired()) keys += (keys.empty() ? "" : " ") + k + "=" + v;
  LOG_INFO("node_ovs_config_write", log::kv("external_ids", keys));
  in_flight_ = true;
  token_ = ovs_.transact(std::move(**plan), [this](ovsdb::TransactResult r) {
    in_flight_ = false;
    if (!r.ok()) {
      std::string detail = r.status == ovsdb::TxnStatus::kOpError ? r.result.describe_failure() : r.error.to_string();
      LOG_ERROR("node_ovs_config_failed", log::kv("error", detail), log::kv("hint", "retried"));
      retry_->start(retry_delay_);
      return;
    }
    ++writes_;
    if (again_) apply();
  });
}

}  // namespace ovnk::agent
