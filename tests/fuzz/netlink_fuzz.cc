// Fuzz entry point of the netlink library: every reader and parser of kernel
// bytes, and the Session's reply matching (the body is tests/netlink/fuzz_body.h,
// shared with netlink's deterministic smoke test, which also calls this entry).
// With clang and -DOVNK_FUZZ=ON it becomes a libFuzzer binary:
//   ./tests/fuzz/netlink_fuzz -max_total_time=60 corpus_dir/
#include <cstddef>
#include <cstdint>

#include "tests/netlink/fuzz_body.h"

namespace ovnk::fuzz {

int netlink_one_input(const uint8_t* data, size_t size) {
  (void)netlink::testing::fuzz_one(data, size);
  return 0;
}

}  // namespace ovnk::fuzz

#ifdef OVNK_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ovnk::fuzz::netlink_one_input(data, size);
}
#endif
