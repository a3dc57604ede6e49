#include "ovsdb-proto/framing.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

namespace ovnk::ovsdb {

namespace {

// Byte classes for the scanner: most bytes of a message are "other".
enum : uint8_t { kOther = 0, kQuote, kBackslash, kOpen, kClose, kSpace };

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  t[static_cast<unsigned char>('"')] = kQuote;
  t[static_cast<unsigned char>('\\')] = kBackslash;
  t[static_cast<unsigned char>('{')] = kOpen;
  t[static_cast<unsigned char>('[')] = kOpen;
  t[static_cast<unsigned char>('}')] = kClose;
  t[static_cast<unsigned char>(']')] = kClose;
  t[static_cast<unsigned char>(' ')] = kSpace;
  t[static_cast<unsigned char>('\t')] = kSpace;
  t[static_cast<unsigned char>('\n')] = kSpace;
  t[static_cast<unsigned char>('\r')] = kSpace;
  return t;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

std::string describe_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  char buf[16];
  if (u >= 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", u);
  }
  return buf;
}

Error too_big(size_t max) {
  return make_error("ovsdb", errc::kTooBig,
                    "JSON-RPC message exceeds the maximum size of " + std::to_string(max) + " bytes");
}

}  // namespace

Framer::Framer(size_t max_message_size) : max_(max_message_size) {}

void Framer::reset() {
  buf_.clear();
  head_ = size_ = scan_ = start_ = committed_at_ = 0;
  depth_ = 0;
  in_string_ = escape_ = false;
  failed_.reset();
}

void Framer::make_room(size_t n) {
  // Reclaim the consumed prefix when it is worth a memmove: at least half the
  // buffer, or when the buffer would otherwise have to grow.
  if (head_ > 0 && (head_ >= size_ / 2 || size_ + n + kJsonPadding > buf_.size())) {
    size_t live = size_ - head_;
    if (live > 0) std::memmove(buf_.data(), buf_.data() + head_, live);
    scan_ -= head_;
    if (depth_ > 0) start_ -= head_;
    size_ = live;
    head_ = 0;
  }
  if (size_ + n + kJsonPadding > buf_.size()) buf_.resize(size_ + n + kJsonPadding);
}

void Framer::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  make_room(bytes.size());
  std::memcpy(buf_.data() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

char* Framer::prepare(size_t n) {
  make_room(n);
  committed_at_ = size_;
  return buf_.data() + size_;
}

void Framer::commit(size_t k) {
  // prepare() reserved the room: committing more is a caller bug.
  if (committed_at_ + k + kJsonPadding > buf_.size()) std::abort();
  size_ = committed_at_ + k;
}

Result<std::optional<PaddedView>> Framer::next() {
  if (failed_) return *failed_;
  const char* data = buf_.data();
  size_t i = scan_;
  while (i < size_) {
    if (depth_ == 0) {
      // Between messages: whitespace is consumed so that it never accumulates.
      uint8_t cls = kClass[static_cast<unsigned char>(data[i])];
      if (cls == kSpace) {
        ++i;
        head_ = i;
        continue;
      }
      if (cls != kOpen) {
        failed_ = make_error("ovsdb", errc::kSyntax,
                             "garbage between JSON-RPC messages: unexpected byte " + describe_byte(data[i]) +
                                 " (expected '{')");
        return *failed_;
      }
      start_ = i;
      depth_ = 1;
      in_string_ = false;
      escape_ = false;
      ++i;
      continue;
    }
    if (in_string_) {
      // String content is most of the bytes: jump to the next quote with
      // memchr and decide from the run of backslashes before it whether it is
      // escaped. escape_ carries a trailing odd run across chunk boundaries.
      if (escape_) {
        escape_ = false;
        ++i;
        continue;
      }
      const void* q = std::memchr(data + i, '"', size_ - i);
      size_t end = q ? static_cast<size_t>(static_cast<const char*>(q) - data) : size_;
      size_t k = end;
      while (k > i && data[k - 1] == '\\') --k;
      bool odd_run = ((end - k) & 1) != 0;
      if (q == nullptr) {
        escape_ = odd_run;  // the chunk ends inside an escape
        i = size_;
        break;
      }
      i = end + 1;
      if (!odd_run) in_string_ = false;
      continue;
    }
    switch (kClass[static_cast<unsigned char>(data[i])]) {
      case kQuote: in_string_ = true; break;
      case kOpen: ++depth_; break;
      case kClose:
        if (--depth_ == 0) {
          size_t len = i + 1 - start_;
          if (len > max_) {
            scan_ = i + 1;
            failed_ = too_big(max_);
            return *failed_;
          }
          scan_ = i + 1;
          head_ = scan_;
          return std::optional<PaddedView>(PaddedView::assume_padded(std::string_view(data + start_, len)));
        }
        break;
      default: break;
    }
    ++i;
  }
  scan_ = i;
  if (depth_ > 0 && scan_ - start_ > max_) {
    failed_ = too_big(max_);
    return *failed_;
  }
  return std::optional<PaddedView>();
}

}  // namespace ovnk::ovsdb
