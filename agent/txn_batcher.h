// TxnBatcher: group commit of many small pieces of work (one per pod) into few
// OVSDB transactions on one Session.
//
// Items submitted during one loop iteration are gathered; at the end of the
// iteration (loop.defer) they leave together in one `transact`, up to
// batch_max items. While a transaction is in flight, new items wait and form
// the next batch, which leaves as soon as the reply comes: the batch size
// follows the load. More than one transaction may be in flight
// (max_in_flight) when a full batch is waiting.
//
// Pacing: a batch that is not full leaves no sooner than min_interval after
// the previous one. Group commit alone degenerates under a steady trickle of
// pods (a runtime exec'ing plugins one after another): small transactions are
// answered in a millisecond or two, so each carries one or two pods, and every
// transaction is a separate incremental run for northd and every
// ovn-controller. A lone pod after a quiet spell is not delayed.
//
// Outcomes (batch_split.h decides): each item gets its own: committed (with its
// operations' results), failed (its own error), or it is retried without the
// culprit (split), after an unknown outcome (connection drop) or "duplicate
// uuid" the replica is asked whether the item's rows are there (explicit uuids
// make that question answerable). Batches are built only while the session is
// ready, so an item's build() reads a replica that follows the server; call
// pump() when the session becomes ready again.
//
// Invariants: `done` is called exactly once per item, from the loop, never
// inside submit(), unless the item was cancelled or the batcher destroyed.
// The batcher must not be destroyed from inside a `done` (loop.delete_later).
// An item cancelled while in flight may still commit: its owner must wait for
// no answer and undo by looking at the replica. Single thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "cni-frontend/metrics.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"

namespace ovnk::agent {

struct BatcherOptions {
  std::string name;       // "nb" / "ovs": metric label and log field
  size_t batch_max = 256; // items per transaction
  size_t max_in_flight = 2;
  int max_attempts = 6;   // try-again outcomes of one item before its last error is final
  Duration min_interval{};  // between a batch and the next one that is not full (zero: none)
};

class TxnBatcher {
 public:
  using OpResults = std::vector<ovsdb::OpResult>;
  struct Item {
    std::string label;  // the pod, for logs
    // Appends the item's operations; false = nothing to do (committed at once).
    std::function<bool(ovsdb::TransactionBuilder&)> build;
    // Whether the replica already shows the item's effect (after an unknown
    // outcome). Optional: without it an item is simply sent again.
    std::function<bool()> applied;
    // The results of the item's own operations, or why it failed.
    std::function<void(Result<OpResults>)> done;
  };

  TxnBatcher(reactor::Loop& loop, ovsdb::Session& session, std::string database,
             metrics::Registry& registry, BatcherOptions options);
  ~TxnBatcher();
  TxnBatcher(const TxnBatcher&) = delete;
  TxnBatcher& operator=(const TxnBatcher&) = delete;

  uint64_t submit(Item item);
  // Queued: dropped. In flight: `done` will not be called (it may commit).
  void cancel(uint64_t id);
  // Sends what can be sent (after the session became ready again).
  void pump();

  size_t queued() const;
  size_t in_flight() const { return in_flight_; }

 private:
  struct Entry {
    Item item;
    int attempts = 0;          // times sent
    int unknown_outcomes = 0;  // tries that ended with try-again (splits do not count)
    bool sent = false;
    std::optional<Error> last_error;
  };
  void schedule();
  void flush();
  void send(std::vector<uint64_t> ids);
  void on_reply(std::vector<uint64_t> ids, std::vector<size_t> first_op, size_t op_count,
                MonoTime sent_at, ovsdb::TransactResult result);
  void finish(uint64_t id, Result<OpResults> outcome);
  void requeue(std::vector<uint64_t> group);

  reactor::Loop& loop_;
  ovsdb::Session& session_;
  std::string database_;
  BatcherOptions options_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Entry> entries_;
  std::deque<uint64_t> open_;                   // never sent yet, in order
  std::deque<std::vector<uint64_t>> sealed_;    // retry groups, one transaction each
  size_t in_flight_ = 0;
  std::optional<MonoTime> last_sent_;          // when the latest transaction left
  // A zero-delay timer rather than loop.defer(): it is cancelled with us.
  std::unique_ptr<reactor::Timer> flush_timer_;
  std::unordered_map<uint64_t, bool> tokens_;   // session tokens in flight (forgotten on destruction)

  metrics::Histogram& batch_size_;
  metrics::Histogram& txn_seconds_;
  metrics::Counter& txn_ok_;
  metrics::Counter& txn_failed_;
  metrics::Counter& splits_;
  metrics::Counter& retries_;
};

}  // namespace ovnk::agent
