// Replica: the in-memory copy of the monitored part of one OVSDB database, kept up
// to date from monitor replies and update/update2/update3 notifications.
//
// Rows are keyed by _uuid (hash map, O(1)); a row holds its monitored columns as a
// vector<Datum> indexed by slot (MonitoredTable::slot), so a row costs what it
// holds and a column read is an index. The schema's indexes whose columns are all
// monitored (Logical_Switch_Port "name", Bridge/Port/Interface "name", ...) are kept
// as hash indexes, also O(1).
//
// Callers register change callbacks per table (watch()): each row inserted,
// modified (with old and new) or deleted is reported once, after the whole update
// has been applied, so a callback sees a consistent replica (the switch inserted in
// the same transaction as its port is already there). A "modify" whose values did
// not actually change is not reported.
//
// Atomicity: an update is applied entirely or not at all. It is decoded and checked
// against the current contents first (unknown table or column, bad uuid, wrong
// types, insert of an existing row, modify/delete of a missing row, a diff that
// breaks the column's size bounds); on any error the replica is left exactly as it
// was, no callback runs, and last_txn_id() is cleared, because the replica no longer
// follows the server: the caller must resynchronise (monitor again; with no txn id
// the server sends a full snapshot).
//
// Snapshots (a monitor/monitor_cond reply, or monitor_cond_since with found=false)
// replace the contents of every monitored table; the replica computes the
// difference, so callbacks see inserts, modifies and deletes of what really changed,
// not a wipe and a refill.
//
// Single thread. Callbacks may read the replica but must not feed it (apply_* from
// a callback is an error). Watches are handles: destroying one unregisters it, even
// from inside a callback; the replica must outlive its watches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/json_value.h"
#include "ovsdb-proto/monitor.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ovsdb {

class Row {
 public:
  const Uuid& uuid() const { return uuid_; }
  // The column in `slot` (see ReplicaTable::slot).
  const Datum& operator[](uint32_t slot) const { return columns_[slot]; }
  const std::vector<Datum>& columns() const { return columns_; }

 private:
  friend class Replica;
  friend class ReplicaTable;
  Uuid uuid_;
  std::vector<Datum> columns_;
};

enum class RowEvent : uint8_t { kInsert, kModify, kDelete };
std::string_view row_event_name(RowEvent event);

class ReplicaTable;

struct RowChange {
  const ReplicaTable& table;
  RowEvent event;
  const Row* old_row;  // kModify, kDelete
  const Row* new_row;  // kInsert, kModify (the row now in the table)
};
using ChangeCallback = std::function<void(const RowChange&)>;

class Replica;

// Returned by Replica::watch(); destroying it unregisters the callback.
class ReplicaWatch {
 public:
  ~ReplicaWatch();
  ReplicaWatch(const ReplicaWatch&) = delete;
  ReplicaWatch& operator=(const ReplicaWatch&) = delete;

 private:
  friend class Replica;
  ReplicaWatch(Replica* replica, size_t table, uint64_t id)
      : replica_(replica), table_(table), id_(id) {}
  Replica* replica_;
  size_t table_;
  uint64_t id_;
};

class ReplicaTable {
 public:
  // Rows live in the map's nodes: node-based, so a Row never moves while it is in
  // the table (indexes and callbacks hold plain pointers) and a modify swaps the
  // changed columns in place.
  using RowMap = std::unordered_map<Uuid, Row, UuidHash>;

  const MonitoredTable& layout() const { return *layout_; }
  const std::string& name() const { return layout_->name(); }
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }

  std::optional<uint32_t> slot(std::string_view column) const { return layout_->slot(column); }
  // A row's column by name; nullptr when the column is not monitored.
  const Datum* get(const Row& row, std::string_view column) const;

  const Row* find(const Uuid& uuid) const;
  // Look-up through an index of the schema: `columns` names the index (in the
  // schema's order), `key` gives one datum per column. nullptr when no row matches
  // or no such index is kept.
  const Row* find_by_index(const std::vector<std::string_view>& columns,
                           const std::vector<Datum>& key) const;
  // The common case: a one-column index (e.g. "name").
  const Row* find_by(std::string_view column, const Datum& value) const;
  // Shorthand for a string column: find_by(column, Datum::string(value)).
  const Row* find_by_string(std::string_view column, std::string_view value) const;
  // How many rows a one-column index holds under `value` (more than one only
  // when a peer broke the schema's uniqueness); 0 when no such index is kept.
  size_t count_by(std::string_view column, const Datum& value) const;

  // Iteration over the rows, in no particular order.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = const Row*;
    using reference = const Row&;
    Iterator() = default;
    explicit Iterator(RowMap::const_iterator it) : it_(it) {}
    const Row& operator*() const { return it_->second; }
    const Row* operator->() const { return &it_->second; }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator copy = *this;
      ++it_;
      return copy;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.it_ == b.it_; }

   private:
    RowMap::const_iterator it_;
  };
  Iterator begin() const { return Iterator(rows_.begin()); }
  Iterator end() const { return Iterator(rows_.end()); }

 private:
  friend class Replica;

  // A hash index over some slots of the rows. A multiset: the server keeps the
  // index unique, but a replica must not crash when a buggy peer does not.
  struct IndexKey {
    const Datum* values;
    size_t size;
  };
  // Deliberately not noexcept: libstdc++ then stores each element's hash in its
  // node, so a probe compares hashes before touching a row (rows are cold in
  // cache; this made look-ups in 100k rows several times faster).
  struct IndexHash {
    using is_transparent = void;
    const std::vector<uint32_t>* slots;
    size_t operator()(const Row* row) const;
    size_t operator()(const IndexKey& key) const;
  };
  struct IndexEq {
    using is_transparent = void;
    const std::vector<uint32_t>* slots;
    bool operator()(const Row* a, const Row* b) const noexcept;
    bool operator()(const IndexKey& a, const Row* b) const noexcept;
    bool operator()(const Row* a, const IndexKey& b) const noexcept;
  };
  struct Index {
    std::vector<uint32_t> slots;
    std::vector<std::string> names;
    std::unordered_multiset<const Row*, IndexHash, IndexEq> rows;
    explicit Index(std::vector<uint32_t> s);
  };

  struct Watcher {
    uint64_t id;
    ChangeCallback fn;
    bool alive = true;
  };

  explicit ReplicaTable(const MonitoredTable& layout);
  const Index* one_column_index(std::string_view column) const;  // nullptr: none kept
  void index_add(const Row* row);
  void index_remove(const Row* row);
  // Whether a change of these slots moves the row in some index.
  bool indexed(const std::vector<ColumnUpdate>& changes) const;

  const MonitoredTable* layout_;
  RowMap rows_;
  // unique_ptr: an Index holds pointers to its own slots (IndexHash/IndexEq).
  std::vector<std::unique_ptr<Index>> indexes_;
  // unique_ptr: entries stay put while a callback registers another watcher.
  std::vector<std::unique_ptr<Watcher>> watchers_;
  std::vector<bool> indexed_slots_;
};

struct ReplicaStats {
  uint64_t updates_applied = 0;
  uint64_t updates_rejected = 0;
  uint64_t snapshots = 0;
  uint64_t rows_inserted = 0;
  uint64_t rows_modified = 0;
  uint64_t rows_deleted = 0;
};

class Replica {
 public:
  explicit Replica(MonitorLayout layout);
  // Convenience: MonitorLayout::create then the replica.
  static Result<std::unique_ptr<Replica>> create(DatabaseSchema schema,
                                                 std::vector<MonitorRequest> tables);
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  const MonitorLayout& layout() const { return layout_; }
  const DatabaseSchema& schema() const { return layout_.schema(); }

  // The params of the monitor request for this replica; monitor_cond_since resumes
  // from last_txn_id() when there is one.
  std::string monitor_params(MonitorMethod method, std::string_view monitor_id_json) const;
  // Changes a table's conditions for future requests (see MonitorLayout::set_where).
  Result<void> set_where(std::string_view table, std::optional<std::vector<Condition>> where);

  // ---- Feeding ----
  // The result of the monitor request sent with `method`: a snapshot for monitor and
  // monitor_cond; for monitor_cond_since a delta when found, else a snapshot; then
  // the txn id is recorded.
  Result<void> apply_monitor_reply(MonitorMethod method, PaddedView result);
  // The params of an update/update2/update3 notification (the caller has checked
  // that the monitor id is this replica's). update3 records the txn id.
  Result<void> apply_notification(std::string_view method, PaddedView params);

  // Decoded forms (the decoders above end here).
  Result<void> apply_snapshot(TableUpdates updates);
  Result<void> apply_updates(TableUpdates updates);
  void set_last_txn_id(std::optional<Uuid> txn) { last_txn_id_ = txn; }
  const std::optional<Uuid>& last_txn_id() const { return last_txn_id_; }

  // Empties every table, reporting the deletes, and forgets the txn id. Never from
  // a change callback (that aborts: it would free the rows being reported).
  void clear();

  // ---- Reading ----
  size_t table_count() const { return tables_.size(); }
  const ReplicaTable& table(size_t index) const { return *tables_[index]; }
  // nullptr when the table is not monitored.
  const ReplicaTable* table(std::string_view name) const;
  const ReplicaStats& stats() const { return stats_; }

  // ---- Callbacks ----
  // Reports every change of `table` until the handle is destroyed. Error: the table
  // is not monitored.
  Result<std::unique_ptr<ReplicaWatch>> watch(std::string_view table, ChangeCallback callback);

 private:
  friend class ReplicaWatch;
  struct Pending;
  void unwatch(size_t table, uint64_t id);
  Result<void> reject(Error error);
  // Installs prepared changes and runs the callbacks.
  void commit(std::vector<Pending>& pending);
  // A complete row from an initial/insert update; omitted columns get defaults.
  Result<Row> full_row(const MonitoredTable& layout, RowUpdate& update);

  MonitorLayout layout_;
  std::unique_ptr<UpdateDecoder> decoder_;
  std::vector<std::unique_ptr<ReplicaTable>> tables_;
  std::optional<Uuid> last_txn_id_;
  ReplicaStats stats_;
  uint64_t next_watch_id_ = 1;
  int dispatching_ = 0;  // > 0 while callbacks run
  bool watchers_dirty_ = false;
  std::vector<uint8_t> scratch_;  // full_row(): which slots the update gave
  // Reused from update to update: with glibc, allocating them afresh for every
  // notification cost more than applying it (mmap and consolidation of big blocks).
  std::vector<Pending> pending_;
  std::vector<std::pair<uint32_t, Uuid>> keys_;
};

}  // namespace ovnk::ovsdb
