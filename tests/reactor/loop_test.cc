// Conformance of the loop core on every backend: timers, defer, deletion from
// callbacks, fd watches on a socketpair.
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "tests/reactor/backends.h"

namespace ovnk::reactor::testing {
namespace {

template <class B>
class LoopCoreTest : public LoopTest<B> {};
TYPED_TEST_SUITE(LoopCoreTest, AllBackends, BackendNames);

TYPED_TEST(LoopCoreTest, TimersFireInDeadlineOrder) {
  std::vector<int> fired;
  auto t3 = this->loop().make_timer([&] { fired.push_back(3); });
  auto t1 = this->loop().make_timer([&] { fired.push_back(1); });
  auto t2 = this->loop().make_timer([&] { fired.push_back(2); });
  t3->start(milliseconds(30));
  t1->start(milliseconds(5));
  t2->start(milliseconds(15));
  ASSERT_TRUE(this->loop().run_until([&] { return fired.size() == 3; }, seconds(5)));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TYPED_TEST(LoopCoreTest, SocketpairReadiness) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  std::string got;
  auto w = this->loop().watch_fd(sv[1], kReadable, [&](FdEvents ev) {
    ASSERT_TRUE(ev.readable);
    char buf[64];
    ssize_t n = read(sv[1], buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  });
  ASSERT_EQ(write(sv[0], "ping", 4), 4);
  ASSERT_TRUE(this->loop().run_until([&] { return got == "ping"; }, seconds(5)));
  w.reset();
  close(sv[0]);
  close(sv[1]);
}

}  // namespace
}  // namespace ovnk::reactor::testing
