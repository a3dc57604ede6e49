// A deterministic fuzz smoke test of everything that reads untrusted CNI input:
// mutated request bodies, configs, results, CNI_ARGS and HTTP byte streams must
// never crash, hang or trip the sanitizers, and every failure must be a "cni"
// error with a well-known code. Seeds are fixed, so a failure reproduces. The
// same inputs also go through the libFuzzer entry points of tests/fuzz
// (cni_request_fuzz.cc, cni_json_fuzz.cc), which check more properties.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "cni-frontend/args.h"
#include "cni-frontend/config.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/http_message.h"
#include "cni-frontend/request.h"
#include "cni-frontend/request_codec.h"
#include "cni-frontend/result.h"

namespace ovnk::fuzz {
int cni_request_one_input(const uint8_t* data, size_t size);
int cni_json_one_input(const uint8_t* data, size_t size);
}  // namespace ovnk::fuzz

namespace ovnk::cni {
namespace {

int run_entry_points(const std::string& input, uint8_t selector) {
  std::string with_selector(1, static_cast<char>(selector));
  with_selector += input;
  auto* p = reinterpret_cast<const uint8_t*>(with_selector.data());
  int rc = fuzz::cni_request_one_input(p, with_selector.size());
  rc |= fuzz::cni_json_one_input(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  return rc;
}

const std::vector<std::string>& seeds() {
  static const std::vector<std::string> s = {
      R"({"env":{"CNI_COMMAND":"ADD","CNI_CONTAINERID":"abc","CNI_NETNS":"/proc/1/ns/net","CNI_IFNAME":"eth0","CNI_ARGS":"IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p","CNI_PATH":"/opt/cni/bin"},"config":{"cniVersion":"1.0.0","name":"n","type":"ovnk-cni","mtu":1400,"ipamMode":"ovn"}})",
      R"({"env":{"CNI_COMMAND":"CHECK","CNI_CONTAINERID":"abc","CNI_NETNS":"/run/netns/x","CNI_IFNAME":"eth0"},"config":{"cniVersion":"0.4.0","name":"n","type":"t","prevResult":{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"0a:58:0a:00:00:02","sandbox":"/run/netns/x"}],"ips":[{"version":"4","interface":0,"address":"10.0.0.2/24","gateway":"10.0.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.96.0.10"]}}}})",
      R"({"env":{"CNI_COMMAND":"GC"},"config":{"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}]}})",
      R"({"env":{"CNI_COMMAND":"DEL","CNI_CONTAINERID":"abc","CNI_IFNAME":"eth0"},"config":{"cniVersion":"1.1.0","name":"n","type":"t","timeoutSeconds":3.5}})",
  };
  return s;
}

std::string mutate(std::string s, std::mt19937& rng) {
  const std::string alphabet = "{}[]\":,0123456789.-eE\\/ \n\tabcADDnulltrue\xff\x80";
  std::uniform_int_distribution<int> op(0, 5);
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < steps; ++i) {
    if (s.empty()) s.push_back('{');
    const size_t pos = rng() % s.size();
    switch (op(rng)) {
      case 0: s.erase(pos, 1 + rng() % 8); break;
      case 1: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      case 2: s[pos] = alphabet[rng() % alphabet.size()]; break;
      case 3: s.insert(pos, s.substr(rng() % s.size(), rng() % 32)); break;  // duplicate a slice
      case 4: s.resize(pos); break;                                            // truncate
      default: s[pos] = static_cast<char>(rng() & 0xff); break;              // any byte
    }
  }
  return s;
}

// A body wrapped in HTTP requests as the shim sends them, pipelined twice: a
// keep-alive one, then the shim's own (Connection: close).
std::string cni_post_for_fuzz(const std::string& body) {
  const std::string last = http::format_post("/cni", body);
  std::string first = last;
  first.erase(first.find("Connection: close\r\n"), 19);
  return first + last;
}

bool known_code(int code) {
  return (code >= 1 && code <= 7) || code == 11 || code == 50 || code == 51 ||
         (code >= 100 && code <= 105);
}

void expect_cni_error(const Error& e, const std::string& input) {
  EXPECT_EQ(e.domain, "cni") << input;
  EXPECT_TRUE(known_code(e.code)) << e.code << " for " << input;
  EXPECT_FALSE(e.message.empty());
}

TEST(FuzzSmokeTest, RequestBodiesAndConfigs) {
  std::mt19937 rng(20240611);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string input = mutate(seeds()[static_cast<size_t>(i) % seeds().size()], rng);
    auto body = decode_request_body(input);
    if (!body.ok()) {
      expect_cni_error(body.error(), input);
      continue;
    }
    auto request = make_request(body->env, body->config_json);
    if (!request.ok()) {
      expect_cni_error(request.error(), input);
      // The error reply must itself be valid JSON we can read back.
      const std::string reply = encode_error(CniError::from_error(request.error()),
                                             reply_version(body->config_json));
      EXPECT_TRUE(decode_error(reply).ok()) << reply;
      continue;
    }
    ++accepted;
    if (request->config.prev_result) {
      for (auto v : {SpecVersion::k030, SpecVersion::k040, SpecVersion::k100, SpecVersion::k110}) {
        EXPECT_TRUE(decode_result(encode_result(*request->config.prev_result, v)).ok());
      }
    }
  }
  EXPECT_GT(accepted, 0);  // the mutator leaves some inputs valid: the happy path ran too
}

TEST(FuzzSmokeTest, EntryPointsOverSeedsAndMutations) {
  std::mt19937 rng(314159);
  std::vector<std::string> corpus = seeds();
  for (const auto& s : seeds()) corpus.push_back(cni_post_for_fuzz(s));
  corpus.push_back(R"({"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mtu":1400,"socketPath":"/s","pciID":"0000:00:01.0"}],"ips":[{"address":"fd00::5/64","gateway":"fd00::1","interface":0}],"routes":[{"dst":"::/0","priority":10,"table":254,"scope":0}],"dns":{"domain":"x","options":["ndots:5"]}})");
  for (const auto& s : corpus) ASSERT_EQ(run_entry_points(s, 7), 0) << s;
  for (int i = 0; i < 6000; ++i) {
    const std::string m = mutate(corpus[rng() % corpus.size()], rng);
    ASSERT_EQ(run_entry_points(m, static_cast<uint8_t>(rng())), 0) << m;
  }
}

TEST(FuzzSmokeTest, CniArgs) {
  std::mt19937 rng(7);
  const std::string seed = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_UID=u";
  for (int i = 0; i < 20000; ++i) {
    const std::string input = mutate(seed, rng);
    auto a = parse_cni_args(input);
    if (!a.ok()) expect_cni_error(a.error(), input);
  }
}

TEST(FuzzSmokeTest, HttpStreamsSplitAnywhere) {
  std::mt19937 rng(99);
  const std::string seed =
      "POST /cni HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
      "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n";
  for (int i = 0; i < 5000; ++i) {
    const std::string input = i == 0 ? seed : mutate(seed, rng);
    http::Parser p(http::Parser::Type::kRequest, 64);
    std::string_view rest = input;
    int guard = 0;
    while (!rest.empty() && ++guard < 10000) {
      const size_t n = 1 + rng() % 16;
      auto fed = p.feed(rest.substr(0, std::min(n, rest.size())));
      rest.remove_prefix(fed.consumed);
      if (fed.status == http::Parser::Status::kError) {
        EXPECT_TRUE(p.error_status() == 400 || p.error_status() == 413 || p.error_status() == 431);
        break;
      }
      if (fed.status == http::Parser::Status::kMessage) {
        EXPECT_LE(p.take().body.size(), 64u);
      }
    }
    ASSERT_LT(guard, 10000) << "parser made no progress on: " << input;
    if (i == 0) {
      EXPECT_TRUE(rest.empty());
    }
  }
}

}  // namespace
}  // namespace ovnk::cni
