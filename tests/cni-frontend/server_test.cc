// The CNI server on every loop backend, with an in-process HTTP client: routes,
// validation answers, keep-alive and pipelining, deadlines, early disconnects,
// size limits, socket files and permissions, shutdown with requests in flight.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "cni-frontend/result.h"
#include "cni-frontend/server.h"
#include "tests/cni-frontend/cni_test_support.h"
#include "tests/reactor/backends.h"

namespace ovnk::cni::testing {
namespace {

using reactor::testing::AllBackends;
using reactor::testing::BackendNames;
using reactor::testing::LoopTest;

template <class B>
class CniServerTest : public LoopTest<B> {
 protected:
  void SetUp() override {
    LoopTest<B>::SetUp();
    if (!this->loop_) return;
    ASSERT_FALSE(dir_.path().empty());
    options_.socket_path = dir_.file("run/cni.sock");
    handler_ = std::make_unique<TestHandler>(this->loop());
  }
  void release_handles() override {
    clients_.clear();
    server_.reset();
    handler_.reset();
  }

  void start_server() {
    auto s = CniServer::start(this->loop(), *handler_, registry_, options_);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    server_ = std::move(s).value();
  }
  HttpClient& client() {
    clients_.push_back(std::make_unique<HttpClient>(this->loop(), options_.socket_path));
    return *clients_.back();
  }
  bool wait(const std::function<bool()>& done) {
    return this->loop().run_until(done, std::chrono::seconds(20));
  }
  http::Message round_trip(std::string_view request) {
    HttpClient& c = client();
    c.send(request);
    EXPECT_TRUE(wait([&] { return !c.responses().empty() || c.error() || c.failed(); }));
    if (c.responses().empty()) return {};
    return c.responses().front();
  }

  TempDir dir_;
  CniServerOptions options_;
  metrics::Registry registry_;
  std::unique_ptr<TestHandler> handler_;
  std::unique_ptr<CniServer> server_;
  std::vector<std::unique_ptr<HttpClient>> clients_;
};
TYPED_TEST_SUITE(CniServerTest, AllBackends, BackendNames);

TYPED_TEST(CniServerTest, AddIsAnsweredInTheRequestedVersion) {
  this->start_server();
  for (const char* version : {"0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    http::Message m = this->round_trip(cni_post(add_body("c42", version)));
    ASSERT_EQ(m.status, 200) << version << " " << m.body;
    EXPECT_EQ(m.header("content-type"), "application/json");
    EXPECT_NE(m.body.find(std::string(R"("cniVersion":")") + version + "\""), std::string::npos);
    auto result = decode_result(m.body);
    ASSERT_TRUE(result.ok()) << m.body;
    EXPECT_EQ(result->ips.at(0).address, expected_address("c42"));
    EXPECT_EQ(m.body.find(R"("version":"4")") != std::string::npos, version[0] == '0') << m.body;
    EXPECT_EQ(m.body.find(R"("mtu":1400)") != std::string::npos, std::string(version) == "1.1.0");
  }
  EXPECT_EQ(this->handler_->started(), 4);
}

TYPED_TEST(CniServerTest, DelAnswersEmpty) {
  this->start_server();
  std::string body = add_body("c1");
  body.replace(body.find("ADD"), 3, "DEL");
  http::Message m = this->round_trip(cni_post(body));
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.body, "");
}

TYPED_TEST(CniServerTest, InvalidRequestsGetCniErrors) {
  this->start_server();
  struct Case {
    std::string body;
    int status;
    int code;
  };
  std::string bad_ifname = add_body("c1");
  bad_ifname.replace(bad_ifname.find("\"eth0\""), 6, "\"eth0/x\"");
  const Case cases[] = {
      {"not json", 400, 6},
      {R"({"env":{}})", 400, 7},
      {add_body("c1", "0.2.0"), 400, 1},
      {bad_ifname, 400, 4},
      {add_body("-c1"), 400, 4},
  };
  for (const auto& c : cases) {
    http::Message m = this->round_trip(cni_post(c.body));
    EXPECT_EQ(m.status, c.status) << c.body;
    auto e = decode_error(m.body);
    ASSERT_TRUE(e.ok()) << m.body;
    EXPECT_EQ(e->code, c.code) << m.body;
  }
  EXPECT_EQ(this->handler_->started(), 0);  // the handler never sees invalid requests
  const std::string metrics = this->registry_.render();
  EXPECT_NE(metrics.find(R"(ovnk_cni_requests_total{command="ADD",code="4"} 2)"), std::string::npos)
      << metrics;
}

TYPED_TEST(CniServerTest, RoutesHealthzMetricsAndErrors) {
  this->start_server();
  http::Message health = this->round_trip("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  this->round_trip(cni_post(add_body("c7")));
  http::Message metrics = this->round_trip("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.header("content-type").find("version=0.0.4"), std::string_view::npos);
  EXPECT_NE(metrics.body.find(R"(ovnk_cni_requests_total{command="ADD",code="0"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(ovnk_cni_request_duration_seconds_count{command="ADD"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("ovnk_cni_requests_in_flight 0"), std::string::npos);
  EXPECT_EQ(this->round_trip("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").status, 404);
  EXPECT_EQ(this->round_trip("GET /cni HTTP/1.1\r\nHost: x\r\n\r\n").status, 405);
  EXPECT_EQ(this->round_trip("DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 405);
}

TYPED_TEST(CniServerTest, NotImplementedHandler) {
  NotImplementedHandler not_implemented;
  auto s = CniServer::start(this->loop(), not_implemented, this->registry_, this->options_);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  this->server_ = std::move(s).value();
  http::Message m = this->round_trip(cni_post(add_body("c1", "0.4.0")));
  EXPECT_EQ(m.status, 501);
  auto e = decode_error(m.body);
  ASSERT_TRUE(e.ok()) << m.body;
  EXPECT_EQ(e->code, 104);
  EXPECT_NE(m.body.find(R"("cniVersion":"0.4.0")"), std::string::npos);
  this->server_.reset();  // before `not_implemented` goes away
}

TYPED_TEST(CniServerTest, KeepAliveAndPipelining) {
  this->handler_->set_mode(TestHandler::Mode::kDefer);
  this->start_server();
  HttpClient& c = this->client();
  c.send(cni_post(add_body("c1")) + cni_post(add_body("c2")) +
         "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + cni_post(add_body("c3"), false));
  ASSERT_TRUE(this->wait([&] { return c.responses().size() == 4 && c.eof(); }));
  EXPECT_EQ(decode_result(c.responses()[0].body)->ips[0].address, expected_address("c1"));
  EXPECT_EQ(decode_result(c.responses()[1].body)->ips[0].address, expected_address("c2"));
  EXPECT_EQ(c.responses()[2].body, "ok\n");
  EXPECT_EQ(decode_result(c.responses()[3].body)->ips[0].address, expected_address("c3"));
  EXPECT_FALSE(c.responses()[3].keep_alive);
  ASSERT_TRUE(this->wait([&] { return this->server_->connections() == 0; }));
}

TYPED_TEST(CniServerTest, DeadlineCancelsAndAnswers101) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->options_.request_timeout = std::chrono::milliseconds(100);
  this->start_server();
  HttpClient& c = this->client();
  c.send(cni_post(add_body("c1")));
  ASSERT_TRUE(this->wait([&] { return !c.responses().empty(); }));
  EXPECT_EQ(c.responses()[0].status, 504);
  auto e = decode_error(c.responses()[0].body);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->code, 101);
  EXPECT_NE(e->details.find("c1"), std::string::npos) << e->details;
  const auto& held = this->handler_->held();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(held[0]->cancelled);
  EXPECT_EQ(held[0]->reason, CancelReason::kDeadline);
  ASSERT_TRUE(this->wait([&] { return held[0]->call_destroyed; }));
  EXPECT_EQ(this->server_->in_flight(), 0u);
  // The connection is still usable.
  this->handler_->set_mode(TestHandler::Mode::kAnswer);
  c.send(cni_post(add_body("c2")));
  ASSERT_TRUE(this->wait([&] { return c.responses().size() == 2; }));
  EXPECT_EQ(c.responses()[1].status, 200);
  EXPECT_NE(this->registry_.render().find(R"(ovnk_cni_requests_cancelled_total{reason="deadline"} 1)"),
            std::string::npos);
}

TYPED_TEST(CniServerTest, ConfigTimeoutShortensTheDeadline) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->start_server();  // the server's own timeout is 2 min
  http::Message m = this->round_trip(cni_post(add_body("c1", "1.0.0", R"(,"timeoutSeconds":0.1)")));
  EXPECT_EQ(m.status, 504);
}

TYPED_TEST(CniServerTest, ClientLeavingCancelsItsRequest) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->start_server();
  HttpClient& c = this->client();
  c.send(cni_post(add_body("c1")));
  ASSERT_TRUE(this->wait([&] { return this->handler_->held().size() == 1; }));
  EXPECT_EQ(this->server_->in_flight(), 1u);
  c.close();
  const auto& held = this->handler_->held();
  ASSERT_TRUE(this->wait([&] { return held[0]->call_destroyed; }));
  EXPECT_TRUE(held[0]->cancelled);
  EXPECT_EQ(held[0]->reason, CancelReason::kClientGone);
  EXPECT_EQ(this->server_->in_flight(), 0u);
  ASSERT_TRUE(this->wait([&] { return this->server_->connections() == 0; }));
  EXPECT_NE(
      this->registry_.render().find(R"(ovnk_cni_requests_cancelled_total{reason="client_gone"} 1)"),
      std::string::npos);
}

TYPED_TEST(CniServerTest, BodyOverTheLimitIsRefusedBeforeReadingIt) {
  this->options_.max_request_bytes = 4096;
  this->start_server();
  HttpClient& c = this->client();
  c.send("POST /cni HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n");
  ASSERT_TRUE(this->wait([&] { return c.eof() || c.error(); }));
  ASSERT_EQ(c.responses().size(), 1u);
  EXPECT_EQ(c.responses()[0].status, 413);
  auto e = decode_error(c.responses()[0].body);
  ASSERT_TRUE(e.ok()) << c.responses()[0].body;
  EXPECT_EQ(e->code, 7);
  EXPECT_NE(e->details.find("4096"), std::string::npos);
  EXPECT_EQ(this->handler_->started(), 0);
}

TYPED_TEST(CniServerTest, MalformedHttpGets400AndClose) {
  this->start_server();
  HttpClient& c = this->client();
  c.send("HELLO\r\n\r\n");
  ASSERT_TRUE(this->wait([&] { return c.eof() || c.error(); }));
  ASSERT_EQ(c.responses().size(), 1u);
  EXPECT_EQ(c.responses()[0].status, 400);
}

TYPED_TEST(CniServerTest, ExpectContinue) {
  this->start_server();
  HttpClient& c = this->client();
  const std::string body = add_body("c5");
  c.send("POST /cni HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n");
  // The client (like curl) waits for the 100 before sending the body.
  ASSERT_TRUE(this->wait([&] { return c.interim() == 1; }));
  EXPECT_TRUE(c.responses().empty());
  c.send(body);
  ASSERT_TRUE(this->wait([&] { return !c.responses().empty(); }));
  EXPECT_EQ(c.responses()[0].status, 200);
}

TYPED_TEST(CniServerTest, ManyRequestsInFlightAtOnce) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->start_server();
  constexpr int kN = 300;
  for (int i = 0; i < kN; ++i) this->client().send(cni_post(add_body("c" + std::to_string(i))));
  ASSERT_TRUE(this->wait([&] { return this->handler_->held().size() == kN; }));
  EXPECT_EQ(this->server_->in_flight(), static_cast<size_t>(kN));
  EXPECT_NE(this->registry_.render().find("ovnk_cni_requests_in_flight 300"), std::string::npos);
  for (size_t i = kN; i-- > 0;) this->handler_->answer(i);  // out of order on purpose
  ASSERT_TRUE(this->wait([&] {
    for (auto& c : this->clients_) {
      if (c->responses().empty()) return false;
    }
    return true;
  }));
  for (int i = 0; i < kN; ++i) {
    auto& r = this->clients_[static_cast<size_t>(i)]->responses();
    ASSERT_EQ(r[0].status, 200);
    EXPECT_EQ(decode_result(r[0].body)->ips[0].address, expected_address("c" + std::to_string(i)));
  }
  EXPECT_EQ(this->server_->in_flight(), 0u);
}

TYPED_TEST(CniServerTest, ShutdownCancelsWhatIsInFlight) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->start_server();
  this->client().send(cni_post(add_body("c1")));
  this->client().send(cni_post(add_body("c2")));
  ASSERT_TRUE(this->wait([&] { return this->handler_->held().size() == 2; }));
  this->server_.reset();
  this->loop().run_once(false);
  for (const auto& h : this->handler_->held()) {
    EXPECT_TRUE(h->cancelled);
    EXPECT_EQ(h->reason, CancelReason::kShutdown);
    EXPECT_TRUE(h->call_destroyed);
  }
  EXPECT_NE(::access(this->options_.socket_path.c_str(), F_OK), 0);  // socket file removed
}

TYPED_TEST(CniServerTest, SocketAndDirectoryPermissions) {
  // A pre-existing, too open directory is tightened.
  ASSERT_EQ(::mkdir(this->dir_.file("run").c_str(), 0755), 0);
  this->start_server();
  struct stat dir{};
  ASSERT_EQ(::stat(this->dir_.file("run").c_str(), &dir), 0);
  EXPECT_EQ(dir.st_mode & 07777, 0700u);
  EXPECT_EQ(dir.st_uid, ::geteuid());
  struct stat sock{};
  ASSERT_EQ(::lstat(this->options_.socket_path.c_str(), &sock), 0);
  EXPECT_TRUE(S_ISSOCK(sock.st_mode));
  EXPECT_EQ(sock.st_mode & 0777, 0600u);
  EXPECT_EQ(sock.st_uid, ::geteuid());
}

// Even with the directory and socket opened up to everyone, a peer that is
// neither root nor the daemon's user is refused on its credentials.
TYPED_TEST(CniServerTest, NonRootPeerIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a peer as another user";
  this->start_server();
  ASSERT_EQ(::chmod(this->dir_.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(this->dir_.file("run").c_str(), 0755), 0);
  ASSERT_EQ(::chmod(this->options_.socket_path.c_str(), 0666), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit 0: connected, request sent, closed without a byte of answer.
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, this->options_.socket_path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(11);
    const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    // The server may have closed already: no SIGPIPE, the read below tells.
    (void)!::send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
    char buf[256];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::_exit(n <= 0 ? 0 : 12);
  }
  // A child's exit wakes no loop: poll for it on a short timer.
  int status = -1;
  bool reaped = false;
  auto tick = this->loop().make_timer([] {});
  tick->start(std::chrono::milliseconds(5), std::chrono::milliseconds(5));
  ASSERT_TRUE(this->wait([&] {
    if (!reaped) reaped = ::waitpid(child, &status, WNOHANG) == child;
    return reaped;
  }));
  tick.reset();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10/11: child setup failed, 12: the server answered";
  // Root (this process) is still served.
  EXPECT_EQ(this->round_trip("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TYPED_TEST(CniServerTest, StaleSocketIsReplaced) {
  ASSERT_EQ(::mkdir(this->dir_.file("run").c_str(), 0700), 0);
  // What a crashed daemon leaves: a socket file nobody listens on.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, this->options_.socket_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  this->start_server();
  EXPECT_EQ(this->round_trip("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TYPED_TEST(CniServerTest, LiveSocketIsNotTakenOver) {
  this->start_server();
  metrics::Registry other_registry;
  auto second = CniServer::start(this->loop(), *this->handler_, other_registry, this->options_);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("listening"), std::string::npos)
      << second.error().to_string();
  // The first server still serves.
  EXPECT_EQ(this->round_trip("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TYPED_TEST(CniServerTest, RegularFileAtThePathIsNotDeleted) {
  ASSERT_EQ(::mkdir(this->dir_.file("run").c_str(), 0700), 0);
  { std::ofstream(this->options_.socket_path) << "precious"; }
  auto s = CniServer::start(this->loop(), *this->handler_, this->registry_, this->options_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("not a socket"), std::string::npos) << s.error().to_string();
  EXPECT_EQ(::access(this->options_.socket_path.c_str(), F_OK), 0);
}

TYPED_TEST(CniServerTest, IdleConnectionsAreClosed) {
  this->options_.idle_timeout = std::chrono::milliseconds(50);
  this->start_server();
  HttpClient& c = this->client();
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(this->wait([&] { return c.eof(); }));
  EXPECT_EQ(c.responses().size(), 1u);
  ASSERT_TRUE(this->wait([&] { return this->server_->connections() == 0; }));
}

}  // namespace
}  // namespace ovnk::cni::testing
