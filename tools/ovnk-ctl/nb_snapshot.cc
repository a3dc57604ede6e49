#include "tools/ovnk-ctl/nb_snapshot.h"

namespace ovnk::ctl {

using ovsdb::Atom;
using ovsdb::Datum;

const Datum* SnapRow::get(std::string_view column) const {
  auto it = columns.find(column);
  return it == columns.end() ? nullptr : &it->second;
}

std::string SnapRow::str(std::string_view column) const {
  const Datum* d = get(column);
  if (d == nullptr) return {};
  const Atom* a = d->as_scalar();
  if (a == nullptr || !a->is_string()) return {};
  return a->as_string();
}

std::optional<std::string> SnapRow::map_get(std::string_view column, std::string_view key) const {
  const Datum* d = get(column);
  if (d == nullptr || !d->is_map()) return std::nullopt;
  auto v = d->get_string(key);
  if (!v) return std::nullopt;
  return std::string(*v);
}

std::vector<ovsdb::Uuid> SnapRow::uuids(std::string_view column) const {
  std::vector<ovsdb::Uuid> out;
  const Datum* d = get(column);
  if (d == nullptr || d->is_map()) return out;
  for (const Atom& a : d->keys()) {
    if (a.is_uuid()) out.push_back(a.as_uuid());
  }
  return out;
}

std::vector<std::string> SnapRow::strings(std::string_view column) const {
  std::vector<std::string> out;
  const Datum* d = get(column);
  if (d == nullptr || d->is_map()) return out;
  for (const Atom& a : d->keys()) {
    if (a.is_string()) out.push_back(a.as_string());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SnapRow::string_map(std::string_view column) const {
  std::vector<std::pair<std::string, std::string>> out;
  const Datum* d = get(column);
  if (d == nullptr || !d->is_map()) return out;
  for (size_t i = 0; i < d->size(); ++i) {
    const Atom& k = d->keys()[i];
    const Atom& v = d->values()[i];
    if (k.is_string() && v.is_string()) out.emplace_back(k.as_string(), v.as_string());
  }
  return out;
}

NbSnapshot NbSnapshot::from_replica(const ovsdb::Replica& replica) {
  NbSnapshot snap;
  for (size_t t = 0; t < replica.table_count(); ++t) {
    const ovsdb::ReplicaTable& table = replica.table(t);
    const ovsdb::MonitoredTable& layout = table.layout();
    Table& out = snap.tables_[table.name()];
    for (const ovsdb::Row& row : table) {
      SnapRow r;
      r.uuid = row.uuid();
      for (uint32_t slot = 0; slot < layout.column_count(); ++slot) {
        const std::string& name = layout.column(slot).name;
        if (name == "_uuid" || name == "_version") continue;
        r.columns.emplace(name, row[slot]);
      }
      out.emplace(r.uuid, std::move(r));
    }
  }
  return snap;
}

void NbSnapshot::put(std::string_view table, SnapRow row) {
  auto it = tables_.find(table);
  if (it == tables_.end()) it = tables_.emplace(std::string(table), Table{}).first;
  ovsdb::Uuid u = row.uuid;
  it->second.insert_or_assign(u, std::move(row));
}

bool NbSnapshot::erase(std::string_view table, const ovsdb::Uuid& uuid) {
  auto it = tables_.find(table);
  return it != tables_.end() && it->second.erase(uuid) > 0;
}

const NbSnapshot::Table& NbSnapshot::rows(std::string_view table) const {
  static const Table kEmpty;
  auto it = tables_.find(table);
  return it == tables_.end() ? kEmpty : it->second;
}

const SnapRow* NbSnapshot::find(std::string_view table, const ovsdb::Uuid& uuid) const {
  const Table& t = rows(table);
  auto it = t.find(uuid);
  return it == t.end() ? nullptr : &it->second;
}

SnapRow* NbSnapshot::find_mutable(std::string_view table, const ovsdb::Uuid& uuid) {
  auto it = tables_.find(table);
  if (it == tables_.end()) return nullptr;
  auto r = it->second.find(uuid);
  return r == it->second.end() ? nullptr : &r->second;
}

std::vector<const SnapRow*> NbSnapshot::find_by_name(std::string_view table, std::string_view name) const {
  std::vector<const SnapRow*> out;
  for (const auto& [uuid, row] : rows(table)) {
    if (row.str("name") == name) out.push_back(&row);
  }
  return out;
}

std::vector<const SnapRow*> NbSnapshot::referrers(std::string_view parent_table, std::string_view column,
                                                  const ovsdb::Uuid& child) const {
  std::vector<const SnapRow*> out;
  Atom key = Atom::uuid(child);
  for (const auto& [uuid, row] : rows(parent_table)) {
    const Datum* d = row.get(column);
    if (d != nullptr && !d->is_map() && d->contains(key)) out.push_back(&row);
  }
  return out;
}

size_t NbSnapshot::row_count() const {
  size_t n = 0;
  for (const auto& [name, table] : tables_) n += table.size();
  return n;
}

std::vector<ovsdb::MonitorRequest> ctl_monitor_requests() {
  std::vector<ovsdb::MonitorRequest> out;
  for (const char* table : {"Logical_Switch", "Logical_Switch_Port", "Logical_Router", "Logical_Router_Port",
                            "Logical_Router_Static_Route", "NAT", "Gateway_Chassis"}) {
    ovsdb::MonitorRequest r;
    r.table = table;  // every column
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace ovnk::ctl
