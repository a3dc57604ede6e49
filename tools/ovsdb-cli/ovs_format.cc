#include "tools/ovsdb-cli/ovs_format.h"

#include <simdjson.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

namespace ovnk::tools {

namespace {

void append_real(std::string& out, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", 15, v);
  out.append(buf);
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c >= 32) {
          out.push_back(ch);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out.append(buf);
        }
    }
  }
  out.push_back('"');
}

void write_sorted(std::string& out, simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      simdjson::dom::array array;
      if (e.get_array().get(array)) return;
      for (simdjson::dom::element child : array) {
        if (!first) out.push_back(',');
        first = false;
        write_sorted(out, child);
      }
      out.push_back(']');
      return;
    }
    case element_type::OBJECT: {
      std::vector<std::pair<std::string_view, simdjson::dom::element>> members;
      simdjson::dom::object object;
      if (e.get_object().get(object)) return;
      for (auto field : object) members.emplace_back(field.key, field.value);
      // Bytewise, as shash_sort (strcmp) does; stable for duplicate keys.
      std::stable_sort(members.begin(), members.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      for (const auto& [key, value] : members) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        write_sorted(out, value);
      }
      out.push_back('}');
      return;
    }
    case element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v)) return;
      out.append(std::to_string(v));
      return;
    }
    case element_type::UINT64: {
      // Beyond int64: lib/json.c reads such a number as a real.
      uint64_t v = 0;
      if (e.get_uint64().get(v)) return;
      append_real(out, static_cast<double>(v));
      return;
    }
    case element_type::DOUBLE: {
      double v = 0;
      if (e.get_double().get(v)) return;
      append_real(out, v);
      return;
    }
    case element_type::STRING: {
      std::string_view v;
      if (e.get_string().get(v)) return;
      append_json_string(out, v);
      return;
    }
    case element_type::BOOL: {
      bool v = false;
      if (e.get_bool().get(v)) return;
      out.append(v ? "true" : "false");
      return;
    }
    case element_type::NULL_VALUE:
      out.append("null");
      return;
  }
}

bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool string_needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  auto first = static_cast<unsigned char>(s[0]);
  if (!is_alpha(first) && first != '_') return true;
  for (char ch : s.substr(1)) {
    auto c = static_cast<unsigned char>(ch);
    if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-' && c != '.') return true;
  }
  return s == "true" || s == "false";
}

// Kept out of line: g++ 12 sees the freshly constructed parser's null buffers
// through the inlined parse and warns (-Wnull-dereference), wrongly.
[[gnu::noinline]] simdjson::dom::parser& json_parser() {
  static simdjson::dom::parser parser;
  return parser;
}

}  // namespace

Result<std::string> ovs_json(std::string_view json) {
  simdjson::dom::parser& parser = json_parser();
  simdjson::dom::element root;
  auto error = parser.parse(json.data(), json.size(), true).get(root);
  if (error) return make_error("json", 1, std::string("invalid JSON: ") + simdjson::error_message(error));
  std::string out;
  write_sorted(out, root);
  return out;
}

std::string ovs_json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string ovs_atom_string(const ovsdb::Atom& atom) {
  switch (atom.kind()) {
    case ovsdb::Atom::Kind::kInteger:
      return std::to_string(atom.as_integer());
    case ovsdb::Atom::Kind::kReal: {
      std::string out;
      append_real(out, atom.as_real());
      return out;
    }
    case ovsdb::Atom::Kind::kBoolean:
      return atom.as_boolean() ? "true" : "false";
    case ovsdb::Atom::Kind::kString:
      return string_needs_quotes(atom.as_string()) ? ovs_json_string(atom.as_string()) : atom.as_string();
    case ovsdb::Atom::Kind::kUuid:
      return atom.as_uuid().to_string();
    case ovsdb::Atom::Kind::kNamedUuid:
      return atom.named_uuid_name();
  }
  return {};
}

std::string ovs_datum_string(const ovsdb::Datum& datum, const ovsdb::ColumnType& type) {
  bool is_map = type.is_map();
  bool brackets = type.max > 1 || datum.empty();
  std::string out;
  if (brackets) out.push_back(is_map ? '{' : '[');
  for (size_t i = 0; i < datum.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(ovs_atom_string(datum.keys()[i]));
    if (is_map && i < datum.values().size()) {
      out.push_back('=');
      out.append(ovs_atom_string(datum.values()[i]));
    }
  }
  if (brackets) out.push_back(is_map ? '}' : ']');
  return out;
}

std::string OvsTable::render(bool first) const {
  std::string out;
  if (!first) out.push_back('\n');
  std::vector<size_t> widths(headings_.size(), 0);
  for (size_t x = 0; x < headings_.size(); ++x) {
    widths[x] = headings_[x].size();
    for (const auto& row : rows_) {
      if (x < row.size()) widths[x] = std::max(widths[x], row[x].size());
    }
  }
  auto finish_line = [&](std::string& line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.append(line).push_back('\n');
    line.clear();
  };
  std::string line;
  for (size_t x = 0; x < headings_.size(); ++x) {
    if (x > 0) line.push_back(' ');
    line.append(headings_[x]);
    line.append(widths[x] - headings_[x].size(), ' ');
  }
  finish_line(line);
  for (size_t x = 0; x < headings_.size(); ++x) {
    if (x > 0) line.push_back(' ');
    line.append(widths[x], '-');
  }
  finish_line(line);
  for (const auto& row : rows_) {
    for (size_t x = 0; x < headings_.size(); ++x) {
      if (x > 0) line.push_back(' ');
      const std::string cell = x < row.size() ? row[x] : std::string();
      line.append(cell);
      line.append(widths[x] - cell.size(), ' ');
    }
    finish_line(line);
  }
  return out;
}

}  // namespace ovnk::tools
