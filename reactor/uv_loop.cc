#include "reactor/uv_loop.h"

#include <uv.h>

#include <cstdlib>

#include "base/log.h"

namespace ovnk::reactor {
namespace {

class UvLoop;

// uv handles are closed asynchronously: their memory is freed in the close
// callback, never in our destructors, so a handle whose owner died while libuv
// still holds it is safe.
template <class H>
H* new_handle() {
  return static_cast<H*>(std::calloc(1, sizeof(H)));
}
void free_on_close(uv_handle_t* h) { std::free(h); }

class UvFdWatch final : public FdWatch {
 public:
  UvFdWatch(UvLoop& loop, int fd, unsigned interest, FdCallback cb);
  ~UvFdWatch() override;
  void set_interest(unsigned interest) override;
  unsigned interest() const override { return interest_; }
  int fd() const override { return fd_; }

 private:
  static void on_poll(uv_poll_t* h, int status, int events);
  void apply();

  UvLoop& loop_;
  int fd_;
  unsigned interest_;
  FdCallback callback_;
  uv_poll_t* handle_ = nullptr;        // null when libuv refused the fd
  std::unique_ptr<Timer> init_error_;  // reports a refused fd as an error event
};

class UvTimer final : public Timer {
 public:
  UvTimer(UvLoop& loop, Callback cb);
  ~UvTimer() override;
  void start(Duration after, Duration repeat) override;
  void stop() override { uv_timer_stop(handle_); }
  bool active() const override {
    return uv_is_active(reinterpret_cast<uv_handle_t*>(handle_)) != 0;
  }

 private:
  static void on_timer(uv_timer_t* h);
  UvLoop& loop_;
  Callback callback_;
  uv_timer_t* handle_;
};

class UvLoop final : public Loop {
 public:
  UvLoop() = default;
  ~UvLoop() override;
  Result<void> init();

  Backend backend() const override { return Backend::kLibuv; }
  MonoTime now() const override { return now_; }
  std::unique_ptr<FdWatch> watch_fd(int fd, unsigned interest, FdCallback cb) override {
    return std::make_unique<UvFdWatch>(*this, fd, interest, std::move(cb));
  }
  std::unique_ptr<Timer> make_timer(Callback cb) override {
    return std::make_unique<UvTimer>(*this, std::move(cb));
  }
  Result<void> run() override;
  bool run_once(bool block) override;
  void stop() override { stopping_ = true; }
  size_t live_handles() const override { return live_; }

  uv_loop_t* uv() { return &uv_; }
  // libuv refreshes its clock at the start of an iteration and after polling;
  // ours follows it, so all callbacks of one phase see one "now".
  void refresh_now() {
    uint64_t t = uv_now(&uv_);
    if (t != last_uv_now_) {
      last_uv_now_ = t;
      now_ = mono_now();
    }
  }
  void handle_opened() { ++live_; }
  void handle_closed() { --live_; }
  void note_dispatch() { dispatched_ = true; }
  // libuv 1.44 runs, in one timer phase, every timer due at the loop's time,
  // including one a timer callback has just started with timeout 0: a timer
  // restarting itself with a zero delay would spin forever. UvTimer::start
  // uses it to make such a restart wait for the next millisecond instead.
  bool in_timer_callback() const { return timer_depth_ > 0; }
  void enter_timer_callback() { ++timer_depth_; }
  void leave_timer_callback() { --timer_depth_; }

 private:
  static void on_prepare(uv_prepare_t* h);

  uv_loop_t uv_{};
  // Runs just before libuv polls. UV_RUN_ONCE runs the timers already due, then
  // polls with a timeout until the next timer: that would keep the work those
  // callbacks deferred (and the caller of run_once, e.g. run_until) waiting for
  // an unrelated event. When a callback already ran in this uv_run, or work is
  // deferred, uv_stop() makes the poll non-blocking (its timeout becomes 0).
  uv_prepare_t prepare_{};
  bool dispatched_ = false;
  int timer_depth_ = 0;
  bool initialised_ = false;
  bool stopping_ = false;
  size_t live_ = 0;
  uint64_t last_uv_now_ = 0;
  MonoTime now_ = mono_now();
};

UvFdWatch::UvFdWatch(UvLoop& loop, int fd, unsigned interest, FdCallback cb)
    : loop_(loop), fd_(fd), interest_(interest), callback_(std::move(cb)) {
  loop_.handle_opened();
  handle_ = new_handle<uv_poll_t>();
  int rc = uv_poll_init(loop_.uv(), handle_, fd);
  if (rc != 0) {
    std::free(handle_);
    handle_ = nullptr;
    LOG_WARN("fd_watch_refused", log::kv("fd", fd), log::kv("error", uv_strerror(rc)));
    // Same contract as the io_uring backend: the owner hears of it as an error
    // event on the next iteration, then reads/writes to get the errno.
    init_error_ = loop_.make_timer([this] {
      if (callback_) callback_(FdEvents{.error = true});
    });
    loop_.handle_closed();  // the helper timer counted itself; count this watch once
    init_error_->start(Duration::zero());
    return;
  }
  handle_->data = this;
  if (interest_ != 0) apply();  // a fresh handle polls nothing: no need to stop it
}

UvFdWatch::~UvFdWatch() {
  if (handle_ != nullptr) {
    handle_->data = nullptr;
    // uv_close stops the poll itself (a uv_poll_stop first costs one more epoll_ctl).
    uv_close(reinterpret_cast<uv_handle_t*>(handle_), free_on_close);
    loop_.handle_closed();
  }
}

void UvFdWatch::set_interest(unsigned interest) {
  interest_ = interest;
  if (handle_ != nullptr) apply();
}

void UvFdWatch::apply() {
  int events = 0;
  if (interest_ & kReadable) events |= UV_READABLE;
  if (interest_ & kWritable) events |= UV_WRITABLE;
  if (events == 0) {
    uv_poll_stop(handle_);
    return;
  }
  // UV_DISCONNECT (EPOLLRDHUP, the peer's half-close) goes with read interest
  // only: it stays asserted, so a write-only watch asking for it would wake on
  // every iteration while a reply drains to a peer that shut down its side.
  if (events & UV_READABLE) events |= UV_DISCONNECT;
  uv_poll_start(handle_, events, on_poll);
}

void UvFdWatch::on_poll(uv_poll_t* h, int status, int events) {
  auto* self = static_cast<UvFdWatch*>(h->data);
  if (self == nullptr) return;
  self->loop_.refresh_now();
  self->loop_.note_dispatch();
  FdEvents ev;
  if (status < 0) {
    ev.error = true;
  } else {
    ev.readable = (events & UV_READABLE) != 0;
    ev.writable = (events & UV_WRITABLE) != 0;
    ev.hangup = (events & UV_DISCONNECT) != 0;
  }
  self->callback_(ev);
}

UvTimer::UvTimer(UvLoop& loop, Callback cb) : loop_(loop), callback_(std::move(cb)) {
  loop_.handle_opened();
  handle_ = new_handle<uv_timer_t>();
  uv_timer_init(loop_.uv(), handle_);
  handle_->data = this;
}

UvTimer::~UvTimer() {
  handle_->data = nullptr;
  uv_timer_stop(handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), free_on_close);
  loop_.handle_closed();
}

namespace {
// libuv counts in milliseconds; round up so that a timer never fires early.
uint64_t ceil_millis(Duration d) {
  if (d <= Duration::zero()) return 0;
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  return static_cast<uint64_t>(ms);
}
}  // namespace

void UvTimer::start(Duration after, Duration repeat) {
  // The deadline counts from the real clock (a callback that ran long must not
  // make the timer fire early), but without uv_update_time(): moving the loop's
  // clock here would change now() for the callbacks still to run in this batch,
  // and would let a timer restarted with a zero delay fire again in the same
  // timer phase, forever. libuv fires when its clock (ms, taken from
  // CLOCK_MONOTONIC, coarse or not) reaches uv_now() + timeout, so add how far
  // the real clock is ahead of uv_now().
  // A zero delay cannot fire early: due at once, except from a timer callback.
  uint64_t timeout = 0;
  if (after > Duration::zero()) {
    uv_loop_t* uv = loop_.uv();
    const uint64_t loop_ns = uv_now(uv) * 1'000'000u;
    const uint64_t real_ns = uv_hrtime();
    const Duration behind(real_ns > loop_ns ? static_cast<int64_t>(real_ns - loop_ns) : 0);
    // Saturated: start(Duration::max()) means "never", not an overflow.
    timeout = ceil_millis(after < Duration::max() - behind ? after + behind : Duration::max());
  }
  if (timeout == 0 && loop_.in_timer_callback()) timeout = 1;
  uv_timer_start(handle_, on_timer, timeout, ceil_millis(repeat));
}

void UvTimer::on_timer(uv_timer_t* h) {
  auto* self = static_cast<UvTimer*>(h->data);
  if (self == nullptr) return;
  UvLoop& loop = self->loop_;
  loop.refresh_now();
  loop.note_dispatch();
  loop.enter_timer_callback();
  // The callback may destroy this timer: nothing of `self` is used afterwards.
  self->callback_();
  loop.leave_timer_callback();
}

Result<void> UvLoop::init() {
  int rc = uv_loop_init(&uv_);
  if (rc != 0) return make_error("io", -rc, std::string("uv_loop_init: ") + uv_strerror(rc));
  initialised_ = true;
  uv_prepare_init(&uv_, &prepare_);
  prepare_.data = this;
  uv_prepare_start(&prepare_, on_prepare);
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));  // keeps nothing alive
  refresh_now();
  return {};
}

UvLoop::~UvLoop() {
  // Objects in the graveyard may own handles of this loop: destroy them while
  // the loop is still whole (Loop::~Loop runs after uv_ is gone).
  run_deferred_work();
  if (!initialised_) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), nullptr);
  // Let libuv run the close callbacks of handles destroyed last, then close.
  uv_run(&uv_, UV_RUN_NOWAIT);
  if (uv_loop_close(&uv_) == UV_EBUSY) {
    // Handles still alive: their owners outlived the loop, a broken invariant.
    LOG_ERROR("loop_closed_with_live_handles", log::kv("live", live_));
  }
}

void UvLoop::on_prepare(uv_prepare_t* h) {
  auto* self = static_cast<UvLoop*>(h->data);
  if (self->dispatched_ || self->has_deferred_work()) uv_stop(&self->uv_);
}

bool UvLoop::run_once(bool block) {
  uv_run_mode mode = (block && !has_deferred_work()) ? UV_RUN_ONCE : UV_RUN_NOWAIT;
  dispatched_ = false;
  uv_run(&uv_, mode);
  refresh_now();
  run_deferred_work();
  return uv_loop_alive(&uv_) != 0 || has_deferred_work();
}

Result<void> UvLoop::run() {
  stopping_ = false;
  while (!stopping_) {
    if (!run_once(true)) break;
  }
  stopping_ = false;
  return {};
}

}  // namespace

Result<std::unique_ptr<Loop>> create_uv_loop() {
  auto loop = std::make_unique<UvLoop>();
  OVNK_TRY(loop->init());
  return std::unique_ptr<Loop>(std::move(loop));
}

}  // namespace ovnk::reactor
