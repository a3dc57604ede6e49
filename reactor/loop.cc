#include "reactor/loop.h"

#include "reactor/uring_loop.h"
#include "reactor/uv_loop.h"

namespace ovnk::reactor {

std::string_view backend_name(Backend backend) {
  switch (backend) {
    case Backend::kLibuv: return "uv";
    case Backend::kIoUring: return "uring";
  }
  return "?";
}

Result<Backend> parse_backend(std::string_view name) {
  if (name == "uv" || name == "libuv") return Backend::kLibuv;
  if (name == "uring" || name == "io_uring" || name == "iouring") return Backend::kIoUring;
  return make_error("config", 0,
                    std::string("unknown loop backend '") + std::string(name) +
                        "' (expected uv or uring)");
}

Result<std::unique_ptr<Loop>> Loop::create(Backend backend) {
  switch (backend) {
    case Backend::kLibuv: return create_uv_loop();
    case Backend::kIoUring: return create_uring_loop();
  }
  return make_error("config", 0, "unknown backend");
}

Loop::~Loop() {
  // Objects scheduled for deletion die with the loop at the latest.
  for (Grave& g : graveyard_) g.destroy(g.object);
}

void Loop::defer(Callback fn) { deferred_.push_back(std::move(fn)); }

void Loop::run_deferred_work() {
  // Deferred functions may defer more; bound the rounds so a function that always
  // re-defers itself cannot starve I/O: what is left runs next iteration.
  for (int round = 0; round < 16 && !deferred_.empty(); ++round) {
    std::vector<Callback> batch;
    batch.swap(deferred_);
    for (Callback& fn : batch) fn();
  }
  while (!graveyard_.empty()) {
    std::vector<Grave> dead;
    dead.swap(graveyard_);
    for (Grave& g : dead) g.destroy(g.object);
  }
}

bool Loop::run_until(const std::function<bool()>& done, Duration timeout) {
  MonoTime deadline = mono_now() + timeout;
  bool fired = false;
  auto guard = make_timer([&fired] { fired = true; });
  guard->start(timeout);
  while (!done() && !fired && mono_now() < deadline) run_once(true);
  guard.reset();
  return done();
}

}  // namespace ovnk::reactor
