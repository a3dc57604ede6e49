// Monotonic time. Pure code never reads the clock: it is handed a MonoTime
// ("now") by the loop, which caches it once per iteration.
#pragma once

#include <chrono>
#include <cstdint>

namespace ovnk {

using Clock = std::chrono::steady_clock;
using MonoTime = Clock::time_point;
using Duration = std::chrono::nanoseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::microseconds;

inline MonoTime mono_now() { return Clock::now(); }

inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
inline double to_millis(Duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
inline int64_t to_whole_millis(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d).count();
}

}  // namespace ovnk
