// Output formats of Open vSwitch's ovsdb-client, so that ovsdb-cli prints what
// scripts written against ovsdb-client expect (compared byte for byte in
// tests/tools/ovsdb_cli_test.cc).
//
//   - JSON: compact, object members sorted bytewise (ovsdb-client prints with
//     JSSF_SORT), strings escaped as lib/json.c does (\" \\ \b \f \n \r \t,
//     other control characters as \u00XX, everything else raw), integers in
//     decimal, reals with 15 significant digits ("%.15g").
//   - Datums in tables (ovsdb_datum_to_string): a scalar bare; a set "[a, b]";
//     a map "{k=v, k2=v2}"; the brackets also for an empty optional value.
//     Strings are quoted (as JSON) unless they look like an identifier
//     (a letter or '_' first, then letters, digits, '_', '-', '.') and are not
//     "true"/"false".
//   - Tables (lib/table.c, "table" format): a heading line, a line of dashes,
//     one line per row; each column as wide as its widest cell or heading, one
//     space between columns, trailing spaces removed; a blank line before every
//     table but the first printed by the process.
// Pure: strings in, strings out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/schema.h"

namespace ovnk::tools {

// Re-serializes one JSON text the way ovsdb-client prints it.
Result<std::string> ovs_json(std::string_view json);
// A string as a JSON literal, escaped as lib/json.c does.
std::string ovs_json_string(std::string_view s);

// ovsdb_atom_to_string / ovsdb_datum_to_string.
std::string ovs_atom_string(const ovsdb::Atom& atom);
std::string ovs_datum_string(const ovsdb::Datum& datum, const ovsdb::ColumnType& type);

class OvsTable {
 public:
  explicit OvsTable(std::vector<std::string> headings) : headings_(std::move(headings)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  size_t rows() const { return rows_.size(); }
  // The table's text; `first` = no blank line before it.
  std::string render(bool first) const;

 private:
  std::vector<std::string> headings_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ovnk::tools
