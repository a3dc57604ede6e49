#include "ovsdb-proto/monitor.h"

#include <utility>

#include "ovsdb-proto/detail/simd.h"
#include "ovsdb-proto/json_writer.h"

namespace ovnk::ovsdb {

using simdjson::dom::element;

std::string_view monitor_method_name(MonitorMethod method) {
  switch (method) {
    case MonitorMethod::kMonitor:
      return "monitor";
    case MonitorMethod::kMonitorCond:
      return "monitor_cond";
    case MonitorMethod::kMonitorCondSince:
      return "monitor_cond_since";
  }
  return "?";
}

std::string_view update_method_name(MonitorMethod method) {
  switch (method) {
    case MonitorMethod::kMonitor:
      return "update";
    case MonitorMethod::kMonitorCond:
      return "update2";
    case MonitorMethod::kMonitorCondSince:
      return "update3";
  }
  return "?";
}

std::string_view row_update_kind_name(RowUpdateKind kind) {
  switch (kind) {
    case RowUpdateKind::kInitial:
      return "initial";
    case RowUpdateKind::kInsert:
      return "insert";
    case RowUpdateKind::kModify:
      return "modify";
    case RowUpdateKind::kReplace:
      return "replace";
    case RowUpdateKind::kDelete:
      return "delete";
  }
  return "?";
}

size_t TableUpdates::row_count() const {
  size_t n = 0;
  for (const TableUpdate& t : tables) n += t.rows.size();
  return n;
}

// ---- Request builders ----------------------------------------------------

std::string monitor_params(MonitorMethod method, std::string_view db,
                           std::string_view monitor_id_json,
                           const std::vector<MonitorRequest>& requests,
                           const std::optional<Uuid>& last_txn_id) {
  if (method == MonitorMethod::kMonitor) {
    bool has_where = false;
    for (const MonitorRequest& r : requests) has_where = has_where || r.where.has_value();
    if (has_where) {
      std::vector<MonitorRequest> plain = requests;
      for (MonitorRequest& r : plain) r.where.reset();
      return params::monitor(db, monitor_id_json, encode_monitor_requests(plain));
    }
  }
  std::string encoded = encode_monitor_requests(requests);
  if (method == MonitorMethod::kMonitorCondSince) {
    return params::monitor_cond_since(db, monitor_id_json, encoded, last_txn_id);
  }
  return params::monitor(db, monitor_id_json, encoded);
}

std::string monitor_cond_change_params(std::string_view monitor_id_json,
                                       std::string_view new_monitor_id_json,
                                       const std::vector<ConditionChange>& changes) {
  JsonWriter w;
  w.start_array().raw(monitor_id_json).raw(new_monitor_id_json).start_object();
  for (const ConditionChange& c : changes) {
    w.key(c.table).start_array().start_object().key("where");
    write_conditions(w, c.where);
    w.end_object().end_array();
  }
  w.end_object().end_array();
  return w.take();
}

// ---- Layout --------------------------------------------------------------

std::optional<uint32_t> MonitoredTable::slot(std::string_view column_name) const {
  auto it = slots_.find(column_name);
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

struct MonitorLayout::Impl {
  DatabaseSchema schema;  // MonitoredTable points into it: Impl never moves
  std::vector<MonitoredTable> tables;
  std::unordered_map<std::string, size_t, MonitoredTable::NameHash, std::equal_to<>> by_name;
};

MonitorLayout::MonitorLayout(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MonitorLayout::MonitorLayout(MonitorLayout&&) noexcept = default;
MonitorLayout& MonitorLayout::operator=(MonitorLayout&&) noexcept = default;
MonitorLayout::~MonitorLayout() = default;

namespace {

Result<void> check_where(const TableSchema& ts,
                         const std::optional<std::vector<Condition>>& where) {
  if (!where) return {};
  for (const Condition& c : *where) {
    if (c.literal) continue;
    if (ts.column(c.column) == nullptr) {
      return detail::proto_error(errc::kUnknownName,
                                 ts.name + ": where clause on unknown column \"" + c.column + "\"");
    }
  }
  return {};
}

}  // namespace

Result<MonitorLayout> MonitorLayout::create(DatabaseSchema schema,
                                            std::vector<MonitorRequest> tables) {
  auto impl = std::make_unique<Impl>();
  impl->schema = std::move(schema);
  impl->tables.reserve(tables.size());
  for (MonitorRequest& tm : tables) {
    const TableSchema* ts = impl->schema.table(tm.table);
    if (ts == nullptr) {
      return detail::proto_error(errc::kUnknownName, "monitor of unknown table \"" + tm.table +
                                                         "\" (not in " + impl->schema.name + ")");
    }
    if (impl->by_name.contains(tm.table)) {
      return detail::proto_error(errc::kSyntax, "table \"" + tm.table + "\" monitored twice");
    }
    if (tm.columns.empty()) {
      for (const auto& [name, column] : ts->columns) {
        if (name != "_uuid" && name != "_version") tm.columns.push_back(name);
      }
    }
    OVNK_TRY(check_where(*ts, tm.where));

    MonitoredTable mt;
    mt.schema_ = ts;
    for (const std::string& name : tm.columns) {
      const ColumnSchema* column = ts->column(name);
      if (column == nullptr || name == "_uuid") {
        return detail::proto_error(errc::kUnknownName,
                                   tm.table + ": cannot monitor column \"" + name + "\"");
      }
      auto slot = static_cast<uint32_t>(mt.columns_.size());
      if (!mt.slots_.emplace(name, slot).second) {
        return detail::proto_error(errc::kSyntax,
                                   tm.table + ": column \"" + name + "\" listed twice");
      }
      mt.columns_.push_back(column);
      mt.defaults_.push_back(column->type.default_value());
    }
    for (const std::vector<std::string>& index : ts->indexes) {
      std::vector<uint32_t> slots;
      for (const std::string& name : index) {
        auto slot = mt.slot(name);
        if (!slot) break;
        slots.push_back(*slot);
      }
      if (!index.empty() && slots.size() == index.size()) mt.indexes_.push_back(std::move(slots));
    }
    mt.request_ = std::move(tm);
    impl->by_name.emplace(mt.request_.table, impl->tables.size());
    impl->tables.push_back(std::move(mt));
  }
  return MonitorLayout(std::move(impl));
}

const DatabaseSchema& MonitorLayout::schema() const { return impl_->schema; }
size_t MonitorLayout::table_count() const { return impl_->tables.size(); }
const MonitoredTable& MonitorLayout::table(size_t index) const { return impl_->tables[index]; }

std::optional<size_t> MonitorLayout::table_index(std::string_view name) const {
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) return std::nullopt;
  return it->second;
}

const MonitoredTable* MonitorLayout::find_table(std::string_view name) const {
  auto index = table_index(name);
  return index ? &impl_->tables[*index] : nullptr;
}

Result<void> MonitorLayout::set_where(std::string_view table,
                                      std::optional<std::vector<Condition>> where) {
  auto index = table_index(table);
  if (!index) {
    return detail::proto_error(errc::kUnknownName, "condition change for unmonitored table \"" +
                                                       std::string(table) + "\"");
  }
  MonitoredTable& mt = impl_->tables[*index];
  OVNK_TRY(check_where(*mt.schema_, where));
  mt.request_.where = std::move(where);
  return {};
}

std::vector<MonitorRequest> MonitorLayout::requests() const {
  std::vector<MonitorRequest> out;
  out.reserve(impl_->tables.size());
  for (const MonitoredTable& t : impl_->tables) out.push_back(t.request());
  return out;
}

std::string MonitorLayout::monitor_params(MonitorMethod method, std::string_view monitor_id_json,
                                          const std::optional<Uuid>& last_txn_id) const {
  return ovsdb::monitor_params(method, impl_->schema.name, monitor_id_json, requests(),
                               last_txn_id);
}

// ---- Diffs ---------------------------------------------------------------

Result<Datum> apply_datum_diff(const Datum& old, const Datum& diff, const ColumnType& type) {
  if (old.is_map() != type.is_map() || diff.is_map() != type.is_map()) {
    return detail::proto_error(errc::kType, "diff: map/set mismatch with the column type");
  }
  Datum result;
  if (type.max <= 1) {
    result = diff;  // not composite: the diff is the new value
  } else {
    // Both sides are sorted and unique: one merge pass.
    const std::vector<Atom>& ok = old.keys();
    const std::vector<Atom>& ov = old.values();
    const std::vector<Atom>& dk = diff.keys();
    const std::vector<Atom>& dv = diff.values();
    const bool is_map = type.is_map();
    std::vector<Atom> keys;
    std::vector<Atom> values;
    keys.reserve(ok.size() + dk.size());
    if (is_map) values.reserve(ok.size() + dk.size());
    size_t i = 0;
    size_t j = 0;
    while (i < ok.size() || j < dk.size()) {
      int c = i == ok.size() ? 1 : (j == dk.size() ? -1 : compare(ok[i], dk[j]));
      if (c < 0) {  // untouched
        keys.push_back(ok[i]);
        if (is_map) values.push_back(ov[i]);
        ++i;
      } else if (c > 0) {  // added
        keys.push_back(dk[j]);
        if (is_map) values.push_back(dv[j]);
        ++j;
      } else {
        if (is_map && !(ov[i] == dv[j])) {  // value replaced
          keys.push_back(dk[j]);
          values.push_back(dv[j]);
        }  // else removed
        ++i;
        ++j;
      }
    }
    result = Datum::from_sorted(std::move(keys), std::move(values), is_map);
  }
  if (result.size() < type.min || result.size() > type.max) {
    return detail::proto_error(
        errc::kConstraint, "diff gives " + std::to_string(result.size()) +
                               " elements, the column allows " + std::to_string(type.min) + ".." +
                               (type.max == ColumnType::kUnlimited ? std::string("unlimited")
                                                                   : std::to_string(type.max)));
  }
  return result;
}

// ---- Decoding ------------------------------------------------------------

namespace {

Error shape_error(std::string_view where, std::string_view expected, element e) {
  std::string text = detail::to_json_text(e);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  std::string m(where);
  m.append(": expected ").append(expected).append(", got ").append(text);
  return detail::proto_error(errc::kSyntax, m);
}

std::string row_context(const MonitoredTable& table, std::string_view uuid) {
  std::string s = table.name();
  s.append(" row ").append(uuid);
  return s;
}

Result<void> check_count(const Datum& d, const ColumnType& type) {
  if (d.size() >= type.min && d.size() <= type.max) return {};
  return detail::proto_error(errc::kConstraint,
                             std::to_string(d.size()) + " elements, the column allows " +
                                 std::to_string(type.min) + ".." +
                                 (type.max == ColumnType::kUnlimited ? std::string("unlimited")
                                                                     : std::to_string(type.max)));
}

// The columns of one <row>: full values (full = true) or update2 diffs.
Result<void> decode_columns(const MonitoredTable& table, std::string_view uuid, element row,
                            bool full, std::vector<ColumnUpdate>& out) {
  simdjson::dom::object columns;
  if (row.get_object().get(columns)) {
    return shape_error(row_context(table, uuid), "a row object", row);
  }
  out.reserve(columns.size());
  for (auto field : columns) {
    std::optional<uint32_t> slot = table.slot(field.key);
    if (!slot) {
      if (table.schema().column(field.key) != nullptr) continue;  // not monitored
      return detail::proto_error(errc::kUnknownName,
                                 row_context(table, uuid) + ": unknown column \"" +
                                     std::string(field.key.substr(0, 64)) + "\"");
    }
    const ColumnSchema& column = table.column(*slot);
    auto datum = detail::datum_from_json(field.value, &column.type);
    if (!datum.ok()) {
      return std::move(datum).error().with_context(row_context(table, uuid) + " column " +
                                                   column.name);
    }
    if (full) {
      auto counted = check_count(*datum, column.type);
      if (!counted.ok()) {
        return std::move(counted).error().with_context(row_context(table, uuid) + " column " +
                                                       column.name);
      }
    }
    out.push_back(ColumnUpdate{*slot, std::move(datum).value()});
  }
  return {};
}

Result<RowUpdateKind> update2_kind(std::string_view key) {
  if (key == "initial") return RowUpdateKind::kInitial;
  if (key == "insert") return RowUpdateKind::kInsert;
  if (key == "modify") return RowUpdateKind::kModify;
  if (key == "delete") return RowUpdateKind::kDelete;
  return detail::proto_error(errc::kSyntax,
                             "unknown row update \"" + std::string(key.substr(0, 32)) + "\"");
}

Result<void> decode_row2(const MonitoredTable& table, std::string_view uuid, element e,
                         RowUpdate& out) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj) || obj.size() != 1) {
    return shape_error(row_context(table, uuid),
                       "an object with one of initial, insert, delete, modify", e);
  }
  auto field = *obj.begin();
  auto kind = update2_kind(field.key);
  if (!kind.ok()) return std::move(kind).error().with_context(row_context(table, uuid));
  out.kind = *kind;
  if (out.kind == RowUpdateKind::kDelete) return {};  // <row> is null or ignored
  return decode_columns(table, uuid, field.value, out.kind != RowUpdateKind::kModify, out.columns);
}

Result<void> decode_row1(const MonitoredTable& table, std::string_view uuid, element e,
                         RowUpdate& out) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj)) return shape_error(row_context(table, uuid), "a <row-update>", e);
  element old_row;
  element new_row;
  bool has_old = !obj.at_key("old").get(old_row);
  bool has_new = !obj.at_key("new").get(new_row);
  if (has_new) {
    out.kind = has_old ? RowUpdateKind::kReplace : RowUpdateKind::kInsert;
    return decode_columns(table, uuid, new_row, true, out.columns);
  }
  if (has_old) {
    out.kind = RowUpdateKind::kDelete;
    return {};
  }
  return shape_error(row_context(table, uuid), "\"old\" or \"new\"", e);
}

Result<TableUpdates> decode_table_updates(const MonitorLayout& layout, element e,
                                          UpdateFormat format) {
  simdjson::dom::object tables;
  if (e.get_object().get(tables)) return shape_error("table updates", "an object", e);
  TableUpdates updates;
  updates.tables.reserve(tables.size());
  for (auto table_field : tables) {
    auto index = layout.table_index(table_field.key);
    if (!index) {
      return detail::proto_error(
          errc::kUnknownName,
          "update for unknown table \"" + std::string(table_field.key.substr(0, 64)) + "\"");
    }
    const MonitoredTable& table = layout.table(*index);
    simdjson::dom::object rows;
    if (table_field.value.get_object().get(rows)) {
      return shape_error(table.name(), "an object of rows", table_field.value);
    }
    TableUpdate tu;
    tu.table = static_cast<uint32_t>(*index);
    tu.rows.reserve(rows.size());
    for (auto row_field : rows) {
      RowUpdate ru;
      auto uuid = Uuid::try_parse(row_field.key);
      if (!uuid) {
        return detail::proto_error(errc::kSyntax, table.name() + ": invalid row uuid \"" +
                                                      std::string(row_field.key.substr(0, 64)) +
                                                      "\"");
      }
      ru.uuid = *uuid;
      if (format == UpdateFormat::kUpdate2) {
        OVNK_TRY(decode_row2(table, row_field.key, row_field.value, ru));
      } else {
        OVNK_TRY(decode_row1(table, row_field.key, row_field.value, ru));
      }
      tu.rows.push_back(std::move(ru));
    }
    updates.tables.push_back(std::move(tu));
  }
  return updates;
}

Result<Uuid> txn_id_from_json(element e) {
  std::string_view text;
  if (e.get_string().get(text)) return shape_error("last-txn-id", "a uuid string", e);
  auto uuid = Uuid::try_parse(text);
  if (!uuid) return shape_error("last-txn-id", "a uuid string", e);
  return *uuid;
}

Result<simdjson::dom::array> array_of(element e, size_t size, std::string_view what) {
  simdjson::dom::array a;
  if (e.get_array().get(a) || a.size() != size) {
    return shape_error(what, "an array of " + std::to_string(size), e);
  }
  return a;
}

}  // namespace

struct UpdateDecoder::Impl {
  const MonitorLayout* layout;
  simdjson::dom::parser parser;
};

UpdateDecoder::UpdateDecoder(const MonitorLayout& layout) : impl_(std::make_unique<Impl>()) {
  impl_->layout = &layout;
}
UpdateDecoder::~UpdateDecoder() = default;

Result<TableUpdates> UpdateDecoder::table_updates(PaddedView json, UpdateFormat format) {
  OVNK_ASSIGN_OR_RETURN(element e, detail::parse_dom(impl_->parser, json));
  return decode_table_updates(*impl_->layout, e, format);
}

Result<MonitorSinceReply> UpdateDecoder::since_reply(PaddedView json) {
  OVNK_ASSIGN_OR_RETURN(element e, detail::parse_dom(impl_->parser, json));
  OVNK_ASSIGN_OR_RETURN(simdjson::dom::array a, array_of(e, 3, "monitor_cond_since reply"));
  MonitorSinceReply reply;
  if (a.at(0).get_bool().get(reply.found)) {
    return shape_error("monitor_cond_since reply found", "a boolean", a.at(0).value_unsafe());
  }
  OVNK_ASSIGN_OR_RETURN(reply.last_txn_id, txn_id_from_json(a.at(1).value_unsafe()));
  OVNK_ASSIGN_OR_RETURN(reply.updates, decode_table_updates(*impl_->layout, a.at(2).value_unsafe(),
                                                            UpdateFormat::kUpdate2));
  return reply;
}

Result<UpdateNotification> UpdateDecoder::notification(std::string_view method, PaddedView params) {
  size_t size = 0;
  UpdateFormat format = UpdateFormat::kUpdate2;
  if (method == "update") {
    size = 2;
    format = UpdateFormat::kUpdate;
  } else if (method == "update2") {
    size = 2;
  } else if (method == "update3") {
    size = 3;
  } else {
    return detail::proto_error(
        errc::kSyntax, "not an update notification: \"" + std::string(method.substr(0, 32)) + "\"");
  }
  OVNK_ASSIGN_OR_RETURN(element e, detail::parse_dom(impl_->parser, params));
  OVNK_ASSIGN_OR_RETURN(simdjson::dom::array a, array_of(e, size, std::string(method) + " params"));
  UpdateNotification n;
  n.monitor_id_json = detail::to_json_text(a.at(0).value_unsafe());
  if (size == 3) {
    OVNK_ASSIGN_OR_RETURN(Uuid txn, txn_id_from_json(a.at(1).value_unsafe()));
    n.last_txn_id = txn;
  }
  OVNK_ASSIGN_OR_RETURN(
      n.updates, decode_table_updates(*impl_->layout, a.at(size - 1).value_unsafe(), format));
  return n;
}

}  // namespace ovnk::ovsdb
