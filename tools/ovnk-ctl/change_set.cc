#include "tools/ovnk-ctl/change_set.h"

#include <cerrno>
#include <set>
#include <unordered_set>

namespace ovnk::ctl {

using ovsdb::Atom;
using ovsdb::Condition;
using ovsdb::Datum;
using ovsdb::Mutation;
using ovsdb::Mutator;

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

Error missing_row(std::string_view table, const ovsdb::Uuid& uuid) {
  return make_error("ctl", ENOENT, std::string(table) + " row " + uuid.to_string() + " is not in the snapshot");
}

void set_map_pairs(Datum& d, const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::pair<Atom, Atom>> merged;
  if (d.is_map()) {
    for (size_t i = 0; i < d.size(); ++i) merged.emplace_back(d.keys()[i], d.values()[i]);
  }
  // Datum::map keeps the value given last for a repeated key.
  for (const auto& [k, v] : pairs) merged.emplace_back(Atom::string(k), Atom::string(v));
  d = Datum::map(std::move(merged));
}

}  // namespace

std::string row_name(const ovsdb::Uuid& uuid) {
  std::string text = uuid.to_string();
  std::string out = "r";
  for (char c : text) {
    if (c != '-') out.push_back(c);
  }
  return out;
}

bool is_non_root(std::string_view table) {
  return table == "Logical_Switch_Port" || table == "Logical_Router_Port" || table == "Gateway_Chassis" ||
         table == "Logical_Router_Static_Route" || table == "NAT" || table == "Logical_Router_Policy";
}

ovsdb::TransactionBuilder ChangeSet::to_transaction(std::string_view comment) const {
  ovsdb::TransactionBuilder txn{std::string(kNbDatabase)};
  for (const Guard& g : guards) {
    txn.wait(g.table, g.where, {"_uuid"}, ovsdb::WaitUntil::kEqual, {}, 0);
  }
  std::set<ovsdb::Uuid> inserted;
  auto ref_atom = [&](const ovsdb::Uuid& u) {
    return inserted.count(u) != 0 ? Atom::named_uuid(row_name(u)) : Atom::uuid(u);
  };
  for (const Change& change : changes) {
    std::visit(Overloaded{
                   [&](const RowInsert& c) {
                     ovsdb::ColumnValues row = c.columns;
                     for (const auto& [column, uuids] : c.refs) {
                       std::vector<Atom> atoms;
                       for (const ovsdb::Uuid& u : uuids) atoms.push_back(ref_atom(u));
                       row.emplace_back(column, Datum::set(std::move(atoms)));
                     }
                     txn.insert(c.table, row, ovsdb::InsertOptions{row_name(c.uuid), c.uuid});
                     inserted.insert(c.uuid);
                   },
                   [&](const ColumnsSet& c) { txn.update(c.table, {Condition::uuid_is(c.uuid)}, c.columns); },
                   [&](const MapKeysSet& c) {
                     std::vector<std::string> keys;
                     for (const auto& [k, v] : c.pairs) keys.push_back(k);
                     txn.mutate(c.table, {Condition::uuid_is(c.uuid)},
                                {Mutation{c.column, Mutator::kDelete, Datum::string_set(keys)},
                                 Mutation{c.column, Mutator::kInsert, Datum::string_map(c.pairs)}});
                   },
                   [&](const RefChange& c) {
                     txn.mutate(c.table, {Condition::uuid_is(c.uuid)},
                                {Mutation{c.column, c.add ? Mutator::kInsert : Mutator::kDelete,
                                          Datum::set({ref_atom(c.child)})}});
                   },
                   [&](const RowDelete& c) { txn.delete_rows(c.table, {Condition::uuid_is(c.uuid)}); },
               },
               change);
  }
  if (!comment.empty()) txn.comment(comment);
  return txn;
}

Result<void> apply_changes(NbSnapshot& snapshot, const ChangeSet& changes) {
  for (const Change& change : changes.changes) {
    Result<void> r = std::visit(
        Overloaded{
            [&](const RowInsert& c) -> Result<void> {
              if (snapshot.find(c.table, c.uuid) != nullptr) {
                return make_error("ctl", EEXIST, "duplicate uuid " + c.uuid.to_string() + " in " + c.table);
              }
              SnapRow row;
              row.uuid = c.uuid;
              for (const auto& [column, value] : c.columns) row.columns.insert_or_assign(column, value);
              for (const auto& [column, uuids] : c.refs) row.columns.insert_or_assign(column, Datum::uuid_set(uuids));
              snapshot.put(c.table, std::move(row));
              return ok_result();
            },
            [&](const ColumnsSet& c) -> Result<void> {
              SnapRow* row = snapshot.find_mutable(c.table, c.uuid);
              if (row == nullptr) return missing_row(c.table, c.uuid);
              for (const auto& [column, value] : c.columns) row->columns.insert_or_assign(column, value);
              return ok_result();
            },
            [&](const MapKeysSet& c) -> Result<void> {
              SnapRow* row = snapshot.find_mutable(c.table, c.uuid);
              if (row == nullptr) return missing_row(c.table, c.uuid);
              Datum& d = row->columns[c.column];
              set_map_pairs(d, c.pairs);
              return ok_result();
            },
            [&](const RefChange& c) -> Result<void> {
              SnapRow* row = snapshot.find_mutable(c.table, c.uuid);
              if (row == nullptr) return missing_row(c.table, c.uuid);
              std::vector<Atom> atoms;
              if (const Datum* d = row->get(c.column)) atoms = d->keys();
              if (c.add) {
                atoms.push_back(Atom::uuid(c.child));
              } else {
                std::erase(atoms, Atom::uuid(c.child));
              }
              row->columns.insert_or_assign(c.column, Datum::set(std::move(atoms)));
              return ok_result();
            },
            [&](const RowDelete& c) -> Result<void> {
              if (!snapshot.erase(c.table, c.uuid)) return missing_row(c.table, c.uuid);
              return ok_result();
            },
        },
        change);
    OVNK_TRY(r);
  }
  // Garbage collection, to a fixed point (a deleted switch frees its ports,
  // a freed router port frees its gateway chassis).
  for (;;) {
    std::unordered_set<ovsdb::Uuid, ovsdb::UuidHash> referenced;
    for (const auto& [name, table] : snapshot.tables()) {
      for (const auto& [uuid, row] : table) {
        for (const auto& [column, d] : row.columns) {
          for (const Atom& a : d.keys()) {
            if (a.is_uuid()) referenced.insert(a.as_uuid());
          }
          for (const Atom& a : d.values()) {
            if (a.is_uuid()) referenced.insert(a.as_uuid());
          }
        }
      }
    }
    std::vector<std::pair<std::string, ovsdb::Uuid>> garbage;
    for (const auto& [name, table] : snapshot.tables()) {
      if (!is_non_root(name)) continue;
      for (const auto& [uuid, row] : table) {
        if (referenced.count(uuid) == 0) garbage.emplace_back(name, uuid);
      }
    }
    if (garbage.empty()) break;
    for (const auto& [table, uuid] : garbage) snapshot.erase(table, uuid);
  }
  return ok_result();
}

}  // namespace ovnk::ctl
