// What a pod pays for the shim: the ovnk-cni binary executed the way a runtime
// does (fork + execve, env, config on stdin, wait), against /bin/true as the
// floor of any exec. Each case reports "vs_bin_true": its wall time divided by
// that of /bin/true runs interleaved with it (same method, same moment).
//
//   BM_ExecBinTrue         fork+exec+wait of /bin/true
//   BM_ShimVersion         ovnk-cni VERSION (no daemon: start-up + JSON out)
//   BM_ShimValidationError ovnk-cni ADD with a bad CNI_IFNAME (parses, refuses)
//   BM_ShimAddRoundTrip    ovnk-cni ADD answered by a CNI server running in a
//                          child process (start-up + unix connect + HTTP)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/log.h"
#include "cni-frontend/handler.h"
#include "cni-frontend/metrics.h"
#include "cni-frontend/server.h"
#include "reactor/loop.h"

#ifndef OVNK_CNI_BINARY
#error "OVNK_CNI_BINARY must name the ovnk-cni binary"
#endif

namespace {

using Clock = std::chrono::steady_clock;

// fork + execve + wait, with `input` on stdin and stdout discarded; returns the
// exit status (or -1).
int exec_once(const char* path, const std::vector<std::string>& env, const std::string& input) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  // Configs are small: the pipe buffer holds them, so write before the exec.
  if (!input.empty() && ::write(in[1], input.data(), input.size()) < 0) return -1;
  ::close(in[1]);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(path), nullptr};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execve(path, argv, envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Each iteration runs the case, then /bin/true, and times both: the ratio is
// taken under the same machine load (this machine is shared and noisy), and
// only the case's own time is the benchmark's (manual) time.
void run_case(benchmark::State& state, const char* path, const std::vector<std::string>& env,
              const std::string& input, int expected_exit) {
  int64_t bad = 0;
  double case_total = 0;
  double true_total = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    if (exec_once(path, env, input) != expected_exit) ++bad;
    const auto t1 = Clock::now();
    exec_once("/bin/true", {}, "");
    const auto t2 = Clock::now();
    const double case_s = std::chrono::duration<double>(t1 - t0).count();
    case_total += case_s;
    true_total += std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(case_s);
  }
  state.counters["vs_bin_true"] = true_total > 0 ? case_total / true_total : 0;
  state.counters["bin_true_us"] =
      true_total * 1e6 / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  if (bad != 0) state.SkipWithError("unexpected exit status");
}

void BM_ExecBinTrue(benchmark::State& state) { run_case(state, "/bin/true", {}, "", 0); }
BENCHMARK(BM_ExecBinTrue)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_ShimVersion(benchmark::State& state) {
  run_case(state, OVNK_CNI_BINARY, {"CNI_COMMAND=VERSION"}, R"({"cniVersion":"1.0.0"})", 0);
}
BENCHMARK(BM_ShimVersion)->UseManualTime()->Unit(benchmark::kMicrosecond);

void BM_ShimValidationError(benchmark::State& state) {
  run_case(state, OVNK_CNI_BINARY,
           {"CNI_COMMAND=ADD", "CNI_CONTAINERID=abc", "CNI_NETNS=/proc/1/ns/net",
            "CNI_IFNAME=this-is-far-too-long"},
           R"({"cniVersion":"1.0.0","name":"ovn-k","type":"ovnk-cni"})", 1);
}
BENCHMARK(BM_ShimValidationError)->UseManualTime()->Unit(benchmark::kMicrosecond);

// A handler that answers every ADD at once with a one-interface result.
class InstantHandler final : public ovnk::cni::CniHandler {
 public:
  std::unique_ptr<ovnk::cni::CniCall> start(const ovnk::cni::CniRequest& request,
                                            ovnk::cni::CniDone done) override {
    ovnk::cni::CniResult r;
    r.interfaces.push_back({request.ifname, "0a:58:0a:80:00:05", request.netns, std::nullopt, "", ""});
    r.ips.push_back({"10.128.0.5/16", "10.128.0.1", 0u});
    done(ovnk::cni::CniReply::success(std::move(r)));
    return nullptr;
  }
};

void BM_ShimAddRoundTrip(benchmark::State& state) {
  char dir_template[] = "/tmp/ovnk-cni-bench-XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::string socket = std::string(dir) + "/run/cni.sock";
  int ready[2];
  if (::pipe(ready) != 0) return;
  const pid_t server = ::fork();
  if (server == 0) {
    ::close(ready[0]);
    ovnk::log::set_level(ovnk::log::Level::kWarn);  // one info line per request otherwise
    auto loop = ovnk::reactor::Loop::create(ovnk::reactor::Backend::kLibuv);
    if (!loop.ok()) ::_exit(2);
    InstantHandler handler;
    ovnk::metrics::Registry registry;
    ovnk::cni::CniServerOptions options;
    options.socket_path = socket;
    auto s = ovnk::cni::CniServer::start(**loop, handler, registry, options);
    if (!s.ok()) ::_exit(3);
    (void)::write(ready[1], "R", 1);
    (void)(*loop)->run();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c = 0;
  if (::read(ready[0], &c, 1) != 1 || c != 'R') {
    state.SkipWithError("the CNI server did not start");
  } else {
    run_case(state, OVNK_CNI_BINARY,
             {"CNI_COMMAND=ADD", "CNI_CONTAINERID=3f6940ab5ab4", "CNI_NETNS=/proc/1/ns/net",
              "CNI_IFNAME=eth0", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web"},
             R"({"cniVersion":"1.0.0","name":"ovn-k","type":"ovnk-cni","daemonSocket":")" + socket +
                 "\"}",
             0);
  }
  ::close(ready[0]);
  ::kill(server, SIGTERM);
  ::waitpid(server, nullptr, 0);
  ::unlink(socket.c_str());
  ::rmdir((std::string(dir) + "/run").c_str());
  ::rmdir(dir);
}
BENCHMARK(BM_ShimAddRoundTrip)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace
