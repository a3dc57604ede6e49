// A small, strict JSON reader (RFC 8259) and value tree for CNI input: network
// configs, request bodies, results. All of it is small (the daemon caps a
// request at 1 MiB), so a plain tree is enough.
//
// Why not simdjson, as ovsdb-proto uses: Debian ships simdjson only as a shared
// library, which drags libstdc++.so into the ovnk-cni shim; loading and
// relocating libstdc++.so made each shim start ~3-4x dearer than /bin/true
// (bench/cni_startup_bench), and the shim runs once per pod ADD/DEL. With this
// reader the shim links libstdc++ statically and starts almost as fast as
// /bin/true. The daemon uses the same reader, so shim and daemon can never
// disagree about what a config means.
//
// Strictness, on purpose (this reads untrusted bytes): UTF-8 is validated
// (no overlongs, no surrogates, nothing above U+10FFFF), \u escapes must pair
// surrogates, control characters must be escaped, numbers follow the grammar
// exactly and must fit a double, nesting is capped at kMaxDepth, nothing may
// follow the top value. Duplicate object keys are kept; find() returns the
// first (as simdjson's at_key does). Integers that fit int64 are kept exact.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ovnk::cni::json {

inline constexpr int kMaxDepth = 128;

class Value {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Members = std::vector<std::pair<std::string, Value>>;

  Value() = default;
  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }

  std::optional<bool> as_bool() const;
  // The number as int64 when its literal is an integer that fits; else nullopt.
  std::optional<int64_t> as_int() const;
  std::optional<double> as_double() const;
  const std::string* as_string() const { return type_ == Type::kString ? &text_ : nullptr; }
  const std::vector<Value>* as_array() const { return type_ == Type::kArray ? &items_ : nullptr; }
  const Members* as_object() const { return type_ == Type::kObject ? &members_ : nullptr; }

  // The first member named `key` of an object; nullptr if absent or not an object.
  const Value* find(std::string_view key) const;

  // Compact JSON text of the value (numbers as they were written).
  std::string minify() const;

 private:
  friend class Reader;
  void write(std::string& out) const;

  Type type_ = Type::kNull;
  bool bool_ = false;
  bool is_int_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string text_;  // a string's contents, or a number's literal
  std::vector<Value> items_;
  Members members_;
};

// Parses exactly one JSON value. A failure is a "cni" error with code 6 whose
// message names `what` and the byte offset.
Result<Value> parse(std::string_view text, std::string_view what);

}  // namespace ovnk::cni::json
