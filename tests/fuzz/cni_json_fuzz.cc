// Fuzz entry point of cni-frontend's strict JSON reader (json_value.h) and the
// result codec on top of it. Built as a libFuzzer binary with -DOVNK_LIBFUZZER
// (clang, OVNK_FUZZ=ON), and run over a deterministic corpus by
// tests/cni-frontend/fuzz_smoke_test.cc.
//
// Properties: whatever parses minifies to text that parses again to the same
// minified text (a fixed point, so what the shim forwards is what the daemon
// reads); a refusal is always code 6; a decoded result re-encodes in every
// version to something that decodes again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cni-frontend/json_value.h"
#include "cni-frontend/result.h"

namespace ovnk::fuzz {

int cni_json_one_input(const uint8_t* data, size_t size);

int cni_json_one_input(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto value = cni::json::parse(input, "fuzz input");
  if (!value.ok()) {
    if (value.error().code != 6) std::abort();
  } else {
    const std::string once = value->minify();
    auto again = cni::json::parse(once, "minified");
    if (!again.ok() || again->minify() != once) std::abort();
  }
  auto result = cni::decode_result(input);
  if (result.ok()) {
    for (auto v : {cni::SpecVersion::k030, cni::SpecVersion::k031, cni::SpecVersion::k040,
                   cni::SpecVersion::k100, cni::SpecVersion::k110}) {
      if (!cni::decode_result(cni::encode_result(*result, v)).ok()) std::abort();
    }
  } else if (result.error().code != 6 && result.error().code != 7) {
    std::abort();
  }
  return 0;
}

}  // namespace ovnk::fuzz

#ifdef OVNK_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ovnk::fuzz::cni_json_one_input(data, size);
}
#endif
