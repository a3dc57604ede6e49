#include "ovsdb-proto/schema.h"

#include <cmath>
#include <set>

#include "ovsdb-proto/detail/simd.h"
#include "ovsdb-proto/json_writer.h"

namespace ovnk::ovsdb {

using detail::proto_error;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

namespace {

uint64_t utf8_length(std::string_view s) {
  uint64_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

std::string format_real(double v) {
  JsonWriter w;
  w.real(v);
  return w.take();
}

std::string bound_text(uint64_t v) {
  return v == ColumnType::kUnlimited ? std::string("unlimited") : std::to_string(v);
}

Error schema_error(std::string_view where, std::string_view what) {
  std::string m(where);
  m.append(": ").append(what);
  return proto_error(errc::kSyntax, m);
}

// Each known member is read once; anything else is rejected, as ovsdb_parser does
// for type objects (a typo there would silently lose a constraint).
Result<void> check_members(const object& o, std::initializer_list<std::string_view> allowed,
                           std::string_view where) {
  for (auto field : o) {
    bool known = false;
    for (std::string_view a : allowed) known = known || field.key == a;
    if (!known) {
      return schema_error(where, "member \"" + std::string(field.key) + "\" is present but not allowed here");
    }
  }
  return ok_result();
}

Result<int64_t> get_integer(element e, std::string_view where) {
  int64_t v = 0;
  if (e.get_int64().get(v)) return schema_error(where, "expected an integer, got " + detail::to_json_text(e));
  return v;
}

Result<double> get_number(element e, std::string_view where) {
  switch (e.type()) {
    case element_type::INT64: return static_cast<double>(e.get_int64().value_unsafe());
    case element_type::UINT64: return static_cast<double>(e.get_uint64().value_unsafe());
    case element_type::DOUBLE: return e.get_double().value_unsafe();
    default: return schema_error(where, "expected a number, got " + detail::to_json_text(e));
  }
}

Result<BaseType> parse_base_type(element e, std::string_view where) {
  std::string_view name;
  if (!e.get_string().get(name)) {
    auto t = parse_atomic_type(name);
    if (!t) return schema_error(where, "unknown atomic type \"" + std::string(name) + "\"");
    return BaseType::of(*t);
  }
  object o;
  if (e.get_object().get(o)) return schema_error(where, "expected a type name or an object");
  element type_e;
  if (o["type"].get(type_e) || type_e.get_string().get(name)) {
    return schema_error(where, "base type needs a \"type\" string");
  }
  auto t = parse_atomic_type(name);
  if (!t) return schema_error(where, "unknown atomic type \"" + std::string(name) + "\"");
  BaseType b = BaseType::of(*t);

  switch (b.type) {
    case AtomicType::kInteger:
      OVNK_TRY(check_members(o, {"type", "enum", "minInteger", "maxInteger"}, where));
      break;
    case AtomicType::kReal:
      OVNK_TRY(check_members(o, {"type", "enum", "minReal", "maxReal"}, where));
      break;
    case AtomicType::kBoolean: OVNK_TRY(check_members(o, {"type", "enum"}, where)); break;
    case AtomicType::kString:
      OVNK_TRY(check_members(o, {"type", "enum", "minLength", "maxLength"}, where));
      break;
    case AtomicType::kUuid:
      OVNK_TRY(check_members(o, {"type", "enum", "refTable", "refType"}, where));
      break;
  }

  element m;
  if (!o["enum"].get(m)) {
    ColumnType enum_type;
    enum_type.key = BaseType::of(b.type);
    enum_type.min = 1;
    enum_type.max = ColumnType::kUnlimited;
    auto d = detail::datum_from_json(m, &enum_type);
    if (!d.ok()) return schema_error(where, "enum: " + d.error().message);
    if (d->empty()) return schema_error(where, "enum must have at least one value");
    b.enum_values = std::move(d).value();
  }
  if (!o["minInteger"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(b.min_integer, get_integer(m, where));
  }
  if (!o["maxInteger"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(b.max_integer, get_integer(m, where));
  }
  if (b.min_integer > b.max_integer) return schema_error(where, "minInteger exceeds maxInteger");
  if (!o["minReal"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(b.min_real, get_number(m, where));
  }
  if (!o["maxReal"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(b.max_real, get_number(m, where));
  }
  if (b.min_real > b.max_real) return schema_error(where, "minReal exceeds maxReal");
  if (!o["minLength"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(int64_t v, get_integer(m, where));
    if (v < 0) return schema_error(where, "minLength must be non-negative");
    b.min_length = static_cast<uint64_t>(v);
  }
  if (!o["maxLength"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(int64_t v, get_integer(m, where));
    if (v < 0) return schema_error(where, "maxLength must be non-negative");
    b.max_length = static_cast<uint64_t>(v);
  }
  if (b.min_length > b.max_length) return schema_error(where, "minLength exceeds maxLength");
  if (!o["refTable"].get(m)) {
    std::string_view ref;
    if (m.get_string().get(ref) || ref.empty()) return schema_error(where, "refTable must be a table name");
    b.ref_table = std::string(ref);
  }
  if (!o["refType"].get(m)) {
    std::string_view ref;
    if (m.get_string().get(ref)) return schema_error(where, "refType must be a string");
    if (b.ref_table.empty()) return schema_error(where, "refType without refTable");
    if (ref == "strong") {
      b.ref_type = RefType::kStrong;
    } else if (ref == "weak") {
      b.ref_type = RefType::kWeak;
    } else {
      return schema_error(where, "refType must be \"strong\" or \"weak\"");
    }
  }
  return b;
}

Result<ColumnType> parse_type(element e, std::string_view where) {
  ColumnType t;
  std::string_view name;
  if (!e.get_string().get(name)) {
    OVNK_ASSIGN_OR_RETURN(t.key, parse_base_type(e, where));
    return t;
  }
  object o;
  if (e.get_object().get(o)) return schema_error(where, "type must be a string or an object");
  OVNK_TRY(check_members(o, {"key", "value", "min", "max"}, where));
  element m;
  if (o["key"].get(m)) return schema_error(where, "type object needs \"key\"");
  OVNK_ASSIGN_OR_RETURN(t.key, parse_base_type(m, where));
  if (!o["value"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(BaseType v, parse_base_type(m, where));
    t.value = std::move(v);
  }
  if (!o["min"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(int64_t v, get_integer(m, where));
    if (v < 0) return schema_error(where, "min must be non-negative");
    t.min = static_cast<uint64_t>(v);
  }
  if (!o["max"].get(m)) {
    if (!m.get_string().get(name)) {
      if (name != "unlimited") return schema_error(where, "max must be an integer or \"unlimited\"");
      t.max = ColumnType::kUnlimited;
    } else {
      OVNK_ASSIGN_OR_RETURN(int64_t v, get_integer(m, where));
      if (v < 1) return schema_error(where, "max must be at least 1");
      t.max = static_cast<uint64_t>(v);
    }
  }
  // ovsdb_type_is_valid: min is 0 or 1, min <= max, max >= 1.
  if (t.min > 1) return schema_error(where, "min must be 0 or 1");
  if (t.min > t.max) return schema_error(where, "min exceeds max");
  return t;
}

ColumnSchema implicit_uuid_column(std::string name) {
  ColumnSchema c;
  c.name = std::move(name);
  c.type.key = BaseType::of(AtomicType::kUuid);
  c.is_mutable = false;
  return c;
}

Result<TableSchema> parse_table(std::string_view name, element e) {
  std::string where(name);
  TableSchema t;
  t.name = std::string(name);
  object o;
  if (e.get_object().get(o)) return schema_error(where, "table must be an object");
  element m;
  object cols;
  if (o["columns"].get(m) || m.get_object().get(cols)) return schema_error(where, "needs a \"columns\" object");
  for (auto field : cols) {
    std::string cwhere = where + "." + std::string(field.key);
    if (!field.key.empty() && field.key[0] == '_') {
      return schema_error(cwhere, "names beginning with \"_\" are reserved");
    }
    ColumnSchema c;
    c.name = std::string(field.key);
    object co;
    if (field.value.get_object().get(co)) return schema_error(cwhere, "column must be an object");
    element ce;
    if (co["type"].get(ce)) return schema_error(cwhere, "column needs a \"type\"");
    OVNK_ASSIGN_OR_RETURN(c.type, parse_type(ce, cwhere));
    bool flag = false;
    if (!co["ephemeral"].get(ce)) {
      if (ce.get_bool().get(flag)) return schema_error(cwhere, "ephemeral must be a boolean");
      c.ephemeral = flag;
    }
    if (!co["mutable"].get(ce)) {
      if (ce.get_bool().get(flag)) return schema_error(cwhere, "mutable must be a boolean");
      c.is_mutable = flag;
    }
    if (!t.columns.emplace(c.name, std::move(c)).second) return schema_error(cwhere, "duplicate column");
  }
  t.columns.emplace("_uuid", implicit_uuid_column("_uuid"));
  t.columns.emplace("_version", implicit_uuid_column("_version"));

  if (!o["isRoot"].get(m)) {
    bool root = false;
    if (m.get_bool().get(root)) return schema_error(where, "isRoot must be a boolean");
    t.is_root = root;
  }
  if (!o["maxRows"].get(m)) {
    OVNK_ASSIGN_OR_RETURN(int64_t v, get_integer(m, where));
    if (v < 1) return schema_error(where, "maxRows must be at least 1");
    t.max_rows = static_cast<uint64_t>(v);
  }
  if (!o["indexes"].get(m)) {
    simdjson::dom::array idx;
    if (m.get_array().get(idx)) return schema_error(where, "indexes must be an array");
    for (element one : idx) {
      simdjson::dom::array cols_e;
      if (one.get_array().get(cols_e) || cols_e.size() == 0) {
        return schema_error(where, "each index must be a non-empty array of column names");
      }
      std::vector<std::string> index;
      for (element c : cols_e) {
        std::string_view cname;
        if (c.get_string().get(cname)) return schema_error(where, "index column names must be strings");
        const ColumnSchema* col = t.column(cname);
        if (col == nullptr) return schema_error(where, "index refers to unknown column \"" + std::string(cname) + "\"");
        if (col->ephemeral) return schema_error(where, "index column \"" + std::string(cname) + "\" is ephemeral");
        index.emplace_back(cname);
      }
      t.indexes.push_back(std::move(index));
    }
  }
  return t;
}

}  // namespace

bool BaseType::has_constraints() const {
  return enum_values.has_value() || min_integer != std::numeric_limits<int64_t>::min() ||
         max_integer != std::numeric_limits<int64_t>::max() ||
         min_real != -std::numeric_limits<double>::max() || max_real != std::numeric_limits<double>::max() ||
         min_length != 0 || max_length != std::numeric_limits<uint64_t>::max() || !ref_table.empty();
}

Result<void> BaseType::check(const Atom& atom) const {
  // An integer atom in a real column is what JSON "1" decodes to without a type:
  // the server accepts it, so do we.
  const bool kind_ok = atom.atomic_type() == type || (type == AtomicType::kReal && atom.is_integer());
  if (!kind_ok) {
    return proto_error(errc::kType, "expected " + std::string(atomic_type_name(type)) + ", got " +
                                        std::string(atomic_type_name(atom.atomic_type())) + " " +
                                        atom.to_string());
  }
  if (enum_values && !atom.is_named_uuid()) {
    Atom probe = (type == AtomicType::kReal && atom.is_integer())
                     ? Atom::real(static_cast<double>(atom.as_integer()))
                     : atom;
    if (!enum_values->contains(probe)) {
      return proto_error(errc::kConstraint, atom.to_string() + " is not one of the allowed values (" +
                                                enum_values->to_json() + ")");
    }
  }
  switch (type) {
    case AtomicType::kInteger: {
      int64_t v = atom.as_integer();
      if (v < min_integer || v > max_integer) {
        std::string m = std::to_string(v);
        if (max_integer == std::numeric_limits<int64_t>::max()) {
          m += " is less than minimum allowed value " + std::to_string(min_integer);
        } else if (min_integer == std::numeric_limits<int64_t>::min()) {
          m += " is greater than maximum allowed value " + std::to_string(max_integer);
        } else {
          m += " is not in the valid range " + std::to_string(min_integer) + " to " +
               std::to_string(max_integer) + " (inclusive)";
        }
        return proto_error(errc::kConstraint, m);
      }
      break;
    }
    case AtomicType::kReal: {
      double v = atom.is_integer() ? static_cast<double>(atom.as_integer()) : atom.as_real();
      if (!std::isfinite(v)) return proto_error(errc::kConstraint, "real value is not finite");
      if (v < min_real || v > max_real) {
        return proto_error(errc::kConstraint, format_real(v) + " is not in the valid range " +
                                                  format_real(min_real) + " to " + format_real(max_real) +
                                                  " (inclusive)");
      }
      break;
    }
    case AtomicType::kString: {
      const std::string& s = atom.as_string();
      uint64_t n = utf8_length(s);
      if (n < min_length) {
        return proto_error(errc::kConstraint, json_quote(s) + " length " + std::to_string(n) +
                                                  " is less than minimum allowed length " +
                                                  std::to_string(min_length));
      }
      if (n > max_length) {
        return proto_error(errc::kConstraint, json_quote(s) + " length " + std::to_string(n) +
                                                  " is greater than maximum allowed length " +
                                                  std::to_string(max_length));
      }
      break;
    }
    case AtomicType::kBoolean:
    case AtomicType::kUuid: break;
  }
  return ok_result();
}

Result<void> ColumnType::check(const Datum& datum) const {
  if (datum.is_map() != is_map()) {
    // Even when empty: the server rejects ["set",[]] for a map column.
    return proto_error(errc::kType, is_map() ? "expected a map, got a set" : "expected a set, got a map");
  }
  if (datum.size() < min || datum.size() > max) {
    return proto_error(errc::kConstraint, std::string(is_map() ? "map" : "set") + " must have " +
                                              std::to_string(min) + " to " + bound_text(max) +
                                              " members but " + std::to_string(datum.size()) +
                                              " are present");
  }
  for (size_t i = 0; i < datum.size(); ++i) {
    auto r = key.check(datum.keys()[i]);
    if (!r.ok()) return r;
    if (value) {
      auto rv = value->check(datum.values()[i]);
      if (!rv.ok()) return rv;
    }
  }
  return ok_result();
}

namespace {
Atom default_atom(const BaseType& b) {
  switch (b.type) {
    case AtomicType::kInteger: return Atom::integer(0);
    case AtomicType::kReal: return Atom::real(0.0);
    case AtomicType::kBoolean: return Atom::boolean(false);
    case AtomicType::kString: return Atom::string("");
    case AtomicType::kUuid: return Atom::uuid(Uuid{});
  }
  return Atom();
}
}  // namespace

Datum ColumnType::default_value() const {
  if (min == 0) return is_map() ? Datum::empty_map() : Datum::empty_set();
  if (is_map()) return Datum::map({{default_atom(key), default_atom(*value)}});
  return Datum::scalar(default_atom(key));
}

Result<void> ColumnSchema::validate(const Datum& datum, std::string_view table_name) const {
  auto r = type.check(datum);
  if (r.ok()) return r;
  Error e = std::move(r).error();
  std::string ctx(table_name);
  ctx.append(".").append(name);
  return std::move(e).with_context(ctx);
}

const ColumnSchema* TableSchema::column(std::string_view column_name) const {
  auto it = columns.find(column_name);
  return it == columns.end() ? nullptr : &it->second;
}

Result<void> TableSchema::validate_row(const std::vector<std::pair<std::string, Datum>>& row) const {
  for (const auto& [cname, datum] : row) {
    const ColumnSchema* c = column(cname);
    if (c == nullptr) {
      return proto_error(errc::kType, name + ": no column named \"" + cname + "\"");
    }
    if (cname == "_uuid" || cname == "_version") {
      return proto_error(errc::kType, name + "." + cname + ": column cannot be written");
    }
    OVNK_TRY(c->validate(datum, name));
  }
  return ok_result();
}

const TableSchema* DatabaseSchema::table(std::string_view table_name) const {
  auto it = tables.find(table_name);
  return it == tables.end() ? nullptr : &it->second;
}

const ColumnSchema* DatabaseSchema::column(std::string_view table_name, std::string_view column_name) const {
  const TableSchema* t = table(table_name);
  return t ? t->column(column_name) : nullptr;
}

Result<DatabaseSchema> DatabaseSchema::parse(PaddedView json) {
  simdjson::dom::parser parser;
  OVNK_ASSIGN_OR_RETURN(element root, detail::parse_dom(parser, json));
  object o;
  if (root.get_object().get(o)) return schema_error("schema", "must be a JSON object");
  DatabaseSchema s;
  element m;
  std::string_view text;
  if (o["name"].get(m) || m.get_string().get(text) || text.empty()) {
    return schema_error("schema", "needs a \"name\" string");
  }
  s.name = std::string(text);
  if (!o["version"].get(m)) {
    if (m.get_string().get(text)) return schema_error(s.name, "version must be a string");
    s.version = std::string(text);
  }
  if (!o["cksum"].get(m)) {
    if (m.get_string().get(text)) return schema_error(s.name, "cksum must be a string");
    s.cksum = std::string(text);
  }
  object tables;
  if (o["tables"].get(m) || m.get_object().get(tables)) return schema_error(s.name, "needs a \"tables\" object");
  bool any_root = false;
  for (auto field : tables) {
    OVNK_ASSIGN_OR_RETURN(TableSchema t, parse_table(field.key, field.value));
    any_root = any_root || t.is_root;
    std::string tname = t.name;
    if (!s.tables.emplace(tname, std::move(t)).second) return schema_error(tname, "duplicate table");
  }
  if (!any_root) {
    for (auto& [tname, t] : s.tables) t.is_root = true;
  }
  // refTable must name a table of this database (ovsdb_schema_check_ref_table).
  for (const auto& [tname, t] : s.tables) {
    for (const auto& [cname, c] : t.columns) {
      for (const BaseType* b : {&c.type.key, c.type.value ? &*c.type.value : nullptr}) {
        if (b != nullptr && !b->ref_table.empty() && s.tables.find(b->ref_table) == s.tables.end()) {
          return schema_error(tname + "." + cname, "refTable \"" + b->ref_table + "\" is not a table");
        }
      }
    }
  }
  return s;
}

Result<DatabaseSchema> DatabaseSchema::parse(std::string_view json) {
  PaddedString padded(json);
  return parse(padded.view());
}

Result<ColumnType> parse_column_type(std::string_view json) {
  PaddedString padded(json);
  simdjson::dom::parser parser;
  OVNK_ASSIGN_OR_RETURN(element root, detail::parse_dom(parser, padded.view()));
  return parse_type(root, "type");
}

}  // namespace ovnk::ovsdb
