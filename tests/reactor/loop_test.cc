// Conformance of the loop core on every backend: timers (order, repeat, restart,
// stop, cancellation within an iteration), defer and delete_later, now(), run()
// and stop(), fd watches on socketpairs (level-triggered readiness, interest
// changes, hangup, errors, destruction from callbacks). Plus what only the
// io_uring backend has: a clear error when the ring is refused, and completion
// queue overflow.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "reactor/uring_loop.h"
#include "tests/reactor/backends.h"

namespace ovnk::reactor::testing {
namespace {

// A connected AF_UNIX stream pair, closed at the end of the test.
struct SocketPair {
  SocketPair() {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) != 0) {
      ADD_FAILURE() << "socketpair failed";
      fd[0] = fd[1] = -1;
    }
  }
  ~SocketPair() {
    close_end(0);
    close_end(1);
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void send(int i, std::string_view bytes) const {
    ASSERT_EQ(::write(fd[i], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  std::string recv(int i, size_t max = 4096) const {
    std::string out(max, '\0');
    ssize_t n = ::read(fd[i], out.data(), max);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
  }
  int fd[2] = {-1, -1};
};

void sleep_ms(int ms) { std::this_thread::sleep_for(milliseconds(ms)); }

template <class B>
class LoopCoreTest : public LoopTest<B> {};
TYPED_TEST_SUITE(LoopCoreTest, AllBackends, BackendNames);

// --- timers -------------------------------------------------------------------

TYPED_TEST(LoopCoreTest, TimersFireInDeadlineOrder) {
  std::vector<int> fired;
  auto t3 = this->loop().make_timer([&] { fired.push_back(3); });
  auto t1 = this->loop().make_timer([&] { fired.push_back(1); });
  auto t2 = this->loop().make_timer([&] { fired.push_back(2); });
  // Wide gaps: the order must hold even if the test is descheduled between
  // two start() calls on a loaded machine.
  t3->start(milliseconds(80));
  t1->start(milliseconds(5));
  t2->start(milliseconds(40));
  ASSERT_TRUE(this->loop().run_until([&] { return fired.size() == 3; }, seconds(5)));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TYPED_TEST(LoopCoreTest, EqualDelaysFireInStartOrder) {
  std::vector<int> fired;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int id : {4, 2, 5, 1, 3}) {
    timers.push_back(this->loop().make_timer([&fired, id] { fired.push_back(id); }));
  }
  for (auto& t : timers) t->start(milliseconds(2));
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(fired, (std::vector<int>{4, 2, 5, 1, 3}));
}

TYPED_TEST(LoopCoreTest, TimersDueInOneIterationFireInStartOrder) {
  std::vector<int> fired;
  auto a = this->loop().make_timer([&] { fired.push_back(1); });
  auto b = this->loop().make_timer([&] { fired.push_back(2); });
  auto c = this->loop().make_timer([&] { fired.push_back(3); });
  c->start(Duration::zero());
  a->start(Duration::zero());
  b->start(Duration::zero());
  sleep_ms(3);  // all three are past due when the loop looks
  this->loop().run_once(true);
  EXPECT_EQ(fired, (std::vector<int>{3, 1, 2}));
}

TYPED_TEST(LoopCoreTest, RepeatingTimerFiresUntilStopped) {
  int count = 0;
  std::unique_ptr<Timer> t;
  t = this->loop().make_timer([&] {
    EXPECT_TRUE(t->active()) << "a repeating timer is re-armed before its callback";
    if (++count == 5) t->stop();
  });
  t->start(milliseconds(1), milliseconds(1));
  EXPECT_TRUE(t->active());
  ASSERT_TRUE(this->loop().run().ok());  // returns: nothing left once stopped
  EXPECT_EQ(count, 5);
  EXPECT_FALSE(t->active());
}

TYPED_TEST(LoopCoreTest, OneShotTimerIsInactiveInItsCallback) {
  int count = 0;
  std::unique_ptr<Timer> t;
  t = this->loop().make_timer([&] {
    ++count;
    EXPECT_FALSE(t->active());
  });
  t->start(milliseconds(1));
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(count, 1);
  EXPECT_FALSE(t->active());
}

TYPED_TEST(LoopCoreTest, RestartReplacesTheDeadline) {
  int count = 0;
  auto t = this->loop().make_timer([&] { ++count; });
  t->start(std::chrono::hours(1));
  t->start(milliseconds(1));             // not a second timer: the hour is forgotten
  ASSERT_TRUE(this->loop().run().ok());  // would take an hour otherwise
  EXPECT_EQ(count, 1);
  EXPECT_FALSE(t->active());
}

TYPED_TEST(LoopCoreTest, RestartFromOwnCallback) {
  int count = 0;
  std::unique_ptr<Timer> t;
  t = this->loop().make_timer([&] {
    if (++count < 4) t->start(milliseconds(1));
  });
  t->start(milliseconds(1));
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(count, 4);
}

TYPED_TEST(LoopCoreTest, StoppedTimerDoesNotFire) {
  int stopped_fired = 0;
  int other_fired = 0;
  auto stopped = this->loop().make_timer([&] { ++stopped_fired; });
  auto other = this->loop().make_timer([&] { ++other_fired; });
  stopped->start(milliseconds(1));
  other->start(milliseconds(10));
  stopped->stop();
  EXPECT_FALSE(stopped->active());
  stopped->stop();  // idempotent
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(stopped_fired, 0);
  EXPECT_EQ(other_fired, 1);
}

TYPED_TEST(LoopCoreTest, DueTimerDestroyedByEarlierCallbackDoesNotFire) {
  std::vector<int> fired;
  std::unique_ptr<Timer> first;
  std::unique_ptr<Timer> second;
  first = this->loop().make_timer([&] {
    fired.push_back(1);
    second.reset();  // due in this very iteration, maybe already fetched
  });
  second = this->loop().make_timer([&] { fired.push_back(2); });
  first->start(Duration::zero());
  second->start(Duration::zero());
  sleep_ms(3);  // both past due when the loop looks
  this->loop().run_once(true);
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(fired, (std::vector<int>{1}));
}

TYPED_TEST(LoopCoreTest, DueTimerStoppedByEarlierCallbackDoesNotFire) {
  std::vector<int> fired;
  auto second = this->loop().make_timer([&] { fired.push_back(2); });
  auto first = this->loop().make_timer([&] {
    fired.push_back(1);
    second->stop();
  });
  first->start(Duration::zero());
  second->start(Duration::zero());
  sleep_ms(3);
  this->loop().run_once(true);
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(fired, (std::vector<int>{1}));
}

TYPED_TEST(LoopCoreTest, HugeDelayMeansNeverAndDoesNotOverflow) {
  auto t = this->loop().make_timer([] { ADD_FAILURE(); });
  t->start(Duration::max(), Duration::max());
  EXPECT_TRUE(this->loop().run_once(false));
  EXPECT_TRUE(t->active());
  t->stop();
  EXPECT_FALSE(this->loop().run_once(false));
}

TYPED_TEST(LoopCoreTest, TimerDeletesItselfInItsCallback) {
  int count = 0;
  std::unique_ptr<Timer> t;
  t = this->loop().make_timer([&] {
    ++count;
    t.reset();  // the callback is running from inside the destroyed timer
  });
  t->start(milliseconds(1), milliseconds(1));
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(count, 1);
  EXPECT_EQ(this->loop().live_handles(), 0u);
}

TYPED_TEST(LoopCoreTest, ZeroDelayTimerRestartingItselfDoesNotStarveIo) {
  SocketPair sp;
  int ticks = 0;
  bool read_seen = false;
  std::unique_ptr<Timer> spin;
  spin = this->loop().make_timer([&] {
    ++ticks;
    spin->start(Duration::zero());
  });
  spin->start(Duration::zero());
  auto w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents ev) {
    if (ev.readable) read_seen = true;
    sp.recv(1);
  });
  sp.send(0, "x");
  ASSERT_TRUE(this->loop().run_until([&] { return read_seen && ticks >= 3; }, seconds(5)));
}

// --- defer and delete_later -------------------------------------------------------

TYPED_TEST(LoopCoreTest, DeferRunsInOrderAndDeferFromDeferRunsInTheSameCall) {
  std::vector<std::string> order;
  this->loop().defer([&] {
    order.push_back("a");
    this->loop().defer([&] { order.push_back("c"); });
  });
  this->loop().defer([&] { order.push_back("b"); });
  this->loop().run_once(false);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
}

TYPED_TEST(LoopCoreTest, DeferredWorkRunsAfterTheIterationsCallbacks) {
  std::vector<std::string> order;
  auto t1 = this->loop().make_timer([&] {
    order.push_back("t1");
    this->loop().defer([&] { order.push_back("deferred"); });
  });
  auto t2 = this->loop().make_timer([&] { order.push_back("t2"); });
  t1->start(Duration::zero());
  t2->start(Duration::zero());
  sleep_ms(3);
  this->loop().run_once(true);
  EXPECT_EQ(order, (std::vector<std::string>{"t1", "t2", "deferred"}));
}

TYPED_TEST(LoopCoreTest, PendingDeferredWorkMeansNoWaiting) {
  // A watch on an idle socket: a blocking iteration would wait forever if it
  // did not see the deferred work.
  SocketPair sp;
  int calls = 0;
  auto w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents) { ++calls; });
  bool ran = false;
  this->loop().defer([&] { ran = true; });
  EXPECT_TRUE(this->loop().run_once(true));  // the watch is still alive
  EXPECT_TRUE(ran);
  EXPECT_EQ(calls, 0);
}

TYPED_TEST(LoopCoreTest, NonBlockingIterationDoesNotWait) {
  SocketPair sp;
  auto w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents) { ADD_FAILURE(); });
  auto t = this->loop().make_timer([] { ADD_FAILURE(); });
  t->start(std::chrono::hours(1));
  EXPECT_TRUE(this->loop().run_once(false));  // returns at once, still alive
  EXPECT_TRUE(this->loop().run_once(false));
}

struct Probe {
  explicit Probe(bool& flag) : destroyed(flag) {}
  ~Probe() { destroyed = true; }
  bool& destroyed;
};

TYPED_TEST(LoopCoreTest, DeleteLaterRunsAfterTheIterationAndAfterDeferredWork) {
  bool destroyed = false;
  bool alive_in_next_callback = false;
  bool alive_in_deferred = false;
  auto probe = std::make_unique<Probe>(destroyed);
  auto t1 = this->loop().make_timer([&] {
    this->loop().delete_later(std::move(probe));
    this->loop().defer([&] { alive_in_deferred = !destroyed; });
  });
  auto t2 = this->loop().make_timer([&] { alive_in_next_callback = !destroyed; });
  t1->start(Duration::zero());
  t2->start(Duration::zero());
  sleep_ms(3);
  this->loop().run_once(true);
  EXPECT_TRUE(alive_in_next_callback);
  EXPECT_TRUE(alive_in_deferred);
  EXPECT_TRUE(destroyed);
}

// An object that owns handles and closes itself from its own callback, the way
// a connection does.
struct SelfClosing {
  SelfClosing(Loop& l, int fd) : loop(l) {
    watch = loop.watch_fd(fd, kReadable, [this](FdEvents) { close(); });
    timer = loop.make_timer([] {});
    timer->start(std::chrono::hours(1));
  }
  void close() { loop.delete_later(std::move(self)); }
  Loop& loop;
  std::unique_ptr<SelfClosing> self;
  std::unique_ptr<FdWatch> watch;
  std::unique_ptr<Timer> timer;
};

TYPED_TEST(LoopCoreTest, ObjectDeletingItselfLaterReleasesItsHandles) {
  SocketPair sp;
  auto obj = std::make_unique<SelfClosing>(this->loop(), sp.fd[1]);
  obj->self = std::move(obj);
  EXPECT_EQ(this->loop().live_handles(), 2u);
  sp.send(0, "x");
  ASSERT_TRUE(this->loop().run().ok());  // returns once the object is gone
  EXPECT_EQ(this->loop().live_handles(), 0u);
}

TYPED_TEST(LoopCoreTest, DestroyingTheLoopDestroysTheGraveyardWhileTheLoopIsWhole) {
  auto created = Loop::create(TypeParam::kBackend);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Loop> loop = std::move(created).value();
  SocketPair sp;
  auto obj = std::make_unique<SelfClosing>(*loop, sp.fd[1]);
  SelfClosing* raw = obj.get();
  raw->self = std::move(obj);
  raw->close();  // in the graveyard, owning a watch and a timer
  loop.reset();  // must destroy them before tearing the backend down (ASan)
}

// --- now() ------------------------------------------------------------------------

TYPED_TEST(LoopCoreTest, NowIsConstantWithinOneBatch) {
  MonoTime first{};
  MonoTime second{};
  auto extra = this->loop().make_timer([] {});
  auto t1 = this->loop().make_timer([&] {
    first = this->loop().now();
    sleep_ms(3);
    extra->start(std::chrono::hours(1));  // starting a timer must not move now()
  });
  auto t2 = this->loop().make_timer([&] { second = this->loop().now(); });
  t1->start(Duration::zero());
  t2->start(Duration::zero());
  sleep_ms(3);
  this->loop().run_once(true);
  ASSERT_NE(first, MonoTime{});
  EXPECT_EQ(first, second);
}

TYPED_TEST(LoopCoreTest, NowAdvancesAcrossWaits) {
  const MonoTime before = this->loop().now();
  MonoTime seen{};
  auto t = this->loop().make_timer([&] { seen = this->loop().now(); });
  t->start(milliseconds(5));
  ASSERT_TRUE(this->loop().run().ok());
  // A timer never fires early, and now() at its callback is the time it woke.
  EXPECT_GE(seen - before, milliseconds(5));
  EXPECT_GE(this->loop().now(), seen);
}

// --- run() and stop() -------------------------------------------------------------

TYPED_TEST(LoopCoreTest, RunReturnsWhenNothingIsLeft) {
  EXPECT_TRUE(this->loop().run().ok());  // nothing at all
  EXPECT_FALSE(this->loop().run_once(true));

  SocketPair sp;
  auto paused = this->loop().watch_fd(sp.fd[1], kNone, [](FdEvents) { ADD_FAILURE(); });
  auto idle = this->loop().make_timer([] { ADD_FAILURE(); });
  EXPECT_TRUE(this->loop().run().ok());  // a paused watch and an idle timer keep nothing
  EXPECT_FALSE(this->loop().run_once(true));
}

TYPED_TEST(LoopCoreTest, StopFromACallbackEndsRun) {
  int count = 0;
  auto t = this->loop().make_timer([&] {
    if (++count % 3 == 0) this->loop().stop();
  });
  t->start(milliseconds(1), milliseconds(1));
  ASSERT_TRUE(this->loop().run().ok());
  EXPECT_EQ(count, 3);
  EXPECT_TRUE(t->active());
  ASSERT_TRUE(this->loop().run().ok());  // run() can be resumed
  EXPECT_EQ(count, 6);
}

// --- fd watches ----------------------------------------------------------------------

TYPED_TEST(LoopCoreTest, SocketpairReadiness) {
  SocketPair sp;
  std::string got;
  auto w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents ev) {
    EXPECT_TRUE(ev.readable);
    EXPECT_FALSE(ev.writable) << "writability was not asked for";
    got += sp.recv(1);
  });
  EXPECT_EQ(w->fd(), sp.fd[1]);
  EXPECT_EQ(w->interest(), kReadable);
  sp.send(0, "ping");
  ASSERT_TRUE(this->loop().run_until([&] { return got == "ping"; }, seconds(5)));
}

TYPED_TEST(LoopCoreTest, UndrainedFdIsReportedAgain) {
  SocketPair sp;
  std::string got;
  int calls = 0;
  auto w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents ev) {
    ++calls;
    EXPECT_TRUE(ev.readable);
    got += sp.recv(1, 1);  // one byte at a time: level-triggered must report the rest
  });
  sp.send(0, "abcd");
  ASSERT_TRUE(this->loop().run_until([&] { return got == "abcd"; }, seconds(5)));
  EXPECT_EQ(calls, 4);
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  EXPECT_EQ(calls, 4) << "a drained fd is not reported";
  sp.send(0, "e");  // and the watch still works after the re-checks
  ASSERT_TRUE(this->loop().run_until([&] { return got == "abcde"; }, seconds(5)));
}

TYPED_TEST(LoopCoreTest, EventsKeepComingOverManyIterations) {
  // Ping-pong between the two ends, each with its own watch in the same loop.
  SocketPair sp;
  int rounds = 0;
  auto a = this->loop().watch_fd(sp.fd[0], kReadable, [&](FdEvents) {
    if (sp.recv(0).empty()) return;
    if (++rounds < 200) sp.send(0, "p");
  });
  auto b = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents) {
    if (!sp.recv(1).empty()) sp.send(1, "q");
  });
  sp.send(0, "p");
  ASSERT_TRUE(this->loop().run_until([&] { return rounds == 200; }, seconds(10)));
}

TYPED_TEST(LoopCoreTest, ReadableAndWritable) {
  SocketPair sp;
  bool readable = false;
  bool writable = false;
  auto w = this->loop().watch_fd(sp.fd[1], kReadable | kWritable, [&](FdEvents ev) {
    readable = readable || ev.readable;
    writable = writable || ev.writable;
    if (ev.readable) sp.recv(1);
  });
  sp.send(0, "x");
  ASSERT_TRUE(this->loop().run_until([&] { return readable && writable; }, seconds(5)));
}

TYPED_TEST(LoopCoreTest, PauseWithNoInterestAndResume) {
  SocketPair sp;
  int calls = 0;
  std::unique_ptr<FdWatch> w;
  w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents ev) {
    EXPECT_TRUE(ev.readable);
    ++calls;
    w->set_interest(kNone);  // paused without reading
  });
  sp.send(0, "x");
  ASSERT_TRUE(this->loop().run_until([&] { return calls == 1; }, seconds(5)));
  EXPECT_EQ(w->interest(), kNone);
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  EXPECT_EQ(calls, 1) << "a paused watch is not called";
  EXPECT_TRUE(this->loop().run().ok()) << "a paused watch keeps nothing alive";

  w->set_interest(kReadable);  // the byte is still there: reported again
  ASSERT_TRUE(this->loop().run_until([&] { return calls == 2; }, seconds(5)));
}

TYPED_TEST(LoopCoreTest, PausedWithinTheSameIterationIsNotCalled) {
  // Two ready watches; whichever is called first pauses the other.
  SocketPair p1;
  SocketPair p2;
  int calls = 0;
  std::unique_ptr<FdWatch> a;
  std::unique_ptr<FdWatch> b;
  a = this->loop().watch_fd(p1.fd[1], kReadable, [&](FdEvents) {
    ++calls;
    a->set_interest(kNone);
    b->set_interest(kNone);
  });
  b = this->loop().watch_fd(p2.fd[1], kReadable, [&](FdEvents) {
    ++calls;
    a->set_interest(kNone);
    b->set_interest(kNone);
  });
  this->loop().run_once(false);  // arms both
  p1.send(0, "x");
  p2.send(0, "y");
  this->loop().run_once(true);
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  EXPECT_EQ(calls, 1);
}

TYPED_TEST(LoopCoreTest, InterestChangesFromReadToWrite) {
  SocketPair sp;
  bool writable = false;
  auto w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents ev) {
    EXPECT_FALSE(ev.readable);
    writable = writable || ev.writable;
  });
  this->loop().run_once(false);  // nothing to read: not called
  EXPECT_FALSE(writable);
  w->set_interest(kWritable);
  ASSERT_TRUE(this->loop().run_until([&] { return writable; }, seconds(5)));
  w->set_interest(kNone);
}

TYPED_TEST(LoopCoreTest, HangupWhenThePeerCloses) {
  for (unsigned interest : {unsigned{kReadable}, unsigned{kWritable}}) {
    SCOPED_TRACE(interest);
    SocketPair sp;
    bool hangup = false;
    std::unique_ptr<FdWatch> w;
    w = this->loop().watch_fd(sp.fd[1], interest, [&](FdEvents ev) {
      EXPECT_FALSE(ev.error);
      // A write-only watch may see the full hangup as plain writability (libuv
      // folds EPOLLHUP into the asked-for events); the write then fails.
      bool write_fails = false;
      if (ev.writable && !ev.hangup && sp.fd[0] < 0) {
        write_fails = send(sp.fd[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EPIPE;
      }
      if (ev.hangup || write_fails) {
        hangup = true;
        w.reset();  // a watch may destroy itself from its own callback
      }
    });
    this->loop().run_once(false);
    sp.close_end(0);
    ASSERT_TRUE(this->loop().run_until([&] { return hangup; }, seconds(5)));
    EXPECT_EQ(w, nullptr);
  }
}

TYPED_TEST(LoopCoreTest, WatchDestroyedByAnotherCallbackOfTheSameIterationIsNotCalled) {
  SocketPair p1;
  SocketPair p2;
  int a_calls = 0;
  int b_calls = 0;
  std::unique_ptr<FdWatch> a;
  std::unique_ptr<FdWatch> b;
  a = this->loop().watch_fd(p1.fd[1], kReadable, [&](FdEvents) {
    ++a_calls;
    b.reset();
  });
  b = this->loop().watch_fd(p2.fd[1], kReadable, [&](FdEvents) {
    ++b_calls;
    a.reset();
  });
  this->loop().run_once(false);  // arms both
  p1.send(0, "x");               // both ready before the next wake-up
  p2.send(0, "y");
  this->loop().run_once(true);
  EXPECT_EQ(a_calls + b_calls, 1) << "the first callback destroyed the other watch";
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  // The survivor, not drained, is called again (level); the other never.
  EXPECT_TRUE((a_calls == 0) != (b_calls == 0));
  EXPECT_TRUE((a == nullptr) != (b == nullptr));
}

TYPED_TEST(LoopCoreTest, WatchCreatedInPlaceOfADestroyedOneGetsNoneOfItsEvents) {
  // Whichever ready watch is called first destroys the other and creates a new
  // watch on an idle socket (which may take the destroyed one's place).
  SocketPair p1;
  SocketPair p2;
  SocketPair idle;
  int calls = 0;
  std::unique_ptr<FdWatch> a;
  std::unique_ptr<FdWatch> b;
  std::unique_ptr<FdWatch> fresh;
  auto replace = [&](std::unique_ptr<FdWatch>& other) {
    ++calls;
    if (!other) return;
    other.reset();
    fresh = this->loop().watch_fd(idle.fd[1], kReadable | kWritable, [&](FdEvents ev) {
      EXPECT_FALSE(ev.readable) << "the destroyed watch's readiness was delivered";
      EXPECT_TRUE(ev.writable);
    });
  };
  a = this->loop().watch_fd(p1.fd[1], kReadable, [&](FdEvents) { replace(b); });
  b = this->loop().watch_fd(p2.fd[1], kReadable, [&](FdEvents) { replace(a); });
  this->loop().run_once(false);
  p1.send(0, "x");
  p2.send(0, "y");
  this->loop().run_once(true);
  EXPECT_EQ(calls, 1);
  ASSERT_NE(fresh, nullptr);
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
}

TYPED_TEST(LoopCoreTest, NewWatchInAFreedSlotGetsNoStaleEvents) {
  // A watch that saw events is destroyed; a new watch (likely reusing its slot)
  // on an idle socket must hear nothing of the old one's completions.
  SocketPair busy;
  SocketPair idle;
  for (int round = 0; round < 20; ++round) {
    int calls = 0;
    auto w = this->loop().watch_fd(busy.fd[1], kReadable, [&](FdEvents) { ++calls; });
    busy.send(0, "x");
    ASSERT_TRUE(this->loop().run_until([&] { return calls > 0; }, seconds(5)));
    w.reset();  // not drained: the old request still thinks it is readable
    busy.recv(1);
    auto fresh = this->loop().watch_fd(idle.fd[1], kReadable, [&](FdEvents) {
      ADD_FAILURE() << "stale event delivered to a new watch";
    });
    for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  }
}

TYPED_TEST(LoopCoreTest, WatchDeletesItselfInItsCallback) {
  SocketPair sp;
  int calls = 0;
  std::unique_ptr<FdWatch> w;
  w = this->loop().watch_fd(sp.fd[1], kReadable, [&](FdEvents) {
    ++calls;
    w.reset();
  });
  sp.send(0, "x");
  ASSERT_TRUE(this->loop().run().ok());  // nothing left once it is gone
  EXPECT_EQ(calls, 1);
}

TYPED_TEST(LoopCoreTest, ClosingAfterDestroyingTheWatchClosesTheSocket) {
  SocketPair sp;
  auto watched = this->loop().watch_fd(sp.fd[1], kReadable, [](FdEvents) {});
  this->loop().run_once(false);  // the kernel is polling sp.fd[1]
  watched.reset();
  sp.close_end(1);  // the peer must see it, even if the kernel polled it
  bool hangup = false;
  auto peer = this->loop().watch_fd(sp.fd[0], kReadable, [&](FdEvents ev) {
    if (ev.hangup) hangup = true;
  });
  ASSERT_TRUE(this->loop().run_until([&] { return hangup; }, seconds(5)));
}

TYPED_TEST(LoopCoreTest, ErrorStopsTheWatchUntilInterestIsSetAgain) {
  // The write end of a pipe whose reader is gone polls POLLERR.
  int p[2];
  ASSERT_EQ(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ::close(p[0]);
  int calls = 0;
  FdEvents seen;
  auto w = this->loop().watch_fd(p[1], kWritable, [&](FdEvents ev) {
    ++calls;
    seen = ev;
  });
  ASSERT_TRUE(this->loop().run_until([&] { return calls > 0; }, seconds(5)));
  EXPECT_TRUE(seen.error);
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  EXPECT_EQ(calls, 1) << "stopped after reporting the error";
  EXPECT_TRUE(this->loop().run().ok()) << "a stopped watch keeps nothing alive";
  EXPECT_EQ(w->interest(), kWritable);
  w->set_interest(kWritable);  // watching again: the error is still there
  ASSERT_TRUE(this->loop().run_until([&] { return calls == 2; }, seconds(5)));
  EXPECT_TRUE(seen.error);
  w.reset();
  ::close(p[1]);
}

// The netlink socket's pattern: on an error event, handle it and re-arm at once
// from inside the callback; a condition that still holds is reported again.
TYPED_TEST(LoopCoreTest, WatchReArmedFromItsErrorCallbackIsReportedAgain) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ::close(p[0]);
  int calls = 0;
  std::unique_ptr<FdWatch> w;
  w = this->loop().watch_fd(p[1], kWritable, [&](FdEvents ev) {
    EXPECT_TRUE(ev.error);
    if (++calls == 1) w->set_interest(kWritable);
  });
  ASSERT_TRUE(this->loop().run_until([&] { return calls >= 2; }, seconds(5)));
  w.reset();
  ::close(p[1]);
}

TYPED_TEST(LoopCoreTest, BadFdReportsAnErrorOnALaterIteration) {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::close(fd);  // a closed fd number
  int calls = 0;
  FdEvents seen;
  auto w = this->loop().watch_fd(fd, kReadable, [&](FdEvents ev) {
    ++calls;
    seen = ev;
  });
  EXPECT_EQ(calls, 0) << "reported from the loop, not from watch_fd()";
  ASSERT_TRUE(this->loop().run_until([&] { return calls > 0; }, seconds(5)));
  EXPECT_TRUE(seen.error);
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
  EXPECT_EQ(calls, 1) << "reported once";
  EXPECT_TRUE(this->loop().run().ok()) << "a refused watch keeps nothing alive";
}

TYPED_TEST(LoopCoreTest, RegularFileReportsAnError) {
  FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  bool error = false;
  auto w = this->loop().watch_fd(fileno(file), kReadable, [&](FdEvents ev) { error = ev.error; });
  ASSERT_TRUE(this->loop().run_until([&] { return error; }, seconds(5)));
  w.reset();
  std::fclose(file);
}

TYPED_TEST(LoopCoreTest, RefusedWatchDestroyedBeforeTheReportIsNotCalled) {
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto w = this->loop().watch_fd(fd, kReadable, [](FdEvents) { ADD_FAILURE(); });
  w.reset();
  for (int i = 0; i < 3; ++i) this->loop().run_once(false);
}

TYPED_TEST(LoopCoreTest, LiveHandlesCountsWatchesAndTimers) {
  SocketPair sp;
  EXPECT_EQ(this->loop().live_handles(), 0u);
  auto w = this->loop().watch_fd(sp.fd[1], kNone, [](FdEvents) {});
  auto t = this->loop().make_timer([] {});
  EXPECT_EQ(this->loop().live_handles(), 2u);  // active or not
  w.reset();
  EXPECT_EQ(this->loop().live_handles(), 1u);
  t.reset();
  EXPECT_EQ(this->loop().live_handles(), 0u);
}

// --- io_uring only ------------------------------------------------------------------

TEST(UringLoop, CreatesOrExplainsWhyNot) {
  auto created = create_uring_loop();
  if (created.ok()) {
    EXPECT_EQ((*created)->backend(), Backend::kIoUring);
    return;
  }
  const Error& e = created.error();
  EXPECT_EQ(e.domain, "io");
  EXPECT_NE(e.code, 0);
  EXPECT_NE(e.message.find("io_uring is unavailable"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("--backend uv"), std::string::npos) << e.message;
}

// Runs create_uring_loop() in a child whose seccomp filter makes io_uring_setup
// fail with `err` (what docker's default profile does with EPERM), and returns
// "<code> <message>", or "skip: ..." when the filter cannot be installed.
std::string create_under_seccomp(int err) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return "skip: pipe";
  pid_t pid = fork();
  if (pid < 0) return "skip: fork";
  if (pid == 0) {
    ::close(pipefd[0]);
    auto reply = [&](const std::string& s) {
      ssize_t n = ::write(pipefd[1], s.data(), s.size());
      (void)n;
      _exit(0);
    };
    std::array<sock_filter, 6> filter = {{
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    }};
    sock_fprog prog{static_cast<unsigned short>(filter.size()), filter.data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) reply("skip: no_new_privs");
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) reply("skip: seccomp");
    auto created = create_uring_loop();
    if (created.ok()) reply("created");
    reply(std::to_string(created.error().code) + " " + created.error().message);
  }
  ::close(pipefd[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

TEST(UringLoop, RefusedBySeccompSaysWhyAndWhatToUse) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "the seccomp filter here is written for x86_64";
#endif
  std::string eperm = create_under_seccomp(EPERM);
  if (eperm.rfind("skip", 0) == 0) GTEST_SKIP() << eperm;
  EXPECT_EQ(eperm.rfind(std::to_string(EPERM) + " ", 0), 0u) << eperm;
  EXPECT_NE(eperm.find("io_uring is unavailable"), std::string::npos) << eperm;
  EXPECT_NE(eperm.find("seccomp"), std::string::npos) << eperm;
  EXPECT_NE(eperm.find("--backend uv"), std::string::npos) << eperm;

  std::string enosys = create_under_seccomp(ENOSYS);
  EXPECT_EQ(enosys.rfind(std::to_string(ENOSYS) + " ", 0), 0u) << enosys;
  EXPECT_NE(enosys.find("kernel"), std::string::npos) << enosys;
  EXPECT_NE(enosys.find("--backend uv"), std::string::npos) << enosys;
}

TEST(UringLoop, CompletionQueueOverflowLosesNoWatch) {
  // More ready watches than the completion ring holds (io_uring lets several
  // polls share an fd; epoll does not, hence io_uring only). The kernel ends a
  // multishot poll whose completion does not fit; the loop must re-arm it, or
  // the watch goes deaf: every watch must hear a second wave too. Also fills
  // the submission ring many times over.
  auto created = create_uring_loop();
  if (!created.ok()) GTEST_SKIP() << created.error().to_string();
  std::unique_ptr<Loop> loop = std::move(created).value();
  SocketPair sp;
  constexpr size_t kWatches = 10000;
  std::vector<int> calls(kWatches, 0);
  std::vector<std::unique_ptr<FdWatch>> watches;
  watches.reserve(kWatches);
  for (size_t i = 0; i < kWatches; ++i) {
    watches.push_back(loop->watch_fd(sp.fd[1], kReadable, [&calls, i](FdEvents ev) {
      EXPECT_TRUE(ev.readable);
      ++calls[i];
    }));
  }
  auto all_called_more_than = [&](const std::vector<int>& before) {
    for (size_t i = 0; i < kWatches; ++i) {
      if (calls[i] <= before[i]) return false;
    }
    return true;
  };
  loop->run_once(false);  // all armed on an idle fd
  const std::vector<int> none(kWatches, 0);
  EXPECT_EQ(calls, none);

  sp.send(0, "x");  // one wake-up, kWatches completions at once
  ASSERT_TRUE(loop->run_until([&] { return all_called_more_than(none); }, seconds(20)));
  sp.recv(1);
  for (int i = 0; i < 3; ++i) loop->run_once(false);  // re-checks find it drained
  const std::vector<int> after_first = calls;
  for (int i = 0; i < 3; ++i) loop->run_once(false);
  EXPECT_EQ(calls, after_first) << "a drained fd is not reported";

  sp.send(0, "y");  // second wave: only re-armed polls hear it
  ASSERT_TRUE(loop->run_until([&] { return all_called_more_than(after_first); }, seconds(20)));
  watches.clear();
  loop->run_once(false);
  EXPECT_EQ(loop->live_handles(), 0u);
}

}  // namespace
}  // namespace ovnk::reactor::testing
