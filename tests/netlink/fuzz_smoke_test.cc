// Deterministic fuzz smoke test: captured kernel replies mutated by a fixed
// seed (bit flips, overwritten length fields, cuts, splices, random bytes) go
// through every parser and a Session (fuzz_body.h). Run it under ASan+UBSan:
// the assertion that matters is that nothing crashes or reads out of bounds.
// The fuzz entry point (tests/fuzz/netlink_fuzz.cc, a libFuzzer binary with
// -DOVNK_FUZZ=ON and clang) runs the same body without a bound.
#include <random>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/netlink/captures.h"
#include "tests/netlink/fuzz_body.h"
#include "tests/netlink/hex.h"

namespace ovnk::netlink::testing {
namespace {

std::vector<Bytes> corpus() {
  std::vector<Bytes> out;
  for (std::string_view hex :
       {kLinkVethGetReply, kLinkGetProbeError, kAddr4Rows, kAddrDone, kAddr6RowsAndDone, kRoute4Rows,
        kRouteDone, kRoute6Rows, kErrorNexthopInvalidGateway, kErrorLinkExists, kGenlEthtoolFamily,
        kEthtoolFeaturesVerbose}) {
    out.push_back(from_hex(hex));
  }
  // Replies aimed at the fuzz body's in-flight sequence numbers 1..5.
  out.push_back(from_hex("24000000 0200 0001 01000000 00000000 00000000 20000000 1000 0500 01000000 00000000"));
  out.push_back(from_hex("14000000 0300 0200 05000000 00000000 00000000"));
  out.push_back(from_hex("14000000 0300 1200 05000000 00000000 00000000"));
  return out;
}

Bytes mutate(const std::vector<Bytes>& seeds, std::mt19937& rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % (n == 0 ? 1 : n)); };
  Bytes b = seeds[pick(seeds.size())];
  int rounds = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < rounds; ++i) {
    switch (rng() % 7) {
      case 0:  // flip a bit
        if (!b.empty()) b[pick(b.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // overwrite a 16-bit field with a boundary value (lengths, types)
        if (b.size() >= 2) {
          static const uint16_t kVals[] = {0, 1, 3, 4, 15, 16, 17, 0x7fff, 0xffff, 20, 36};
          uint16_t v = kVals[rng() % (sizeof kVals / sizeof kVals[0])];
          size_t at = pick(b.size() - 1) & ~size_t{1};
          std::memcpy(b.data() + at, &v, 2);
        }
        break;
      case 2:  // cut
        b.resize(pick(b.size() + 1));
        break;
      case 3: {  // splice in part of another seed
        const Bytes& o = seeds[pick(seeds.size())];
        size_t from = pick(o.size());
        size_t len = pick(o.size() - from + 1);
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(pick(b.size() + 1)), o.begin() + static_cast<std::ptrdiff_t>(from),
                 o.begin() + static_cast<std::ptrdiff_t>(from + len));
        break;
      }
      case 4:  // random bytes appended
        for (size_t n = pick(64); n > 0; --n) b.push_back(static_cast<char>(rng()));
        break;
      case 5:  // rewrite a sequence number to hit in-flight requests
        if (b.size() >= 12) {
          uint32_t seq = 1 + static_cast<uint32_t>(rng() % 5);
          std::memcpy(b.data() + 8, &seq, 4);
        }
        break;
      default:  // a 32-bit field to a boundary value
        if (b.size() >= 4) {
          static const uint32_t kVals[] = {0, 0xffffffffu, 0x80000000u, 16, 0xffffffeau};
          uint32_t v = kVals[rng() % 5];
          std::memcpy(b.data() + (pick(b.size() - 3) & ~size_t{3}), &v, 4);
        }
        break;
    }
  }
  return b;
}

TEST(NetlinkFuzzSmoke, MutatedCapturesNeverCrash) {
  std::vector<Bytes> seeds = corpus();
  std::mt19937 rng(20260401);  // fixed: the test is deterministic
  size_t reached = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes input = mutate(seeds, rng);
    reached += fuzz_one(reinterpret_cast<const uint8_t*>(input.data()), input.size()) > 0;
  }
  // Mutations must leave enough structure for the parsers to be exercised.
  EXPECT_GT(reached, 5000u);
}

TEST(NetlinkFuzzSmoke, EmptyAndTinyInputs) {
  EXPECT_EQ(fuzz_one(nullptr, 0), 0u);
  uint8_t one = 0xff;
  EXPECT_EQ(fuzz_one(&one, 1), 0u);
  for (const Bytes& seed : corpus()) {
    auto* p = reinterpret_cast<const uint8_t*>(seed.data());
    EXPECT_GT(fuzz_one(p, seed.size()), 0u);
    EXPECT_EQ(fuzz::netlink_one_input(p, seed.size()), 0);
  }
}

}  // namespace
}  // namespace ovnk::netlink::testing
