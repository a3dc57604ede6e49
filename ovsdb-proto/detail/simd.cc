#include "ovsdb-proto/detail/simd.h"

#include <limits>
#include <utility>
#include <vector>

namespace ovnk::ovsdb::detail {

using simdjson::dom::element;
using simdjson::dom::element_type;

Error proto_error(int code, std::string_view message) { return make_error("ovsdb", code, message); }

Result<element> parse_dom(simdjson::dom::parser& parser, PaddedView json) {
  if (json.empty()) return proto_error(errc::kSyntax, "empty JSON text");
  element e;
  auto err = parser.parse(json.data(), json.size(), false).get(e);
  if (err) {
    return proto_error(errc::kSyntax, std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  return e;
}

Result<element> parse_dom_copy(simdjson::dom::parser& parser, std::string_view json) {
  element e;
  auto err = parser.parse(json.data(), json.size(), true).get(e);
  if (err) {
    return proto_error(errc::kSyntax, std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  return e;
}

ScratchParser::ScratchParser(size_t input_size) {
  constexpr size_t kReuseBelow = size_t{1} << 20;
  if (input_size < kReuseBelow) {
    static thread_local simdjson::dom::parser shared;
    parser_ = &shared;
  } else {
    owned_ = std::make_unique<simdjson::dom::parser>();
    parser_ = owned_.get();
  }
}

std::string_view json_type_name(element_type type) {
  switch (type) {
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
    case element_type::INT64:
    case element_type::UINT64: return "integer";
    case element_type::DOUBLE: return "real";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "?";
}

std::string to_json_text(element e) { return simdjson::minify(e); }

namespace {

Error type_error(std::string_view expected, element e) {
  std::string m = "expected ";
  m.append(expected).append(", got ");
  std::string text = to_json_text(e);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  m.append(text);
  return proto_error(errc::kType, m);
}

// ["<tag>", <string>] for tag "uuid" or "named-uuid"; returns false when `e` is
// not a two-element array starting with a string.
bool tagged_pair(element e, std::string_view& tag, element& second) {
  simdjson::dom::array a;
  if (e.get_array().get(a)) return false;
  if (a.size() != 2) return false;
  if (a.at(0).get_string().get(tag)) return false;
  return !a.at(1).get(second);
}

Result<Atom> uuid_atom(element e) {
  std::string_view tag;
  element second;
  if (tagged_pair(e, tag, second)) {
    std::string_view text;
    if (tag == "uuid" && !second.get_string().get(text)) {
      auto u = Uuid::try_parse(text);
      if (!u) return proto_error(errc::kSyntax, "invalid uuid \"" + std::string(text.substr(0, 64)) + "\"");
      return Atom::uuid(*u);
    }
    if (tag == "named-uuid" && !second.get_string().get(text)) {
      // ovsdb_atom_from_json requires an <id>: a letter or '_' then alnums.
      if (text.empty()) return proto_error(errc::kSyntax, "empty named-uuid");
      return Atom::named_uuid(std::string(text));
    }
  }
  return type_error("[\"uuid\",...] or [\"named-uuid\",...]", e);
}

Result<Atom> untyped_atom(element e) {
  switch (e.type()) {
    case element_type::INT64: return Atom::integer(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return proto_error(errc::kSyntax, "integer " + to_json_text(e) + " out of range");
    case element_type::DOUBLE: return Atom::real(e.get_double().value_unsafe());
    case element_type::BOOL: return Atom::boolean(e.get_bool().value_unsafe());
    case element_type::STRING: return Atom::string(std::string(e.get_string().value_unsafe()));
    case element_type::ARRAY: return uuid_atom(e);
    default: return type_error("an atom", e);
  }
}

}  // namespace

Result<Uuid> uuid_from_json(element e) {
  std::string_view tag;
  element second;
  std::string_view text;
  if (tagged_pair(e, tag, second) && tag == "uuid" && !second.get_string().get(text)) {
    auto u = Uuid::try_parse(text);
    if (u) return *u;
    return proto_error(errc::kSyntax, "invalid uuid \"" + std::string(text.substr(0, 64)) + "\"");
  }
  return type_error("[\"uuid\",\"<uuid>\"]", e);
}

Result<Atom> atom_from_json(element e, const BaseType* type) {
  if (type == nullptr) return untyped_atom(e);
  switch (type->type) {
    case AtomicType::kInteger:
      if (e.type() == element_type::INT64) return Atom::integer(e.get_int64().value_unsafe());
      if (e.type() == element_type::UINT64) {
        return proto_error(errc::kSyntax, "integer " + to_json_text(e) + " out of range");
      }
      return type_error("an integer", e);
    case AtomicType::kReal:
      switch (e.type()) {
        case element_type::INT64:
          return Atom::real(static_cast<double>(e.get_int64().value_unsafe()));
        case element_type::UINT64:
          return Atom::real(static_cast<double>(e.get_uint64().value_unsafe()));
        case element_type::DOUBLE: return Atom::real(e.get_double().value_unsafe());
        default: return type_error("a real", e);
      }
    case AtomicType::kBoolean:
      if (e.type() == element_type::BOOL) return Atom::boolean(e.get_bool().value_unsafe());
      return type_error("a boolean", e);
    case AtomicType::kString:
      if (e.type() == element_type::STRING) {
        return Atom::string(std::string(e.get_string().value_unsafe()));
      }
      return type_error("a string", e);
    case AtomicType::kUuid: return uuid_atom(e);
  }
  return type_error("an atom", e);
}

Result<Datum> datum_from_json(element e, const ColumnType* type) {
  const bool want_map = type != nullptr && type->is_map();
  const BaseType* key_type = type ? &type->key : nullptr;
  const BaseType* value_type = (type && type->value) ? &*type->value : nullptr;

  std::string_view tag;
  element inner;
  bool wrapped = tagged_pair(e, tag, inner) && (tag == "set" || tag == "map");
  if (!wrapped) {
    if (want_map) return type_error("[\"map\",[...]]", e);
    OVNK_ASSIGN_OR_RETURN(Atom a, atom_from_json(e, key_type));
    return Datum::scalar(std::move(a));
  }
  const bool is_map = tag == "map";
  if (type != nullptr && is_map != want_map) {
    return type_error(want_map ? "[\"map\",[...]]" : "a set or an atom", e);
  }
  simdjson::dom::array items;
  if (inner.get_array().get(items)) return type_error(is_map ? "[\"map\",[...]]" : "[\"set\",[...]]", e);

  std::vector<Atom> keys;
  std::vector<Atom> values;
  keys.reserve(items.size());
  if (is_map) values.reserve(items.size());
  for (element item : items) {
    if (is_map) {
      simdjson::dom::array pair;
      if (item.get_array().get(pair) || pair.size() != 2) return type_error("a [key, value] pair", item);
      OVNK_ASSIGN_OR_RETURN(Atom k, atom_from_json(pair.at(0).value_unsafe(), key_type));
      OVNK_ASSIGN_OR_RETURN(Atom v, atom_from_json(pair.at(1).value_unsafe(), value_type));
      keys.push_back(std::move(k));
      values.push_back(std::move(v));
    } else {
      OVNK_ASSIGN_OR_RETURN(Atom k, atom_from_json(item, key_type));
      keys.push_back(std::move(k));
    }
  }

  // The server sends canonical (sorted) datums: one linear check; sort otherwise.
  bool sorted = true;
  for (size_t i = 1; i < keys.size(); ++i) {
    int c = compare(keys[i - 1], keys[i]);
    if (c == 0) {
      return proto_error(errc::kSyntax, std::string(is_map ? "map contains duplicate key " : "set contains duplicate value ") +
                                            keys[i].to_string());
    }
    if (c > 0) sorted = false;
  }
  if (!sorted) {
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    for (size_t i = 1; i < order.size(); ++i) {
      if (keys[order[i - 1]] == keys[order[i]]) {
        return proto_error(errc::kSyntax, std::string(is_map ? "map contains duplicate key " : "set contains duplicate value ") +
                                              keys[order[i]].to_string());
      }
    }
    std::vector<Atom> k2;
    std::vector<Atom> v2;
    k2.reserve(keys.size());
    if (is_map) v2.reserve(keys.size());
    for (size_t i : order) {
      k2.push_back(std::move(keys[i]));
      if (is_map) v2.push_back(std::move(values[i]));
    }
    keys = std::move(k2);
    values = std::move(v2);
  }
  return Datum::from_sorted(std::move(keys), std::move(values), is_map);
}

}  // namespace ovnk::ovsdb::detail
