// Fuzz entry point of the monitor update decoder and the replica, shared by the
// libFuzzer binary (update_fuzz.cc with -DOVNK_LIBFUZZER, clang, OVNK_FUZZ=ON)
// and the deterministic update_fuzz_smoke unit test.
//
// Input: the first byte picks what the rest is (an update, update2 or update3
// notification's params, a monitor/monitor_cond result, a monitor_cond_since
// result); it is applied to a replica that already holds a few rows. Properties
// checked on every input (abort when one fails): no crash; a rejected update
// leaves the replica exactly as it was and drops the txn id; an accepted one
// leaves every row findable by uuid and by its indexes, every column within its
// type's bounds, and the rows reported by the change callbacks equal to the
// replica's contents.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ovnk::fuzz {

int update_one_input(const uint8_t* data, size_t size);

}  // namespace ovnk::fuzz
