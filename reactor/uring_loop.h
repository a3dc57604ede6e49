// The io_uring backend of Loop (liburing >= 2.3): multishot IORING_OP_POLL_ADD for
// fd readiness, timers kept in user space and waited for with the ring's timeout.
// Creating the ring can be refused (EPERM under a seccomp profile such as
// docker's default, ENOSYS on old kernels): create_uring_loop() then returns an
// error saying so, and the caller may fall back to libuv.
#pragma once

#include <memory>

#include "base/result.h"
#include "reactor/loop.h"

namespace ovnk::reactor {

Result<std::unique_ptr<Loop>> create_uring_loop();

}  // namespace ovnk::reactor
