// NodeOvsConfigWriter: keeps the node's overlay settings (node_ovs_config.h)
// in the Open_vSwitch row's external_ids, through the OVS session.
//
// Applies the plan when the session becomes ready and whenever the
// Open_vSwitch row changes (a pass that finds nothing to change sends
// nothing, so its own write does not loop); a failed transaction is logged
// and retried after `retry`. Someone else rewriting the same keys shows up as
// a node_ovs_config_rewritten warning on every change. At most one
// transaction in flight; the session must outlive this object.
#pragma once

#include <cstdint>
#include <memory>

#include "agent/node_ovs_config.h"
#include "base/time.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"

namespace ovnk::agent {

class NodeOvsConfigWriter {
 public:
  NodeOvsConfigWriter(reactor::Loop& loop, ovsdb::Session& ovs, NodeOvsConfig config,
                      Duration retry = std::chrono::seconds(5));
  ~NodeOvsConfigWriter();
  NodeOvsConfigWriter(const NodeOvsConfigWriter&) = delete;
  NodeOvsConfigWriter& operator=(const NodeOvsConfigWriter&) = delete;

  void on_ovs_ready();
  // Transactions committed so far (tests).
  uint64_t writes() const { return writes_; }
  // The keys are in place as configured.
  bool in_sync() const;

 private:
  void apply();

  ovsdb::Session& ovs_;
  NodeOvsConfig config_;
  Duration retry_delay_;
  std::unique_ptr<reactor::Timer> kick_;
  std::unique_ptr<reactor::Timer> retry_;
  std::unique_ptr<ovsdb::ReplicaWatch> watch_;
  uint64_t token_ = 0;
  bool in_flight_ = false;
  bool again_ = false;
  uint64_t writes_ = 0;
};

}  // namespace ovnk::agent
