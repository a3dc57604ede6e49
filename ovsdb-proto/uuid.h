// Uuid: the 128-bit row identifier of OVSDB, written "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
//
// The 16 bytes are kept in the order of the text form (big-endian), so byte-wise
// ordering equals OVSDB's uuid_compare_3way (it compares the four 32-bit parts in
// text order) and equals the lexicographic order of the lowercase text form.
// Pure code stays deterministic: generation takes the random bytes (or a seeded
// generator) from the caller; only random_uuid() reads the kernel's randomness.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::ovsdb {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  // Exactly 36 characters, hex digits of either case, dashes at 8, 13, 18, 23
  // (what ovs's uuid_from_string accepts).
  static Result<Uuid> parse(std::string_view text);
  static std::optional<Uuid> try_parse(std::string_view text);
  static bool looks_like_uuid(std::string_view text) { return try_parse(text).has_value(); }

  // A version-4 (random) uuid from 16 caller-supplied random bytes: the version
  // and variant bits are overwritten, the other 122 bits kept.
  static Uuid from_random_bytes(const std::array<uint8_t, 16>& random);
  // A version-4 uuid drawn from a caller-owned (seeded) generator.
  static Uuid generate(std::mt19937_64& rng);

  // Lowercase 36-character text form.
  std::string to_string() const;
  // Writes the 36 characters to out[0..35] (no terminator).
  void format_to(char* out) const;

  bool is_zero() const;

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend std::strong_ordering operator<=>(const Uuid&, const Uuid&) = default;
};

// A version-4 uuid from getrandom(2); fails only if the kernel refuses randomness.
Result<Uuid> random_uuid();

struct UuidHash {
  size_t operator()(const Uuid& u) const noexcept;
};

}  // namespace ovnk::ovsdb

template <>
struct std::hash<ovnk::ovsdb::Uuid> {
  size_t operator()(const ovnk::ovsdb::Uuid& u) const noexcept { return ovnk::ovsdb::UuidHash{}(u); }
};
