// Fuzz entry point of the CNI daemon's request path: bytes from the socket
// through the HTTP parser, the {env, config} body codec and make_request().
// Built as a libFuzzer binary with -DOVNK_LIBFUZZER (clang, OVNK_FUZZ=ON), and
// run over a deterministic corpus by tests/cni-frontend/fuzz_smoke_test.cc.
//
// Properties checked for every input (abort = what a fuzzer reports):
//   - the HTTP parser yields the same messages whatever the chunking;
//   - every refusal is a "cni" error with a well-known code, and the error
//     object written for it reads back;
//   - an accepted request's config re-encodes to itself (minify is a fixed
//     point) and its prevResult survives a 1.1 encode/decode round trip.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "cni-frontend/config.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/http_message.h"
#include "cni-frontend/request.h"
#include "cni-frontend/request_codec.h"
#include "cni-frontend/result.h"

namespace ovnk::fuzz {

int cni_request_one_input(const uint8_t* data, size_t size);

namespace {

bool known_code(int code) {
  return (code >= 1 && code <= 7) || code == 11 || code == 50 || code == 51 ||
         (code >= 100 && code <= 105);
}

void check_error(const Error& e) {
  if (e.domain != cni::kErrorDomain || !known_code(e.code) || e.message.empty()) std::abort();
  const cni::CniError ce = cni::CniError::from_error(e);
  if (!cni::decode_error(cni::encode_error(ce, "1.1.0")).ok()) std::abort();
}

// What the daemon does with one request body.
void handle_body(std::string_view body) {
  auto decoded = cni::decode_request_body(body);
  if (!decoded.ok()) {
    check_error(decoded.error());
    return;
  }
  auto request = cni::make_request(decoded->env, decoded->config_json);
  if (!request.ok()) {
    check_error(request.error());
    (void)cni::reply_version(decoded->config_json);
    return;
  }
  const cni::NetConfig& config = request->config;
  auto again = cni::parse_config(config.json);
  if (!again.ok() || again->json != config.json) std::abort();
  if (config.prev_result) {
    auto back = cni::decode_result(cni::encode_result(*config.prev_result, cni::SpecVersion::k110));
    if (!back.ok() || !(*back == *config.prev_result)) std::abort();
  }
}

struct Parsed {
  std::vector<std::string> bodies;
  bool failed = false;
  int status = 0;
};

Parsed parse_stream(std::string_view input, size_t chunk) {
  cni::http::Parser parser(cni::http::Parser::Type::kRequest, 64u << 10);
  Parsed out;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t n = chunk == 0 ? input.size() - pos : std::min(chunk, input.size() - pos);
    std::string_view piece = input.substr(pos, n);
    pos += n;
    while (!piece.empty()) {
      auto fed = parser.feed(piece);
      piece.remove_prefix(fed.consumed);
      if (fed.status == cni::http::Parser::Status::kError) {
        out.failed = true;
        out.status = parser.error_status();
        return out;
      }
      if (fed.status == cni::http::Parser::Status::kMessage) {
        out.bodies.push_back(parser.take().body);
      } else if (fed.consumed == 0) {
        std::abort();  // no progress without a reason
      }
    }
  }
  return out;
}

}  // namespace

int cni_request_one_input(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  // The raw bytes as a body, as a config, as CNI_ARGS.
  handle_body(input);
  if (auto c = cni::parse_config(input); !c.ok()) check_error(c.error());
  if (auto a = cni::parse_cni_args(input); !a.ok()) check_error(a.error());

  // The raw bytes as an HTTP stream, whole and split.
  const Parsed whole = parse_stream(input, 0);
  const Parsed split = parse_stream(input, 1 + data[0] % 32);
  if (whole.failed != split.failed || whole.bodies != split.bodies) std::abort();
  if (whole.failed && whole.status != 400 && whole.status != 413 && whole.status != 431) std::abort();
  for (const auto& body : whole.bodies) handle_body(body);
  return 0;
}

}  // namespace ovnk::fuzz

#ifdef OVNK_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ovnk::fuzz::cni_request_one_input(data, size);
}
#endif
