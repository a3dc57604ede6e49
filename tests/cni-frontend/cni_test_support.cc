#include "tests/cni-frontend/cni_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "reactor/socket_address.h"

namespace ovnk::cni::testing {

namespace {

uint32_t digits_of(const std::string& s) {
  uint32_t n = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n % 65536;
}

}  // namespace

std::string expected_address(const std::string& container_id) {
  const uint32_t n = digits_of(container_id);
  return "10.128." + std::to_string(n / 256) + "." + std::to_string(n % 256) + "/16";
}

CniResult result_for(const CniRequest& request) {
  CniResult r;
  r.interfaces.push_back(CniInterface{request.container_id.substr(0, 15), "ee:ee:ee:ee:ee:ee", "",
                                      std::nullopt, "", ""});
  r.interfaces.push_back(
      CniInterface{request.ifname, "0a:58:0a:80:00:02", request.netns, 1400u, "", ""});
  r.ips.push_back(CniIp{expected_address(request.container_id), "10.128.0.1", 1u});
  CniRoute def;
  def.dst = "0.0.0.0/0";
  def.gw = "10.128.0.1";
  r.routes.push_back(def);
  return r;
}

CniReply default_reply(const CniRequest& request) {
  if (request.command == Command::kAdd) return CniReply::success(result_for(request));
  return CniReply::success();
}

// --- TestHandler ----------------------------------------------------------------

class TestHandler::Call final : public CniCall {
 public:
  explicit Call(Held* held) : held_(held) {}
  ~Call() override { held_->call_destroyed = true; }
  void cancel(CancelReason reason) override {
    held_->cancelled = true;
    held_->reason = reason;
    held_->done = nullptr;  // never to be called now
  }

 private:
  Held* held_;
};

TestHandler::~TestHandler() = default;

std::unique_ptr<CniCall> TestHandler::start(const CniRequest& request, CniDone done) {
  ++started_;
  if (mode_ == Mode::kAnswer) {
    done(default_reply(request));
    return nullptr;
  }
  auto held = std::make_unique<Held>();
  held->request = request;
  held->done = std::move(done);
  Held* raw = held.get();
  const size_t index = held_.size();
  held_.push_back(std::move(held));
  if (mode_ == Mode::kDefer) {
    auto timer = loop_.make_timer([this, index] { answer(index); });
    timer->start(Duration::zero());
    timers_.push_back(std::move(timer));
  }
  return std::make_unique<Call>(raw);
}

void TestHandler::answer(size_t i) { answer(i, default_reply(held_.at(i)->request)); }

void TestHandler::answer(size_t i, CniReply reply) {
  Held& h = *held_.at(i);
  if (!h.done || h.answered) return;
  h.answered = true;
  CniDone done = std::move(h.done);
  h.done = nullptr;
  done(std::move(reply));
}

// --- HttpClient -----------------------------------------------------------------

HttpClient::HttpClient(reactor::Loop& loop, const std::string& socket_path)
    : parser_(http::Parser::Type::kResponse, 64u << 20) {
  auto address = reactor::SocketAddress::unix_path(socket_path);
  if (!address.ok()) {
    connect_error_ = address.error();
    return;
  }
  attempt_ = reactor::SocketStream::connect(
      loop, *address, std::chrono::seconds(10),
      [this](Result<std::unique_ptr<reactor::Stream>> result) {
        if (!result.ok()) {
          connect_error_ = result.error();
          return;
        }
        stream_ = std::move(result).value();
        stream_->set_handler(this);
        if (!unsent_.empty()) stream_->write(unsent_);
        unsent_.clear();
      });
}

HttpClient::~HttpClient() = default;

void HttpClient::send(std::string_view bytes) {
  if (stream_) {
    stream_->write(bytes);
  } else {
    unsent_.append(bytes);
  }
}

void HttpClient::close() {
  if (stream_) stream_->close();
}

void HttpClient::shutdown_write() {
  if (stream_) stream_->shutdown_write();
}

void HttpClient::on_data(std::string_view data) {
  while (!data.empty()) {
    auto fed = parser_.feed(data);
    data.remove_prefix(fed.consumed);
    if (fed.status == http::Parser::Status::kError) {
      error_ = true;
      return;
    }
    if (fed.status == http::Parser::Status::kMessage) {
      http::Message m = parser_.take();
      if (m.status >= 100 && m.status < 200) {
        ++interim_;
        continue;
      }
      responses_.push_back(std::move(m));
    }
  }
}

void HttpClient::on_eof() {
  if (parser_.finish() == http::Parser::Status::kMessage) responses_.push_back(parser_.take());
  eof_ = true;
  stream_->close();  // as real clients do once the server is done with them
}

void HttpClient::on_error(const Error&) { error_ = true; }

std::string cni_post(std::string_view body, bool keep_alive) {
  std::string out = "POST /cni HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(body);
  return out;
}

std::string add_body(const std::string& container_id, std::string_view cni_version,
                     std::string_view extra_config) {
  std::string out = R"({"env":{"CNI_COMMAND":"ADD","CNI_CONTAINERID":")" + container_id +
                    R"(","CNI_NETNS":"/proc/1/ns/net","CNI_IFNAME":"eth0",)"
                    R"("CNI_ARGS":"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-)" +
                    container_id + R"(","CNI_PATH":"/opt/cni/bin"},)";
  out.append(R"("config":{"cniVersion":")").append(cni_version).append(
      R"(","name":"ovn-k","type":"ovnk-cni")");
  out.append(extra_config).append("}}");
  return out;
}

// --- Child ----------------------------------------------------------------------

Child::Child(reactor::Loop& loop, const std::vector<std::string>& argv,
             const std::vector<std::string>& env, const std::string& stdin_data) {
  int in[2];
  int out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return;
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return;
  }
  if (stdin_data.size() > 32768) {
    (void)fcntl(in[1], F_SETPIPE_SZ, static_cast<int>(stdin_data.size() + 4096));
  }
  std::string_view pending = stdin_data;
  while (!pending.empty()) {
    const ssize_t n = ::write(in[1], pending.data(), pending.size());
    if (n <= 0) break;
    pending.remove_prefix(static_cast<size_t>(n));
  }
  ::close(in[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const int rc = posix_spawn(&pid_, argv.at(0).c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    pid_ = -1;
    ::close(out[0]);
    return;
  }
  out_fd_ = out[0];
  (void)fcntl(out_fd_, F_SETFL, fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  watch_ = loop.watch_fd(out_fd_, reactor::kReadable, [this](reactor::FdEvents) { on_readable(); });
}

Child::~Child() {
  watch_.reset();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (pid_ > 0 && !done_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void Child::on_readable() {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n > 0) {
      out_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && errno == EAGAIN) return;
    break;  // EOF (or an error): the child closed stdout, it is exiting
  }
  watch_.reset();
  ::close(out_fd_);
  out_fd_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  done_ = true;
}

std::vector<std::string> cni_env(const std::string& command, const std::string& container_id,
                                 const std::string& netns, const std::string& ifname,
                                 const std::string& args) {
  return {"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + container_id, "CNI_NETNS=" + netns,
          "CNI_IFNAME=" + ifname,   "CNI_ARGS=" + args,                 "CNI_PATH=/opt/cni/bin"};
}

std::string plugin_config(const std::string& socket_path, std::string_view cni_version,
                          std::string_view extra) {
  std::string out = R"({"cniVersion":")" + std::string(cni_version) +
                    R"(","name":"ovn-k","type":"ovnk-cni","daemonSocket":")" + socket_path + "\"";
  out.append(extra).append("}");
  return out;
}

// --- Programs ---------------------------------------------------------------------

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

}  // namespace ovnk::cni::testing
