#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ovsdb-proto/framing.h"
#include "ovsdb-proto/jsonrpc.h"
#include "tests/fuzz/fuzz_entry.h"

namespace ovnk::fuzz {

namespace {

struct Outcome {
  std::vector<std::string> messages;
  bool failed = false;
  int code = 0;
};

// Feeds `input` in chunks of `chunk` bytes (0 = all at once) to a framer with
// a small size limit, so that the limit is exercised too.
Outcome run(std::string_view input, size_t chunk) {
  ovsdb::Framer f(4096);
  Outcome o;
  size_t pos = 0;
  do {
    size_t n = chunk == 0 ? input.size() : std::min(chunk, input.size() - pos);
    f.feed(input.substr(pos, n));
    pos += n;
    for (;;) {
      auto r = f.next();
      if (!r.ok()) {
        o.failed = true;
        o.code = r.error().code;
        return o;
      }
      if (!r->has_value()) break;
      std::string_view m = (**r).text();
      // A framed message is one balanced value starting with { or [.
      if (m.empty() || (m.front() != '{' && m.front() != '[') || (m.back() != '}' && m.back() != ']')) std::abort();
      (void)ovsdb::parse_message(**r);  // must not crash, whatever the bytes
      o.messages.emplace_back(m);
    }
  } while (pos < input.size());
  return o;
}

}  // namespace

int framing_one_input(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks a chunk size; the rest is the stream.
  size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  Outcome whole = run(input, 0);
  Outcome split = run(input, chunk);
  // A message that completes in one chunk is never held back by the other...
  if (whole.failed != split.failed || whole.code != split.code) {
    // ...except for the size limit: an incomplete oversized message fails as
    // soon as it is seen, which may be before the complete messages behind it
    // when everything arrives at once. Same error kind either way.
    if (!(whole.failed && split.failed)) std::abort();
  }
  if (!whole.failed && whole.messages != split.messages) std::abort();
  if (whole.failed && split.failed) {
    // Whatever both produced before failing must agree on the common prefix.
    size_t n = std::min(whole.messages.size(), split.messages.size());
    for (size_t i = 0; i < n; ++i) {
      if (whole.messages[i] != split.messages[i]) std::abort();
    }
  }
  return 0;
}

}  // namespace ovnk::fuzz

#ifdef OVNK_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ovnk::fuzz::framing_one_input(data, size);
}
#endif
