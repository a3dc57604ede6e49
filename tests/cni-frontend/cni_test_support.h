// Helpers for the CNI server and plugin tests: a scriptable CniHandler, an
// async HTTP client on the loop, child processes watched by the loop (the real
// ovnk-cni binary, curl), and temporary directories.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cni-frontend/handler.h"
#include "cni-frontend/http_message.h"
#include "reactor/loop.h"
#include "reactor/socket_stream.h"
#include "reactor/stream.h"
#include "tests/support/temp_dir.h"

namespace ovnk::cni::testing {

// The result the test handler gives an ADD: derived from the request so that
// concurrent answers can be told apart (the container id's digits pick the IP).
CniResult result_for(const CniRequest& request);
std::string expected_address(const std::string& container_id);

class TestHandler final : public CniHandler {
 public:
  enum class Mode {
    kAnswer,  // answer at once (from inside start())
    kDefer,   // answer on the next loop iteration (as a real pipeline would)
    kHold,    // keep the request until the test answers it
  };
  struct Held {
    CniRequest request;
    CniDone done;
    bool cancelled = false;
    std::optional<CancelReason> reason;
    bool call_destroyed = false;
    bool answered = false;
  };

  explicit TestHandler(reactor::Loop& loop, Mode mode = Mode::kAnswer) : loop_(loop), mode_(mode) {}
  ~TestHandler() override;
  void set_mode(Mode mode) { mode_ = mode; }

  std::unique_ptr<CniCall> start(const CniRequest& request, CniDone done) override;

  // Answers held request i (success with result_for() for ADD).
  void answer(size_t i);
  void answer(size_t i, CniReply reply);

  const std::vector<std::unique_ptr<Held>>& held() const { return held_; }
  int started() const { return started_; }

 private:
  class Call;
  reactor::Loop& loop_;
  Mode mode_;
  int started_ = 0;
  std::vector<std::unique_ptr<Held>> held_;
  std::vector<std::unique_ptr<reactor::Timer>> timers_;
};

CniReply default_reply(const CniRequest& request);

// An HTTP client on the loop: sends raw bytes, collects responses in order.
class HttpClient final : public reactor::StreamHandler {
 public:
  HttpClient(reactor::Loop& loop, const std::string& socket_path);
  ~HttpClient() override;

  bool connected() const { return stream_ != nullptr; }
  bool failed() const { return connect_error_.has_value(); }
  void send(std::string_view bytes);
  void close();  // an early disconnect
  void shutdown_write();

  std::vector<http::Message>& responses() { return responses_; }
  int interim() const { return interim_; }  // 1xx answers seen
  bool eof() const { return eof_; }
  bool error() const { return error_; }

  void on_data(std::string_view data) override;
  void on_eof() override;
  void on_error(const Error& error) override;

 private:
  std::unique_ptr<reactor::ConnectAttempt> attempt_;
  std::unique_ptr<reactor::Stream> stream_;
  std::optional<Error> connect_error_;
  std::string unsent_;
  http::Parser parser_;
  std::vector<http::Message> responses_;
  int interim_ = 0;
  bool eof_ = false;
  bool error_ = false;
};

std::string cni_post(std::string_view body, bool keep_alive = true);
std::string add_body(const std::string& container_id, std::string_view cni_version = "1.0.0",
                     std::string_view extra_config = "");

// A child process with its stdout collected by the loop.
class Child {
 public:
  // argv[0] is the program path; env is the whole environment.
  Child(reactor::Loop& loop, const std::vector<std::string>& argv,
        const std::vector<std::string>& env, const std::string& stdin_data);
  ~Child();
  bool started() const { return pid_ > 0; }
  bool done() const { return done_; }
  int exit_code() const { return exit_code_; }  // -signal when killed
  const std::string& out() const { return out_; }

 private:
  void on_readable();
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::unique_ptr<reactor::FdWatch> watch_;
  std::string out_;
  bool done_ = false;
  int exit_code_ = -1000;
};

// The CNI environment for one plugin call, as a runtime would set it.
std::vector<std::string> cni_env(const std::string& command, const std::string& container_id,
                                 const std::string& netns = "/proc/1/ns/net",
                                 const std::string& ifname = "eth0",
                                 const std::string& args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod");
std::string plugin_config(const std::string& socket_path, std::string_view cni_version = "1.0.0",
                          std::string_view extra = "");

// A private directory under /tmp, removed (recursively) when destroyed.
using ovnk::testing::TempDir;

// The first executable named `name` on PATH, or empty.
std::string find_program(const std::string& name);

}  // namespace ovnk::cni::testing
