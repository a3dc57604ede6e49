// The loop backends as Google Benchmark template arguments (Uv, Uring), and a
// loop for one: a backend this machine refuses (io_uring under a seccomp
// profile) marks the benchmark skipped with the reason instead of failing.
#pragma once

#include <benchmark/benchmark.h>

#include <memory>

#include "reactor/loop.h"

namespace ovnk::reactor::bench {

struct Uv {
  static constexpr Backend kBackend = Backend::kLibuv;
};
struct Uring {
  static constexpr Backend kBackend = Backend::kIoUring;
};

template <class B>
std::unique_ptr<Loop> make_loop(benchmark::State& state) {
  auto created = Loop::create(B::kBackend);
  if (!created.ok()) {
    state.SkipWithError(created.error().to_string().c_str());
    return nullptr;
  }
  return std::move(created).value();
}

}  // namespace ovnk::reactor::bench
