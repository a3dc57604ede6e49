// Stream sockets on every loop backend: addresses, connect (refused, timeout,
// cancel), listeners (unix stale files, port 0, EMFILE), echo over unix/tcp4/
// tcp6, 10 MB both ways with backpressure, half-close, peers dying, streams
// closed or destroyed from their own callbacks, read fairness.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

#include "base/log.h"
#include "reactor/listener.h"
#include "reactor/socket_address.h"
#include "reactor/socket_stream.h"
#include "tests/reactor/backends.h"
#include "tests/reactor/test_certs.h"

namespace ovnk::reactor::testing {
namespace {

// --- SocketAddress (pure) -----------------------------------------------------

TEST(SocketAddressTest, ParsesAndPrintsEveryForm) {
  for (const char* text : {"unix:/run/ovnk/cni.sock", "unix:relative.sock", "tcp:127.0.0.1:6641",
                           "tcp:0.0.0.0:0", "tcp:[::1]:6641", "tcp:[::]:65535",
                           "tcp:[fe80::1%1]:80"}) {
    auto a = SocketAddress::parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.error().to_string();
    EXPECT_EQ(a->to_string(), text);
    auto again = SocketAddress::parse(a->to_string());
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again == *a) << text;
  }
  auto v4 = SocketAddress::parse("tcp:10.1.2.3:6641");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->host(), "10.1.2.3");
  EXPECT_EQ(v4->port(), 6641);
  EXPECT_EQ(v4->with_port(1).to_string(), "tcp:10.1.2.3:1");
  auto v6 = SocketAddress::parse("tcp:[2001:db8::1]:443");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->host(), "2001:db8::1");
  auto un = SocketAddress::parse("unix:/tmp/x.sock");
  ASSERT_TRUE(un.ok());
  EXPECT_TRUE(un->is_unix());
  EXPECT_EQ(un->path(), "/tmp/x.sock");
  EXPECT_EQ(un->port(), 0);
}

TEST(SocketAddressTest, RejectsMalformedWithReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  for (const Case& c : std::vector<Case>{
           {"", "expected unix:PATH"},
           {"ssl:1.2.3.4:6641", "expected unix:PATH"},
           {"unix:", "empty unix socket path"},
           {"tcp:1.2.3.4", "expected HOST:PORT"},
           {"tcp:1.2.3.4:", "missing port"},
           {"tcp:1.2.3.4:65536", "0..65535"},
           {"tcp:1.2.3.4:-1", "0..65535"},
           {"tcp:1.2.3.4:80x", "0..65535"},
           {"tcp:::1:80", "needs brackets"},
           {"tcp:[::1:80", "missing ']'"},
           {"tcp:[::1]80", "expected ':PORT'"},
           {"tcp::80", "empty host"},
           {"tcp:1.2.3:80", "not a numeric"},
           {"tcp:ovn-nb.example:6641", "resolver"},
           {"tcp:[fe80::1%nosuchif0]:80", "not a numeric"},
       }) {
    auto a = SocketAddress::parse(c.text);
    ASSERT_FALSE(a.ok()) << "'" << c.text << "' parsed as " << a->to_string();
    EXPECT_EQ(a.error().domain, "config");
    EXPECT_NE(a.error().message.find(c.reason), std::string::npos)
        << c.text << " -> " << a.error().message;
  }
  std::string long_path = "unix:/" + std::string(200, 'x');
  auto too_long = SocketAddress::parse(long_path);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("longer than 107"), std::string::npos);
}

TEST(SocketAddressTest, SplitsHostPortForTheResolver) {
  auto hp = split_host_port("ovn-nb.example:6641");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "ovn-nb.example");
  EXPECT_EQ(hp->port, 6641);
  auto v6 = split_host_port("[2001:db8::5]:6642");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "2001:db8::5");
  EXPECT_FALSE(split_host_port("nohost").ok());
}

TEST(SocketAddressTest, FromSockaddrRoundTrip) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(8080);
  in.sin_addr.s_addr = htonl(0x7f000001);
  auto a = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in), sizeof in);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->to_string(), "tcp:127.0.0.1:8080");
  EXPECT_FALSE(SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&in), 4).ok());
  auto ip = SocketAddress::from_ip("::1", 9);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->to_string(), "tcp:[::1]:9");
}

// --- fixtures ---------------------------------------------------------------------

// A listening socket that never accepts, with its backlog already full, so that
// a further connect can never complete: the deterministic way to reach a connect
// timeout on loopback (a tcp SYN is dropped, a unix connect gets EAGAIN).
class FullBacklog {
 public:
  explicit FullBacklog(const SocketAddress& where) {
    listener_ = ::socket(where.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(listener_, 0);
    EXPECT_EQ(::bind(listener_, where.sockaddr(), where.length()), 0) << std::strerror(errno);
    EXPECT_EQ(::listen(listener_, 0), 0);
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&ss), &len);
    address_ = *SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    // Backlog 0 still admits one connection: take that slot (blocking connect).
    filler_ = ::socket(where.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(::connect(filler_, address_.sockaddr(), address_.length()), 0)
        << std::strerror(errno);
  }
  ~FullBacklog() {
    ::close(filler_);
    ::close(listener_);
  }
  const SocketAddress& address() const { return address_; }

 private:
  int listener_ = -1;
  int filler_ = -1;
  SocketAddress address_;
};

bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  auto a = SocketAddress::parse("tcp:[::1]:0");
  bool ok = ::bind(fd, a->sockaddr(), a->length()) == 0;
  ::close(fd);
  return ok;
}

template <class B>
class StreamTest : public LoopTest<B> {
 protected:
  using ConnectResult = Result<std::unique_ptr<Stream>>;

  void release_handles() override {
    for (auto& p : peers_) p->stream.reset();
    for (auto& p : bulk_) p->stream.reset();
    listener_.reset();
    accepted_.clear();
    taken_ = 0;
  }

  Loop& L() { return this->loop(); }

  SocketAddress unix_address(std::string_view name = "s.sock") {
    return *SocketAddress::unix_path(dir_.file(name));
  }

  ConnectResult connect(const SocketAddress& address, Duration timeout = seconds(5),
                        StreamOptions options = {}) {
    std::optional<ConnectResult> got;
    auto attempt = SocketStream::connect(
        L(), address, timeout, [&](ConnectResult r) { got.emplace(std::move(r)); }, options);
    if (!L().run_until([&] { return got.has_value(); }, seconds(20))) {
      return make_error("test", 0, "connect never called back");
    }
    return std::move(*got);
  }

  // Listens; every accepted stream lands in accepted_ (raw, no handler yet).
  void listen(const SocketAddress& address, ListenOptions options = {}) {
    auto l = Listener::listen(
        L(), address, [this](std::unique_ptr<Stream> s) { accepted_.push_back(std::move(s)); },
        options);
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    listener_ = std::move(l).value();
  }

  std::unique_ptr<Stream> wait_accepted() {
    size_t before = taken_;
    if (!L().run_until([&] { return accepted_.size() > before; }, seconds(10))) return nullptr;
    return std::move(accepted_[taken_++]);
  }

  Peer& peer(std::unique_ptr<Stream> s) {
    peers_.push_back(std::make_unique<Peer>(std::move(s)));
    return *peers_.back();
  }

  // Connects a client to the listener and pairs it with the accepted stream.
  std::pair<Peer*, Peer*> pair(StreamOptions options = {}) {
    auto c = connect(listener_->address(), seconds(5), options);
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    if (!c.ok()) return {nullptr, nullptr};
    Peer& client = peer(std::move(c).value());
    auto s = wait_accepted();
    EXPECT_NE(s, nullptr);
    if (!s) return {nullptr, nullptr};
    Peer& server = peer(std::move(s));
    return {&client, &server};
  }

  void echo_round_trip(const SocketAddress& address) {
    listen(address);
    auto pr = pair();
    Peer* client = pr.first;
    Peer* server = pr.second;
    ASSERT_NE(client, nullptr);
    server->on_data_hook = [server](std::string_view d) { server->stream->write(d); };
    EXPECT_TRUE(client->stream->write("hello, "));
    EXPECT_TRUE(client->stream->write("world"));
    ASSERT_TRUE(L().run_until([&] { return client->received == "hello, world"; }, seconds(10)));
    EXPECT_EQ(server->received, "hello, world");
    // Names for the logs: each end names the other.
    EXPECT_EQ(client->stream->peer_name().substr(0, 4), address.to_string().substr(0, 4));
    if (address.is_tcp()) {
      EXPECT_EQ(client->stream->peer_name(), listener_->address().to_string());
      EXPECT_EQ(server->stream->peer_name(), client->stream->local_name());
    } else {
      EXPECT_EQ(client->stream->peer_name(), address.to_string());
      EXPECT_NE(server->stream->peer_name().find("(pid=" + std::to_string(getpid()) + ")"),
                std::string::npos)
          << server->stream->peer_name();
    }
    EXPECT_FALSE(client->done());
    EXPECT_FALSE(server->done());
  }

  // 10 MB each way at once; both writers honour write() == false / on_drained.
  void bulk_both_ways(const SocketAddress& address) {
    constexpr size_t kBytes = 10u << 20;
    StreamOptions small;
    small.high_water = 256u << 10;
    small.low_water = 64u << 10;
    ListenOptions lo;
    lo.stream = small;
    listen(address, lo);
    auto c = connect(listener_->address(), seconds(5), small);
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    auto s = wait_accepted();
    ASSERT_NE(s, nullptr);
    bulk_.push_back(std::make_unique<BulkPeer>(std::move(c).value(), kBytes, 1));
    bulk_.push_back(std::make_unique<BulkPeer>(std::move(s), kBytes, 2));
    BulkPeer& a = *bulk_[0];
    BulkPeer& b = *bulk_[1];
    a.start();
    b.start();
    ASSERT_TRUE(L().run_until([&] { return (a.eof && b.eof) || a.error || b.error; }, seconds(60)));
    ASSERT_FALSE(a.error) << a.error->to_string();
    ASSERT_FALSE(b.error) << b.error->to_string();
    EXPECT_EQ(a.received, kBytes);
    EXPECT_EQ(b.received, kBytes);
    EXPECT_EQ(a.received_hash, BulkPeer::expected_hash(kBytes, 2));
    EXPECT_EQ(b.received_hash, BulkPeer::expected_hash(kBytes, 1));
    // Backpressure was exercised, and every refusal was followed by a drain.
    EXPECT_GT(a.refusals, 0);
    EXPECT_GT(b.refusals, 0);
    EXPECT_EQ(a.drains, a.refusals);
    EXPECT_EQ(b.drains, b.refusals);
    EXPECT_EQ(a.stream->queued_bytes(), 0u);
  }

  TempDir dir_;
  std::unique_ptr<Listener> listener_;
  std::vector<std::unique_ptr<Stream>> accepted_;
  size_t taken_ = 0;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<std::unique_ptr<BulkPeer>> bulk_;
};
TYPED_TEST_SUITE(StreamTest, AllBackends, BackendNames);

// --- echo, bulk, half-close ------------------------------------------------------

TYPED_TEST(StreamTest, EchoUnix) { this->echo_round_trip(this->unix_address()); }

TYPED_TEST(StreamTest, EchoTcp4) { this->echo_round_trip(*SocketAddress::parse("tcp:127.0.0.1:0")); }

TYPED_TEST(StreamTest, EchoTcp6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback (::1) on this machine";
  this->echo_round_trip(*SocketAddress::parse("tcp:[::1]:0"));
}

TYPED_TEST(StreamTest, TenMegabytesBothWaysUnix) { this->bulk_both_ways(this->unix_address()); }

TYPED_TEST(StreamTest, TenMegabytesBothWaysTcp) {
  this->bulk_both_ways(*SocketAddress::parse("tcp:127.0.0.1:0"));
}

TYPED_TEST(StreamTest, HalfCloseThenReply) {
  for (const SocketAddress& address :
       {this->unix_address(), *SocketAddress::parse("tcp:127.0.0.1:0")}) {
    SCOPED_TRACE(address.to_string());
    this->listen(address);
    auto pr = this->pair();
    Peer* client = pr.first;
    Peer* server = pr.second;
    ASSERT_NE(client, nullptr);
    server->on_eof_hook = [server] {
      // The request is complete: reply, then half-close our side too.
      EXPECT_TRUE(server->stream->write("reply to " + server->received));
      server->stream->shutdown_write();
    };
    EXPECT_TRUE(client->stream->write("request"));
    client->stream->shutdown_write();
    EXPECT_FALSE(client->stream->write("too late")) << "write after shutdown_write";
    ASSERT_TRUE(this->L().run_until([&] { return client->done(); }, seconds(10)));
    EXPECT_FALSE(client->error) << client->error->to_string();
    EXPECT_TRUE(client->eof);
    EXPECT_EQ(client->received, "reply to request");
    EXPECT_TRUE(server->eof);
    EXPECT_EQ(server->received, "request");
    this->release_handles();
  }
}

TYPED_TEST(StreamTest, PauseAndResumeReading) {
  this->listen(this->unix_address());
  auto pr = this->pair();
    Peer* client = pr.first;
    Peer* server = pr.second;
  ASSERT_NE(client, nullptr);
  server->stream->pause_reading();
  client->stream->write("while paused");
  // Nothing may arrive while paused (a bounded wait that must time out).
  EXPECT_FALSE(this->L().run_until([&] { return !server->received.empty(); }, milliseconds(50)));
  server->stream->resume_reading();
  ASSERT_TRUE(this->L().run_until([&] { return server->received == "while paused"; }, seconds(5)));
}

// --- connect --------------------------------------------------------------------

TYPED_TEST(StreamTest, RefusedConnectionNamesTheAddress) {
  // A bound socket that does not listen: the port is ours, and refuses.
  int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto any = *SocketAddress::parse("tcp:127.0.0.1:0");
  ASSERT_EQ(::bind(holder, any.sockaddr(), any.length()), 0);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(holder, reinterpret_cast<sockaddr*>(&ss), &len);
  auto target = *SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);

  auto r = this->connect(target);
  ::close(holder);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().domain, "io");
  EXPECT_EQ(r.error().code, ECONNREFUSED);
  EXPECT_NE(r.error().message.find(target.to_string()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().to_string().find("Connection refused"), std::string::npos);

  auto missing = this->unix_address("nobody-here.sock");
  auto u = this->connect(missing);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ENOENT);
  EXPECT_NE(u.error().message.find(missing.to_string()), std::string::npos);
}

TYPED_TEST(StreamTest, ConnectTimesOutOnFullBacklog) {
  for (const SocketAddress& where :
       {this->unix_address("full.sock"), *SocketAddress::parse("tcp:127.0.0.1:0")}) {
    SCOPED_TRACE(where.to_string());
    FullBacklog full(where);
    auto r = this->connect(full.address(), milliseconds(150));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ETIMEDOUT);
    EXPECT_NE(r.error().message.find(full.address().to_string()), std::string::npos);
    EXPECT_NE(r.error().message.find("timed out after 150 ms"), std::string::npos)
        << r.error().message;
  }
}

TYPED_TEST(StreamTest, DestroyingTheAttemptCancelsIt) {
  FullBacklog full(*SocketAddress::parse("tcp:127.0.0.1:0"));
  bool called = false;
  auto attempt = SocketStream::connect(this->L(), full.address(), seconds(30),
                                       [&](Result<std::unique_ptr<Stream>>) { called = true; });
  for (int i = 0; i < 5; ++i) this->L().run_once(false);
  attempt.reset();
  EXPECT_FALSE(this->L().run_until([&] { return called; }, milliseconds(20)));
  EXPECT_FALSE(called);
  // The fixture checks that the attempt's watch and timers are gone.
}

TYPED_TEST(StreamTest, CallbackMayDestroyTheAttempt) {
  this->listen(this->unix_address());
  std::unique_ptr<ConnectAttempt> attempt;
  std::unique_ptr<Stream> got;
  attempt = SocketStream::connect(this->L(), this->listener_->address(), seconds(5),
                                  [&](Result<std::unique_ptr<Stream>> r) {
                                    attempt.reset();  // the handle that is calling us
                                    if (r.ok()) got = std::move(r).value();
                                  });
  ASSERT_TRUE(this->L().run_until([&] { return got != nullptr; }, seconds(5)));
  EXPECT_EQ(attempt, nullptr);
  got.reset();
}

// --- listener -------------------------------------------------------------------

TYPED_TEST(StreamTest, ListenerOnPortZeroReportsItsPort) {
  this->listen(*SocketAddress::parse("tcp:127.0.0.1:0"));
  uint16_t port = this->listener_->port();
  EXPECT_NE(port, 0);
  EXPECT_EQ(this->listener_->address().to_string(), "tcp:127.0.0.1:" + std::to_string(port));
  auto pr = this->pair();
    Peer* client = pr.first;
    EXPECT_NE(pr.second, nullptr);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(this->listener_->stats().accepted, 1u);
}

TYPED_TEST(StreamTest, StaleUnixSocketIsReplacedOnlyWhenAsked) {
  SocketAddress where = this->unix_address("stale.sock");
  std::string path = where.path();
  {
    // A server that died without removing its socket file.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_EQ(::bind(fd, where.sockaddr(), where.length()), 0);
    ::close(fd);
  }
  auto refused = Listener::listen(this->L(), where, [](std::unique_ptr<Stream>) {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, EADDRINUSE);
  EXPECT_NE(refused.error().message.find(path), std::string::npos);

  ListenOptions replace;
  replace.remove_stale_socket = true;
  this->listen(where, replace);
  EXPECT_EQ(this->listener_->path(), path);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);  // the caller owns the permissions
  auto pr = this->pair();
    Peer* client = pr.first;
    EXPECT_NE(pr.second, nullptr);
  ASSERT_NE(client, nullptr);

  // A live server is never replaced, even when asked.
  auto live = Listener::listen(this->L(), where, [](std::unique_ptr<Stream>) {}, replace);
  ASSERT_FALSE(live.ok());
  EXPECT_NE(live.error().message.find("a server is listening"), std::string::npos);

  // Nor is a file that is not a socket.
  std::string regular = this->dir_.file("regular");
  std::ofstream(regular) << "keep me";
  auto file = Listener::listen(this->L(), *SocketAddress::unix_path(regular),
                               [](std::unique_ptr<Stream>) {}, replace);
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message.find("not a socket"), std::string::npos);
  struct stat st{};
  EXPECT_EQ(stat(regular.c_str(), &st), 0);

  // The listener removes its socket file when destroyed.
  this->release_handles();
  EXPECT_NE(stat(path.c_str(), &st), 0);
}

TYPED_TEST(StreamTest, AcceptPausesOnEmfileWithoutSpinning) {
#if defined(__SANITIZE_ADDRESS__)
  // With no descriptor left, UBSan's vptr check cannot open the pipe it probes
  // memory with and reports a false "invalid vptr".
  GTEST_SKIP() << "needs free descriptors under the sanitizers; runs in the default build";
#endif
  std::vector<std::string> logged;
  log::set_sink([&](std::string_view line) { logged.emplace_back(line); });
  ListenOptions options;
  options.accept_pause = milliseconds(10);
  this->listen(this->unix_address(), options);

  int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const SocketAddress& a = this->listener_->address();
  ASSERT_EQ(::connect(client, a.sockaddr(), a.length()), 0);  // waits in the backlog

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int lowest_free = dup(0);
  ::close(lowest_free);
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(lowest_free);  // no new descriptor can be made
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  const Listener::Stats& stats = this->listener_->stats();
  bool paused_twice = this->L().run_until([&] { return stats.pauses >= 2; }, seconds(10));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(paused_twice);
  EXPECT_EQ(stats.accepted, 0u);
  // No spinning: exactly one failed accept per pause, then the watch is off.
  EXPECT_EQ(stats.accept_errors, stats.pauses);

  ASSERT_TRUE(this->L().run_until([&] { return stats.accepted == 1; }, seconds(10)));
  log::set_sink(nullptr);
  bool warned = false;
  for (const auto& line : logged) warned |= line.find("event=accept_paused") != std::string::npos;
  EXPECT_TRUE(warned);
  ::close(client);
}

// --- failures and closing from callbacks ----------------------------------------

TYPED_TEST(StreamTest, PeerKilledMidStreamGivesAnError) {
  StreamOptions small;
  small.high_water = 128u << 10;
  ListenOptions lo;
  lo.stream = small;
  this->listen(*SocketAddress::parse("tcp:127.0.0.1:0"), lo);
  auto c = this->connect(this->listener_->address(), seconds(5), small);
  ASSERT_TRUE(c.ok());
  this->bulk_.push_back(std::make_unique<BulkPeer>(std::move(c).value(), 64u << 20, 7));
  BulkPeer& client = *this->bulk_.back();
  Peer& server = this->peer(this->wait_accepted());
  client.start();
  ASSERT_TRUE(this->L().run_until([&] { return server.received.size() > (256u << 10); },
                                  seconds(10)));
  // Dies with unread data in its receive buffer: the kernel answers with a reset.
  server.stream.reset();
  // A FIN (if the buffer happened to be empty) gives eof first; the writes
  // that follow are answered with a reset either way.
  ASSERT_TRUE(this->L().run_until([&] { return client.error.has_value(); }, seconds(10)));
  ASSERT_TRUE(client.error.has_value());
  EXPECT_EQ(client.error->domain, "io");
  EXPECT_TRUE(client.error->code == ECONNRESET || client.error->code == EPIPE)
      << client.error->to_string();
  EXPECT_FALSE(client.stream->is_open());
  EXPECT_FALSE(client.stream->write("x"));
}

TYPED_TEST(StreamTest, CloseFromInsideOnData) {
  this->listen(this->unix_address());
  auto pr = this->pair();
    Peer* client = pr.first;
    Peer* server = pr.second;
  ASSERT_NE(client, nullptr);
  server->on_data_hook = [server](std::string_view) {
    server->stream->close();
    server->calls_after_close_check = 0;
  };
  client->stream->write("first");
  ASSERT_TRUE(this->L().run_until([&] { return client->done(); }, seconds(5)));
  client->stream->write("more, to nobody");
  this->L().run_until([] { return false; }, milliseconds(20));
  EXPECT_EQ(server->calls_after_close_check, 0) << "a callback after close()";
  EXPECT_FALSE(server->stream->is_open());
  EXPECT_FALSE(server->stream->write("x"));
}

TYPED_TEST(StreamTest, DestroyFromInsideOnData) {
  this->listen(this->unix_address());
  auto pr = this->pair();
    Peer* client = pr.first;
    Peer* server = pr.second;
  ASSERT_NE(client, nullptr);
  int calls = 0;
  server->on_data_hook = [server, &calls](std::string_view) {
    ++calls;
    server->stream.reset();  // the stream that is calling us
  };
  // Several chunks in one read: the stream must stop after destruction.
  std::string payload(200u << 10, 'x');
  client->stream->write(payload);
  ASSERT_TRUE(this->L().run_until([&] { return client->done(); }, seconds(5)));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(server->stream, nullptr);
}

TYPED_TEST(StreamTest, DeleteLaterFromInsideOnEof) {
  this->listen(this->unix_address());
  auto pr = this->pair();
    Peer* client = pr.first;
    Peer* server = pr.second;
  ASSERT_NE(client, nullptr);
  Loop& loop = this->L();
  server->on_eof_hook = [server, &loop] { loop.delete_later(std::move(server->stream)); };
  client->stream->shutdown_write();
  ASSERT_TRUE(this->L().run_until([&] { return client->done(); }, seconds(5)));
  EXPECT_TRUE(client->eof);
  EXPECT_EQ(server->stream, nullptr);
}

TYPED_TEST(StreamTest, IgnoringBackpressureFailsTheConnection) {
  StreamOptions capped;
  capped.max_queued = 1u << 20;
  this->listen(this->unix_address());
  auto pr = this->pair(capped);
    Peer* client = pr.first;
    Peer* server = pr.second;
  ASSERT_NE(client, nullptr);
  server->stream->pause_reading();  // a peer that never reads
  std::string block(4u << 20, 'y');
  EXPECT_FALSE(client->stream->write(block));
  EXPECT_FALSE(client->stream->is_open());
  ASSERT_TRUE(this->L().run_until([&] { return client->error.has_value(); }, seconds(5)));
  EXPECT_EQ(client->error->code, ENOBUFS);
  EXPECT_NE(client->error->message.find("output queue over"), std::string::npos);
}

// --- fairness -------------------------------------------------------------------

TYPED_TEST(StreamTest, ABusyPeerDoesNotStarveAnother) {
  StreamOptions budget;
  budget.read_chunk = 4u << 10;
  budget.read_budget = 16u << 10;
  std::vector<int> writers;
  std::vector<char> order;  // which stream each on_data came from
  std::vector<std::unique_ptr<Peer>> readers;
  for (char name : {'a', 'b'}) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    std::string fill(4096, name);
    while (::write(sv[0], fill.data(), fill.size()) > 0) {
    }
    writers.push_back(sv[0]);
    readers.push_back(std::make_unique<Peer>(SocketStream::adopt(this->L(), sv[1], budget)));
    Peer* p = readers.back().get();
    p->on_data_hook = [&order, name, p](std::string_view d) {
      EXPECT_LE(d.size(), 4u << 10);
      order.push_back(name);
      if (p->received.size() >= (64u << 10)) p->stream->pause_reading();
    };
  }
  ASSERT_TRUE(this->L().run_until(
      [&] { return readers[0]->received.size() >= (64u << 10) && readers[1]->received.size() >= (64u << 10); },
      seconds(10)));
  // Each needed several wake-ups; the other was served in between.
  auto first = [&](char c) { return std::find(order.begin(), order.end(), c) - order.begin(); };
  auto last = [&](char c) { return order.rend() - std::find(order.rbegin(), order.rend(), c) - 1; };
  long first_a = first('a'), first_b = first('b'), last_a = last('a'), last_b = last('b');
  EXPECT_LT(first_b, last_a);
  EXPECT_LT(first_a, last_b);
  readers.clear();
  for (int fd : writers) ::close(fd);
}

}  // namespace
}  // namespace ovnk::reactor::testing
