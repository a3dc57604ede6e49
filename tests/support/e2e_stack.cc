#include "tests/support/e2e_stack.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cni-frontend/result.h"
#include "tests/support/ovsdb_server.h"
#include "tests/support/program.h"

namespace ovnk::testing {

namespace {

using Clock = std::chrono::steady_clock;

Error e2e_error(std::string_view message) { return make_error("e2e", 1, message); }

bool keep_dirs() { return std::getenv("OVNK_KEEP_TEST_DIRS") != nullptr; }

// A child with its stdin fed from `input` (closed after), stdout to a pipe
// whose read end is returned, stderr to `err_path` (or /dev/null). `env`
// empty: inherit the environment.
struct Child {
  pid_t pid = -1;
  int out = -1;
};

Result<Child> spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& input, const std::string& err_path, bool capture_stdout) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return errno_error("sys", errno, "pipe2");
  if (capture_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return errno_error("sys", e, "pipe2");
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("sys", errno, "fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // The test runner may have blocked signals; the child must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in_pipe[0], STDIN_FILENO);
    if (capture_stdout) ::dup2(out_pipe[1], STDOUT_FILENO);
    int err = err_path.empty() ? ::open("/dev/null", O_WRONLY)
                               : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) {
      ::dup2(err, STDERR_FILENO);
      if (!capture_stdout) ::dup2(err, STDOUT_FILENO);
    }
    if (env.empty()) {
      ::execvp(args[0], args.data());
    } else {
      ::execve(args[0], args.data(), envp.data());
    }
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  if (capture_stdout) ::close(out_pipe[1]);
  // Small inputs (a network config): the pipe buffer holds them.
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = ::write(in_pipe[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(in_pipe[1]);
  return Child{pid, capture_stdout ? out_pipe[0] : -1};
}

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

std::vector<std::string> cni_env(const CniInvocation& c) {
  std::vector<std::string> env = {
      "CNI_COMMAND=" + c.command,
      "CNI_CONTAINERID=" + c.container_id,
      "CNI_IFNAME=" + c.ifname,
      "CNI_PATH=/opt/cni/bin",
      "CNI_ARGS=" + c.args,
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
  };
  if (c.set_netns) env.push_back("CNI_NETNS=" + c.netns);
  return env;
}

}  // namespace

std::string result_address(const std::string& result_json) {
  auto r = cni::decode_result(result_json);
  if (!r.ok() || r->ips.empty()) return "";
  const std::string& a = r->ips[0].address;
  return a.substr(0, a.find('/'));
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// ---- LabStack ----------------------------------------------------------------------

Result<std::unique_ptr<LabStack>> LabStack::up(const E2ePaths& paths, const std::string& node) {
  std::unique_ptr<LabStack> lab(new LabStack());
  lab->paths_ = paths;
  lab->node_ = node;
  std::string templ = "/tmp/ovnk-e2e-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return errno_error("io", errno, "mkdtemp");
  lab->dir_ = templ;
  lab->netns_ = unique_name("ovnke2e");
  auto r = run_command({paths.ovn_lab, "up", "--dir", lab->dir_, "--netns", lab->netns_, "--node", node});
  lab->up_ = true;  // even a half-started stack is torn down
  if (!r.ok()) return r.error();
  return lab;
}

LabStack::~LabStack() {
  if (up_) (void)run_command({paths_.ovn_lab, "down", "--dir", dir_});
  if (!dir_.empty() && !keep_dirs()) (void)run_command({"rm", "-rf", dir_});
}

Result<std::string> LabStack::nbctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovn-nbctl", "--db=" + nb_remote(), "--timeout=20"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

Result<std::string> LabStack::vsctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovs-vsctl", "--db=" + ovs_remote(), "--timeout=20"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

Result<std::string> LabStack::in_netns(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ip", "netns", "exec", netns_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

Result<pid_t> LabStack::pid_of(const std::string& daemon) const {
  std::string text = slurp(dir_ + "/" + daemon + ".pid");
  if (text.empty()) return e2e_error("no pidfile for " + daemon + " in " + dir_);
  return static_cast<pid_t>(std::atoi(text.c_str()));
}

Result<void> LabStack::restart_db(const std::string& db) const {
  OVNK_TRY(run_command({paths_.ovn_lab, "restart-db", db, "--dir", dir_}));
  return ok_result();
}

// ---- DaemonProcess ---------------------------------------------------------------

Result<std::unique_ptr<DaemonProcess>> DaemonProcess::start(const E2ePaths& paths, const LabStack& lab,
                                                            const std::string& subnet,
                                                            std::vector<std::string> extra,
                                                            std::chrono::milliseconds ready_timeout) {
  std::unique_ptr<DaemonProcess> d(new DaemonProcess());
  d->paths_ = paths;
  d->socket_ = lab.dir() + "/cni.sock";
  d->log_path_ = lab.dir() + "/daemon.log";
  d->argv_ = {"ip",          "netns",          "exec",       lab.netns(),       paths.reactor,
              "--node",      lab.node(),       "--nb",       lab.nb_remote(),   "--ovs",
              lab.ovs_remote(), "--node-subnet", subnet,     "--cni-socket",    d->socket_};
  d->argv_.insert(d->argv_.end(), extra.begin(), extra.end());
  OVNK_TRY(d->launch());
  OVNK_TRY(d->wait_ready(ready_timeout));
  return d;
}

Result<void> DaemonProcess::launch() {
  // `ip netns exec` execs the daemon: the pid is the daemon's.
  OVNK_ASSIGN_OR_RETURN(Child c, spawn(argv_, {}, "", log_path_, false));
  pid_ = c.pid;
  return ok_result();
}

std::string DaemonProcess::net_config(const std::string& cni_version, const std::string& extra_json) const {
  std::string c = "{\"cniVersion\":\"" + cni_version + "\",\"name\":\"ovn-e2e\",\"type\":\"ovnk-cni\",\"daemonSocket\":\"" +
                  socket_ + "\"";
  if (!extra_json.empty()) c += "," + extra_json;
  return c + "}";
}

Result<void> DaemonProcess::wait_ready(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  CniInvocation status;
  status.command = "STATUS";
  status.config = net_config("1.1.0");
  status.set_netns = false;
  std::string last;
  while (Clock::now() < deadline) {
    if (pid_ > 0) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return e2e_error("ovnk-reactor exited (status " + std::to_string(st) + "): " + log_tail());
      }
    }
    auto r = run_cni(paths_, status);
    if (r.ok() && r->exit_code == 0) return ok_result();
    if (r.ok()) last = r->out;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return e2e_error("ovnk-reactor not ready after " + std::to_string(timeout.count()) + " ms; STATUS said: " + last +
                   "\nlog:\n" + log_tail());
}

Result<int> DaemonProcess::stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  auto st = wait_exit(pid_, std::chrono::seconds(10));
  if (!st) {
    ::kill(pid_, SIGKILL);
    st = wait_status(pid_);
  }
  pid_ = -1;
  return *st;
}

void DaemonProcess::kill_now() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_status(pid_);
  pid_ = -1;
}

Result<void> DaemonProcess::restart(std::chrono::milliseconds ready_timeout) {
  if (pid_ > 0) OVNK_TRY(stop());
  OVNK_TRY(launch());
  return wait_ready(ready_timeout);
}

DaemonProcess::~DaemonProcess() { (void)stop(); }

std::string DaemonProcess::log_tail(size_t max_bytes) const {
  std::string text = slurp(log_path_);
  if (text.size() > max_bytes) text = text.substr(text.size() - max_bytes);
  return text;
}

Result<std::string> DaemonProcess::metrics() const {
  return run_command({"curl", "-s", "--max-time", "10", "--unix-socket", socket_, "http://localhost/metrics"});
}

// ---- PodNetns ----------------------------------------------------------------------

Result<PodNetns> PodNetns::create(std::string name) {
  OVNK_TRY(run_command({"ip", "netns", "add", name}));
  return PodNetns(std::move(name));
}

PodNetns& PodNetns::operator=(PodNetns&& other) noexcept {
  if (this != &other) {
    if (!name_.empty()) (void)run_command({"ip", "netns", "del", name_});
    name_ = std::move(other.name_);
    other.name_.clear();
  }
  return *this;
}

PodNetns::~PodNetns() {
  if (!name_.empty()) (void)run_command({"ip", "netns", "del", name_});
}

// ---- the plugin -------------------------------------------------------------------

Result<CniOutcome> run_cni(const E2ePaths& paths, const CniInvocation& call) {
  auto all = run_cni_many(paths, {call});
  return std::move(all.front());
}

std::vector<Result<CniOutcome>> run_cni_many(const E2ePaths& paths, const std::vector<CniInvocation>& calls) {
  struct Running {
    Child child;
    Clock::time_point started;
    CniOutcome outcome;
    std::optional<Error> error;
    bool open = false;
  };
  std::vector<Running> runs(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    runs[i].started = Clock::now();
    auto c = spawn({paths.cni}, cni_env(calls[i]), calls[i].config, "", true);
    if (!c.ok()) {
      runs[i].error = c.error();
      continue;
    }
    runs[i].child = *c;
    runs[i].open = true;
  }
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!runs[i].open) continue;
      fds.push_back(pollfd{runs[i].child.out, POLLIN, 0});
      which.push_back(i);
    }
    if (fds.empty()) break;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (size_t k = 0; k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Running& r = runs[which[k]];
      char buf[4096];
      ssize_t n = ::read(r.child.out, buf, sizeof buf);
      if (n > 0) {
        r.outcome.out.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(r.child.out);
        r.open = false;
        r.outcome.took = Clock::now() - r.started;
      }
    }
  }
  std::vector<Result<CniOutcome>> out;
  out.reserve(runs.size());
  for (Running& r : runs) {
    if (r.error) {
      out.emplace_back(*r.error);
      continue;
    }
    if (r.open) ::close(r.child.out);
    int status = wait_status(r.child.pid);
    r.outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    out.emplace_back(std::move(r.outcome));
  }
  return out;
}

}  // namespace ovnk::testing
