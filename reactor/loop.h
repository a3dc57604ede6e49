// The event loop: one thread, no locks, everything the daemon does is a callback
// from here.
//
// Two backends behind one interface, chosen at run time: libuv (the default) and
// io_uring (liburing: multishot poll for fd readiness, the ring's own timeout for
// waiting). Both offer the same primitives:
//   - FdWatch: readiness of a file descriptor the caller owns (level-triggered);
//   - Timer: one-shot or repeating;
//   - defer(): run a function after the callbacks of the current iteration;
//   - delete_later(): destroy an object after the current iteration, for objects
//     that may still be on the call stack (a connection closing itself from its
//     own read callback);
//   - now(): a monotonic time read once per iteration phase, so that every
//     callback of one wake-up sees the same "now" and pure code can be fed it.
//
// Invariants: a handle (FdWatch, Timer) is a unique_ptr; destroying it cancels it
// and its callback is never called afterwards, even if its event was already
// fetched in the same iteration. The loop must outlive its handles. Callbacks may
// create and destroy any handle, including their own.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"

namespace ovnk::reactor {

enum class Backend {
  kLibuv,    // portable, the default
  kIoUring,  // liburing >= 2.3; refused by some seccomp profiles (EPERM) and old kernels
};
std::string_view backend_name(Backend backend);
Result<Backend> parse_backend(std::string_view name);  // "uv"/"libuv", "uring"/"io_uring"

// What the caller wants to hear about on an fd.
enum Interest : unsigned {
  kNone = 0,
  kReadable = 1u << 0,
  kWritable = 1u << 1,
};

// What happened on an fd. `error` is reported whatever the interest (as poll(2)
// does). `hangup` is the peer's half-close or a full hangup, reported with read
// interest; a write-only watch sees a full hangup as `writable` (and `hangup`
// where the backend can tell), so that a peer that shut down its side cannot make
// a writer spin. The owner then reads or writes to learn the errno.
struct FdEvents {
  bool readable = false;
  bool writable = false;
  bool error = false;
  bool hangup = false;
};

using FdCallback = std::function<void(FdEvents)>;
using Callback = std::function<void()>;

class FdWatch {
 public:
  virtual ~FdWatch() = default;  // stops watching; never closes the fd
  // kNone pauses the watch without destroying it.
  virtual void set_interest(unsigned interest) = 0;
  virtual unsigned interest() const = 0;
  virtual int fd() const = 0;
};

class Timer {
 public:
  virtual ~Timer() = default;  // cancels
  // (Re)starts the timer: fires after `after`, then every `repeat` if non-zero.
  virtual void start(Duration after, Duration repeat = Duration::zero()) = 0;
  virtual void stop() = 0;
  virtual bool active() const = 0;
};

class Loop {
 public:
  static Result<std::unique_ptr<Loop>> create(Backend backend);

  Loop() = default;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  virtual ~Loop();

  virtual Backend backend() const = 0;
  virtual MonoTime now() const = 0;

  virtual std::unique_ptr<FdWatch> watch_fd(int fd, unsigned interest, FdCallback callback) = 0;
  virtual std::unique_ptr<Timer> make_timer(Callback callback) = 0;

  // Runs until stop() is called or nothing is left to wait for (no active fd
  // watch, timer or deferred work). Stop from inside a callback returns after the
  // current iteration.
  virtual Result<void> run() = 0;
  // One iteration: waits for events (at most until the next timer when `block`,
  // not at all otherwise), dispatches them, then runs deferred work. Returns
  // whether anything is left to wait for.
  virtual bool run_once(bool block) = 0;
  virtual void stop() = 0;

  // Runs iterations until `done()` is true or `timeout` passes; returns done().
  // For tests and tools; the daemon uses run().
  bool run_until(const std::function<bool()>& done, Duration timeout);

  // Handles alive right now (fd watches + timers, active or not). A clean
  // shutdown ends with zero: tests assert it.
  virtual size_t live_handles() const = 0;

  void defer(Callback fn);
  template <class T>
  void delete_later(std::unique_ptr<T> object) {
    if (!object) return;
    graveyard_.push_back(Grave{object.release(), [](void* p) { delete static_cast<T*>(p); }});
  }

 protected:
  bool has_deferred_work() const { return !deferred_.empty() || !graveyard_.empty(); }
  // Backends call this after dispatching an iteration's callbacks. Work deferred
  // from deferred work runs in the same call; the graveyard is emptied last.
  void run_deferred_work();

 private:
  struct Grave {
    void* object;
    void (*destroy)(void*);
  };
  std::vector<Callback> deferred_;
  std::vector<Grave> graveyard_;
};

}  // namespace ovnk::reactor
