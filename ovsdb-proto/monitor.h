// Monitors (RFC 7047 4.1.5 and the Open vSwitch extensions monitor_cond,
// monitor_cond_since, monitor_cond_change; ovsdb-server(7)): the request params,
// and the decoding of what comes back into TableUpdates that a Replica applies.
//
//   method              reply result                          notification
//   monitor             <table-updates>                       update  [id, <table-updates>]
//   monitor_cond        <table-updates2>                      update2 [id, <table-updates2>]
//   monitor_cond_since  [found, last-txn-id, <table-updates2>] update3 [id, last-txn-id,
//                                                                       <table-updates2>]
//
// <table-updates> (v1) rows carry "old" and/or "new" full rows. <table-updates2>
// rows carry exactly one of "initial", "insert", "delete" or "modify"; a "modify"
// holds, per changed column, a diff (see apply_datum_diff) rather than a value, and
// "initial"/"insert" rows omit the columns that hold their default value.
//
// Decoding needs the column types: a MonitorLayout resolves the monitored tables and
// columns against the database schema once, and gives every monitored column a slot
// (its position in a Replica row). Decoded updates refer to tables and columns by
// index and slot, never by name. Columns the schema has but the layout does not
// monitor are skipped; names the schema does not have are errors.
//
// Invariants: builders never fail (validation happens in MonitorLayout::create); a
// decoder returns either a complete TableUpdates or an error naming the table, row
// and column at fault, never a partial result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/json_value.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ovsdb {

namespace errc {
// Beyond json_value.h's codes: a table or column name the schema does not have.
inline constexpr int kUnknownName = 20;
// An update that does not fit the replica (modify/delete of a missing row, insert
// of an existing one): the replica and the server disagree, resynchronise.
inline constexpr int kInconsistent = 21;
}  // namespace errc

enum class MonitorMethod : uint8_t {
  kMonitor,           // RFC 7047: full rows, "update" notifications
  kMonitorCond,       // OVS 2.6: conditions, diffs, "update2"
  kMonitorCondSince,  // OVS 2.12: resumable from a transaction id, "update3"
};
// "monitor", "monitor_cond", "monitor_cond_since".
std::string_view monitor_method_name(MonitorMethod method);
// The notification a monitor of this method receives: "update", "update2", "update3".
std::string_view update_method_name(MonitorMethod method);

// The last-txn-id to send when there is none to resume from.
inline constexpr std::string_view kZeroTxnId = "00000000-0000-0000-0000-000000000000";

// The per-table requests are jsonrpc.h's MonitorRequest (table, columns, where,
// select) and conditions are transaction.h's Condition (Condition::always(b) for
// the bare booleans monitor_cond accepts). Monitor ids are raw JSON, as in
// jsonrpc.h (e.g. "\"nb\"" or "[\"monid\",\"OVN_Northbound\"]").

// The "params" of a monitor / monitor_cond / monitor_cond_since request:
//   [db, id, {table: [{"columns": [...], "where": [...], "select": {...}}]}, last-txn-id?]
// For plain monitor the "where" members are dropped (RFC 7047 has none); for
// monitor_cond_since a missing last_txn_id is sent as kZeroTxnId.
std::string monitor_params(MonitorMethod method, std::string_view db,
                           std::string_view monitor_id_json,
                           const std::vector<MonitorRequest>& requests,
                           const std::optional<Uuid>& last_txn_id = std::nullopt);

// monitor_cond_change: [id, new-id, {table: [{"where": [...]}]}]. An empty `where`
// is written as [] (every row). Tables not listed keep their conditions.
struct ConditionChange {
  std::string table;
  std::vector<Condition> where;
};
std::string monitor_cond_change_params(std::string_view monitor_id_json,
                                       std::string_view new_monitor_id_json,
                                       const std::vector<ConditionChange>& changes);

// ---- Layout --------------------------------------------------------------

// One monitored table resolved against its schema.
class MonitoredTable {
 public:
  const std::string& name() const { return request_.table; }
  const TableSchema& schema() const { return *schema_; }
  // The request for this table, with the column list made explicit.
  const MonitorRequest& request() const { return request_; }

  size_t column_count() const { return columns_.size(); }
  const ColumnSchema& column(uint32_t slot) const { return *columns_[slot]; }
  // The default datum of each slot (ColumnType::default_value).
  const Datum& default_value(uint32_t slot) const { return defaults_[slot]; }
  // The slot of a monitored column; nullopt when not monitored.
  std::optional<uint32_t> slot(std::string_view column_name) const;

  // The schema's indexes whose columns are all monitored, as slots.
  const std::vector<std::vector<uint32_t>>& indexes() const { return indexes_; }

 private:
  friend class MonitorLayout;
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  MonitorRequest request_;
  const TableSchema* schema_ = nullptr;
  std::vector<const ColumnSchema*> columns_;
  std::vector<Datum> defaults_;
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> slots_;
  std::vector<std::vector<uint32_t>> indexes_;
};

// The tables and columns a monitor (and the replica it feeds) covers. Owns a copy of
// the schema; cheap to move (pointers into it stay valid).
class MonitorLayout {
 public:
  // One request per table. An empty column list is replaced by every column of the
  // schema but _uuid and _version. Errors: unknown table or column, a table listed
  // twice, "_uuid" as a column, a condition on an unknown column.
  static Result<MonitorLayout> create(DatabaseSchema schema, std::vector<MonitorRequest> tables);

  MonitorLayout(MonitorLayout&&) noexcept;
  MonitorLayout& operator=(MonitorLayout&&) noexcept;
  ~MonitorLayout();

  const DatabaseSchema& schema() const;
  size_t table_count() const;
  const MonitoredTable& table(size_t index) const;
  std::optional<size_t> table_index(std::string_view name) const;
  const MonitoredTable* find_table(std::string_view name) const;

  // Replaces a table's conditions (what the next monitor_params() sends; the caller sends
  // monitor_cond_change to the server). Error: unknown table or column.
  Result<void> set_where(std::string_view table, std::optional<std::vector<Condition>> where);

  // The per-table requests, in layout order, columns explicit.
  std::vector<MonitorRequest> requests() const;
  // monitor_params() for this layout: database = the schema's name, every table.
  std::string monitor_params(MonitorMethod method, std::string_view monitor_id_json,
                             const std::optional<Uuid>& last_txn_id = std::nullopt) const;

 private:
  struct Impl;
  explicit MonitorLayout(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- Decoded updates -----------------------------------------------------

enum class RowUpdateKind : uint8_t {
  kInitial,  // update2 "initial": a full row (omitted columns hold their default)
  kInsert,   // update2 "insert", or v1 "new" without "old": a full row
  kModify,   // update2 "modify": each column carries a diff (apply_datum_diff)
  kReplace,  // v1 "old" and "new": each column carries its new value
  kDelete,   // update2 "delete", or v1 "old" without "new"
};
std::string_view row_update_kind_name(RowUpdateKind kind);

struct ColumnUpdate {
  uint32_t slot = 0;
  Datum value;  // the value, or for kModify the diff
};

struct RowUpdate {
  Uuid uuid;
  RowUpdateKind kind = RowUpdateKind::kInsert;
  std::vector<ColumnUpdate> columns;  // empty for kDelete
};

struct TableUpdate {
  uint32_t table = 0;  // MonitorLayout table index
  std::vector<RowUpdate> rows;
};

struct TableUpdates {
  std::vector<TableUpdate> tables;
  size_t row_count() const;
};

// The decoded reply of monitor_cond_since.
struct MonitorSinceReply {
  bool found = false;
  Uuid last_txn_id;
  TableUpdates updates;
};

// A decoded update/update2/update3 notification.
struct UpdateNotification {
  std::string monitor_id_json;      // the <json-value>, compact JSON ("\"id\"" for a string)
  std::optional<Uuid> last_txn_id;  // update3 only
  TableUpdates updates;
};

// The two wire formats of table updates.
enum class UpdateFormat : uint8_t {
  kUpdate,   // <table-updates>: {"old":..., "new":...}
  kUpdate2,  // <table-updates2>: {"initial"|"insert"|"delete"|"modify": ...}
};

// Decodes monitor replies and notifications for one layout. Holds a reusable
// simdjson parser (not copyable). The layout must outlive the decoder.
class UpdateDecoder {
 public:
  explicit UpdateDecoder(const MonitorLayout& layout);
  ~UpdateDecoder();
  UpdateDecoder(const UpdateDecoder&) = delete;
  UpdateDecoder& operator=(const UpdateDecoder&) = delete;

  // A <table-updates> or <table-updates2> object (a monitor or monitor_cond result).
  Result<TableUpdates> table_updates(PaddedView json, UpdateFormat format);
  // The result of monitor_cond_since: [found, last-txn-id, <table-updates2>].
  Result<MonitorSinceReply> since_reply(PaddedView json);
  // The params of an "update", "update2" or "update3" notification.
  Result<UpdateNotification> notification(std::string_view method, PaddedView params);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Applies an update2 diff to `old` (ovsdb_datum_apply_diff): for a column of at
// most one element the diff is the new value; for a set, the elements of the diff
// are toggled (symmetric difference); for a map, a diff key absent from old is
// added, present with the same value is removed, present with another value takes
// the diff's value. Error (kConstraint) when the result has fewer than type.min or
// more than type.max elements.
Result<Datum> apply_datum_diff(const Datum& old, const Datum& diff, const ColumnType& type);

}  // namespace ovnk::ovsdb
