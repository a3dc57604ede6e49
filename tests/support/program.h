// Test helpers: run a program (argv, looked up in PATH) and keep its exit
// status, stdout and stderr whatever they are, as a test wants them (many at
// once for races; optional bytes on stdin). ovsdb_server.h's run_command is
// the other flavour: a failure becomes an Error. Children die with the test
// (PR_SET_PDEATHSIG); nothing is run through a shell.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ovnk::testing {

struct RunResult {
  int code = -1;  // exit status; 128+N when killed by signal N; -1 when it could not run
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Started {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
  std::string in_path;
};

// `input` goes to the child's stdin (through a file: it may exceed a pipe).
inline Started start_program(const std::vector<std::string>& argv, const std::string& input = "") {
  static int counter = 0;
  Started s;
  std::string base = "/tmp/ovnk-test-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  s.out_path = base + ".out";
  s.err_path = base + ".err";
  s.in_path = base + ".in";
  std::ofstream(s.in_path, std::ios::binary) << input;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  s.pid = ::fork();
  if (s.pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int out = ::open(s.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(s.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int in = ::open(s.in_path.c_str(), O_RDONLY);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return s;
}

inline RunResult finish_program(const Started& s, std::chrono::seconds timeout = std::chrono::seconds(120)) {
  RunResult r;
  if (s.pid < 0) return r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(s.pid, &status, WNOHANG);
    if (w == s.pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(s.out_path);
  r.err = slurp(s.err_path);
  ::unlink(s.out_path.c_str());
  ::unlink(s.err_path.c_str());
  ::unlink(s.in_path.c_str());
  return r;
}

inline RunResult run_program(const std::vector<std::string>& argv,
                             std::chrono::seconds timeout = std::chrono::seconds(120), const std::string& input = "") {
  return finish_program(start_program(argv, input), timeout);
}

// All started before any is waited for.
inline std::vector<RunResult> run_programs(const std::vector<std::vector<std::string>>& argvs) {
  std::vector<Started> started;
  for (const auto& a : argvs) started.push_back(start_program(a));
  std::vector<RunResult> out;
  for (const auto& s : started) out.push_back(finish_program(s));
  return out;
}

// Lines of a program's output: the non-blank ones (ovn-nbctl --bare separates
// records with blank lines), or those containing `needle`.
inline size_t count_lines(const std::string& text, const std::string& needle = "") {
  size_t n = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (needle.empty() ? line.find_first_not_of(" \t") != std::string::npos : line.find(needle) != std::string::npos) {
      ++n;
    }
    start = end + 1;
  }
  return n;
}

inline std::string describe(const RunResult& r) {
  return "exit " + std::to_string(r.code) + "\nstdout:\n" + r.out + "stderr:\n" + r.err;
}

}  // namespace ovnk::testing
