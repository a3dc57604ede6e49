// Loop core micro-benchmarks, each on both backends (libuv, io_uring):
//   - TimerChurn: N timers started far away, half of them restarted with a zero
//     delay and half stopped, then the loop runs until the restarted half fired
//     (heap insert + reposition + removal + fire);
//   - PingPong: one byte bounced between the two ends of a socketpair, each end
//     with its own watch in the same loop (two wake-ups per round trip);
//   - Defer: N deferred calls run by one non-blocking iteration.
// A backend that cannot be created here (io_uring refused) is reported as
// skipped with the reason.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/bench_backends.h"
#include "reactor/loop.h"

namespace ovnk::reactor {
namespace {

using bench::make_loop;
using bench::Uring;
using bench::Uv;

template <class B>
void BM_TimerChurn(benchmark::State& state) {
  auto loop = make_loop<B>(state);
  if (!loop) return;
  const auto n = static_cast<size_t>(state.range(0));
  size_t fired = 0;
  std::vector<std::unique_ptr<Timer>> timers;
  timers.reserve(n);
  for (size_t i = 0; i < n; ++i) timers.push_back(loop->make_timer([&fired] { ++fired; }));
  for (auto _ : state) {
    fired = 0;
    for (auto& t : timers) t->start(std::chrono::hours(1));
    for (size_t i = 0; i < n; ++i) {
      if (i % 2 == 0) {
        timers[i]->start(Duration::zero());
      } else {
        timers[i]->stop();
      }
    }
    while (fired < (n + 1) / 2) loop->run_once(true);
  }
  timers.clear();
  loop->run_once(false);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

template <class B>
void BM_PingPong(benchmark::State& state) {
  auto loop = make_loop<B>(state);
  if (!loop) return;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  uint64_t returned = 0;
  char byte = 'p';
  // Far end: echoes what it reads.
  auto echo = loop->watch_fd(sv[1], kReadable, [&](FdEvents) {
    char buf[16];
    ssize_t got = read(sv[1], buf, sizeof buf);
    if (got > 0 && write(sv[1], buf, static_cast<size_t>(got)) != got) state.SkipWithError("write");
  });
  // Near end: counts round trips.
  auto home = loop->watch_fd(sv[0], kReadable, [&](FdEvents) {
    char buf[16];
    if (read(sv[0], buf, sizeof buf) > 0) ++returned;
  });
  for (auto _ : state) {
    const uint64_t want = returned + 1;
    if (write(sv[0], &byte, 1) != 1) {
      state.SkipWithError("write");
      break;
    }
    while (returned < want) loop->run_once(true);
  }
  echo.reset();
  home.reset();
  loop->run_once(false);
  close(sv[0]);
  close(sv[1]);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

template <class B>
void BM_Defer(benchmark::State& state) {
  auto loop = make_loop<B>(state);
  if (!loop) return;
  const auto n = state.range(0);
  uint64_t ran = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < n; ++i) loop->defer([&ran] { ++ran; });
    loop->run_once(false);
  }
  benchmark::DoNotOptimize(ran);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n);
}

BENCHMARK_TEMPLATE(BM_TimerChurn, Uv)->Arg(16)->Arg(1024);
BENCHMARK_TEMPLATE(BM_TimerChurn, Uring)->Arg(16)->Arg(1024);
BENCHMARK_TEMPLATE(BM_PingPong, Uv);
BENCHMARK_TEMPLATE(BM_PingPong, Uring);
BENCHMARK_TEMPLATE(BM_Defer, Uv)->Arg(1)->Arg(1024);
BENCHMARK_TEMPLATE(BM_Defer, Uring)->Arg(1)->Arg(1024);

}  // namespace
}  // namespace ovnk::reactor
