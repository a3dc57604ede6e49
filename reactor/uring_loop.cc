#include "reactor/uring_loop.h"

#include <liburing.h>
#include <poll.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "base/log.h"

namespace ovnk::reactor {
namespace {

// --- user_data of the requests we submit -----------------------------------
//
// Never a pointer: a completion can outlive the object it was for (it may sit in
// the completion queue, or in the batch being dispatched, when the watch is
// destroyed). A poll request carries its watch's slot index and the slot's
// generation at arm time; the generation is bumped whenever the watch is
// destroyed or re-armed, so a completion of a dead or superseded request no
// longer matches and is dropped.
//
//   bits 63-62  tag (kTagPoll, kTagIgnore; 3 would collide with liburing's
//               LIBURING_UDATA_TIMEOUT, all ones)
//   bits 61-32  slot index
//   bits 31-0   generation
constexpr unsigned kTagShift = 62;
constexpr uint64_t kTagPoll = 1;
constexpr uint64_t kTagIgnore = 2;  // removals and updates: nothing to dispatch
constexpr uint64_t kIgnoreData = kTagIgnore << kTagShift;
constexpr uint32_t kMaxSlots = 1u << 30;

uint64_t poll_data(uint32_t slot, uint32_t gen) {
  return (kTagPoll << kTagShift) | (uint64_t{slot} << 32) | gen;
}
uint64_t data_tag(uint64_t data) { return data >> kTagShift; }
uint32_t data_slot(uint64_t data) { return static_cast<uint32_t>((data >> 32) & (kMaxSlots - 1)); }
uint32_t data_gen(uint64_t data) { return static_cast<uint32_t>(data); }

// Ring sizes: submissions are few per iteration (arms, removals, re-checks), but
// every ready watch posts a completion, so the completion ring is larger.
constexpr unsigned kSqEntries = 256;
constexpr unsigned kCqEntries = 4096;

// Poll mask for an interest. POLLRDHUP (the peer's half-close) goes with read
// interest only: it stays asserted once seen, so asking for it on a write-only
// watch would wake the loop on every iteration while a reply is still being sent
// to a peer that shut down its side. POLLERR and POLLHUP are always reported.
uint32_t poll_mask(unsigned interest) {
  uint32_t mask = 0;
  if (interest & kReadable) mask |= POLLIN | POLLRDHUP;
  if (interest & kWritable) mask |= POLLOUT;
  return mask;
}

// Same mapping as the libuv backend (uv__poll_io + uv__io_poll): POLLHUP shows as
// the events the watch asked for, plus hangup.
FdEvents to_fd_events(uint32_t mask, unsigned interest) {
  FdEvents ev;
  const bool hup = (mask & POLLHUP) != 0;
  ev.readable = (interest & kReadable) != 0 && ((mask & POLLIN) != 0 || hup);
  ev.writable = (interest & kWritable) != 0 && ((mask & POLLOUT) != 0 || hup);
  ev.hangup = (mask & (POLLRDHUP | POLLHUP)) != 0;
  return ev;
}

bool any(const FdEvents& ev) { return ev.readable || ev.writable || ev.error || ev.hangup; }

// `at + d`, saturated: start(Duration::max()) means "never", not an overflow.
MonoTime add_saturated(MonoTime at, Duration d) {
  if (d <= Duration::zero()) return at;
  if (d >= MonoTime::max() - at) return MonoTime::max();
  return at + d;
}

__kernel_timespec to_timespec(Duration d) {
  const auto secs = std::chrono::duration_cast<seconds>(d);
  __kernel_timespec ts{};
  ts.tv_sec = static_cast<decltype(ts.tv_sec)>(secs.count());
  ts.tv_nsec = static_cast<decltype(ts.tv_nsec)>((d - secs).count());
  return ts;
}

Error unavailable_error(int err, std::string_view what) {
  std::string m = "io_uring is unavailable: ";
  m.append(what).append(": ").append(std::strerror(err));
  switch (err) {
    case EPERM:
      m.append(
          " (probably a seccomp profile that blocks io_uring_setup, e.g. a container "
          "runtime's default, or the kernel.io_uring_disabled sysctl)");
      break;
    case ENOSYS:
      m.append(" (the kernel has no io_uring: too old or built without it)");
      break;
    case ENOMEM:
      m.append(" (not enough locked memory for the rings: RLIMIT_MEMLOCK)");
      break;
    default:
      break;
  }
  m.append("; the libuv backend (--backend uv) works instead");
  return make_error("io", err, m);
}

class UringLoop;

// What the owner of a watch can expect from it (the kernel side is tracked
// apart, in in_kernel_).
enum class WatchState {
  kActive,   // follows interest_: polled by the kernel unless it is kNone
  kStopped,  // an error was reported (POLLERR or a failed poll): like libuv, not
             // polled until set_interest() is called again, which -> kActive
  kRefused,  // the fd was refused at creation (bad fd, regular file): one error
             // event is owed on a later iteration; never polled, final
};

class UringFdWatch final : public FdWatch {
 public:
  UringFdWatch(UringLoop& loop, int fd, unsigned interest, FdCallback cb);
  ~UringFdWatch() override;
  void set_interest(unsigned interest) override;
  unsigned interest() const override { return interest_; }
  int fd() const override { return fd_; }

 private:
  friend class UringLoop;

  // The poll mask the kernel should be watching right now (0: none).
  uint32_t wanted_mask() const { return state_ == WatchState::kActive ? poll_mask(interest_) : 0; }
  bool wants_events() const { return wanted_mask() != 0; }

  UringLoop& loop_;
  int fd_;
  unsigned interest_;
  FdCallback callback_;
  uint32_t slot_ = 0;
  WatchState state_ = WatchState::kActive;

  // Kernel side: whether a multishot poll with user_data `arm_data_` and mask
  // `armed_mask_` is live (as far as the completions seen so far tell).
  bool in_kernel_ = false;
  uint64_t arm_data_ = 0;
  uint32_t armed_mask_ = 0;

  // Loop bookkeeping: in the dirty list (to reconcile before the next wait); a
  // readiness event was dispatched, so re-check the level (see sync_watch).
  bool dirty_ = false;
  bool recheck_ = false;
  // In the current dispatch batch, with what the completions said.
  bool queued_ = false;
  uint32_t pending_mask_ = 0;
  int pending_errno_ = 0;
};

class UringTimer final : public Timer {
 public:
  UringTimer(UringLoop& loop, Callback cb);
  ~UringTimer() override;
  void start(Duration after, Duration repeat) override;
  void stop() override;
  bool active() const override { return heap_index_ != kNotQueued; }

 private:
  friend class UringLoop;
  static constexpr size_t kNotQueued = std::numeric_limits<size_t>::max();

  UringLoop& loop_;
  Callback callback_;
  MonoTime deadline_{};
  Duration repeat_ = Duration::zero();
  uint64_t seq_ = 0;  // start order: breaks ties between equal deadlines
  size_t heap_index_ = kNotQueued;
};

class UringLoop final : public Loop {
 public:
  UringLoop() = default;
  ~UringLoop() override;
  Result<void> init();

  Backend backend() const override { return Backend::kIoUring; }
  MonoTime now() const override { return now_; }
  std::unique_ptr<FdWatch> watch_fd(int fd, unsigned interest, FdCallback cb) override {
    return std::make_unique<UringFdWatch>(*this, fd, interest, std::move(cb));
  }
  std::unique_ptr<Timer> make_timer(Callback cb) override {
    return std::make_unique<UringTimer>(*this, std::move(cb));
  }
  Result<void> run() override;
  bool run_once(bool block) override;
  void stop() override { stopping_ = true; }
  size_t live_handles() const override { return live_; }

  // --- called by the handles ---
  uint32_t attach_watch(UringFdWatch& w);
  void detach_watch(UringFdWatch& w);
  void refuse_watch(UringFdWatch& w);
  void mark_dirty(UringFdWatch& w);
  void wanting_changed(bool before, bool after) {
    if (before == after) return;
    if (after) {
      ++wanting_;
    } else {
      --wanting_;
    }
  }
  void timer_opened() { ++live_; }
  void timer_closed() { --live_; }
  void timer_start(UringTimer& t, MonoTime deadline, Duration repeat);
  void timer_stop(UringTimer& t);

 private:
  struct Slot {
    uint32_t gen = 0;
    UringFdWatch* watch = nullptr;  // null while the slot is free
  };
  struct SlotRef {
    uint32_t slot;
    uint32_t gen;
  };
  // A completion copied out of the ring: the ring is released at once, and the
  // callbacks that run later may submit (and even reap) freely.
  struct Completion {
    uint64_t data;
    int32_t res;
    uint32_t flags;
  };

  bool alive() const {
    return has_deferred_work() || !timers_.empty() || wanting_ > 0 || !reports_.empty();
  }
  UringFdWatch* lookup(uint32_t slot, uint32_t gen) const {
    if (slot >= slots_.size() || slots_[slot].gen != gen) return nullptr;
    return slots_[slot].watch;
  }

  io_uring_sqe* get_sqe();
  void submit_pending();
  void reap();
  void enter(bool wait, const __kernel_timespec* timeout);
  void sync_watches();
  void sync_watch(UringFdWatch& w);
  void remove_poll(UringFdWatch& w);
  void dispatch_reports();
  void dispatch_completions();
  void run_timers();

  // Timer heap ordered by (deadline, seq); each timer knows its index so that
  // stop() and destruction remove it at once: a destroyed timer cannot fire.
  static bool earlier(const UringTimer* a, const UringTimer* b) {
    return a->deadline_ != b->deadline_ ? a->deadline_ < b->deadline_ : a->seq_ < b->seq_;
  }
  void heap_place(size_t i, UringTimer* t) {
    timers_[i] = t;
    t->heap_index_ = i;
  }
  void heap_sift_up(size_t i);
  void heap_sift_down(size_t i);
  void heap_push(UringTimer* t);
  void heap_erase(size_t i);

  io_uring ring_{};
  bool initialised_ = false;
  bool stopping_ = false;
  size_t live_ = 0;
  size_t wanting_ = 0;  // watches that want events (keep run() going)
  MonoTime now_ = mono_now();
  uint64_t next_timer_seq_ = 0;
  bool overflow_logged_ = false;
  int fatal_errno_ = 0;

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> dirty_;          // slots whose kernel poll must be reconciled
  std::vector<SlotRef> reports_;         // refused watches owed an error event
  std::vector<Completion> completions_;  // reaped, not yet dispatched
  std::vector<Completion> batch_spare_;  // reused storage for the batch in dispatch
  std::vector<UringTimer*> timers_;      // binary min-heap
};

// --- FdWatch ----------------------------------------------------------------

UringFdWatch::UringFdWatch(UringLoop& loop, int fd, unsigned interest, FdCallback cb)
    : loop_(loop), fd_(fd), interest_(interest), callback_(std::move(cb)) {
  slot_ = loop_.attach_watch(*this);
  // io_uring polls any open file: a bad fd would only fail at submission, and a
  // regular file or directory would be "always ready" and spin. epoll (the libuv
  // backend) refuses both when the watch is made; refuse them here too, so that
  // both backends report the same error event.
  struct stat st {};
  int err = 0;
  if (fstat(fd, &st) != 0) {
    err = errno;
  } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
    err = EPERM;
  }
  if (err != 0) {
    LOG_WARN("fd_watch_refused", log::kv("fd", fd), log::kv("error", std::strerror(err)));
    loop_.refuse_watch(*this);
    return;
  }
  loop_.wanting_changed(false, wants_events());
  if (wants_events()) loop_.mark_dirty(*this);
}

UringFdWatch::~UringFdWatch() { loop_.detach_watch(*this); }

void UringFdWatch::set_interest(unsigned interest) {
  const bool before = wants_events();
  interest_ = interest;
  if (state_ == WatchState::kStopped) {
    state_ = WatchState::kActive;  // as uv_poll_start
    // The poll may still be in the kernel with the same mask, and a multishot
    // poll only posts on new wake-ups: re-check the level, or an fd that was
    // already ready (a netlink socket writable after ENOBUFS) is never reported.
    recheck_ = true;
  }
  loop_.wanting_changed(before, wants_events());
  // Reconciled with the kernel before the next wait, so that pausing and
  // resuming within one iteration costs nothing. Events already fetched are
  // filtered by the new interest when dispatched.
  loop_.mark_dirty(*this);
}

// --- Timer ------------------------------------------------------------------

UringTimer::UringTimer(UringLoop& loop, Callback cb) : loop_(loop), callback_(std::move(cb)) {
  loop_.timer_opened();
}

UringTimer::~UringTimer() {
  loop_.timer_stop(*this);
  loop_.timer_closed();
}

void UringTimer::start(Duration after, Duration repeat) {
  if (after < Duration::zero()) after = Duration::zero();
  if (repeat < Duration::zero()) repeat = Duration::zero();
  // From the real clock, not the cached now(): a callback that ran long must not
  // make the timer fire early.
  loop_.timer_start(*this, add_saturated(mono_now(), after), repeat);
}

void UringTimer::stop() { loop_.timer_stop(*this); }

// --- Loop: handles ----------------------------------------------------------

uint32_t UringLoop::attach_watch(UringFdWatch& w) {
  ++live_;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() >= kMaxSlots) std::abort();  // a billion watches: broken invariant
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[slot].watch = &w;
  return slot;
}

void UringLoop::detach_watch(UringFdWatch& w) {
  if (w.in_kernel_) {
    remove_poll(w);
    // Submitted now rather than with the next wait: the kernel's poll holds a
    // reference to the file, and the owner typically close()s the fd right
    // after destroying the watch and expects the peer to see it closed.
    submit_pending();
  }
  wanting_changed(w.wants_events(), false);
  Slot& s = slots_[w.slot_];
  s.watch = nullptr;
  ++s.gen;  // completions still in flight, queued or in this batch: dropped
  free_slots_.push_back(w.slot_);
  --live_;
}

void UringLoop::refuse_watch(UringFdWatch& w) {
  w.state_ = WatchState::kRefused;
  reports_.push_back(SlotRef{w.slot_, slots_[w.slot_].gen});
}

void UringLoop::mark_dirty(UringFdWatch& w) {
  if (w.dirty_) return;
  w.dirty_ = true;
  dirty_.push_back(w.slot_);
}

void UringLoop::timer_start(UringTimer& t, MonoTime deadline, Duration repeat) {
  timer_stop(t);
  t.deadline_ = deadline;
  t.repeat_ = repeat;
  t.seq_ = next_timer_seq_++;
  heap_push(&t);
}

void UringLoop::timer_stop(UringTimer& t) {
  if (t.heap_index_ == UringTimer::kNotQueued) return;
  heap_erase(t.heap_index_);
}

// --- Loop: timer heap ---------------------------------------------------------

void UringLoop::heap_sift_up(size_t i) {
  UringTimer* t = timers_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!earlier(t, timers_[parent])) break;
    heap_place(i, timers_[parent]);
    i = parent;
  }
  heap_place(i, t);
}

void UringLoop::heap_sift_down(size_t i) {
  UringTimer* t = timers_[i];
  const size_t n = timers_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(timers_[child + 1], timers_[child])) ++child;
    if (!earlier(timers_[child], t)) break;
    heap_place(i, timers_[child]);
    i = child;
  }
  heap_place(i, t);
}

void UringLoop::heap_push(UringTimer* t) {
  timers_.push_back(t);
  heap_sift_up(timers_.size() - 1);
}

void UringLoop::heap_erase(size_t i) {
  UringTimer* gone = timers_[i];
  gone->heap_index_ = UringTimer::kNotQueued;
  UringTimer* last = timers_.back();
  timers_.pop_back();
  if (last == gone) return;
  heap_place(i, last);
  if (i > 0 && earlier(last, timers_[(i - 1) / 2])) {
    heap_sift_up(i);
  } else {
    heap_sift_down(i);
  }
}

// --- Loop: ring ---------------------------------------------------------------

Result<void> UringLoop::init() {
  // COOP_TASKRUN: completions are posted when we next enter the kernel instead
  // of interrupting us; TASKRUN_FLAG tells liburing's peek to enter when some are
  // pending. Both need Linux 5.19: fall back to plain flags on EINVAL.
  const unsigned flag_sets[] = {
      IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      IORING_SETUP_CQSIZE,
  };
  io_uring_params params{};
  int rc = -EINVAL;
  for (unsigned flags : flag_sets) {
    params = io_uring_params{};
    params.flags = flags;
    params.cq_entries = kCqEntries;
    rc = io_uring_queue_init_params(kSqEntries, &ring_, &params);
    if (rc != -EINVAL) break;
  }
  if (rc < 0) return unavailable_error(-rc, "io_uring_queue_init");
  initialised_ = true;

  // NODROP: completions that do not fit are kept by the kernel, not lost (a lost
  // multishot termination would leave a watch deaf). EXT_ARG: the wait timeout
  // is an argument, not an extra request. CQE_SKIP: removals and re-checks post
  // nothing on success. Together they mean Linux >= 5.17.
  constexpr unsigned kNeeded = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG | IORING_FEAT_CQE_SKIP;
  if ((params.features & kNeeded) != kNeeded) {
    return unavailable_error(ENOSYS, "io_uring lacks NODROP/EXT_ARG/CQE_SKIP (Linux < 5.17)");
  }
  // Saves a file-table lookup per io_uring_enter; optional (Linux >= 5.18).
  (void)io_uring_register_ring_fd(&ring_);
  now_ = mono_now();
  return {};
}

UringLoop::~UringLoop() {
  // Objects in the graveyard may own handles of this loop: destroy them while
  // the loop is still whole (Loop::~Loop runs after our members are gone).
  run_deferred_work();
  if (live_ != 0) {
    // Handles alive: their owners outlived the loop, a broken invariant.
    LOG_ERROR("loop_closed_with_live_handles", log::kv("live", live_));
  }
  if (initialised_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringLoop::get_sqe() {
  for (int attempt = 0;; ++attempt) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
    // Submission ring full: hand what is there to the kernel. Completions are
    // reaped (not dispatched) in case the kernel pushes back until there is room.
    submit_pending();
    reap();
    if (attempt >= 1000) {
      LOG_ERROR("uring_submission_stuck", log::kv("errno", fatal_errno_));
      std::abort();  // the kernel accepts nothing: nothing sane left to do
    }
  }
}

void UringLoop::submit_pending() {
  if (io_uring_sq_ready(&ring_) == 0) return;
  int rc = io_uring_submit(&ring_);
  if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
    fatal_errno_ = -rc;
    LOG_ERROR("uring_submit_failed", log::kv("error", std::strerror(-rc)));
  }
}

void UringLoop::reap() {
  // Bounded so that a flood of completions cannot keep us here: what is left is
  // taken at the next wake-up. io_uring_peek_batch_cqe also flushes completions
  // the kernel kept aside on overflow once the ring is empty.
  io_uring_cqe* cqes[64];
  size_t budget = 4 * static_cast<size_t>(kCqEntries);
  while (budget > 0) {
    if (io_uring_cq_has_overflow(&ring_) && !overflow_logged_) {
      overflow_logged_ = true;
      LOG_WARN("uring_cq_overflow", log::kv("cq_entries", ring_.cq.ring_entries));
    }
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
    if (n == 0) break;
    for (unsigned i = 0; i < n; ++i) {
      if (cqes[i]->user_data == LIBURING_UDATA_TIMEOUT) continue;
      completions_.push_back(Completion{cqes[i]->user_data, cqes[i]->res, cqes[i]->flags});
    }
    io_uring_cq_advance(&ring_, n);
    budget -= std::min<size_t>(budget, n);
  }
}

void UringLoop::enter(bool wait, const __kernel_timespec* timeout) {
  int rc = 0;
  if (wait) {
    // Submits what the callbacks queued and waits in one system call.
    io_uring_cqe* cqe = nullptr;
    rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, const_cast<__kernel_timespec*>(timeout),
                                          nullptr);
  } else if (io_uring_sq_ready(&ring_) > 0) {
    rc = io_uring_submit(&ring_);
  }
  if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
    fatal_errno_ = -rc;
    LOG_ERROR("uring_enter_failed", log::kv("error", std::strerror(-rc)));
  }
}

// --- Loop: fd watches ---------------------------------------------------------

void UringLoop::remove_poll(UringFdWatch& w) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_poll_remove(sqe, w.arm_data_);
  io_uring_sqe_set_data64(sqe, kIgnoreData);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  w.in_kernel_ = false;
  ++slots_[w.slot_].gen;  // whatever the old request still posts is dropped
}

void UringLoop::sync_watches() {
  if (dirty_.empty()) return;
  std::vector<uint32_t> dirty;
  dirty.swap(dirty_);
  for (uint32_t slot : dirty) {
    UringFdWatch* w = slots_[slot].watch;
    // A slot freed (or freed and reused) since it was marked: the new owner, if
    // dirty, has its own entry.
    if (w == nullptr || !w->dirty_) continue;
    sync_watch(*w);
  }
  dirty.clear();
  if (dirty_.empty()) dirty_.swap(dirty);  // keep the capacity
}

// Makes the kernel side match what the watch wants:
//   - nothing wanted: remove the poll;
//   - another mask: remove and re-add (a new generation, so that completions of
//     the old request are dropped);
//   - same mask after a dispatched event: re-check the level. A multishot poll
//     posts on wake-ups only (edge), so a readable fd the callback did not drain
//     would not be reported again; POLL_UPDATE re-runs the driver's poll and
//     posts at once if the fd is still ready, which gives uv_poll's
//     level-triggered behaviour for one submission and no completion otherwise;
//   - not in the kernel (new, resumed, or its multishot ended): add it.
void UringLoop::sync_watch(UringFdWatch& w) {
  w.dirty_ = false;
  const bool recheck = std::exchange(w.recheck_, false);
  const uint32_t want = w.wanted_mask();
  if (w.in_kernel_) {
    if (want == w.armed_mask_) {
      if (recheck) {
        io_uring_sqe* sqe = get_sqe();
        // new_user_data must be 0 without IORING_POLL_UPDATE_USER_DATA (EINVAL).
        io_uring_prep_poll_update(sqe, w.arm_data_, 0, want, IORING_POLL_UPDATE_EVENTS);
        io_uring_sqe_set_data64(sqe, kIgnoreData);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
      }
      return;
    }
    remove_poll(w);
  }
  if (want == 0) return;
  Slot& s = slots_[w.slot_];
  ++s.gen;
  w.arm_data_ = poll_data(w.slot_, s.gen);
  w.armed_mask_ = want;
  w.in_kernel_ = true;
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_poll_multishot(sqe, w.fd_, want);
  io_uring_sqe_set_data64(sqe, w.arm_data_);
}

void UringLoop::dispatch_reports() {
  if (reports_.empty()) return;
  std::vector<SlotRef> reports;
  reports.swap(reports_);  // watches refused by these callbacks report next time
  for (const SlotRef& r : reports) {
    UringFdWatch* w = lookup(r.slot, r.gen);
    if (w == nullptr) continue;  // destroyed before it heard of it
    // May destroy w: nothing of it is touched afterwards.
    if (w->callback_) w->callback_(FdEvents{.error = true});
  }
}

void UringLoop::dispatch_completions() {
  if (completions_.empty()) return;
  std::vector<Completion> batch;
  batch.swap(batch_spare_);
  batch.swap(completions_);  // what callbacks reap from now on waits for next time

  // Pass 1: fold the completions into their watches (one callback per watch per
  // iteration, whatever the number of wake-ups) and note which poll requests
  // ended.
  std::vector<SlotRef> ready;
  for (const Completion& c : batch) {
    if (data_tag(c.data) != kTagPoll) {
      // Removals and re-checks of requests that already ended: expected.
      // Anything else means we built a bad request: say so.
      if (c.res < 0 && c.res != -ENOENT && c.res != -EALREADY && c.res != -ECANCELED) {
        LOG_WARN("uring_request_failed", log::kv("error", std::strerror(-c.res)));
      }
      continue;
    }
    const uint32_t slot = data_slot(c.data);
    const uint32_t gen = data_gen(c.data);
    UringFdWatch* w = lookup(slot, gen);
    if (w == nullptr) continue;  // destroyed or re-armed since: stale
    if ((c.flags & IORING_CQE_F_MORE) == 0) {
      // The multishot poll ended (error, overflow, or the driver can't keep it):
      // re-armed before the next wait if the watch still wants events.
      w->in_kernel_ = false;
      mark_dirty(*w);
    }
    if (c.res < 0) {
      w->pending_errno_ = -c.res;
    } else {
      w->pending_mask_ |= static_cast<uint32_t>(c.res);
    }
    if (!w->queued_) {
      w->queued_ = true;
      ready.push_back(SlotRef{slot, gen});
    }
  }

  // Pass 2: callbacks. Each may destroy or change any watch; the lookup by
  // generation makes a destroyed one (or a new one in its slot) not match.
  for (const SlotRef& r : ready) {
    UringFdWatch* w = lookup(r.slot, r.gen);
    if (w == nullptr) continue;
    w->queued_ = false;
    const uint32_t mask = std::exchange(w->pending_mask_, 0);
    const int err = std::exchange(w->pending_errno_, 0);
    if (!w->wants_events()) continue;  // paused or stopped by an earlier callback
    FdEvents ev;
    if (err != 0 || (mask & (POLLERR | POLLNVAL)) != 0) {
      // As libuv: report the error alone and stop watching; the owner learns the
      // errno by reading or writing, and set_interest() watches again.
      if (err != 0)
        LOG_DEBUG("fd_poll_failed", log::kv("fd", w->fd_), log::kv("error", std::strerror(err)));
      ev.error = true;
      w->state_ = WatchState::kStopped;
      wanting_changed(true, false);
      mark_dirty(*w);  // removes the poll if it is still in the kernel
    } else {
      ev = to_fd_events(mask, w->interest_);
      if (!any(ev)) continue;  // an event the interest no longer asks for
      w->recheck_ = true;
      mark_dirty(*w);
    }
    w->callback_(ev);  // may destroy w
  }

  batch.clear();
  batch_spare_.swap(batch);
}

// --- Loop: timers -------------------------------------------------------------

void UringLoop::run_timers() {
  // Only timers due at this iteration's now() and started before this phase: a
  // timer (re)started by a callback with a zero delay waits for the next
  // iteration instead of starving I/O.
  const uint64_t seq_limit = next_timer_seq_;
  while (!timers_.empty()) {
    UringTimer* t = timers_.front();
    if (t->deadline_ > now_ || t->seq_ >= seq_limit) break;
    heap_erase(0);
    if (t->repeat_ > Duration::zero()) {
      // Re-armed before the callback (as libuv): the callback may stop or
      // restart it. From now(), so a late loop does not fire a burst.
      t->deadline_ = add_saturated(now_, t->repeat_);
      t->seq_ = next_timer_seq_++;
      heap_push(t);
    }
    t->callback_();  // may destroy t
  }
}

// --- Loop: iteration ----------------------------------------------------------

bool UringLoop::run_once(bool block) {
  sync_watches();

  bool wait = block && alive() && !has_deferred_work() && reports_.empty() && completions_.empty();
  __kernel_timespec ts{};
  const __kernel_timespec* timeout = nullptr;  // none: until an fd is ready
  if (wait && !timers_.empty()) {
    Duration left = timers_.front()->deadline_ - mono_now();
    if (left <= Duration::zero()) {
      wait = false;
    } else {
      ts = to_timespec(left);
      timeout = &ts;
    }
  }
  enter(wait, timeout);
  now_ = mono_now();
  reap();

  dispatch_reports();
  dispatch_completions();
  run_timers();
  run_deferred_work();
  return alive();
}

Result<void> UringLoop::run() {
  stopping_ = false;
  while (!stopping_) {
    if (!run_once(true)) break;
    if (fatal_errno_ != 0) break;
  }
  stopping_ = false;
  if (fatal_errno_ != 0) {
    return errno_error("io", std::exchange(fatal_errno_, 0), "io_uring_enter");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Loop>> create_uring_loop() {
  auto loop = std::make_unique<UringLoop>();
  OVNK_TRY(loop->init());
  return std::unique_ptr<Loop>(std::move(loop));
}

}  // namespace ovnk::reactor
