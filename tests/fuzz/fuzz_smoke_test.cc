// Runs the fuzz entry points over a deterministic corpus: hand-written seeds and
// a few thousand seeded mutations of them (bit flips, byte insertions and
// deletions, truncation, splices). Not a fuzzer: a regression net that CI runs
// with any compiler (and under ASan/UBSan in the sanitizer build).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_entry.h"

namespace ovnk::fuzz {
namespace {

const std::vector<std::string>& seeds() {
  static const std::vector<std::string> s = {
      R"({"id":1,"method":"echo","params":[]})",
      R"({"method":"echo","params":[],"id":"echo"})",
      R"({"id":"echo","result":[],"error":null})",
      R"({"id":3,"error":{"error":"unknown database","details":"x"}})",
      R"({"id":4,"result":null,"error":"e"})",
      R"({"id":null,"method":"update2","params":["m",{"T":{"0123abcd-4567-89ab-cdef-0123456789ab":{"insert":{"a":"}{\"","b":["set",[1,2]]}}}}]})",
      R"({"id":5,"result":[{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]},{"rows":[{"a":["map",[["k","v"]]]}]},{"count":1}],"error":null})",
      R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]},{"rows":[]},{"error":"constraint violation","details":"d"}])",
      R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]},{"rows":[]},{"count":0},{"error":"referential integrity violation"}])",
      R"(["set",[1,2.5,true,"s",["uuid","0123abcd-4567-89ab-cdef-0123456789ab"],["named-uuid","n"]]])",
      R"(["map",[["a",1],["b",["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]]]])",
      R"({"name":"d","version":"1.0.0","tables":{"T":{"columns":{"c":{"type":{"key":{"type":"integer","minInteger":0},"min":0,"max":"unlimited"}}},"isRoot":true,"indexes":[["c"]]}}})",
      "{\"a\":\"\\\\\"}{\"b\":[[[]]]}\n[1]{\"c\":\"\\u00e9\"}",
  };
  return s;
}

std::string mutate(const std::string& in, const std::vector<std::string>& all, std::mt19937& rng) {
  std::string s = in;
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    size_t pos = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 7) {
      case 0:
        if (!s.empty()) s[pos] = static_cast<char>(s[pos] ^ (1 << (rng() % 8)));
        break;
      case 1: s.insert(pos, 1, "{}[]\",:\\ 0aZ"[rng() % 12]); break;
      case 2:
        if (!s.empty()) s.erase(pos, 1 + rng() % 4);
        break;
      case 3: s.resize(pos); break;
      case 4: {
        const std::string& other = all[rng() % all.size()];
        size_t from = other.empty() ? 0 : rng() % other.size();
        s.insert(pos, other.substr(from, rng() % 32));
        break;
      }
      case 5: s += all[rng() % all.size()]; break;
      default:
        if (!s.empty()) s[pos] = static_cast<char>(rng() % 256);
        break;
    }
  }
  return s;
}

TEST(FuzzSmoke, SeedsAndMutations) {
  const auto& base = seeds();
  std::mt19937 rng(20261128);
  size_t runs = 0;
  for (const auto& s : base) {
    auto* p = reinterpret_cast<const uint8_t*>(s.data());
    EXPECT_EQ(framing_one_input(p, s.size()), 0);
    EXPECT_EQ(jsonrpc_one_input(p, s.size()), 0);
    ++runs;
  }
  // OVNK_FUZZ_SMOKE_ITERATIONS raises the count for a longer local run.
  const char* env = std::getenv("OVNK_FUZZ_SMOKE_ITERATIONS");
  const long iterations = env != nullptr ? std::max(1L, std::atol(env)) : 4000;
  for (long i = 0; i < iterations; ++i) {
    std::string m = mutate(base[rng() % base.size()], base, rng);
    auto* p = reinterpret_cast<const uint8_t*>(m.data());
    ASSERT_EQ(framing_one_input(p, m.size()), 0) << m;
    ASSERT_EQ(jsonrpc_one_input(p, m.size()), 0) << m;
    ++runs;
  }
  EXPECT_EQ(runs, base.size() + static_cast<size_t>(iterations));
}

TEST(FuzzSmoke, EmptyAndTinyInputs) {
  EXPECT_EQ(framing_one_input(nullptr, 0), 0);
  EXPECT_EQ(jsonrpc_one_input(reinterpret_cast<const uint8_t*>(""), 0), 0);
  for (int b = 0; b < 256; ++b) {
    uint8_t two[2] = {static_cast<uint8_t>(b), static_cast<uint8_t>(255 - b)};
    EXPECT_EQ(framing_one_input(two, 2), 0);
    EXPECT_EQ(jsonrpc_one_input(two, 2), 0);
  }
}

}  // namespace
}  // namespace ovnk::fuzz
