// Fuzz entry points of the OVSDB protocol library, shared by the libFuzzer
// binaries (framing_fuzz.cc, jsonrpc_fuzz.cc built with -DOVNK_LIBFUZZER under
// clang and OVNK_FUZZ=ON) and by the fuzz_smoke unit test, which runs them over
// a deterministic mutated corpus with any compiler.
//
// Each entry point must never crash on any input, and checks properties that
// must hold for every input (it aborts when one does not, which is what a
// fuzzer reports): the framer's result does not depend on how the bytes are
// split; whatever parses re-encodes to something that parses to the same value.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ovnk::fuzz {

int framing_one_input(const uint8_t* data, size_t size);
int jsonrpc_one_input(const uint8_t* data, size_t size);

}  // namespace ovnk::fuzz
