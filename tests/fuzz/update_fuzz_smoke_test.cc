// Runs the update fuzz entry point over a deterministic corpus: seeds in every
// mode (update, update2, update3, the three monitor replies) and seeded
// mutations of them. Besides byte-level damage, most mutations swap one known
// word for another (a row uuid, a row-update kind, a column name, a value), so
// that the input stays valid JSON and reaches the replica: modify of missing
// rows, inserts of existing ones, wrong types, diffs that break the bounds.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tests/fuzz/update_fuzz.h"

namespace ovnk::fuzz {
namespace {

// A seed is the mode byte (see update_fuzz.h) followed by the JSON.
std::string seed(char mode, std::string json) { return std::string(1, mode) + json; }

const std::vector<std::string>& seeds() {
  static const std::vector<std::string> s = {
      seed(0, R"(["nb",{"Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"modify":{"name":"p1x","tag":7,"addresses":"a","options":["map",[["k","v"],["n","m"]]]}},
          "00000000-0000-0000-0000-000000000009":{"insert":{"name":"p9","up":false}},
          "00000000-0000-0000-0000-000000000002":{"delete":null}},
        "Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"modify":{
          "ports":["set",[["uuid","00000000-0000-0000-0000-000000000002"],["uuid","00000000-0000-0000-0000-000000000009"]]]}}}}])"),
      seed(0, R"(["nb",{"Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"modify":{"name":"p2"}},
          "00000000-0000-0000-0000-000000000002":{"modify":{"name":"p1"}}},
        "Pair":{"00000000-0000-0000-0000-000000000004":{"modify":{"two":"c","b":2,"weight":1.5}}}}])"),
      seed(1, R"(["nb",{"Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"old":{"name":"p1"},"new":{"name":"p1y","tag":["set",[]]}},
          "00000000-0000-0000-0000-000000000009":{"new":{"name":"p9"}},
          "00000000-0000-0000-0000-000000000002":{"old":{}}}}])"),
      seed(2, R"(["nb","22222222-2222-3333-4444-555555555555",{"Logical_Router_Port":{
          "00000000-0000-0000-0000-000000000003":{"modify":{"networks":["set",["10.0.0.1/24","10.0.1.1/24"]]}}}}])"),
      seed(3, R"([false,"22222222-2222-3333-4444-555555555555",{"Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"initial":{"name":"p1","up":true}},
          "00000000-0000-0000-0000-000000000009":{"initial":{"name":"p9"}}}}])"),
      seed(3, R"([true,"22222222-2222-3333-4444-555555555555",{"Pair":{
          "00000000-0000-0000-0000-000000000004":{"delete":null}}}])"),
      seed(4,
           R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"initial":{"name":"sw0"}}},
          "Logical_Switch_Port":{"00000000-0000-0000-0000-000000000002":{"initial":{"name":"p2","up":true}}}})"),
      seed(
          5,
          R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000002":{"new":{"name":"p2"}}}})"),
  };
  return s;
}

// Words that keep the JSON valid when swapped for one another.
const std::vector<std::string>& words() {
  static const std::vector<std::string> w = {
      "\"00000000-0000-0000-0000-000000000001\"",
      "\"00000000-0000-0000-0000-000000000002\"",
      "\"00000000-0000-0000-0000-000000000009\"",
      "\"00000000-0000-0000-0000-0000000000a0\"",
      "\"00000000-0000-0000-0000-000000000004\"",
      "\"modify\"",
      "\"insert\"",
      "\"delete\"",
      "\"initial\"",
      "\"old\"",
      "\"new\"",
      "\"name\"",
      "\"tag\"",
      "\"up\"",
      "\"options\"",
      "\"two\"",
      "\"ports\"",
      "\"networks\"",
      "\"Logical_Switch_Port\"",
      "\"Pair\"",
      "\"Logical_Switch\"",
      "\"Logical_Router_Port\"",
      "true",
      "false",
      "null",
      "7",
      "1.5",
      "\"p1\"",
      "\"p2\"",
      "[\"set\",[]]",
      "[\"map\",[]]",
      "[\"map\",[[\"k\",\"v\"]]]",
      "[\"set\",[\"a\",\"b\",\"c\"]]",
      "[\"uuid\",\"00000000-0000-0000-0000-000000000002\"]",
  };
  return w;
}

std::string mutate(const std::string& in, std::mt19937& rng) {
  std::string s = in;
  const auto& w = words();
  int rounds = 1 + static_cast<int>(rng() % 3);
  for (int r = 0; r < rounds; ++r) {
    auto what = rng() % 10;
    if (what < 7) {  // swap a word for another, at a random occurrence
      const std::string& from = w[rng() % w.size()];
      size_t start = s.size() <= 1 ? 1 : 1 + rng() % (s.size() - 1);
      size_t at = s.find(from, start);
      if (at == std::string::npos) at = s.find(from, 1);
      if (at != std::string::npos) s.replace(at, from.size(), w[rng() % w.size()]);
    } else if (what == 7) {  // another mode
      s[0] = static_cast<char>(rng() % 6);
    } else if (s.size() > 1) {  // byte damage
      size_t pos = 1 + rng() % (s.size() - 1);
      if (what == 8) {
        s[pos] = "{}[]\",:0a"[rng() % 9];
      } else {
        s.erase(pos, 1 + rng() % 8);
      }
    }
  }
  return s;
}

TEST(UpdateFuzzSmoke, SeedsAndMutations) {
  for (const std::string& s : seeds()) {
    ASSERT_EQ(update_one_input(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0);
  }
  std::mt19937 rng(7047);
  // OVNK_FUZZ_SMOKE_ITERATIONS raises the count for a longer local run.
  const char* env = std::getenv("OVNK_FUZZ_SMOKE_ITERATIONS");
  const long iterations = env != nullptr ? std::max(1L, std::atol(env)) : 2000;
  for (long i = 0; i < iterations; ++i) {
    std::string m = mutate(seeds()[rng() % seeds().size()], rng);
    ASSERT_EQ(update_one_input(reinterpret_cast<const uint8_t*>(m.data()), m.size()), 0) << m;
  }
}

TEST(UpdateFuzzSmoke, EmptyAndTinyInputs) {
  EXPECT_EQ(update_one_input(nullptr, 0), 0);
  for (int mode = 0; mode < 6; ++mode) {
    for (std::string_view body : {"", "{}", "[]", "[\"nb\",{}]", "[true,\"x\",{}]", "null"}) {
      std::string s = std::string(1, static_cast<char>(mode)) + std::string(body);
      EXPECT_EQ(update_one_input(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0);
    }
  }
}

}  // namespace
}  // namespace ovnk::fuzz
