// Streams on the loop, each on both backends (libuv, io_uring), plain and TLS:
//   - Throughput: 16 MiB pushed one way between the two ends of a unix
//     socketpair, the writer honouring write() == false / on_drained (bytes/s);
//   - RoundTrip: a 64-byte request echoed back, one at a time (round trips/s).
// TLS is TlsStream over SocketStream with certificates generated once into a
// temporary directory (tests/reactor/test_certs). A backend that cannot be
// created here (io_uring refused) is reported as skipped with the reason.
#include <benchmark/benchmark.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <string>

#include "bench/bench_backends.h"
#include "reactor/loop.h"
#include "reactor/socket_stream.h"
#include "reactor/tls.h"
#include "tests/reactor/test_certs.h"

namespace ovnk::reactor {
namespace {

using bench::make_loop;
using bench::Uring;
using bench::Uv;

struct Pki {
  std::unique_ptr<TlsContext> server;
  std::unique_ptr<TlsContext> client;
};

// Made once per process; nullptr when OpenSSL refused (reported as a skip).
// The contexts hold what they loaded, so the files go at once.
const Pki* pki() {
  static const Pki* made = []() -> const Pki* {
    testing::TempDir dir;
    auto* p = new Pki;
    auto certs = testing::make_test_certs(dir.path());
    if (!certs.ok()) return nullptr;
    auto server = TlsContext::server({certs->server_cert, certs->server_key, certs->ca_cert});
    auto client = TlsContext::client({certs->client_cert, certs->client_key, certs->ca_cert});
    if (!server.ok() || !client.ok()) return nullptr;
    p->server = std::make_unique<TlsContext>(std::move(server).value());
    p->client = std::make_unique<TlsContext>(std::move(client).value());
    return p;
  }();
  return made;
}

class Counter : public StreamHandler {
 public:
  void on_data(std::string_view d) override { received += d.size(); }
  void on_eof() override {}
  void on_error(const Error&) override { failed = true; }
  size_t received = 0;
  bool failed = false;
};

class Pusher : public StreamHandler {
 public:
  explicit Pusher(Stream& s) : stream(s) {}
  void on_data(std::string_view) override {}
  void on_eof() override {}
  void on_error(const Error&) override { failed = true; }
  void on_drained() override { pump(); }
  void pump() {
    while (left > 0) {
      size_t n = std::min(left, chunk.size());
      left -= n;
      if (!stream.write(std::string_view(chunk.data(), n))) return;
    }
  }
  Stream& stream;
  std::string chunk = std::string(64u << 10, 'b');
  size_t left = 0;
  bool failed = false;
};

class Echo : public StreamHandler {
 public:
  explicit Echo(Stream& s) : stream(s) {}
  void on_data(std::string_view d) override { stream.write(d); }
  void on_eof() override {}
  void on_error(const Error&) override { failed = true; }
  Stream& stream;
  bool failed = false;
};

// The two ends of a unix socketpair as Streams, with TLS on top when asked
// (handshake done before returning).
struct Ends {
  std::unique_ptr<Stream> a;
  std::unique_ptr<Stream> b;
};

bool make_ends(benchmark::State& state, Loop& loop, bool tls, Ends& ends) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return false;
  }
  ends.a = SocketStream::adopt(loop, sv[0]);
  ends.b = SocketStream::adopt(loop, sv[1]);
  if (!tls) return true;
  const Pki* p = pki();
  if (p == nullptr) {
    state.SkipWithError("could not make test certificates");
    return false;
  }
  auto client = TlsStream::client(loop, *p->client, std::move(ends.a), "localhost");
  auto server = TlsStream::server(loop, *p->server, std::move(ends.b));
  int done = 0;
  client->set_handshake_callback([&done] { ++done; });
  server->set_handshake_callback([&done] { ++done; });
  Counter ignore;
  client->set_handler(&ignore);
  server->set_handler(&ignore);
  if (!loop.run_until([&] { return done == 2 || ignore.failed; }, seconds(10)) || ignore.failed) {
    state.SkipWithError("tls handshake failed");
    return false;
  }
  client->set_handler(nullptr);
  server->set_handler(nullptr);
  ends.a = std::move(client);
  ends.b = std::move(server);
  return true;
}

template <class B, bool kTls>
void BM_Throughput(benchmark::State& state) {
  constexpr size_t kBytes = 16u << 20;
  auto loop = make_loop<B>(state);
  if (!loop) return;
  Ends ends;
  if (!make_ends(state, *loop, kTls, ends)) return;
  Pusher pusher(*ends.a);
  Counter sink;
  ends.a->set_handler(&pusher);
  ends.b->set_handler(&sink);
  for (auto _ : state) {
    sink.received = 0;
    pusher.left = kBytes;
    pusher.pump();
    while (sink.received < kBytes && !sink.failed && !pusher.failed) loop->run_once(true);
    if (sink.failed || pusher.failed) {
      state.SkipWithError("stream failed");
      break;
    }
  }
  ends = Ends{};
  loop->run_once(false);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(kBytes));
}

template <class B, bool kTls>
void BM_RoundTrip(benchmark::State& state) {
  auto loop = make_loop<B>(state);
  if (!loop) return;
  Ends ends;
  if (!make_ends(state, *loop, kTls, ends)) return;
  Counter client;
  Echo server(*ends.b);
  ends.a->set_handler(&client);
  ends.b->set_handler(&server);
  const std::string request(64, 'r');
  size_t expected = 0;
  for (auto _ : state) {
    ends.a->write(request);
    expected += request.size();
    while (client.received < expected && !client.failed && !server.failed) loop->run_once(true);
    if (client.failed || server.failed) {
      state.SkipWithError("stream failed");
      break;
    }
  }
  ends = Ends{};
  loop->run_once(false);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

BENCHMARK_TEMPLATE(BM_Throughput, Uv, false)->Name("Throughput/uv/plain")->UseRealTime();
BENCHMARK_TEMPLATE(BM_Throughput, Uring, false)->Name("Throughput/uring/plain")->UseRealTime();
BENCHMARK_TEMPLATE(BM_Throughput, Uv, true)->Name("Throughput/uv/tls")->UseRealTime();
BENCHMARK_TEMPLATE(BM_Throughput, Uring, true)->Name("Throughput/uring/tls")->UseRealTime();
BENCHMARK_TEMPLATE(BM_RoundTrip, Uv, false)->Name("RoundTrip/uv/plain")->UseRealTime();
BENCHMARK_TEMPLATE(BM_RoundTrip, Uring, false)->Name("RoundTrip/uring/plain")->UseRealTime();
BENCHMARK_TEMPLATE(BM_RoundTrip, Uv, true)->Name("RoundTrip/uv/tls")->UseRealTime();
BENCHMARK_TEMPLATE(BM_RoundTrip, Uring, true)->Name("RoundTrip/uring/tls")->UseRealTime();

}  // namespace
}  // namespace ovnk::reactor
