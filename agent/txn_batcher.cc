#include "agent/txn_batcher.h"

#include "agent/batch_split.h"
#include "base/log.h"

namespace ovnk::agent {

namespace {

std::vector<double> size_buckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; }

}  // namespace

TxnBatcher::TxnBatcher(reactor::Loop& loop, ovsdb::Session& session, std::string database,
                       metrics::Registry& registry, BatcherOptions options)
    : loop_(loop),
      session_(session),
      database_(std::move(database)),
      options_(std::move(options)),
      batch_size_(registry.histogram("ovnk_ovsdb_batch_items", "Pod items per OVSDB transaction",
                                     size_buckets(), {{"db", options_.name}})),
      txn_seconds_(registry.histogram("ovnk_ovsdb_batch_seconds",
                                      "Time from sending a batch transaction to its reply",
                                      metrics::latency_buckets(), {{"db", options_.name}})),
      txn_ok_(registry.counter("ovnk_ovsdb_batches_total", "Batch transactions by outcome",
                               {{"db", options_.name}, {"result", "ok"}})),
      txn_failed_(registry.counter("ovnk_ovsdb_batches_total", "Batch transactions by outcome",
                                   {{"db", options_.name}, {"result", "failed"}})),
      splits_(registry.counter("ovnk_ovsdb_batch_splits_total",
                               "Failed batches split so that each item gets its own outcome",
                               {{"db", options_.name}})),
      retries_(registry.counter("ovnk_ovsdb_item_retries_total",
                                "Items sent again after a failed or unknown transaction outcome",
                                {{"db", options_.name}})) {
  if (options_.batch_max == 0) options_.batch_max = 1;
  if (options_.max_in_flight == 0) options_.max_in_flight = 1;
  flush_timer_ = loop_.make_timer([this] { flush(); });
}

TxnBatcher::~TxnBatcher() {
  for (auto& [token, unused] : tokens_) session_.forget(token);
}

size_t TxnBatcher::queued() const {
  size_t n = open_.size();
  for (const auto& g : sealed_) n += g.size();
  return n;
}

uint64_t TxnBatcher::submit(Item item) {
  uint64_t id = next_id_++;
  Entry entry;
  entry.item = std::move(item);
  entries_.emplace(id, std::move(entry));
  open_.push_back(id);
  schedule();
  return id;
}

void TxnBatcher::cancel(uint64_t id) {
  // Queued ids are skipped when their batch is built; in-flight ones when the
  // reply comes.
  entries_.erase(id);
}

void TxnBatcher::pump() { schedule(); }

void TxnBatcher::schedule() {
  // A full batch or a retry does not wait out a pacing interval already armed.
  const bool urgent = open_.size() >= options_.batch_max || !sealed_.empty();
  if (!flush_timer_->active() || urgent) flush_timer_->start(Duration::zero());
}

void TxnBatcher::flush() {
  if (!session_.is_ready()) return;  // pump() again once it is
  while (in_flight_ < options_.max_in_flight) {
    if (!sealed_.empty()) {
      std::vector<uint64_t> group = std::move(sealed_.front());
      sealed_.pop_front();
      send(std::move(group));
      continue;
    }
    // Drop cancelled ids at the head so that they do not count as waiting.
    while (!open_.empty() && entries_.count(open_.front()) == 0) open_.pop_front();
    if (open_.empty()) break;
    // Group commit: with a transaction in flight, wait for its reply unless a
    // full batch is already waiting.
    if (in_flight_ > 0 && open_.size() < options_.batch_max) break;
    // Pacing: a batch that is not full waits out min_interval since the last.
    if (open_.size() < options_.batch_max && last_sent_) {
      const Duration since = loop_.now() - *last_sent_;
      if (since < options_.min_interval) {
        flush_timer_->start(options_.min_interval - since);
        break;
      }
    }
    std::vector<uint64_t> batch;
    while (!open_.empty() && batch.size() < options_.batch_max) {
      uint64_t id = open_.front();
      open_.pop_front();
      if (entries_.count(id) != 0) batch.push_back(id);
    }
    send(std::move(batch));
  }
}

void TxnBatcher::send(std::vector<uint64_t> ids) {
  ovsdb::TransactionBuilder txn(database_);
  std::vector<uint64_t> sent;
  std::vector<size_t> first_op;
  std::vector<uint64_t> nothing_to_do;
  for (uint64_t id : ids) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    // After an unknown outcome the replica (resynchronised before the session
    // became ready) tells whether the earlier try was committed.
    if (e.attempts > 0 && e.item.applied && e.item.applied()) {
      nothing_to_do.push_back(id);
      continue;
    }
    if (e.unknown_outcomes >= options_.max_attempts) {
      Error err = e.last_error.value_or(make_error("ovsdb", ovsdb::errc::kTryAgain, "too many attempts"));
      finish(id, err.with_context(options_.name + " transaction failed after " +
                                  std::to_string(e.attempts) + " attempts"));
      continue;
    }
    size_t before = txn.size();
    bool any = e.item.build(txn);
    if (!any || txn.size() == before) {
      nothing_to_do.push_back(id);
      continue;
    }
    if (e.attempts > 0) retries_.inc();
    ++e.attempts;
    e.sent = true;
    first_op.push_back(before);
    sent.push_back(id);
  }
  for (uint64_t id : nothing_to_do) finish(id, OpResults{});
  if (sent.empty()) return;

  batch_size_.observe(static_cast<double>(sent.size()));
  const size_t op_count = txn.size();
  const MonoTime sent_at = loop_.now();
  last_sent_ = sent_at;
  ++in_flight_;
  LOG_DEBUG("batch_sent", log::kv("db", options_.name), log::kv("items", sent.size()),
            log::kv("ops", op_count));
  // The token is known only once transact() returns; the callback runs later,
  // from the loop, so reading it there is safe.
  auto token_box = std::make_shared<uint64_t>(0);
  uint64_t token = session_.transact(
      std::move(txn),
      [this, sent, first_op, op_count, sent_at, token_box](ovsdb::TransactResult result) {
        tokens_.erase(*token_box);
        on_reply(sent, first_op, op_count, sent_at, std::move(result));
      });
  *token_box = token;
  tokens_.emplace(token, true);
}

void TxnBatcher::finish(uint64_t id, Result<OpResults> outcome) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto done = std::move(it->second.item.done);
  entries_.erase(it);
  if (done) done(std::move(outcome));
}

void TxnBatcher::requeue(std::vector<uint64_t> group) {
  std::vector<uint64_t> live;
  for (uint64_t id : group) {
    if (entries_.count(id) != 0) live.push_back(id);
  }
  if (!live.empty()) sealed_.push_back(std::move(live));
}

void TxnBatcher::on_reply(std::vector<uint64_t> ids, std::vector<size_t> first_op, size_t op_count,
                          MonoTime sent_at, ovsdb::TransactResult result) {
  --in_flight_;
  txn_seconds_.observe(to_seconds(loop_.now() - sent_at));
  (result.ok() ? txn_ok_ : txn_failed_).inc();
  std::string op_error;
  if (result.status == ovsdb::TxnStatus::kOpError) {
    if (auto f = result.result.failure()) op_error = f->error.error;
  }
  BatchJudgement j = judge_batch(first_op, op_count, result.status, result.failed_op, op_error);
  if (!result.ok()) {
    LOG_INFO("batch_failed", log::kv("db", options_.name), log::kv("items", ids.size()),
             log::kv("status", ovsdb::txn_status_name(result.status)), log::kv("error", result.error));
  }
  if (j.retry_groups.size() > 1) splits_.inc();
  Error error = make_error("ovsdb", ovsdb::errc::kOpFailed, result.error.message);
  if (result.status != ovsdb::TxnStatus::kOk) {
    error = make_error("ovsdb", result.error.code, result.error.message.empty()
                                                       ? std::string(ovsdb::txn_status_name(result.status))
                                                       : result.error.message);
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    auto it = entries_.find(ids[i]);
    if (it == entries_.end()) continue;  // cancelled while in flight
    switch (j.fates[i]) {
      case ItemFate::kCommitted: {
        size_t begin = first_op[i];
        size_t end = i + 1 < first_op.size() ? first_op[i + 1] : op_count;
        OpResults ops;
        for (size_t k = begin; k < end && k < result.result.ops.size(); ++k) ops.push_back(result.result.ops[k]);
        finish(ids[i], std::move(ops));
        break;
      }
      case ItemFate::kCheckApplied:
        if (it->second.item.applied && it->second.item.applied()) {
          finish(ids[i], OpResults{});
        } else {
          finish(ids[i], error);
        }
        break;
      case ItemFate::kFailed:
        finish(ids[i], error);
        break;
      case ItemFate::kRetry:
        it->second.last_error = error;
        if (result.status == ovsdb::TxnStatus::kTryAgain) ++it->second.unknown_outcomes;
        break;
    }
  }
  for (auto& group : j.retry_groups) {
    std::vector<uint64_t> g;
    for (size_t idx : group) g.push_back(ids[idx]);
    requeue(std::move(g));
  }
  schedule();
}

}  // namespace ovnk::agent
