// NbSnapshot: a plain, copyable picture of the NB rows ovnk-ctl reasons about.
//
// The planner and the reports read this instead of the session's Replica, so
// that they are pure and a unit test can write the rows it needs by hand (or
// take them from a real server: from_replica()). A table is a map from row
// uuid to the row's columns (every monitored column, defaults included when
// taken from a replica); iteration is in uuid order, so output built from a
// snapshot is deterministic.
//
// Invariant: a row's columns never include "_uuid" or "_version" (the uuid is
// the key). Tables that were not monitored read as empty.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/replica.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ctl {

inline constexpr std::string_view kNbDatabase = "OVN_Northbound";

struct SnapRow {
  ovsdb::Uuid uuid;
  ovsdb::RowData columns;

  // nullptr when the column is absent.
  const ovsdb::Datum* get(std::string_view column) const;
  // A string scalar column ("" when absent, empty or not a string).
  std::string str(std::string_view column) const;
  // The value of `key` in a string map column.
  std::optional<std::string> map_get(std::string_view column, std::string_view key) const;
  // Every uuid of a set-of-uuids column.
  std::vector<ovsdb::Uuid> uuids(std::string_view column) const;
  // Every string of a set-of-strings column.
  std::vector<std::string> strings(std::string_view column) const;
  // The string pairs of a map column.
  std::vector<std::pair<std::string, std::string>> string_map(std::string_view column) const;
};

class NbSnapshot {
 public:
  using Table = std::map<ovsdb::Uuid, SnapRow>;

  // Every monitored table and column of the replica.
  static NbSnapshot from_replica(const ovsdb::Replica& replica);

  // Adds or replaces a row.
  void put(std::string_view table, SnapRow row);
  bool erase(std::string_view table, const ovsdb::Uuid& uuid);

  const Table& rows(std::string_view table) const;
  const SnapRow* find(std::string_view table, const ovsdb::Uuid& uuid) const;
  SnapRow* find_mutable(std::string_view table, const ovsdb::Uuid& uuid);
  // Rows whose "name" column is `name` (root tables do not make names unique).
  std::vector<const SnapRow*> find_by_name(std::string_view table, std::string_view name) const;
  // Rows of `parent_table` whose `column` references `child`.
  std::vector<const SnapRow*> referrers(std::string_view parent_table, std::string_view column,
                                        const ovsdb::Uuid& child) const;
  const std::map<std::string, Table, std::less<>>& tables() const { return tables_; }
  size_t row_count() const;

 private:
  std::map<std::string, Table, std::less<>> tables_;
};

// The NB tables and columns ovnk-ctl monitors (everything its plans and
// reports read).
std::vector<ovsdb::MonitorRequest> ctl_monitor_requests();

}  // namespace ovnk::ctl
