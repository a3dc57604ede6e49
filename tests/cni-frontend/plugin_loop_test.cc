// The real ovnk-cni binary, executed the way a runtime does it (fork/exec with
// CNI_* variables and the config on stdin), against a CNI server on a temporary
// socket: every cniVersion, DEL with an empty netns, validation, 500 concurrent
// invocations, an absent daemon, a daemon killed mid-request, deadlines, the
// size limit; and curl --unix-socket on /healthz, /metrics and /cni.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni-frontend/result.h"
#include "cni-frontend/server.h"
#include "tests/cni-frontend/cni_test_support.h"
#include "tests/reactor/backends.h"

#ifndef OVNK_CNI_BINARY
#error "OVNK_CNI_BINARY must name the ovnk-cni binary"
#endif

namespace ovnk::cni::testing {
namespace {

using reactor::testing::AllBackends;
using reactor::testing::BackendNames;
using reactor::testing::LoopTest;

const std::string kBinary = OVNK_CNI_BINARY;

template <class B>
class CniPluginTest : public LoopTest<B> {
 protected:
  void SetUp() override {
    LoopTest<B>::SetUp();
    if (!this->loop_) return;
    ASSERT_FALSE(dir_.path().empty());
    options_.socket_path = dir_.file("run/cni.sock");
    handler_ = std::make_unique<TestHandler>(this->loop());
  }
  void release_handles() override {
    children_.clear();
    server_.reset();
    handler_.reset();
  }
  void start_server() {
    auto s = CniServer::start(this->loop(), *handler_, registry_, options_);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    server_ = std::move(s).value();
  }
  Child& spawn(const std::vector<std::string>& env, const std::string& config) {
    children_.push_back(std::make_unique<Child>(this->loop(), std::vector<std::string>{kBinary},
                                                env, config));
    EXPECT_TRUE(children_.back()->started());
    return *children_.back();
  }
  Child& run(const std::vector<std::string>& env, const std::string& config) {
    Child& c = spawn(env, config);
    EXPECT_TRUE(this->loop().run_until([&] { return c.done(); }, std::chrono::seconds(60)));
    return c;
  }
  Child& curl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {curl_, "-s", "--max-time", "20", "--unix-socket",
                                     options_.socket_path};
    argv.insert(argv.end(), args.begin(), args.end());
    children_.push_back(std::make_unique<Child>(this->loop(), argv, std::vector<std::string>{}, ""));
    Child& c = *children_.back();
    EXPECT_TRUE(this->loop().run_until([&] { return c.done(); }, std::chrono::seconds(30)));
    return c;
  }
  std::string config(std::string_view version = "1.0.0", std::string_view extra = "") {
    return plugin_config(options_.socket_path, version, extra);
  }

  TempDir dir_;
  CniServerOptions options_;
  metrics::Registry registry_;
  std::unique_ptr<TestHandler> handler_;
  std::unique_ptr<CniServer> server_;
  std::vector<std::unique_ptr<Child>> children_;
  std::string curl_ = find_program("curl");
};
TYPED_TEST_SUITE(CniPluginTest, AllBackends, BackendNames);

CniError error_of(const Child& c) {
  EXPECT_NE(c.exit_code(), 0) << c.out();
  auto e = decode_error(c.out());
  EXPECT_TRUE(e.ok()) << "not an error object: " << c.out();
  return e.ok() ? *e : CniError{};
}

TYPED_TEST(CniPluginTest, AddInEveryVersion) {
  this->start_server();
  for (const char* version : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    Child& c = this->run(cni_env("ADD", "c12"), this->config(version));
    ASSERT_EQ(c.exit_code(), 0) << version << ": " << c.out();
    EXPECT_NE(c.out().find(std::string(R"("cniVersion":")") + version + "\""), std::string::npos);
    auto r = decode_result(c.out());
    ASSERT_TRUE(r.ok()) << c.out();
    EXPECT_EQ(r->ips.at(0).address, expected_address("c12"));
    EXPECT_EQ(r->interfaces.at(1).sandbox, "/proc/1/ns/net");
    EXPECT_EQ(c.out().find(R"("version":"4")") != std::string::npos, version[0] == '0') << c.out();
  }
  const auto& held = this->handler_->started();
  EXPECT_EQ(held, 5);
}

TYPED_TEST(CniPluginTest, VersionNeedsNoDaemon) {
  Child& c = this->run({"CNI_COMMAND=VERSION"}, R"({"cniVersion":"0.4.0"})");
  EXPECT_EQ(c.exit_code(), 0);
  EXPECT_EQ(c.out(),
            R"({"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]})"
            "\n");
}

TYPED_TEST(CniPluginTest, DelWithEmptyNetnsAndEmptyArgs) {
  this->handler_->set_mode(TestHandler::Mode::kDefer);
  this->start_server();
  Child& c = this->run(cni_env("DEL", "c1", "", "eth0", ""), this->config());
  EXPECT_EQ(c.exit_code(), 0) << c.out();
  EXPECT_EQ(c.out(), "");
  ASSERT_EQ(this->handler_->held().size(), 1u);
  const CniRequest& r = this->handler_->held()[0]->request;
  EXPECT_EQ(r.command, Command::kDel);
  EXPECT_EQ(r.netns, "");
  EXPECT_EQ(r.container_id, "c1");
}

TYPED_TEST(CniPluginTest, CheckCarriesPrevResult) {
  this->handler_->set_mode(TestHandler::Mode::kDefer);
  this->start_server();
  const std::string prev =
      R"(,"prevResult":{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/proc/1/ns/net"}],)"
      R"("ips":[{"version":"4","interface":0,"address":"10.128.0.9/16"}]})";
  Child& c = this->run(cni_env("CHECK", "c9"), this->config("0.4.0", prev));
  EXPECT_EQ(c.exit_code(), 0) << c.out();
  EXPECT_EQ(c.out(), "");
  ASSERT_EQ(this->handler_->held().size(), 1u);
  const CniRequest& r = this->handler_->held()[0]->request;
  ASSERT_TRUE(r.config.prev_result.has_value());
  EXPECT_EQ(r.config.prev_result->ips.at(0).address, "10.128.0.9/16");
}

TYPED_TEST(CniPluginTest, InvalidCallsFailBeforeTheDaemon) {
  this->start_server();
  struct Case {
    std::vector<std::string> env;
    std::string config;
    int code;
  };
  const Case cases[] = {
      {cni_env("ADD", "c1", "/proc/1/ns/net", "eth0123456789012"), this->config(), 4},
      {cni_env("ADD", "c1", "/proc/1/ns/net", "eth/0"), this->config(), 4},
      {cni_env("ADD", "c1", "/proc/1/ns/net", ""), this->config(), 4},
      {cni_env("ADD", "c1", ""), this->config(), 4},
      {cni_env("ADD", "_c1"), this->config(), 4},
      {cni_env("ADD", "c1", "/proc/1/ns/net", "eth0", "FOO=bar"), this->config(), 4},
      {cni_env("ADD", "c1"), "{not json", 6},
      {cni_env("ADD", "c1"), this->config("0.2.0"), 1},
      {{"CNI_CONTAINERID=c1"}, this->config(), 4},
  };
  for (const auto& c : cases) {
    Child& child = this->run(c.env, c.config);
    EXPECT_EQ(error_of(child).code, c.code) << child.out();
  }
  EXPECT_EQ(this->handler_->started(), 0);
}

TYPED_TEST(CniPluginTest, DaemonErrorsComeThrough) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->start_server();
  Child& c = this->spawn(cni_env("ADD", "c1"), this->config("0.3.1"));
  ASSERT_TRUE(this->loop().run_until([&] { return this->handler_->held().size() == 1; },
                                     std::chrono::seconds(30)));
  this->handler_->answer(0, CniReply::failure(CniError::make(
                                Code::kOvsdbError, "NB transaction failed", "duplicate uuid")));
  ASSERT_TRUE(this->loop().run_until([&] { return c.done(); }, std::chrono::seconds(30)));
  CniError e = error_of(c);
  EXPECT_EQ(e.code, 102);
  EXPECT_EQ(e.msg, "NB transaction failed");
  EXPECT_EQ(e.details, "duplicate uuid");
  EXPECT_NE(c.out().find(R"("cniVersion":"0.3.1")"), std::string::npos);
}

TYPED_TEST(CniPluginTest, FiveHundredConcurrentInvocations) {
  this->handler_->set_mode(TestHandler::Mode::kDefer);
  this->start_server();
  constexpr int kTotal = 500;
  constexpr int kWave = 100;
  int ok = 0;
  for (int wave = 0; wave < kTotal / kWave; ++wave) {
    std::vector<Child*> batch;
    for (int i = 0; i < kWave; ++i) {
      const std::string id = "c" + std::to_string(wave * kWave + i);
      batch.push_back(&this->spawn(cni_env("ADD", id), this->config("1.0.0")));
    }
    ASSERT_TRUE(this->loop().run_until(
        [&] {
          for (Child* c : batch) {
            if (!c->done()) return false;
          }
          return true;
        },
        std::chrono::seconds(100)));
    for (int i = 0; i < kWave; ++i) {
      Child& c = *batch[static_cast<size_t>(i)];
      ASSERT_EQ(c.exit_code(), 0) << c.out();
      auto r = decode_result(c.out());
      ASSERT_TRUE(r.ok()) << c.out();
      EXPECT_EQ(r->ips.at(0).address, expected_address("c" + std::to_string(wave * kWave + i)));
      ++ok;
    }
    this->children_.clear();
  }
  EXPECT_EQ(ok, kTotal);
  EXPECT_EQ(this->handler_->started(), kTotal);
  EXPECT_NE(this->registry_.render().find(R"(ovnk_cni_requests_total{command="ADD",code="0"} 500)"),
            std::string::npos);
}

TYPED_TEST(CniPluginTest, DaemonAbsent) {
  // No server: the socket does not exist.
  Child& add = this->run(cni_env("ADD", "c1"), this->config());
  CniError e = error_of(add);
  EXPECT_EQ(e.code, 100);
  EXPECT_EQ(e.msg, "ovnk daemon not reachable");
  EXPECT_NE(e.details.find(this->options_.socket_path), std::string::npos) << e.details;
  Child& status = this->run({"CNI_COMMAND=STATUS"}, this->config("1.1.0"));
  EXPECT_EQ(error_of(status).code, 50);
}

TYPED_TEST(CniPluginTest, StatusWithDaemon) {
  this->start_server();
  Child& c = this->run({"CNI_COMMAND=STATUS", "CNI_PATH=/opt/cni/bin"}, this->config("1.1.0"));
  EXPECT_EQ(c.exit_code(), 0) << c.out();
  EXPECT_EQ(c.out(), "");
}

TYPED_TEST(CniPluginTest, DeadlineInTheDaemon) {
  this->handler_->set_mode(TestHandler::Mode::kHold);
  this->start_server();
  Child& c = this->run(cni_env("ADD", "c1"), this->config("1.0.0", R"(,"timeoutSeconds":0.2)"));
  CniError e = error_of(c);
  EXPECT_EQ(e.code, 101);
  ASSERT_EQ(this->handler_->held().size(), 1u);
  EXPECT_EQ(this->handler_->held()[0]->reason, CancelReason::kDeadline);
}

TYPED_TEST(CniPluginTest, ConfigOverTheDaemonsLimit) {
  this->options_.max_request_bytes = 4096;
  this->start_server();
  const std::string padding = R"(,"padding":")" + std::string(8000, 'x') + "\"";
  Child& c = this->run(cni_env("ADD", "c1"), this->config("1.0.0", padding));
  CniError e = error_of(c);
  EXPECT_EQ(e.code, 7);
  EXPECT_NE(e.details.find("limit"), std::string::npos) << e.details;
  EXPECT_EQ(this->handler_->started(), 0);
}

TYPED_TEST(CniPluginTest, CurlHealthzAndMetrics) {
  if (this->curl_.empty()) GTEST_SKIP() << "curl is not installed";
  this->start_server();
  Child& health = this->curl({"http://localhost/healthz"});
  EXPECT_EQ(health.exit_code(), 0);
  EXPECT_EQ(health.out(), "ok\n");
  Child& head = this->curl({"-I", "http://localhost/healthz"});
  EXPECT_EQ(head.exit_code(), 0);
  EXPECT_EQ(head.out().rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head.out();
  EXPECT_NE(head.out().find("Content-Length: 3"), std::string::npos) << head.out();
  this->run(cni_env("ADD", "c3"), this->config());
  Child& metrics = this->curl({"http://localhost/metrics"});
  EXPECT_EQ(metrics.exit_code(), 0);
  EXPECT_NE(metrics.out().find(R"(ovnk_cni_requests_total{command="ADD",code="0"} 1)"),
            std::string::npos)
      << metrics.out();
  EXPECT_NE(metrics.out().find("# TYPE ovnk_cni_request_duration_seconds histogram"),
            std::string::npos);
  EXPECT_NE(metrics.out().find(R"(ovnk_cni_http_requests_total{path="/healthz",status="200"} 2)"),
            std::string::npos);
}

TYPED_TEST(CniPluginTest, CurlPostWithExpectContinue) {
  if (this->curl_.empty()) GTEST_SKIP() << "curl is not installed";
  this->start_server();
  // Over 1 KiB, so curl sends "Expect: 100-continue" and waits for it.
  const std::string body =
      add_body("c77", "1.0.0", R"(,"padding":")" + std::string(2000, 'p') + "\"");
  const std::string file = this->dir_.file("body.json");
  {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
    ::close(fd);
  }
  Child& c = this->curl({"-H", "Content-Type: application/json", "--data-binary", "@" + file,
                         "http://localhost/cni"});
  EXPECT_EQ(c.exit_code(), 0);
  auto r = decode_result(c.out());
  ASSERT_TRUE(r.ok()) << c.out();
  EXPECT_EQ(r->ips.at(0).address, expected_address("c77"));
}

// --- the daemon dies under a request: the shim must not hang ---------------------

class NeverAnswers final : public CniHandler {
 public:
  explicit NeverAnswers(int notify_fd) : fd_(notify_fd) {}
  std::unique_ptr<CniCall> start(const CniRequest&, CniDone) override {
    (void)::write(fd_, "S", 1);
    return std::make_unique<CniCall>();
  }

 private:
  int fd_;
};

char read_byte(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) != 1) return 0;
  char c = 0;
  return ::read(fd, &c, 1) == 1 ? c : 0;
}

TEST(CniPluginKillTest, DaemonKilledMidRequest) {
  TempDir dir;
  const std::string socket = dir.file("run/cni.sock");
  int notify[2];
  ASSERT_EQ(::pipe(notify), 0);
  const pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    // The daemon: its own loop in its own process, killed by the test.
    ::close(notify[0]);
    auto loop = reactor::Loop::create(reactor::Backend::kLibuv);
    if (!loop.ok()) ::_exit(2);
    NeverAnswers handler(notify[1]);
    metrics::Registry registry;
    CniServerOptions options;
    options.socket_path = socket;
    auto server = CniServer::start(**loop, handler, registry, options);
    if (!server.ok()) ::_exit(3);
    (void)::write(notify[1], "R", 1);
    (void)(*loop)->run();
    ::_exit(0);
  }
  ::close(notify[1]);
  ASSERT_EQ(read_byte(notify[0], 20000), 'R') << "the daemon did not start";

  auto loop = reactor::Loop::create(reactor::Backend::kLibuv);
  ASSERT_TRUE(loop.ok());
  {
    Child shim(**loop, {kBinary}, cni_env("ADD", "c1"),
               plugin_config(socket, "1.0.0", R"(,"timeoutSeconds":60)"));
    ASSERT_TRUE(shim.started());
    EXPECT_EQ(read_byte(notify[0], 20000), 'S') << "the request did not reach the daemon";
    ::kill(daemon, SIGKILL);
    int status = 0;
    ::waitpid(daemon, &status, 0);
    // Well under the 60 s timeout: the shim notices the connection drop.
    ASSERT_TRUE((*loop)->run_until([&] { return shim.done(); }, std::chrono::seconds(30)));
    CniError e = error_of(shim);
    EXPECT_EQ(e.code, 5) << shim.out();
    EXPECT_NE(e.msg.find("lost the connection"), std::string::npos) << shim.out();
  }
  ::close(notify[0]);
  EXPECT_EQ((*loop)->live_handles(), 0u);
}

}  // namespace
}  // namespace ovnk::cni::testing
