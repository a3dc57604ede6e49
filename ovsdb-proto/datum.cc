#include "ovsdb-proto/datum.h"

#include <algorithm>
#include <functional>

#include "ovsdb-proto/detail/simd.h"
#include "ovsdb-proto/json_writer.h"
#include "ovsdb-proto/schema.h"

namespace ovnk::ovsdb {

namespace {

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

size_t mix(size_t h, size_t v) {
  return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

}  // namespace

std::string_view atomic_type_name(AtomicType type) {
  switch (type) {
    case AtomicType::kInteger: return "integer";
    case AtomicType::kReal: return "real";
    case AtomicType::kBoolean: return "boolean";
    case AtomicType::kString: return "string";
    case AtomicType::kUuid: return "uuid";
  }
  return "?";
}

std::optional<AtomicType> parse_atomic_type(std::string_view name) {
  if (name == "integer") return AtomicType::kInteger;
  if (name == "real") return AtomicType::kReal;
  if (name == "boolean") return AtomicType::kBoolean;
  if (name == "string") return AtomicType::kString;
  if (name == "uuid") return AtomicType::kUuid;
  return std::nullopt;
}

// ---- Atom ----------------------------------------------------------------

AtomicType Atom::atomic_type() const {
  switch (kind()) {
    case Kind::kInteger: return AtomicType::kInteger;
    case Kind::kReal: return AtomicType::kReal;
    case Kind::kBoolean: return AtomicType::kBoolean;
    case Kind::kString: return AtomicType::kString;
    case Kind::kUuid:
    case Kind::kNamedUuid: return AtomicType::kUuid;
  }
  return AtomicType::kInteger;
}

int compare(const Atom& a, const Atom& b) {
  if (a.v_.index() != b.v_.index()) return three_way(a.v_.index(), b.v_.index());
  switch (a.kind()) {
    case Atom::Kind::kInteger: return three_way(a.as_integer(), b.as_integer());
    case Atom::Kind::kReal: return three_way(a.as_real(), b.as_real());
    case Atom::Kind::kBoolean: return three_way(a.as_boolean(), b.as_boolean());
    case Atom::Kind::kString: {
      int c = a.as_string().compare(b.as_string());  // memcmp order, as strcmp
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Atom::Kind::kUuid: return three_way(a.as_uuid(), b.as_uuid());
    case Atom::Kind::kNamedUuid: {
      int c = a.named_uuid_name().compare(b.named_uuid_name());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
  }
  return 0;
}

void Atom::write_json(JsonWriter& w) const {
  switch (kind()) {
    case Kind::kInteger: w.integer(as_integer()); break;
    case Kind::kReal: w.real(as_real()); break;
    case Kind::kBoolean: w.boolean(as_boolean()); break;
    case Kind::kString: w.string(as_string()); break;
    case Kind::kUuid: {
      char text[36];
      as_uuid().format_to(text);
      w.start_array().string("uuid").string(std::string_view(text, 36)).end_array();
      break;
    }
    case Kind::kNamedUuid:
      w.start_array().string("named-uuid").string(named_uuid_name()).end_array();
      break;
  }
}

std::string Atom::to_json() const {
  JsonWriter w;
  write_json(w);
  return w.take();
}

std::string Atom::to_string() const {
  switch (kind()) {
    case Kind::kInteger: return std::to_string(as_integer());
    case Kind::kReal: return to_json();
    case Kind::kBoolean: return as_boolean() ? "true" : "false";
    case Kind::kString: return json_quote(as_string());
    case Kind::kUuid: return as_uuid().to_string();
    case Kind::kNamedUuid: return named_uuid_name();
  }
  return {};
}

size_t Atom::hash() const {
  size_t h = v_.index();
  switch (kind()) {
    case Kind::kInteger: return mix(h, std::hash<int64_t>{}(as_integer()));
    case Kind::kReal: return mix(h, std::hash<double>{}(as_real()));
    case Kind::kBoolean: return mix(h, as_boolean() ? 1 : 0);
    case Kind::kString: return mix(h, std::hash<std::string>{}(as_string()));
    case Kind::kUuid: return mix(h, UuidHash{}(as_uuid()));
    case Kind::kNamedUuid: return mix(h, std::hash<std::string>{}(named_uuid_name()));
  }
  return h;
}

// ---- Datum ---------------------------------------------------------------

Datum Datum::empty_map() {
  Datum d;
  d.is_map_ = true;
  return d;
}

Datum Datum::scalar(Atom atom) {
  Datum d;
  d.keys_.push_back(std::move(atom));
  return d;
}

Datum Datum::set(std::vector<Atom> atoms) {
  Datum d;
  std::sort(atoms.begin(), atoms.end());
  atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
  d.keys_ = std::move(atoms);
  return d;
}

Datum Datum::map(std::vector<std::pair<Atom, Atom>> pairs) {
  Datum d;
  d.is_map_ = true;
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  d.keys_.reserve(pairs.size());
  d.values_.reserve(pairs.size());
  for (auto& [k, v] : pairs) {
    if (!d.keys_.empty() && d.keys_.back() == k) {
      d.values_.back() = std::move(v);  // the last one given wins
      continue;
    }
    d.keys_.push_back(std::move(k));
    d.values_.push_back(std::move(v));
  }
  return d;
}

Datum Datum::from_sorted(std::vector<Atom> keys, std::vector<Atom> values, bool is_map) {
  bool canonical = true;
  for (size_t i = 1; i < keys.size(); ++i) {
    if (!(keys[i - 1] < keys[i])) {
      canonical = false;
      break;
    }
  }
  if (is_map && values.size() != keys.size()) std::abort();  // broken invariant
  if (canonical) {
    Datum d;
    d.keys_ = std::move(keys);
    d.values_ = std::move(values);
    d.is_map_ = is_map;
    if (!is_map) d.values_.clear();
    return d;
  }
  if (!is_map) return set(std::move(keys));
  std::vector<std::pair<Atom, Atom>> pairs;
  pairs.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) pairs.emplace_back(std::move(keys[i]), std::move(values[i]));
  return map(std::move(pairs));
}

Datum Datum::string_set(std::initializer_list<std::string_view> strings) {
  std::vector<Atom> atoms;
  atoms.reserve(strings.size());
  for (std::string_view s : strings) atoms.push_back(Atom::string(std::string(s)));
  return set(std::move(atoms));
}

Datum Datum::string_set(const std::vector<std::string>& strings) {
  std::vector<Atom> atoms;
  atoms.reserve(strings.size());
  for (const auto& s : strings) atoms.push_back(Atom::string(s));
  return set(std::move(atoms));
}

Datum Datum::uuid_set(const std::vector<Uuid>& uuids) {
  std::vector<Atom> atoms;
  atoms.reserve(uuids.size());
  for (const auto& u : uuids) atoms.push_back(Atom::uuid(u));
  return set(std::move(atoms));
}

Datum Datum::string_map(std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::vector<std::pair<Atom, Atom>> v;
  v.reserve(pairs.size());
  for (const auto& [k, val] : pairs) v.emplace_back(Atom::string(std::string(k)), Atom::string(std::string(val)));
  return map(std::move(v));
}

Datum Datum::string_map(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::pair<Atom, Atom>> v;
  v.reserve(pairs.size());
  for (const auto& [k, val] : pairs) v.emplace_back(Atom::string(k), Atom::string(val));
  return map(std::move(v));
}

bool Datum::contains(const Atom& key) const {
  return std::binary_search(keys_.begin(), keys_.end(), key);
}

const Atom* Datum::find(const Atom& key) const {
  if (!is_map_) return nullptr;
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  if (it == keys_.end() || !(*it == key)) return nullptr;
  return &values_[static_cast<size_t>(it - keys_.begin())];
}

std::optional<std::string_view> Datum::get_string(std::string_view key) const {
  if (!is_map_) return std::nullopt;
  // Strings sort after integers, reals and booleans, so a heterogeneous search
  // would need an Atom; compare the string alternative directly instead.
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key, [](const Atom& a, std::string_view k) {
    if (!a.is_string()) return a.kind() < Atom::Kind::kString;
    return std::string_view(a.as_string()) < k;
  });
  if (it == keys_.end() || !it->is_string() || it->as_string() != key) return std::nullopt;
  const Atom& v = values_[static_cast<size_t>(it - keys_.begin())];
  if (!v.is_string()) return std::nullopt;
  return std::string_view(v.as_string());
}

int compare(const Datum& a, const Datum& b) {
  if (a.is_map_ != b.is_map_) return a.is_map_ ? 1 : -1;
  if (a.keys_.size() != b.keys_.size()) return a.keys_.size() < b.keys_.size() ? -1 : 1;
  for (size_t i = 0; i < a.keys_.size(); ++i) {
    int c = compare(a.keys_[i], b.keys_[i]);
    if (c != 0) return c;
  }
  for (size_t i = 0; i < a.values_.size(); ++i) {
    int c = compare(a.values_[i], b.values_[i]);
    if (c != 0) return c;
  }
  return 0;
}

void Datum::write_json(JsonWriter& w) const {
  if (is_map_) {
    w.start_array().string("map").start_array();
    for (size_t i = 0; i < keys_.size(); ++i) {
      w.start_array();
      keys_[i].write_json(w);
      values_[i].write_json(w);
      w.end_array();
    }
    w.end_array().end_array();
    return;
  }
  if (keys_.size() == 1) {
    keys_[0].write_json(w);
    return;
  }
  w.start_array().string("set").start_array();
  for (const Atom& a : keys_) a.write_json(w);
  w.end_array().end_array();
}

std::string Datum::to_json() const {
  JsonWriter w;
  write_json(w);
  return w.take();
}

Result<Datum> Datum::from_json(PaddedView json, const ColumnType* type) {
  detail::ScratchParser parser(json.size());
  OVNK_ASSIGN_OR_RETURN(simdjson::dom::element e, detail::parse_dom(parser.get(), json));
  return detail::datum_from_json(e, type);
}

Result<Datum> Datum::from_json(std::string_view json, const ColumnType* type) {
  PaddedString padded(json);
  return from_json(padded.view(), type);
}

size_t Datum::hash() const {
  size_t h = is_map_ ? 1 : 0;
  for (const Atom& a : keys_) h = mix(h, a.hash());
  for (const Atom& a : values_) h = mix(h, a.hash());
  return h;
}

}  // namespace ovnk::ovsdb
