// The c-ares resolver on every loop backend, against FakeDnsServer (a test
// double on the same loop): answers, NXDOMAIN/NODATA, timeouts, cancellation,
// destruction with queries in flight, literals, /etc/hosts, a burst of queries.
#include "reactor/resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reactor/backends.h"
#include "tests/reactor/fake_dns_server.h"

namespace ovnk::reactor::testing {
namespace {

using Addresses = std::vector<ResolvedAddress>;

// A bound on how long a test may wait for the loop, so that a bug hangs no CI
// job; never an assertion about speed.
constexpr Duration kPatience = seconds(20);

std::set<std::string> ips(const Addresses& addrs) {
  std::set<std::string> out;
  for (const ResolvedAddress& a : addrs) out.insert(a.ip);
  return out;
}

// What /etc/hosts maps "localhost" to, read the way a test can trust.
std::set<std::string> hosts_file_localhost() {
  std::set<std::string> out;
  std::ifstream in("/etc/hosts");
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string ip, name;
    if (!(fields >> ip)) continue;
    while (fields >> name) {
      if (name == "localhost") out.insert(ip);
    }
  }
  return out;
}

template <class B>
class ResolverTest : public LoopTest<B> {
 protected:
  void SetUp() override {
    LoopTest<B>::SetUp();
    if (!this->loop_) return;
    auto server = FakeDnsServer::start(this->loop());
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(server).value();
    server_->add_host("ovn-nb.example", {"192.0.2.10", "192.0.2.11"}, {"2001:db8::10"});
    server_->add_host("v4only.example", {"192.0.2.20"}, {});
    server_->add_host("v6only.example", {}, {"2001:db8::30"});
  }
  void release_handles() override {
    resolver_.reset();
    server_.reset();
  }

  // Every setting explicit, every query to the fake server, /etc/hosts unread.
  ResolverOptions fake_options() {
    ResolverOptions o;
    o.servers = {server_->address()};
    o.use_hosts_file = false;
    o.timeout = seconds(1);
    o.tries = 3;
    return o;
  }
  Resolver& resolver(ResolverOptions options) {
    auto created = Resolver::create(this->loop(), std::move(options));
    EXPECT_TRUE(created.ok()) << created.error().to_string();
    resolver_ = std::move(created).value();
    return *resolver_;
  }
  Resolver& resolver() { return resolver(fake_options()); }

  // Resolves and runs the loop until the answer.
  Result<Addresses> resolve(Resolver& r, std::string_view host, uint16_t port, AddressFamily family) {
    std::optional<Result<Addresses>> got;
    auto handle = r.resolve(host, port, family, [&](Result<Addresses> res) { got = std::move(res); });
    EXPECT_FALSE(got.has_value()) << "a result was delivered from inside resolve()";
    if (!this->loop().run_until([&] { return got.has_value(); }, kPatience)) {
      return make_error("test", 0, "no answer within the test's patience");
    }
    return std::move(*got);
  }

  std::unique_ptr<FakeDnsServer> server_;
  std::unique_ptr<Resolver> resolver_;
};
TYPED_TEST_SUITE(ResolverTest, AllBackends, BackendNames);

TYPED_TEST(ResolverTest, ResolvesIPv4) {
  auto& r = this->resolver();
  auto got = this->resolve(r, "ovn-nb.example", 6641, AddressFamily::kIPv4);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(ips(*got), (std::set<std::string>{"192.0.2.10", "192.0.2.11"}));
  for (const ResolvedAddress& a : *got) {
    EXPECT_EQ(a.family(), AF_INET);
    EXPECT_EQ(a.length, sizeof(sockaddr_in));
    EXPECT_EQ(a.port(), 6641);
    EXPECT_EQ(a.to_string(), a.ip + ":6641");
    const auto* sin = reinterpret_cast<const sockaddr_in*>(a.sockaddr_ptr());
    EXPECT_EQ(ntohs(sin->sin_port), 6641);
  }
  EXPECT_GE(this->server_->queries_received(), 1u);
  EXPECT_EQ(r.pending(), 0u);
}

TYPED_TEST(ResolverTest, ResolvesIPv6) {
  auto& r = this->resolver();
  auto got = this->resolve(r, "ovn-nb.example", 6641, AddressFamily::kIPv6);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->size(), 1u);
  const ResolvedAddress& a = got->front();
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(a.length, sizeof(sockaddr_in6));
  EXPECT_EQ(a.ip, "2001:db8::10");
  EXPECT_EQ(a.to_string(), "[2001:db8::10]:6641");
}

TYPED_TEST(ResolverTest, ResolvesBothFamilies) {
  auto& r = this->resolver();
  auto got = this->resolve(r, "OVN-NB.example.", 443, AddressFamily::kAny);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(ips(*got), (std::set<std::string>{"192.0.2.10", "192.0.2.11", "2001:db8::10"}));
  for (const ResolvedAddress& a : *got) EXPECT_EQ(a.port(), 443);
  // A name with only one family still resolves when any family will do.
  auto v6 = this->resolve(r, "v6only.example", 443, AddressFamily::kAny);
  ASSERT_TRUE(v6.ok()) << v6.error().to_string();
  EXPECT_EQ(ips(*v6), (std::set<std::string>{"2001:db8::30"}));
}

TYPED_TEST(ResolverTest, NxDomainIsAClearError) {
  auto& r = this->resolver();
  auto got = this->resolve(r, "missing.example", 6641, AddressFamily::kAny);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().domain, "dns");
  EXPECT_EQ(got.error().code, dns_code::kNotFound);
  EXPECT_EQ(got.error().message, "resolve missing.example: no such host (NXDOMAIN)");
}

TYPED_TEST(ResolverTest, MissingFamilyIsNoData) {
  auto& r = this->resolver();
  auto got = this->resolve(r, "v4only.example", 6641, AddressFamily::kIPv6);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, dns_code::kNoData);
  EXPECT_EQ(got.error().message, "resolve v4only.example: no IPv6 address (NODATA)");
}

TYPED_TEST(ResolverTest, TimesOutWhenTheServerIsSilent) {
  this->server_->set_mode(FakeDnsServer::Mode::kSilent);
  ResolverOptions o = this->fake_options();
  o.timeout = milliseconds(200);
  o.tries = 1;
  auto& r = this->resolver(o);
  auto got = this->resolve(r, "ovn-nb.example", 6641, AddressFamily::kIPv4);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, dns_code::kTimeout) << got.error().to_string();
  EXPECT_EQ(got.error().message, "resolve ovn-nb.example: no answer from " + this->server_->address() +
                                     " (timed out, 1 try of 200 ms)");
  EXPECT_GE(this->server_->queries_received(), 1u);
  EXPECT_EQ(this->server_->answers_sent(), 0u);
}

TYPED_TEST(ResolverTest, RetransmitsAfterATimeout) {
  // The first query is held unanswered: c-ares must send it again after the
  // per-try timeout, through the timer, and the second copy is answered.
  this->server_->set_mode(FakeDnsServer::Mode::kHold);
  ResolverOptions o = this->fake_options();
  o.timeout = milliseconds(100);
  o.tries = 3;
  auto& r = this->resolver(o);
  std::optional<Result<Addresses>> got;
  auto handle = r.resolve("v4only.example", 1, AddressFamily::kIPv4,
                          [&](Result<Addresses> res) { got = std::move(res); });
  ASSERT_TRUE(this->loop().run_until([&] { return this->server_->held() >= 1; }, kPatience));
  this->server_->set_mode(FakeDnsServer::Mode::kAnswer);
  ASSERT_TRUE(this->loop().run_until([&] { return got.has_value(); }, kPatience));
  ASSERT_TRUE(got->ok()) << got->error().to_string();
  EXPECT_EQ(ips(**got), (std::set<std::string>{"192.0.2.20"}));
  EXPECT_GE(this->server_->queries_received(), 2u);
}

TYPED_TEST(ResolverTest, RefusedOrTimedOutWhenNothingListens) {
  // A port nobody listens on: the kernel answers with ICMP port unreachable
  // (ECONNREFUSED), or some network stacks stay silent (timeout).
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  std::string server = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  ResolverOptions o = this->fake_options();
  o.servers = {server};
  o.timeout = milliseconds(200);
  o.tries = 1;
  auto& r = this->resolver(o);
  EXPECT_EQ(r.servers(), server);
  auto got = this->resolve(r, "ovn-nb.example", 6641, AddressFamily::kIPv4);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(got.error().code == dns_code::kConnRefused || got.error().code == dns_code::kTimeout)
      << got.error().to_string();
  EXPECT_NE(got.error().message.find(server), std::string::npos) << got.error().to_string();
}

TYPED_TEST(ResolverTest, DestroyingTheHandleCancels) {
  this->server_->set_mode(FakeDnsServer::Mode::kHold);
  auto& r = this->resolver();
  bool cancelled_called = false;
  auto handle = r.resolve("ovn-nb.example", 6641, AddressFamily::kIPv4,
                          [&](Result<Addresses>) { cancelled_called = true; });
  // The query has surely left: the server holds it.
  ASSERT_TRUE(this->loop().run_until([&] { return this->server_->held() >= 1; }, kPatience));
  EXPECT_EQ(r.pending(), 1u);
  handle.reset();
  EXPECT_EQ(r.pending(), 0u);

  // Its answer now arrives, ahead of the answer to a second query on the same
  // socket: when the second is delivered, the first answer has been processed.
  this->server_->release_held();
  this->server_->set_mode(FakeDnsServer::Mode::kAnswer);
  auto got = this->resolve(r, "v4only.example", 6641, AddressFamily::kIPv4);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_EQ(ips(*got), (std::set<std::string>{"192.0.2.20"}));
  EXPECT_FALSE(cancelled_called);
}

TYPED_TEST(ResolverTest, DestroyingTheHandleCancelsAnAnswerAlreadyParked) {
  auto& r = this->resolver();
  bool called = false;
  // A literal is answered at once but delivered from the loop: cancel in between.
  auto handle = r.resolve("192.0.2.1", 80, AddressFamily::kAny, [&](Result<Addresses>) { called = true; });
  handle.reset();
  auto after = this->resolve(r, "192.0.2.2", 80, AddressFamily::kAny);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(called);
}

TYPED_TEST(ResolverTest, HandleMayBeDestroyedInItsOwnCallback) {
  auto& r = this->resolver();
  std::unique_ptr<ResolveRequest> handle;
  int calls = 0;
  handle = r.resolve("ovn-nb.example", 6641, AddressFamily::kIPv4, [&](Result<Addresses> res) {
    ++calls;
    EXPECT_TRUE(res.ok());
    handle.reset();
  });
  ASSERT_TRUE(this->loop().run_until([&] { return calls > 0; }, kPatience));
  EXPECT_EQ(handle, nullptr);
  EXPECT_EQ(calls, 1);
}

TYPED_TEST(ResolverTest, DestroyingTheResolverWithQueriesInFlight) {
  size_t before = this->loop().live_handles();  // the fake server's watch
  this->server_->set_mode(FakeDnsServer::Mode::kHold);
  auto& r = this->resolver();
  int called = 0;
  auto cb = [&](Result<Addresses>) { ++called; };
  auto h1 = r.resolve("ovn-nb.example", 1, AddressFamily::kAny, cb);
  auto h2 = r.resolve("v4only.example", 2, AddressFamily::kIPv4, cb);
  ASSERT_TRUE(this->loop().run_until([&] { return this->server_->held() >= 3; }, kPatience));
  EXPECT_GT(this->loop().live_handles(), before);  // c-ares' socket watch, the timeout timer
  auto h3 = r.resolve("192.0.2.9", 3, AddressFamily::kAny, cb);  // answered, not delivered yet

  this->resolver_.reset();
  // Every watch and timer of the resolver is gone at once.
  EXPECT_EQ(this->loop().live_handles(), before);
  this->server_->release_held();
  for (int i = 0; i < 5; ++i) this->loop().run_once(false);
  EXPECT_EQ(called, 0);
  // The handles outlived their resolver: destroying them now is harmless.
  h1.reset();
  h2.reset();
  h3.reset();
}

TYPED_TEST(ResolverTest, ResolverMayBeDestroyedFromACallback) {
  auto& r = this->resolver();
  int called = 0;
  // Both literals are delivered in the same round; the first callback destroys
  // the resolver, so the second must not be called.
  auto h1 = r.resolve("192.0.2.1", 1, AddressFamily::kAny, [&](Result<Addresses> res) {
    ++called;
    EXPECT_TRUE(res.ok());
    this->resolver_.reset();
  });
  auto h2 = r.resolve("192.0.2.2", 1, AddressFamily::kAny, [&](Result<Addresses>) { ++called; });
  ASSERT_TRUE(this->loop().run_until([&] { return this->resolver_ == nullptr; }, kPatience));
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  EXPECT_EQ(called, 1);
}

TYPED_TEST(ResolverTest, NumericLiteralsNeedNoQuery) {
  auto& r = this->resolver();
  auto v4 = this->resolve(r, "192.0.2.7", 6641, AddressFamily::kAny);
  ASSERT_TRUE(v4.ok()) << v4.error().to_string();
  ASSERT_EQ(v4->size(), 1u);
  EXPECT_EQ(v4->front().family(), AF_INET);
  EXPECT_EQ(v4->front().to_string(), "192.0.2.7:6641");

  auto v6 = this->resolve(r, "2001:db8::7", 6641, AddressFamily::kIPv6);
  ASSERT_TRUE(v6.ok()) << v6.error().to_string();
  ASSERT_EQ(v6->size(), 1u);
  EXPECT_EQ(v6->front().family(), AF_INET6);
  EXPECT_EQ(v6->front().to_string(), "[2001:db8::7]:6641");

  auto bracketed = this->resolve(r, "[::1]", 53, AddressFamily::kAny);
  ASSERT_TRUE(bracketed.ok()) << bracketed.error().to_string();
  EXPECT_EQ(bracketed->front().to_string(), "[::1]:53");

  auto mismatch = this->resolve(r, "192.0.2.7", 6641, AddressFamily::kIPv6);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, dns_code::kNoData);
  EXPECT_EQ(mismatch.error().message, "resolve 192.0.2.7: an IPv4 address, but IPv6 was asked for");

  auto empty = this->resolve(r, "", 1, AddressFamily::kAny);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, dns_code::kBadName);

  EXPECT_EQ(this->server_->queries_received(), 0u);
}

TYPED_TEST(ResolverTest, LocalhostFromTheHostsFile) {
  std::set<std::string> expected = hosts_file_localhost();
  if (expected.empty()) GTEST_SKIP() << "/etc/hosts has no 'localhost' entry";
  ResolverOptions o = this->fake_options();
  o.use_hosts_file = true;
  o.use_dns = false;
  auto& r = this->resolver(o);
  auto got = this->resolve(r, "localhost", 6641, AddressFamily::kAny);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_FALSE(got->empty());
  for (const ResolvedAddress& a : *got) {
    EXPECT_TRUE(expected.count(a.ip) == 1) << a.ip << " is not what /etc/hosts says";
    EXPECT_EQ(a.port(), 6641);
  }
  // Not in /etc/hosts, and DNS is off: no query may leave.
  auto missing = this->resolve(r, "ovn-nb.example", 6641, AddressFamily::kAny);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, dns_code::kNotFound);
  EXPECT_EQ(missing.error().message, "resolve ovn-nb.example: no such host in /etc/hosts");
  EXPECT_EQ(this->server_->queries_received(), 0u);
}

TYPED_TEST(ResolverTest, ManyConcurrentQueriesAllAnswered) {
  constexpr int kQueries = 200;
  for (int i = 0; i < kQueries; ++i) {
    std::string v4 = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    std::string v6 = "2001:db8:1::" + std::to_string(i + 1);
    this->server_->add_host("host-" + std::to_string(i) + ".bulk.example", {v4}, {v6});
  }
  auto& r = this->resolver();
  std::vector<std::optional<Result<Addresses>>> got(kQueries);
  std::vector<std::unique_ptr<ResolveRequest>> handles;
  for (int i = 0; i < kQueries; ++i) {
    handles.push_back(r.resolve("host-" + std::to_string(i) + ".bulk.example", 80, AddressFamily::kAny,
                                [&got, i](Result<Addresses> res) {
                                  got[static_cast<size_t>(i)] = std::move(res);
                                }));
  }
  EXPECT_EQ(r.pending(), static_cast<size_t>(kQueries));
  size_t done = 0;
  ASSERT_TRUE(this->loop().run_until(
      [&] {
        done = static_cast<size_t>(std::count_if(got.begin(), got.end(), [](auto& g) { return g.has_value(); }));
        return done == kQueries;
      },
      kPatience))
      << done << " of " << kQueries << " answered";
  for (int i = 0; i < kQueries; ++i) {
    const auto& res = *got[static_cast<size_t>(i)];
    ASSERT_TRUE(res.ok()) << res.error().to_string();
    std::string v4 = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    std::string v6 = "2001:db8:1::" + std::to_string(i + 1);
    EXPECT_EQ(ips(*res), (std::set<std::string>{v4, v6})) << "query " << i;
  }
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(this->server_->malformed(), 0u);
}

TYPED_TEST(ResolverTest, BadOptionsAreRefused) {
  ResolverOptions o = this->fake_options();
  o.servers = {"not-an-address"};
  auto bad_server = Resolver::create(this->loop(), o);
  ASSERT_FALSE(bad_server.ok());
  EXPECT_EQ(bad_server.error().domain, "dns");
  EXPECT_NE(bad_server.error().message.find("not-an-address"), std::string::npos);

  o = this->fake_options();
  o.use_dns = false;
  o.use_hosts_file = false;
  EXPECT_FALSE(Resolver::create(this->loop(), o).ok());
}

}  // namespace
}  // namespace ovnk::reactor::testing
