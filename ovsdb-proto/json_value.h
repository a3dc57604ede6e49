// JSON texts that can be handed to the parser (simdjson) without a copy.
//
// simdjson reads up to kJsonPadding bytes past the end of the text it parses. A
// PaddedView promises that those bytes are readable memory (their content does
// not matter); a PaddedString owns such a buffer. A subview of a padded view is
// itself padded (the rest of the buffer follows it), which is how a JSON-RPC
// message's params/result are handed on without copying.
// Everything here is plain C++: the parser stays inside the .cc files.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace ovnk::ovsdb {

// Error codes of the "ovsdb" domain used by the decoders of this folder
// (Error::code; the message says what and where).
namespace errc {
inline constexpr int kSyntax = 1;      // not JSON, or not the JSON shape OVSDB specifies
inline constexpr int kType = 2;        // well-formed but the wrong type for the schema
inline constexpr int kConstraint = 3;  // violates a schema constraint (enum, range, min/max)
inline constexpr int kTooBig = 4;      // exceeds a configured size limit
}  // namespace errc

// Must be >= SIMDJSON_PADDING (checked with a static_assert where simdjson is used).
inline constexpr size_t kJsonPadding = 64;

class PaddedView {
 public:
  PaddedView() = default;
  // The caller promises kJsonPadding readable bytes after text.end().
  static PaddedView assume_padded(std::string_view text) { return PaddedView(text); }

  std::string_view text() const { return text_; }
  const char* data() const { return text_.data(); }
  size_t size() const { return text_.size(); }
  bool empty() const { return text_.empty(); }
  // [pos, pos+len) of this view: still padded.
  PaddedView sub(size_t pos, size_t len) const { return PaddedView(text_.substr(pos, len)); }

 private:
  explicit PaddedView(std::string_view text) : text_(text) {}
  std::string_view text_;
};

// An owned, immutable JSON text with kJsonPadding zero bytes after it.
class PaddedString {
 public:
  PaddedString() = default;
  explicit PaddedString(std::string_view text);
  PaddedString(PaddedString&&) noexcept = default;
  PaddedString& operator=(PaddedString&&) noexcept = default;
  PaddedString(const PaddedString& other) : PaddedString(other.text()) {}
  PaddedString& operator=(const PaddedString& other) {
    if (this != &other) *this = PaddedString(other.text());
    return *this;
  }

  std::string_view text() const { return {data_ ? data_.get() : "", size_}; }
  PaddedView view() const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
};

}  // namespace ovnk::ovsdb
