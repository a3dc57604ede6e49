// Hex helpers for golden-byte tests: golden strings are written as the kernel
// ABI lays the bytes out (one field per group), whitespace ignored; failures
// print both sides as 16-byte rows so that the differing field stands out.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ovnk::netlink::testing {

inline std::vector<char> from_hex(std::string_view hex) {
  std::vector<char> out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>((hi << 4) | v));
      hi = -1;
    }
  }
  if (hi >= 0) std::abort();  // odd number of digits: a typo in a golden string
  return out;
}

inline std::string to_hex(std::span<const char> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) s.push_back(i % 16 == 0 ? '\n' : ' ');
    auto b = static_cast<uint8_t>(bytes[i]);
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xf]);
  }
  return s;
}

inline std::string normalize_hex(std::string_view hex) { return to_hex(from_hex(hex)); }

}  // namespace ovnk::netlink::testing
