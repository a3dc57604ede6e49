#include "reactor/uring_loop.h"

namespace ovnk::reactor {

// Placeholder until the io_uring backend lands (being written now).
Result<std::unique_ptr<Loop>> create_uring_loop() {
  return make_error("io", 38, "io_uring backend not built yet");
}

}  // namespace ovnk::reactor
