#include "ovsdb-proto/replica.h"

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace ovnk::ovsdb {

namespace {

size_t mix(size_t h, size_t v) { return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); }

Error replica_error(int code, std::string message) { return make_error("ovsdb", code, message); }

std::string row_name(const ReplicaTable& table, const Uuid& uuid) {
  return table.name() + " row " + uuid.to_string();
}

}  // namespace

std::string_view row_event_name(RowEvent event) {
  switch (event) {
    case RowEvent::kInsert:
      return "insert";
    case RowEvent::kModify:
      return "modify";
    case RowEvent::kDelete:
      return "delete";
  }
  return "?";
}

// ---- ReplicaTable --------------------------------------------------------

size_t ReplicaTable::IndexHash::operator()(const Row* row) const {
  size_t h = 0;
  for (uint32_t slot : *slots) h = mix(h, (*row)[slot].hash());
  return h;
}

size_t ReplicaTable::IndexHash::operator()(const IndexKey& key) const {
  size_t h = 0;
  for (size_t i = 0; i < key.size; ++i) h = mix(h, key.values[i].hash());
  return h;
}

bool ReplicaTable::IndexEq::operator()(const Row* a, const Row* b) const noexcept {
  for (uint32_t slot : *slots) {
    if (!((*a)[slot] == (*b)[slot])) return false;
  }
  return true;
}

bool ReplicaTable::IndexEq::operator()(const IndexKey& a, const Row* b) const noexcept {
  for (size_t i = 0; i < a.size; ++i) {
    if (!(a.values[i] == (*b)[(*slots)[i]])) return false;
  }
  return true;
}

bool ReplicaTable::IndexEq::operator()(const Row* a, const IndexKey& b) const noexcept {
  return (*this)(b, a);
}

ReplicaTable::Index::Index(std::vector<uint32_t> s)
    : slots(std::move(s)), rows(16, IndexHash{&slots}, IndexEq{&slots}) {}

ReplicaTable::ReplicaTable(const MonitoredTable& layout)
    : layout_(&layout), indexed_slots_(layout.column_count(), false) {
  for (const std::vector<uint32_t>& slots : layout.indexes()) {
    auto index = std::make_unique<Index>(slots);
    for (uint32_t slot : index->slots) {
      index->names.push_back(layout.column(slot).name);
      indexed_slots_[slot] = true;
    }
    indexes_.push_back(std::move(index));
  }
}

bool ReplicaTable::indexed(const std::vector<ColumnUpdate>& changes) const {
  for (const ColumnUpdate& c : changes) {
    if (indexed_slots_[c.slot]) return true;
  }
  return false;
}

void ReplicaTable::index_add(const Row* row) {
  for (auto& index : indexes_) index->rows.insert(row);
}

void ReplicaTable::index_remove(const Row* row) {
  for (auto& index : indexes_) {
    auto [first, last] = index->rows.equal_range(row);
    for (auto it = first; it != last; ++it) {
      if (*it == row) {
        index->rows.erase(it);
        break;
      }
    }
  }
}

const Datum* ReplicaTable::get(const Row& row, std::string_view column) const {
  auto slot = layout_->slot(column);
  return slot ? &row[*slot] : nullptr;
}

const Row* ReplicaTable::find(const Uuid& uuid) const {
  auto it = rows_.find(uuid);
  return it == rows_.end() ? nullptr : &it->second;
}

const Row* ReplicaTable::find_by_index(const std::vector<std::string_view>& columns,
                                       const std::vector<Datum>& key) const {
  if (columns.size() != key.size()) return nullptr;
  for (const auto& index : indexes_) {
    if (!std::equal(index->names.begin(), index->names.end(), columns.begin(), columns.end())) {
      continue;
    }
    auto it = index->rows.find(IndexKey{key.data(), key.size()});
    return it == index->rows.end() ? nullptr : *it;
  }
  return nullptr;
}

const ReplicaTable::Index* ReplicaTable::one_column_index(std::string_view column) const {
  for (const auto& index : indexes_) {
    if (index->names.size() == 1 && index->names[0] == column) return index.get();
  }
  return nullptr;
}

const Row* ReplicaTable::find_by(std::string_view column, const Datum& value) const {
  const Index* index = one_column_index(column);
  if (index == nullptr) return nullptr;
  auto it = index->rows.find(IndexKey{&value, 1});
  return it == index->rows.end() ? nullptr : *it;
}

const Row* ReplicaTable::find_by_string(std::string_view column, std::string_view value) const {
  return find_by(column, Datum::string(std::string(value)));
}

size_t ReplicaTable::count_by(std::string_view column, const Datum& value) const {
  const Index* index = one_column_index(column);
  return index == nullptr ? 0 : index->rows.count(IndexKey{&value, 1});
}

// ---- Replica -------------------------------------------------------------

// One prepared change. Prepared changes are computed from the current contents
// without touching them; commit() then installs all of them.
struct Replica::Pending {
  ReplicaTable* table = nullptr;
  RowEvent event = RowEvent::kInsert;
  ReplicaTable::RowMap::iterator existing;  // kModify, kDelete: the current row
  Row row;                                  // kInsert: the new row
  // kModify: the new datum of each changed slot; after commit, the old one.
  std::vector<ColumnUpdate> changes;
  ReplicaTable::RowMap::node_type removed;  // kDelete, after commit: the row taken out
  Row old_version;                          // kModify, when someone watches
  const Row* installed = nullptr;           // after commit
};

Replica::Replica(MonitorLayout layout)
    : layout_(std::move(layout)), decoder_(std::make_unique<UpdateDecoder>(layout_)) {
  tables_.reserve(layout_.table_count());
  for (size_t i = 0; i < layout_.table_count(); ++i) {
    tables_.push_back(std::unique_ptr<ReplicaTable>(new ReplicaTable(layout_.table(i))));
  }
}

Replica::~Replica() = default;

Result<std::unique_ptr<Replica>> Replica::create(DatabaseSchema schema,
                                                 std::vector<MonitorRequest> tables) {
  OVNK_ASSIGN_OR_RETURN(MonitorLayout layout,
                        MonitorLayout::create(std::move(schema), std::move(tables)));
  return std::make_unique<Replica>(std::move(layout));
}

std::string Replica::monitor_params(MonitorMethod method, std::string_view monitor_id_json) const {
  return layout_.monitor_params(method, monitor_id_json, last_txn_id_);
}

Result<void> Replica::set_where(std::string_view table,
                                std::optional<std::vector<Condition>> where) {
  return layout_.set_where(table, std::move(where));
}

const ReplicaTable* Replica::table(std::string_view name) const {
  auto index = layout_.table_index(name);
  return index ? tables_[*index].get() : nullptr;
}

Result<void> Replica::reject(Error error) {
  pending_.clear();  // prepared changes are dropped: nothing was installed
  keys_.clear();
  ++stats_.updates_rejected;
  last_txn_id_.reset();  // a lost update: resuming after this txn would skip it
  return error;
}

Result<Row> Replica::full_row(const MonitoredTable& layout, RowUpdate& update) {
  Row row;
  row.uuid_ = update.uuid;
  const size_t n = layout.column_count();
  row.columns_.resize(n);
  scratch_.assign(n, 0);
  for (ColumnUpdate& c : update.columns) {
    if (c.slot >= n) return replica_error(errc::kSyntax, "column slot out of range");
    row.columns_[c.slot] = std::move(c.value);
    scratch_[c.slot] = 1;
  }
  // Omitted columns hold their default (update2 leaves them out on purpose).
  for (uint32_t slot = 0; slot < n; ++slot) {
    if (scratch_[slot] == 0) row.columns_[slot] = layout.default_value(slot);
  }
  return row;
}

namespace {

// Sorted, then any uuid listed twice: an update that names a row twice is
// malformed (and applying both would corrupt the prepared changes).
const std::pair<uint32_t, Uuid>* first_duplicate(std::vector<std::pair<uint32_t, Uuid>>& keys) {
  std::sort(keys.begin(), keys.end());
  auto it = std::adjacent_find(keys.begin(), keys.end());
  return it == keys.end() ? nullptr : &*it;
}

}  // namespace

Result<void> Replica::apply_updates(TableUpdates updates) {
  if (dispatching_ > 0) {
    return replica_error(errc::kInconsistent, "replica fed from its own change callback");
  }
  std::vector<std::pair<uint32_t, Uuid>>& keys = keys_;
  keys.clear();
  for (const TableUpdate& tu : updates.tables) {
    if (tu.table >= tables_.size())
      return reject(replica_error(errc::kSyntax, "table out of range"));
    for (const RowUpdate& ru : tu.rows) keys.emplace_back(tu.table, ru.uuid);
  }
  if (const auto* dup = first_duplicate(keys)) {
    return reject(replica_error(errc::kSyntax, row_name(*tables_[dup->first], dup->second) +
                                                   ": updated twice in one update"));
  }

  std::vector<Pending>& pending = pending_;
  pending.clear();
  for (TableUpdate& tu : updates.tables) {
    ReplicaTable& t = *tables_[tu.table];
    const MonitoredTable& layout = t.layout();
    for (RowUpdate& ru : tu.rows) {
      auto existing = t.rows_.find(ru.uuid);
      const bool exists = existing != t.rows_.end();
      switch (ru.kind) {
        case RowUpdateKind::kInitial:
        case RowUpdateKind::kInsert: {
          if (exists) {
            return reject(replica_error(errc::kInconsistent,
                                        row_name(t, ru.uuid) + ": insert of a row that exists"));
          }
          auto row = full_row(layout, ru);
          if (!row.ok()) return reject(std::move(row).error());
          Pending p;
          p.table = &t;
          p.event = RowEvent::kInsert;
          p.row = std::move(row).value();
          pending.push_back(std::move(p));
          break;
        }
        case RowUpdateKind::kModify:
        case RowUpdateKind::kReplace: {
          if (!exists) {
            return reject(
                replica_error(errc::kInconsistent, row_name(t, ru.uuid) + ": " +
                                                       std::string(row_update_kind_name(ru.kind)) +
                                                       " of a missing row"));
          }
          const Row& old = existing->second;
          Pending p;
          for (ColumnUpdate& c : ru.columns) {
            if (c.slot >= old.columns_.size()) {
              return reject(replica_error(errc::kSyntax, "column slot out of range"));
            }
            if (ru.kind == RowUpdateKind::kModify) {
              auto applied = apply_datum_diff(old[c.slot], c.value, layout.column(c.slot).type);
              if (!applied.ok()) {
                return reject(std::move(applied).error().with_context(
                    row_name(t, ru.uuid) + " column " + layout.column(c.slot).name));
              }
              c.value = std::move(applied).value();
            }
            if (c.value == old[c.slot]) continue;  // not a change
            // A column named twice in one row: the last value wins (as in OVS).
            auto same = std::find_if(p.changes.begin(), p.changes.end(),
                                     [&](const ColumnUpdate& u) { return u.slot == c.slot; });
            if (same != p.changes.end()) {
              same->value = std::move(c.value);
            } else {
              p.changes.push_back(std::move(c));
            }
          }
          if (p.changes.empty()) break;  // nothing to install or report
          p.table = &t;
          p.event = RowEvent::kModify;
          p.existing = existing;
          pending.push_back(std::move(p));
          break;
        }
        case RowUpdateKind::kDelete: {
          if (!exists) {
            return reject(replica_error(errc::kInconsistent,
                                        row_name(t, ru.uuid) + ": delete of a missing row"));
          }
          Pending p;
          p.table = &t;
          p.event = RowEvent::kDelete;
          p.existing = existing;
          pending.push_back(std::move(p));
          break;
        }
      }
    }
  }
  commit(pending);
  ++stats_.updates_applied;
  return {};
}

Result<void> Replica::apply_snapshot(TableUpdates updates) {
  if (dispatching_ > 0) {
    return replica_error(errc::kInconsistent, "replica fed from its own change callback");
  }
  // The snapshot's rows, grouped by table (a table may be absent: it is empty).
  std::vector<std::vector<RowUpdate*>> by_table(tables_.size());
  std::vector<std::pair<uint32_t, Uuid>>& keys = keys_;
  keys.clear();
  for (TableUpdate& tu : updates.tables) {
    if (tu.table >= tables_.size())
      return reject(replica_error(errc::kSyntax, "table out of range"));
    for (RowUpdate& ru : tu.rows) {
      by_table[tu.table].push_back(&ru);
      keys.emplace_back(tu.table, ru.uuid);
    }
  }
  if (const auto* dup = first_duplicate(keys)) {
    return reject(replica_error(
        errc::kSyntax, row_name(*tables_[dup->first], dup->second) + ": twice in one snapshot"));
  }

  std::vector<Pending>& pending = pending_;
  pending.clear();
  for (uint32_t ti = 0; ti < tables_.size(); ++ti) {
    ReplicaTable& t = *tables_[ti];
    const MonitoredTable& layout = t.layout();
    for (RowUpdate* ru : by_table[ti]) {
      if (ru->kind != RowUpdateKind::kInitial && ru->kind != RowUpdateKind::kInsert) {
        return reject(replica_error(errc::kSyntax, row_name(t, ru->uuid) + ": a snapshot holds " +
                                                       std::string(row_update_kind_name(ru->kind)) +
                                                       ", expected initial rows only"));
      }
      auto row = full_row(layout, *ru);
      if (!row.ok()) return reject(std::move(row).error());
      auto existing = t.rows_.find(ru->uuid);
      Pending p;
      p.table = &t;
      if (existing == t.rows_.end()) {
        p.event = RowEvent::kInsert;
        p.row = std::move(row).value();
      } else {
        const Row& old = existing->second;
        for (uint32_t slot = 0; slot < old.columns_.size(); ++slot) {
          if (!(old.columns_[slot] == row->columns_[slot])) {
            p.changes.push_back(ColumnUpdate{slot, std::move(row->columns_[slot])});
          }
        }
        if (p.changes.empty()) continue;  // unchanged: nothing to report
        p.event = RowEvent::kModify;
        p.existing = existing;
      }
      pending.push_back(std::move(p));
    }
    // Rows the snapshot does not have are gone. `keys` is sorted by (table, uuid).
    auto first = std::lower_bound(keys.begin(), keys.end(), std::make_pair(ti, Uuid{}));
    auto last = std::lower_bound(keys.begin(), keys.end(), std::make_pair(ti + 1, Uuid{}));
    for (auto it = t.rows_.begin(); it != t.rows_.end(); ++it) {
      if (std::binary_search(first, last, std::make_pair(ti, it->first))) continue;
      Pending p;
      p.table = &t;
      p.event = RowEvent::kDelete;
      p.existing = it;
      pending.push_back(std::move(p));
    }
  }
  commit(pending);
  ++stats_.snapshots;
  ++stats_.updates_applied;
  return {};
}

void Replica::commit(std::vector<Pending>& pending) {
  // Indexes first lose every old version that moves, so that a rename chain inside
  // one update (a -> b, b -> c) never sees two rows under one key.
  for (Pending& p : pending) {
    if (p.event == RowEvent::kDelete ||
        (p.event == RowEvent::kModify && p.table->indexed(p.changes))) {
      p.table->index_remove(&p.existing->second);
    }
  }
  // Modifies and deletes before inserts: inserts may rehash and invalidate the
  // iterators the others hold.
  for (Pending& p : pending) {
    if (p.event == RowEvent::kModify) {
      Row& row = p.existing->second;
      for (ColumnUpdate& c : p.changes) std::swap(row.columns_[c.slot], c.value);
      if (!p.table->watchers_.empty()) {  // the old version, only for someone to see
        p.old_version = row;
        for (ColumnUpdate& c : p.changes) p.old_version.columns_[c.slot] = std::move(c.value);
      }
      p.installed = &row;
      ++stats_.rows_modified;
    } else if (p.event == RowEvent::kDelete) {
      p.removed = p.table->rows_.extract(p.existing);
      ++stats_.rows_deleted;
    }
  }
  for (Pending& p : pending) {
    if (p.event != RowEvent::kInsert) continue;
    const Uuid uuid = p.row.uuid_;
    auto it = p.table->rows_.emplace(uuid, std::move(p.row)).first;
    p.installed = &it->second;
    ++stats_.rows_inserted;
  }
  for (Pending& p : pending) {
    if (p.event == RowEvent::kInsert ||
        (p.event == RowEvent::kModify && p.table->indexed(p.changes))) {
      p.table->index_add(p.installed);
    }
  }

  // Callbacks, in update order, once everything is in place. Watchers added by a
  // callback start with the next update.
  const uint64_t watch_limit = next_watch_id_;
  ++dispatching_;
  for (Pending& p : pending) {
    ReplicaTable& t = *p.table;
    if (t.watchers_.empty()) continue;
    const Row* old_row = nullptr;
    if (p.event == RowEvent::kModify) old_row = &p.old_version;
    if (p.event == RowEvent::kDelete) old_row = &p.removed.mapped();
    RowChange change{t, p.event, old_row, p.event == RowEvent::kDelete ? nullptr : p.installed};
    for (size_t i = 0; i < t.watchers_.size(); ++i) {
      ReplicaTable::Watcher* w = t.watchers_[i].get();
      if (w->alive && w->id < watch_limit) w->fn(change);
    }
  }
  --dispatching_;
  // Old versions go now; the buffers stay for the next update unless a snapshot
  // made them big.
  constexpr size_t kKeepCapacity = 4096;
  pending.clear();
  keys_.clear();
  if (pending.capacity() > kKeepCapacity) std::vector<Pending>().swap(pending);
  if (keys_.capacity() > kKeepCapacity) std::vector<std::pair<uint32_t, Uuid>>().swap(keys_);
  if (dispatching_ == 0 && watchers_dirty_) {
    watchers_dirty_ = false;
    for (auto& t : tables_) {
      std::erase_if(t->watchers_, [](const auto& w) { return !w->alive; });
    }
  }
}

Result<void> Replica::apply_monitor_reply(MonitorMethod method, PaddedView result) {
  if (dispatching_ > 0) {
    return replica_error(errc::kInconsistent, "replica fed from its own change callback");
  }
  switch (method) {
    case MonitorMethod::kMonitor:
    case MonitorMethod::kMonitorCond: {
      auto updates = decoder_->table_updates(result, method == MonitorMethod::kMonitor
                                                         ? UpdateFormat::kUpdate
                                                         : UpdateFormat::kUpdate2);
      if (!updates.ok()) return reject(std::move(updates).error());
      OVNK_TRY(apply_snapshot(std::move(updates).value()));
      last_txn_id_.reset();  // these methods carry no txn id
      return {};
    }
    case MonitorMethod::kMonitorCondSince: {
      auto reply = decoder_->since_reply(result);
      if (!reply.ok()) return reject(std::move(reply).error());
      if (reply->found) {
        OVNK_TRY(apply_updates(std::move(reply->updates)));
      } else {
        OVNK_TRY(apply_snapshot(std::move(reply->updates)));
      }
      last_txn_id_ = reply->last_txn_id;
      return {};
    }
  }
  return replica_error(errc::kSyntax, "unknown monitor method");
}

Result<void> Replica::apply_notification(std::string_view method, PaddedView params) {
  if (dispatching_ > 0) {
    return replica_error(errc::kInconsistent, "replica fed from its own change callback");
  }
  auto notification = decoder_->notification(method, params);
  if (!notification.ok()) return reject(std::move(notification).error());
  OVNK_TRY(apply_updates(std::move(notification->updates)));
  if (notification->last_txn_id) last_txn_id_ = notification->last_txn_id;
  return {};
}

void Replica::clear() {
  if (dispatching_ > 0) std::abort();  // a broken invariant: documented as forbidden
  std::vector<Pending> pending;
  for (auto& t : tables_) {
    for (auto it = t->rows_.begin(); it != t->rows_.end(); ++it) {
      Pending p;
      p.table = t.get();
      p.event = RowEvent::kDelete;
      p.existing = it;
      pending.push_back(std::move(p));
    }
  }
  commit(pending);
  last_txn_id_.reset();
}

Result<std::unique_ptr<ReplicaWatch>> Replica::watch(std::string_view table,
                                                     ChangeCallback callback) {
  auto index = layout_.table_index(table);
  if (!index) {
    return replica_error(errc::kUnknownName,
                         "watch of unmonitored table \"" + std::string(table) + "\"");
  }
  auto watcher = std::make_unique<ReplicaTable::Watcher>();
  watcher->id = next_watch_id_++;
  watcher->fn = std::move(callback);
  const uint64_t id = watcher->id;
  tables_[*index]->watchers_.push_back(std::move(watcher));
  return std::unique_ptr<ReplicaWatch>(new ReplicaWatch(this, *index, id));
}

void Replica::unwatch(size_t table, uint64_t id) {
  auto& watchers = tables_[table]->watchers_;
  for (auto it = watchers.begin(); it != watchers.end(); ++it) {
    if ((*it)->id != id) continue;
    if (dispatching_ > 0) {
      // The callback may be running right now: keep it alive until the dispatch ends.
      (*it)->alive = false;
      watchers_dirty_ = true;
    } else {
      watchers.erase(it);
    }
    return;
  }
}

ReplicaWatch::~ReplicaWatch() { replica_->unwatch(table_, id_); }

}  // namespace ovnk::ovsdb
