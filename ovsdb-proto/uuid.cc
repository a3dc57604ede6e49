#include "ovsdb-proto/uuid.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace ovnk::ovsdb {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

std::optional<Uuid> Uuid::try_parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid u;
  size_t byte = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    u.bytes[byte++] = static_cast<uint8_t>((hi << 4) | lo);
    i += 2;
  }
  return u;
}

Result<Uuid> Uuid::parse(std::string_view text) {
  auto u = try_parse(text);
  if (!u) {
    std::string msg = "invalid uuid \"";
    msg.append(text.substr(0, 64)).append("\"");
    return make_error("ovsdb", 1, msg);
  }
  return *u;
}

Uuid Uuid::from_random_bytes(const std::array<uint8_t, 16>& random) {
  Uuid u;
  u.bytes = random;
  // RFC 4122 4.4: version 4 in the high nibble of byte 6, variant 10xx in byte 8.
  u.bytes[6] = static_cast<uint8_t>((u.bytes[6] & 0x0f) | 0x40);
  u.bytes[8] = static_cast<uint8_t>((u.bytes[8] & 0x3f) | 0x80);
  return u;
}

Uuid Uuid::generate(std::mt19937_64& rng) {
  std::array<uint8_t, 16> r{};
  for (size_t half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (size_t i = 0; i < 8; ++i) r[half * 8 + i] = static_cast<uint8_t>(v >> (8 * i));
  }
  return from_random_bytes(r);
}

void Uuid::format_to(char* out) const {
  size_t pos = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[pos++] = '-';
    out[pos++] = kHexDigits[bytes[i] >> 4];
    out[pos++] = kHexDigits[bytes[i] & 0x0f];
  }
}

std::string Uuid::to_string() const {
  std::string s(36, '\0');
  format_to(s.data());
  return s;
}

bool Uuid::is_zero() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

Result<Uuid> random_uuid() {
  std::array<uint8_t, 16> r{};
  size_t got = 0;
  while (got < r.size()) {
    ssize_t n = ::getrandom(r.data() + got, r.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("sys", errno, "getrandom");
    }
    got += static_cast<size_t>(n);
  }
  return Uuid::from_random_bytes(r);
}

size_t UuidHash::operator()(const Uuid& u) const noexcept {
  // Random uuids are already uniform; fold the halves and mix for the rest.
  uint64_t a = 0;
  uint64_t b = 0;
  std::memcpy(&a, u.bytes.data(), 8);
  std::memcpy(&b, u.bytes.data() + 8, 8);
  uint64_t h = a ^ (b * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return static_cast<size_t>(h);
}

}  // namespace ovnk::ovsdb
