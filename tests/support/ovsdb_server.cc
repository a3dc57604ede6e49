#include "tests/support/ovsdb_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/program.h"

namespace ovnk::testing {

namespace {

using Clock = std::chrono::steady_clock;

Error test_error(std::string_view what) { return make_error("test", 0, what); }

// fork + exec with stdout/stderr redirected to `out_path` (or inherited when
// empty). The child dies with the test process (PR_SET_PDEATHSIG).
Result<pid_t> spawn(const std::vector<std::string>& argv, const std::string& out_path, int stdout_fd = -1,
                    int stderr_fd = -1) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out_fd = -1;
  if (!out_path.empty()) {
    out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) return errno_error("io", errno, "open " + out_path);
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    if (out_fd >= 0) ::close(out_fd);
    return errno_error("sys", err, "fork");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int o = stdout_fd >= 0 ? stdout_fd : out_fd;
    int e = stderr_fd >= 0 ? stderr_fd : out_fd;
    if (o >= 0) ::dup2(o, STDOUT_FILENO);
    if (e >= 0) ::dup2(e, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (out_fd >= 0) ::close(out_fd);
  return pid;
}

bool unix_connectable(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

bool tcp_connectable(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

Result<std::string> make_temp_dir() {
  std::string templ = "/tmp/ovnk-ovsdb-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return errno_error("io", errno, "mkdtemp");
  return templ;
}

bool keep_dirs() { return std::getenv("OVNK_KEEP_TEST_DIRS") != nullptr; }

}  // namespace

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;  // not our child any more
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

Result<std::string> run_command(const std::vector<std::string>& argv) {
  if (argv.empty()) return test_error("run_command: empty argv");
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return errno_error("sys", errno, "pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out[0]);
    ::close(out[1]);
    return errno_error("sys", e, "pipe2");
  }
  auto pid = spawn(argv, "", out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  if (!pid.ok()) {
    ::close(out[0]);
    ::close(err[0]);
    return pid.error();
  }
  std::string stdout_text;
  std::string stderr_text;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? stdout_text : stderr_text).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd.append(a).append(" ");
    return test_error("command failed (status " + std::to_string(status) + "): " + cmd + ": " + stderr_text);
  }
  return stdout_text;
}

Result<uint16_t> pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("io", errno, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int e = errno;
    ::close(fd);
    return errno_error("io", e, "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

Result<SslFiles> make_test_pki(const std::string& dir, const std::string& common_name) {
  SslFiles f{dir + "/key.pem", dir + "/cert.pem", dir + "/ca.pem"};
  std::string ca_key = dir + "/ca.key";
  std::string csr = dir + "/req.csr";
  std::string ext = dir + "/san.ext";
  {
    std::ofstream out(ext);
    out << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  }
  const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
  std::vector<std::string> ca = {"openssl", "req", "-x509"};
  ca.insert(ca.end(), ec.begin(), ec.end());
  ca.insert(ca.end(), {"-keyout", ca_key, "-out", f.ca_cert, "-days", "2", "-subj", "/CN=ovnk-test-ca"});
  OVNK_TRY(run_command(ca));
  std::vector<std::string> req = {"openssl", "req"};
  req.insert(req.end(), ec.begin(), ec.end());
  req.insert(req.end(), {"-keyout", f.private_key, "-out", csr, "-subj", "/CN=" + common_name});
  OVNK_TRY(run_command(req));
  OVNK_TRY(run_command({"openssl", "x509", "-req", "-in", csr, "-CA", f.ca_cert, "-CAkey", ca_key,
                        "-CAcreateserial", "-out", f.certificate, "-days", "2", "-extfile", ext}));
  return f;
}

// ---- OvsdbServer ----------------------------------------------------------

Result<std::unique_ptr<OvsdbServer>> OvsdbServer::start(const OvsdbServerOptions& options) {
  std::unique_ptr<OvsdbServer> s(new OvsdbServer());
  OVNK_ASSIGN_OR_RETURN(s->dir_, make_temp_dir());
  s->owns_dir_ = true;
  s->name_ = "db";
  s->db_path_ = s->dir_ + "/db.db";
  OVNK_TRY(run_command({"ovsdb-tool", "create", s->db_path_, options.schema_path}));
  if (options.tcp) {
    OVNK_ASSIGN_OR_RETURN(s->tcp_port_, pick_free_port());
    s->tcp_remote_ = "tcp:127.0.0.1:" + std::to_string(s->tcp_port_);
  }
  if (options.ssl) {
    OVNK_ASSIGN_OR_RETURN(s->ssl_port_, pick_free_port());
    s->ssl_remote_ = "ssl:127.0.0.1:" + std::to_string(s->ssl_port_);
    s->ssl_ = options.ssl;
  }
  s->extra_args_ = options.extra_args;
  s->start_timeout_ = options.start_timeout;
  OVNK_TRY(s->launch(options.start_timeout));
  return s;
}

Result<std::unique_ptr<OvsdbServer>> OvsdbServer::start(const std::string& schema_path) {
  OvsdbServerOptions options;
  options.schema_path = schema_path;
  return start(options);
}

Result<void> OvsdbServer::launch(std::chrono::milliseconds timeout) {
  unix_path_ = dir_ + "/" + name_ + ".sock";
  unix_remote_ = "unix:" + unix_path_;
  ctl_path_ = dir_ + "/" + name_ + ".ctl";
  log_path_ = dir_ + "/" + name_ + ".log";
  pid_path_ = dir_ + "/" + name_ + ".pid";
  std::vector<std::string> argv = {"ovsdb-server",
                                   db_path_,
                                   "--remote=punix:" + unix_path_,
                                   "--pidfile=" + pid_path_,
                                   "--unixctl=" + ctl_path_,
                                   "--log-file=" + log_path_,
                                   "--no-chdir",
                                   "-vconsole:off"};
  if (tcp_port_ != 0) argv.push_back("--remote=ptcp:" + std::to_string(tcp_port_) + ":127.0.0.1");
  if (ssl_) {
    argv.push_back("--remote=pssl:" + std::to_string(ssl_port_) + ":127.0.0.1");
    argv.push_back("--private-key=" + ssl_->private_key);
    argv.push_back("--certificate=" + ssl_->certificate);
    argv.push_back("--ca-cert=" + ssl_->ca_cert);
  }
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  OVNK_ASSIGN_OR_RETURN(pid_, spawn(argv, dir_ + "/" + name_ + ".stderr"));

  auto deadline = Clock::now() + timeout;
  for (;;) {
    bool ready = unix_connectable(unix_path_) && (tcp_port_ == 0 || tcp_connectable(tcp_port_)) &&
                 (ssl_port_ == 0 || tcp_connectable(ssl_port_));
    if (ready) return ok_result();
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return test_error("ovsdb-server exited during start (status " + std::to_string(status) +
                        "): " + slurp(dir_ + "/" + name_ + ".stderr") + log_tail());
    }
    if (Clock::now() >= deadline) {
      (void)stop();
      return test_error("ovsdb-server did not listen in time: " + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

OvsdbServer::~OvsdbServer() {
  (void)stop();
  if (owns_dir_ && !keep_dirs()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

Result<void> OvsdbServer::kill(int sig) {
  if (pid_ <= 0) return test_error("ovsdb-server is not running");
  if (::kill(pid_, sig) != 0) return errno_error("sys", errno, "kill");
  return ok_result();
}

Result<void> OvsdbServer::stop() {
  if (pid_ <= 0) return ok_result();
  ::kill(pid_, SIGCONT);  // a stopped process would not act on SIGTERM
  ::kill(pid_, SIGTERM);
  if (!wait_exit(pid_, std::chrono::seconds(5))) {
    ::kill(pid_, SIGKILL);
    (void)wait_exit(pid_, std::chrono::seconds(5));
  }
  pid_ = -1;
  return ok_result();
}

Result<void> OvsdbServer::restart() {
  OVNK_TRY(stop());
  return launch(start_timeout_);
}

Result<std::string> OvsdbServer::appctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovs-appctl", "-t", ctl_path_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::string OvsdbServer::log_tail(size_t max_bytes) const {
  std::string log = slurp(log_path_);
  if (log.size() > max_bytes) log = log.substr(log.size() - max_bytes);
  return log;
}

// ---- OvsdbCluster ---------------------------------------------------------

Result<std::unique_ptr<OvsdbCluster>> OvsdbCluster::start(const Options& options) {
  if (options.members == 0) return test_error("a cluster needs at least one member");
  std::unique_ptr<OvsdbCluster> c(new OvsdbCluster());
  OVNK_ASSIGN_OR_RETURN(c->dir_, make_temp_dir());
  OVNK_ASSIGN_OR_RETURN(std::string name, run_command({"ovsdb-tool", "schema-name", options.schema_path}));
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  c->database_ = name;

  for (size_t i = 0; i < options.members; ++i) {
    OVNK_ASSIGN_OR_RETURN(uint16_t port, pick_free_port());
    c->raft_addresses_.push_back("tcp:127.0.0.1:" + std::to_string(port));
  }
  for (size_t i = 0; i < options.members; ++i) {
    auto s = std::unique_ptr<OvsdbServer>(new OvsdbServer());
    s->dir_ = c->dir_;
    s->name_ = "s" + std::to_string(i + 1);
    s->db_path_ = c->dir_ + "/" + s->name_ + ".db";
    s->start_timeout_ = options.start_timeout;
    if (options.client_tcp) {
      OVNK_ASSIGN_OR_RETURN(s->tcp_port_, pick_free_port());
      s->tcp_remote_ = "tcp:127.0.0.1:" + std::to_string(s->tcp_port_);
    }
    if (i == 0) {
      OVNK_TRY(run_command({"ovsdb-tool", "create-cluster", s->db_path_, options.schema_path, c->raft_addresses_[0]}));
    } else {
      // Joining through every earlier member: any of them can admit the new one.
      std::vector<std::string> argv = {"ovsdb-tool", "join-cluster", s->db_path_, name, c->raft_addresses_[i]};
      for (size_t j = 0; j < i; ++j) argv.push_back(c->raft_addresses_[j]);
      OVNK_TRY(run_command(argv));
    }
    c->members_.push_back(std::move(s));
  }
  for (auto& s : c->members_) OVNK_TRY(s->launch(options.start_timeout));
  OVNK_TRY(c->wait_for_leader(options.start_timeout));
  return c;
}

Result<std::unique_ptr<OvsdbCluster>> OvsdbCluster::start(const std::string& schema_path, size_t members,
                                                          bool client_tcp) {
  Options options;
  options.schema_path = schema_path;
  options.members = members;
  options.client_tcp = client_tcp;
  return start(options);
}

OvsdbCluster::~OvsdbCluster() {
  members_.clear();  // stops every server
  if (!keep_dirs() && !dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string OvsdbCluster::unix_remotes() const {
  std::string out;
  for (const auto& s : members_) {
    if (!out.empty()) out.push_back(',');
    out.append(s->unix_remote());
  }
  return out;
}

std::string OvsdbCluster::tcp_remotes() const {
  std::string out;
  for (const auto& s : members_) {
    if (s->tcp_remote().empty()) continue;
    if (!out.empty()) out.push_back(',');
    out.append(s->tcp_remote());
  }
  return out;
}

Result<size_t> OvsdbCluster::leader() const {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (!members_[i]->running()) continue;
    auto status = members_[i]->appctl({"cluster/status", database_});
    if (status.ok() && status->find("Role: leader") != std::string::npos) return i;
  }
  return test_error("no member of the cluster is leader");
}

Result<size_t> OvsdbCluster::wait_for_leader(std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    auto l = leader();
    if (l.ok()) {
      // Every running member must have joined (not "joining") and know a leader.
      bool all = true;
      for (const auto& s : members_) {
        if (!s->running()) continue;
        auto st = s->appctl({"cluster/status", database_});
        if (!st.ok() || st->find("Status: cluster member") == std::string::npos ||
            st->find("Leader: unknown") != std::string::npos) {
          all = false;
        }
      }
      if (all) return l;
    }
    if (Clock::now() >= deadline) return test_error("cluster has no leader in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace ovnk::testing
