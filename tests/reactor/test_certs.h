// Test support for the stream and TLS suites.
//
//   - TempDir (tests/support/temp_dir.h): a private directory under /tmp.
//   - make_test_certs(): a throw-away PKI written with the OpenSSL API (no
//     openssl binary): a CA, a server certificate for localhost / 127.0.0.1 /
//     ::1, a client certificate, all signed by the CA, and a second unrelated CA
//     for "wrong CA" cases. EC P-256 keys: fast to generate.
//   - Peer and BulkPeer: StreamHandlers that record what a stream delivers, and
//     that push a large deterministic byte stream while honouring backpressure.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "reactor/stream.h"
#include "tests/support/temp_dir.h"

namespace ovnk::reactor::testing {

using ovnk::testing::TempDir;

struct TestCerts {
  std::string ca_cert;
  std::string server_cert;  // CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
  std::string server_key;
  std::string client_cert;  // CN=ovnk-test-client
  std::string client_key;
  std::string other_ca_cert;  // a CA that signed nothing we use
};
Result<TestCerts> make_test_certs(const std::string& dir);

// Records everything a stream delivers. Hooks let a test react (echo, close...).
class Peer : public StreamHandler {
 public:
  Peer() = default;
  explicit Peer(std::unique_ptr<Stream> s) { attach(std::move(s)); }
  void attach(std::unique_ptr<Stream> s) {
    stream = std::move(s);
    stream->set_handler(this);
  }

  void on_data(std::string_view data) override {
    ++calls_after_close_check;
    received.append(data);
    if (on_data_hook) on_data_hook(data);
  }
  void on_eof() override {
    ++calls_after_close_check;
    eof = true;
    if (on_eof_hook) on_eof_hook();
  }
  void on_error(const Error& e) override {
    ++calls_after_close_check;
    error = e;
  }
  void on_drained() override { ++drained; }

  bool done() const { return eof || error.has_value(); }

  std::unique_ptr<Stream> stream;
  std::string received;
  bool eof = false;
  std::optional<Error> error;
  int drained = 0;
  int calls_after_close_check = 0;  // every callback counts; tests reset it
  std::function<void(std::string_view)> on_data_hook;
  std::function<void()> on_eof_hook;
};

// xorshift64 bytes: a stream that does not depend on how it is chunked.
class BytePattern {
 public:
  explicit BytePattern(uint64_t seed) : state_(seed | 1) {}
  void fill(char* out, size_t n);

 private:
  uint64_t state_;
  uint64_t word_ = 0;
  int left_ = 0;
};

// Sends `to_send` pseudo-random bytes (seeded) in 64 KiB writes, stopping when
// write() returns false and resuming on on_drained(), then half-closes. Checks
// what it receives with the same order-sensitive hash.
class BulkPeer : public StreamHandler {
 public:
  BulkPeer(std::unique_ptr<Stream> s, size_t to_send, uint64_t seed);

  void start() { pump(); }
  void on_data(std::string_view data) override;
  void on_eof() override { eof = true; }
  void on_error(const Error& e) override { error = e; }
  void on_drained() override {
    ++drains;
    pump();
  }

  // The hash of `size` bytes of the stream seeded with `seed`.
  static uint64_t expected_hash(size_t size, uint64_t seed);

  std::unique_ptr<Stream> stream;
  size_t to_send;
  size_t sent = 0;
  size_t received = 0;
  uint64_t received_hash;
  int refusals = 0;  // write() returned false
  int drains = 0;
  bool eof = false;
  std::optional<Error> error;

 private:
  void pump();
  BytePattern pattern_;
};

}  // namespace ovnk::reactor::testing
