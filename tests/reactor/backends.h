// The conformance suites run every test on every loop backend (typed tests).
// A backend that cannot be created on this machine (io_uring refused by a seccomp
// profile) makes its tests skip with the reason, never pass silently.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "reactor/loop.h"

namespace ovnk::reactor::testing {

struct UvBackend {
  static constexpr Backend kBackend = Backend::kLibuv;
};
struct UringBackend {
  static constexpr Backend kBackend = Backend::kIoUring;
};
using AllBackends = ::testing::Types<UvBackend, UringBackend>;

class BackendNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::string(backend_name(T::kBackend));
  }
};

// Base fixture: creates the loop, and at the end asserts that the test left no
// handle open (every FdWatch and Timer destroyed).
template <class B>
class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Loop::create(B::kBackend);
    if (!created.ok()) GTEST_SKIP() << "backend unavailable: " << created.error().to_string();
    loop_ = std::move(created).value();
  }
  void TearDown() override {
    if (!loop_) return;
    release_handles();
    loop_->run_once(false);  // let deferred deletions and closes complete
    EXPECT_EQ(loop_->live_handles(), 0u) << "a test leaked a loop handle";
  }
  // Fixtures that own handles destroy them here, before the leak check.
  virtual void release_handles() {}

  Loop& loop() { return *loop_; }
  std::unique_ptr<Loop> loop_;
};

}  // namespace ovnk::reactor::testing
