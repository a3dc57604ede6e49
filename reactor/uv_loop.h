// The libuv backend of Loop (the default): uv_poll for fd readiness, uv_timer for
// timers. Deferred work runs after each uv_run(UV_RUN_ONCE) iteration.
#pragma once

#include <memory>

#include "base/result.h"
#include "reactor/loop.h"

namespace ovnk::reactor {

Result<std::unique_ptr<Loop>> create_uv_loop();

}  // namespace ovnk::reactor
