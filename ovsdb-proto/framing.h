// Framer: splits the OVSDB byte stream into JSON-RPC messages.
//
// OVSDB has no length prefix: messages are JSON objects written back to back
// (optionally separated by whitespace). Like ovs's streaming json parser, the
// framer finds the end of each top-level value by tracking bracket depth and
// string/escape state, without parsing: a message is complete when the depth
// returns to zero outside a string. Validating the JSON is the parser's job
// (parse_message); the framer only promises "one balanced top-level value".
//
// Bytes can arrive split anywhere and several messages per chunk. Each message
// is handed out as a PaddedView into the framer's buffer (kJsonPadding readable
// bytes follow it), valid until the next call to feed(), prepare() or next().
//
// Errors are final (the connection must be closed): a byte other than
// whitespace, '{' or '[' between messages ("garbage"), or a message growing
// beyond max_message_size (checked while it is still incomplete, so a peer
// cannot make us buffer without bound).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/json_value.h"

namespace ovnk::ovsdb {

class Framer {
 public:
  // Large enough for the initial snapshot of a big NB database (hundreds of
  // thousands of rows are tens of MiB), small enough to bound a broken peer.
  static constexpr size_t kDefaultMaxMessageSize = size_t{256} << 20;

  explicit Framer(size_t max_message_size = kDefaultMaxMessageSize);

  // Appends received bytes.
  void feed(std::string_view bytes);
  // Zero-copy receive: room for n bytes at the back (read(2) into it), then
  // commit(k) with k <= n the number actually received.
  char* prepare(size_t n);
  void commit(size_t k);

  // The next complete message; nullopt when more bytes are needed; an error
  // (code errc::kSyntax for garbage, errc::kTooBig for the size limit) that
  // every later call repeats.
  Result<std::optional<PaddedView>> next();

  // Bytes received but not yet handed out as messages (a partial message).
  size_t buffered() const { return size_ - head_; }
  bool failed() const { return failed_.has_value(); }
  size_t max_message_size() const { return max_; }
  // Forgets everything, including a failure (for a new connection).
  void reset();

 private:
  void make_room(size_t n);

  std::vector<char> buf_;  // [head_, size_) unconsumed, then >= kJsonPadding spare
  size_t head_ = 0;        // start of unconsumed bytes
  size_t size_ = 0;        // end of received bytes
  size_t scan_ = 0;        // next byte to examine (head_ <= scan_ <= size_)
  size_t start_ = 0;       // first byte of the message being scanned (valid when depth_ > 0)
  size_t committed_at_ = 0;  // prepare(): where commit() appends
  uint32_t depth_ = 0;     // bracket depth; 0 = between messages
  bool in_string_ = false;
  bool escape_ = false;    // previous byte was a backslash inside a string
  size_t max_;
  std::optional<Error> failed_;
};

}  // namespace ovnk::ovsdb
