// Database schemas (RFC 7047 section 3.2 plus the ovsdb-server extensions) as
// returned by `get_schema` or read from an .ovsschema file.
//
// A ColumnType is a key BaseType, an optional value BaseType (then the column is
// a map) and bounds min..max on the number of elements; a BaseType is an atomic
// type with constraints (enum, integer/real ranges, string lengths, refTable).
// Parsing follows ovsdb_type_from_json / ovsdb_base_type_from_json: the short
// forms ("type": "string", "key": "uuid") are accepted, defaults applied (min 1,
// max 1, refType strong), and inconsistencies rejected (min > max, value types
// without a key, refTable on a non-uuid, ...).
//
// Invariants: every table has the implicit columns "_uuid" (uuid) and "_version"
// (uuid), immutable and not ephemeral, as ovsdb-server adds them; containers are
// ordered by name so iteration is deterministic, and look-ups take string_view.
// Validation messages name the column: "Logical_Switch_Port.addresses: ...".
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/json_value.h"

namespace ovnk::ovsdb {

enum class RefType : uint8_t { kStrong, kWeak };

struct BaseType {
  AtomicType type = AtomicType::kInteger;

  // "enum": the allowed values, sorted and unique (a Datum set); nullopt = any.
  std::optional<Datum> enum_values;
  // Integer range (inclusive); the defaults mean "no constraint".
  int64_t min_integer = std::numeric_limits<int64_t>::min();
  int64_t max_integer = std::numeric_limits<int64_t>::max();
  // Real range (inclusive).
  double min_real = -std::numeric_limits<double>::max();
  double max_real = std::numeric_limits<double>::max();
  // String length bounds in characters (UTF-8 code points, as ovsdb counts).
  uint64_t min_length = 0;
  uint64_t max_length = std::numeric_limits<uint64_t>::max();
  // uuid columns: the table referenced ("" = none) and whether the reference is
  // strong (the row cannot be deleted while referenced) or weak (the reference
  // disappears with the row).
  std::string ref_table;
  RefType ref_type = RefType::kStrong;

  static BaseType of(AtomicType t) {
    BaseType b;
    b.type = t;
    return b;
  }
  bool has_constraints() const;
  // Checks one atom against the type and constraints. The message does not name
  // the column (the caller prefixes it). A named-uuid passes as a uuid.
  Result<void> check(const Atom& atom) const;
};

struct ColumnType {
  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

  BaseType key;
  std::optional<BaseType> value;  // present: the column is a map
  uint64_t min = 1;
  uint64_t max = 1;  // kUnlimited for "unlimited"

  bool is_map() const { return value.has_value(); }
  bool is_set() const { return !is_map() && !(min == 1 && max == 1); }
  bool is_scalar() const { return !is_map() && min == 1 && max == 1; }
  bool is_optional() const { return min == 0 && max == 1; }  // "set of 0 or 1"

  // Element count, kinds of the atoms, constraints. Message without column name.
  Result<void> check(const Datum& datum) const;
  // The datum a new row gets for this column (ovsdb_datum_init_default): empty
  // when min is 0, else one default atom (0, 0.0, false, "", all-zero uuid), or
  // for a map one default pair.
  Datum default_value() const;
};

struct ColumnSchema {
  std::string name;
  ColumnType type;
  bool ephemeral = false;
  bool is_mutable = true;

  // "Table.column: <what is wrong>".
  Result<void> validate(const Datum& datum, std::string_view table_name) const;
};

struct TableSchema {
  std::string name;
  std::map<std::string, ColumnSchema, std::less<>> columns;  // includes _uuid, _version
  // isRoot: rows of a non-root table that no other row references are
  // garbage-collected at the end of each transaction. When no table of a
  // schema is root (schemas that predate isRoot), every table is root, as in
  // ovsdb_schema_from_json.
  bool is_root = false;
  uint64_t max_rows = std::numeric_limits<uint64_t>::max();  // "maxRows"; max = unlimited
  std::vector<std::vector<std::string>> indexes;             // each a set of column names

  const ColumnSchema* column(std::string_view column_name) const;
  // Every named column exists, is not _uuid/_version, and its datum validates.
  // The message is "Table.column: ..." or "Table: no column named ...".
  Result<void> validate_row(const std::vector<std::pair<std::string, Datum>>& row) const;
};

struct DatabaseSchema {
  std::string name;
  std::string version;  // "x.y.z"; "" when absent
  std::string cksum;    // "" when absent
  std::map<std::string, TableSchema, std::less<>> tables;

  const TableSchema* table(std::string_view table_name) const;
  // Convenience: table and column, nullptr if either is unknown.
  const ColumnSchema* column(std::string_view table_name, std::string_view column_name) const;

  // Parses a schema object (the `get_schema` result or an .ovsschema file).
  static Result<DatabaseSchema> parse(PaddedView json);
  static Result<DatabaseSchema> parse(std::string_view json);
};

// Parses a column type JSON ("string", {"key": ..., "min": 0, "max": "unlimited"}).
Result<ColumnType> parse_column_type(std::string_view json);

}  // namespace ovnk::ovsdb
