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
  uv_poll_t* handle_ = nullptr;  // null when libuv refused the fd
  std::unique_ptr<Timer> init_error_;  // reports a refused fd as an error event
};

class UvTimer final : public Timer {
 public:
  UvTimer(UvLoop& loop, Callback cb);
  ~UvTimer() override;
  void start(Duration after, Duration repeat) override;
  void stop() override { uv_timer_stop(handle_); }
  bool active() const override { return uv_is_active(reinterpret_cast<uv_handle_t*>(handle_)) != 0; }

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

 private:
  uv_loop_t uv_{};
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
  apply();
}

UvFdWatch::~UvFdWatch() {
  if (handle_ != nullptr) {
    handle_->data = nullptr;
    uv_poll_stop(handle_);
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
  // UV_DISCONNECT asks for EPOLLRDHUP so that a peer's half-close is seen even
  // when only writability is asked for.
  uv_poll_start(handle_, events | UV_DISCONNECT, on_poll);
}

void UvFdWatch::on_poll(uv_poll_t* h, int status, int events) {
  auto* self = static_cast<UvFdWatch*>(h->data);
  if (self == nullptr) return;
  self->loop_.refresh_now();
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
  uv_update_time(loop_.uv());
  uv_timer_start(handle_, on_timer, ceil_millis(after), ceil_millis(repeat));
}

void UvTimer::on_timer(uv_timer_t* h) {
  auto* self = static_cast<UvTimer*>(h->data);
  if (self == nullptr) return;
  self->loop_.refresh_now();
  // The callback may destroy this timer: copy nothing out of `self` afterwards.
  self->callback_();
}

Result<void> UvLoop::init() {
  int rc = uv_loop_init(&uv_);
  if (rc != 0) return make_error("io", -rc, std::string("uv_loop_init: ") + uv_strerror(rc));
  initialised_ = true;
  refresh_now();
  return {};
}

UvLoop::~UvLoop() {
  if (!initialised_) return;
  // Let libuv run the close callbacks of handles destroyed last, then close.
  uv_run(&uv_, UV_RUN_NOWAIT);
  if (uv_loop_close(&uv_) == UV_EBUSY) {
    // Handles still alive: their owners outlived the loop, a broken invariant.
    LOG_ERROR("loop_closed_with_live_handles", log::kv("live", live_));
  }
}

bool UvLoop::run_once(bool block) {
  uv_run_mode mode = (block && !has_deferred_work()) ? UV_RUN_ONCE : UV_RUN_NOWAIT;
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
