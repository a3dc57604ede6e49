// Helpers for the tests of the agent's pure planners (rows, topology, the
// management port): deterministic row uuids, and the position of a piece of
// a transaction's JSON (to assert on the order of operations; a missing
// piece fails the test where it is looked for).
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "ovsdb-proto/uuid.h"

namespace ovnk::agent::testing {

inline ovsdb::Uuid uuid(int n) {
  std::array<uint8_t, 16> b{};
  b[15] = static_cast<uint8_t>(n);
  return ovsdb::Uuid::from_random_bytes(b);
}

inline size_t pos(const std::string& hay, const std::string& needle) {
  size_t p = hay.find(needle);
  EXPECT_NE(p, std::string::npos) << "missing " << needle << " in " << hay;
  return p;
}

}  // namespace ovnk::agent::testing
