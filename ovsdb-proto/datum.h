// Atom and Datum: the values of OVSDB columns (RFC 7047 section 5.1).
//
// An Atom is one scalar: integer (int64), real (double), boolean, string, uuid,
// or named-uuid (a name for a row inserted earlier in the same transaction; valid
// only in requests, the server never sends one).
//
// A Datum is what a column holds: a set of atoms or a map from atoms to atoms
// (a scalar column is a set of exactly one). Invariant, as in OVSDB
// (ovsdb_datum_sort): keys are sorted ascending and unique; a map keeps values_
// parallel to keys_. Constructors establish it, so two Datums are equal exactly
// when they hold the same elements, whatever order they were given in.
//
// Order of atoms of one type is OVSDB's: integers and reals numerically, false <
// true, strings byte-wise (strcmp), uuids by their text form. Atoms of different
// types (only possible in untyped data) order by type, for determinism only.
//
// JSON forms (RFC 7047 5.1): atoms bare, except ["uuid","..."] and
// ["named-uuid","name"]; a set of exactly one element as that bare atom, else
// ["set",[...]]; a map as ["map",[[k,v],...]].
// Decoding needs the column type to be exact ("abc" could be a one-element set
// or a scalar, 1 could be a real); without one, the JSON shape decides: a bare
// atom is a scalar set, an integer stays an integer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/json_value.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ovsdb {

class JsonWriter;
struct ColumnType;

// The atomic types of the schema language ("integer", "real", ...).
enum class AtomicType : uint8_t { kInteger, kReal, kBoolean, kString, kUuid };
std::string_view atomic_type_name(AtomicType type);
std::optional<AtomicType> parse_atomic_type(std::string_view name);

struct NamedUuid {
  std::string name;
  friend bool operator==(const NamedUuid&, const NamedUuid&) = default;
};

class Atom {
 public:
  // Order matches the variant's alternatives.
  enum class Kind : uint8_t { kInteger, kReal, kBoolean, kString, kUuid, kNamedUuid };

  Atom() : v_(int64_t{0}) {}
  static Atom integer(int64_t v) { return Atom(V(std::in_place_index<0>, v)); }
  static Atom real(double v) { return Atom(V(std::in_place_index<1>, v)); }
  static Atom boolean(bool v) { return Atom(V(std::in_place_index<2>, v)); }
  static Atom string(std::string v) { return Atom(V(std::in_place_index<3>, std::move(v))); }
  static Atom uuid(const Uuid& v) { return Atom(V(std::in_place_index<4>, v)); }
  static Atom named_uuid(std::string name) {
    return Atom(V(std::in_place_index<5>, NamedUuid{std::move(name)}));
  }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_integer() const { return kind() == Kind::kInteger; }
  bool is_real() const { return kind() == Kind::kReal; }
  bool is_boolean() const { return kind() == Kind::kBoolean; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_uuid() const { return kind() == Kind::kUuid; }
  bool is_named_uuid() const { return kind() == Kind::kNamedUuid; }
  // The atomic type this atom belongs to (a named-uuid is a uuid).
  AtomicType atomic_type() const;

  // Accessors abort on the wrong kind (a broken invariant, not bad input).
  int64_t as_integer() const { return std::get<0>(v_); }
  double as_real() const { return std::get<1>(v_); }
  bool as_boolean() const { return std::get<2>(v_); }
  const std::string& as_string() const { return std::get<3>(v_); }
  const Uuid& as_uuid() const { return std::get<4>(v_); }
  const std::string& named_uuid_name() const { return std::get<5>(v_).name; }

  // <0, 0, >0 in the order described at the top of this file.
  friend int compare(const Atom& a, const Atom& b);
  friend bool operator==(const Atom& a, const Atom& b) { return compare(a, b) == 0; }
  friend bool operator<(const Atom& a, const Atom& b) { return compare(a, b) < 0; }

  void write_json(JsonWriter& w) const;
  std::string to_json() const;
  // For error messages and logs: strings quoted, uuids bare.
  std::string to_string() const;

  size_t hash() const;

 private:
  using V = std::variant<int64_t, double, bool, std::string, Uuid, NamedUuid>;
  explicit Atom(V v) : v_(std::move(v)) {}
  V v_;
};

class Datum {
 public:
  // The empty set.
  Datum() = default;

  static Datum empty_set() { return Datum(); }
  static Datum empty_map();
  static Datum scalar(Atom atom);
  // Sorts; duplicates collapse to one.
  static Datum set(std::vector<Atom> atoms);
  // Sorts by key; a key given more than once keeps the value given last.
  static Datum map(std::vector<std::pair<Atom, Atom>> pairs);

  // Conveniences for the common column types.
  static Datum integer(int64_t v) { return scalar(Atom::integer(v)); }
  static Datum real(double v) { return scalar(Atom::real(v)); }
  static Datum boolean(bool v) { return scalar(Atom::boolean(v)); }
  static Datum string(std::string v) { return scalar(Atom::string(std::move(v))); }
  static Datum uuid(const Uuid& v) { return scalar(Atom::uuid(v)); }
  static Datum named_uuid(std::string name) { return scalar(Atom::named_uuid(std::move(name))); }
  static Datum string_set(std::initializer_list<std::string_view> strings);
  static Datum string_set(const std::vector<std::string>& strings);
  static Datum uuid_set(const std::vector<Uuid>& uuids);
  static Datum string_map(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);
  static Datum string_map(const std::vector<std::pair<std::string, std::string>>& pairs);

  bool is_map() const { return is_map_; }
  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  const std::vector<Atom>& keys() const { return keys_; }
  // Parallel to keys(); empty unless is_map().
  const std::vector<Atom>& values() const { return values_; }

  // The only element of a one-element set (scalar columns), else nullptr.
  const Atom* as_scalar() const { return (!is_map_ && keys_.size() == 1) ? &keys_[0] : nullptr; }
  // Binary searches.
  bool contains(const Atom& key) const;
  const Atom* find(const Atom& key) const;  // the value for key in a map, else nullptr
  // Map of strings: the value for key when both are strings.
  std::optional<std::string_view> get_string(std::string_view key) const;

  // OVSDB's ovsdb_datum_compare_3way: by size first, then element-wise (keys,
  // then values). A set and a map never compare equal.
  friend int compare(const Datum& a, const Datum& b);
  friend bool operator==(const Datum& a, const Datum& b) { return compare(a, b) == 0; }
  friend bool operator<(const Datum& a, const Datum& b) { return compare(a, b) < 0; }

  void write_json(JsonWriter& w) const;
  std::string to_json() const;

  // Decodes a datum's JSON. With `type`, atoms must be of its key/value types
  // (an integer is accepted for a real), a map type requires ["map",...], and
  // is_map() follows the type; the element count and constraints are NOT
  // checked here (ColumnType::check does). Without `type`, the shape decides.
  // Duplicate keys are an error, as in ovsdb_datum_from_json.
  static Result<Datum> from_json(PaddedView json, const ColumnType* type = nullptr);
  static Result<Datum> from_json(std::string_view json, const ColumnType* type = nullptr);

  size_t hash() const;

  // For decoders whose input is almost always canonical: takes keys (and
  // parallel values) as they are when already sorted and unique (one linear
  // check), else sorts and dedupes like set()/map().
  static Datum from_sorted(std::vector<Atom> keys, std::vector<Atom> values, bool is_map);

 private:
  std::vector<Atom> keys_;
  std::vector<Atom> values_;
  bool is_map_ = false;
};

}  // namespace ovnk::ovsdb
