// ChangeSet: what one ovnk-ctl command changes in NB, as a list of row-level
// changes that can be (a) encoded as ONE OVSDB transaction, (b) applied to an
// NbSnapshot in memory (the unit tests check idempotency this way, and the
// real-server tests check that the server agrees), and (c) printed.
//
// Rules the encoding keeps (transaction.h, DESIGN.md):
//   - every insert carries an explicit uuid (a retry of a committed insert
//     fails with "duplicate uuid" instead of creating a second row) and a
//     uuid-name; references to a row inserted by the same change set are
//     written as that name and always come AFTER its insert (the planner
//     orders children before parents);
//   - non-root rows (ports, routes, NATs, gateway chassis) are inserted with
//     their parent's reference in the same transaction, and removed by
//     removing that reference (the server garbage-collects them);
//   - map columns the planner manages key by key are mutated (delete the keys,
//     insert the pairs), so keys others own (ovn-kubernetes', the daemon's
//     marks) are left alone;
//   - guards are `wait` operations with timeout 0 placed first: the
//     transaction fails as a whole when what the plan assumed absent (a row
//     name, an allocated subnet or join address) appeared meanwhile; the
//     caller then plans again from a fresh snapshot.
// Pure: no sockets, no clock.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"
#include "tools/ovnk-ctl/nb_snapshot.h"

namespace ovnk::ctl {

struct RowInsert {
  std::string table;
  ovsdb::Uuid uuid;
  ovsdb::ColumnValues columns;
  // Reference columns: uuids of existing rows or of rows inserted earlier in
  // the same change set.
  std::vector<std::pair<std::string, std::vector<ovsdb::Uuid>>> refs;
};

struct ColumnsSet {
  std::string table;
  ovsdb::Uuid uuid;
  ovsdb::ColumnValues columns;
};

struct MapKeysSet {
  std::string table;
  ovsdb::Uuid uuid;
  std::string column;
  std::vector<std::pair<std::string, std::string>> pairs;
};

struct RefChange {
  std::string table;  // the parent
  ovsdb::Uuid uuid;
  std::string column;
  ovsdb::Uuid child;
  bool add = true;  // false: remove the reference
};

struct RowDelete {
  std::string table;  // a root table
  ovsdb::Uuid uuid;
};

// Commit only if no row of `table` matches `where` (checked at commit time).
struct Guard {
  std::string table;
  std::vector<ovsdb::Condition> where;
};

using Change = std::variant<RowInsert, ColumnsSet, MapKeysSet, RefChange, RowDelete>;

struct ChangeSet {
  std::vector<Guard> guards;
  std::vector<Change> changes;
  // One line per change for humans ("+ Logical_Switch node1", ...), in order.
  std::vector<std::string> lines;

  bool empty() const { return changes.empty(); }
  void add(Change change, std::string line) {
    changes.push_back(std::move(change));
    lines.push_back(std::move(line));
  }
  // The transaction: the guards are its first guards.size() operations (a
  // failure there means "NB changed, plan again"); `comment` names the command.
  ovsdb::TransactionBuilder to_transaction(std::string_view comment) const;
};

// "r" + the uuid's hex digits: a uuid-name (an OVSDB <id>) for a new row.
std::string row_name(const ovsdb::Uuid& uuid);

// What the server would do with `changes`, including garbage collection of
// non-root rows (Logical_Switch_Port, Logical_Router_Port, Gateway_Chassis,
// Logical_Router_Static_Route, NAT) that no row references any more.
// Errors: a change that addresses a row the snapshot does not have.
Result<void> apply_changes(NbSnapshot& snapshot, const ChangeSet& changes);

// Whether rows of `table` are garbage-collected when unreferenced.
bool is_non_root(std::string_view table);

}  // namespace ovnk::ctl
