// Netlink message framing, both directions, in caller memory.
//
// MessageBuilder appends exactly one netlink message to a caller-owned byte
// vector, with libmnl doing the header/attribute layout (the libmnl examples'
// split: building is separate from any socket). Space for the message is
// reserved once when building starts, so pointers into it (nests) stay valid;
// every attribute write is bounds-checked and an overflow turns into an error
// from finish(), which also removes the partial message. Messages are appended
// at 4-byte-aligned offsets so that many of them form one sendmsg() payload.
//
// MessageReader and AttrReader walk bytes received from the kernel (or from a
// fuzzer). They never trust a length field: every header is checked against the
// bytes actually present, fields are read with memcpy (no alignment needed), and
// malformed input yields an Error instead of a crash. Pure code: no sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/result.h"

struct nlmsghdr;
struct nlattr;

namespace ovnk::netlink {

using Bytes = std::vector<char>;

// Name of a message type for logs and errors ("RTM_NEWLINK", "NLMSG_ERROR",
// "genl family 21", ...). Types mean different things per protocol
// (NETLINK_ROUTE = 0, NETLINK_GENERIC = 16).
std::string message_type_name(uint16_t type, int protocol = 0);

class MessageBuilder {
 public:
  static constexpr size_t kDefaultMaxSize = 1024;

  // Starts a message at the end of `out` (padded to 4 bytes first). `flags`
  // are nlmsg_flags; NLM_F_REQUEST is always added.
  MessageBuilder(Bytes& out, uint16_t type, uint16_t flags, uint32_t seq,
                 size_t max_size = kDefaultMaxSize);
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;
  // A builder destroyed without finish() removes its partial message.
  ~MessageBuilder();

  // The fixed family header that follows nlmsghdr (ifinfomsg, rtmsg, ...),
  // zeroed; nullptr on overflow (then finish() fails).
  template <class T>
  T* put_header() {
    static_assert(std::is_trivially_copyable_v<T>);
    return static_cast<T*>(put_extra_header(sizeof(T)));
  }

  void put_u8(uint16_t type, uint8_t v);
  void put_u16(uint16_t type, uint16_t v);
  void put_u32(uint16_t type, uint32_t v);
  void put_flag(uint16_t type);  // zero-length attribute
  void put_bytes(uint16_t type, std::span<const uint8_t> bytes);
  void put_strz(uint16_t type, std::string_view s);  // with the terminating NUL
  void put_str(uint16_t type, std::string_view s);   // without (NLA_STRING accepts both)
  // Nested attributes: start returns a token for end(). Generic netlink
  // families with strict validation (ethtool) need NLA_F_NESTED in `type`.
  nlattr* nest_start(uint16_t type);
  void nest_end(nlattr* nest);

  // Completes the message; on overflow removes it and returns an error.
  Result<void> finish();

 private:
  void* put_extra_header(size_t size);

  Bytes* out_;
  size_t start_;
  size_t max_size_;
  nlmsghdr* nlh_;
  bool overflow_ = false;
  bool finished_ = false;
};

// One received message: header fields plus the payload after the 16-byte header.
struct Message {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t pid = 0;
  std::span<const char> payload;
  std::span<const char> whole;  // header + payload
};

// Iterates the messages of one datagram.
class MessageReader {
 public:
  explicit MessageReader(std::span<const char> datagram) : rest_(datagram) {}
  // The next message, or nullopt at the end or on malformed input (see status()).
  std::optional<Message> next();
  // Error if the datagram was malformed; ok once fully and cleanly consumed.
  const Result<void>& status() const { return status_; }

 private:
  std::span<const char> rest_;
  Result<void> status_;
};

// Reads a fixed header (ifinfomsg, ...) at the start of a payload.
template <class T>
Result<T> read_header(std::span<const char> payload, std::string_view what) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (payload.size() < sizeof(T)) {
    return make_error("netlink", EBADMSG,
                      std::string(what) + " truncated: " + std::to_string(payload.size()) +
                          " bytes, header needs " + std::to_string(sizeof(T)));
  }
  T out;
  std::memcpy(&out, payload.data(), sizeof(T));
  return out;
}

// The attributes start at the aligned end of the fixed header.
std::span<const char> attrs_after(std::span<const char> payload, size_t header_size);

struct Attr {
  uint16_t type = 0;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
  std::span<const char> payload;

  Result<uint8_t> u8() const;
  Result<uint16_t> u16() const;
  Result<uint32_t> u32() const;
  Result<int32_t> s32() const;
  Result<uint64_t> u64() const;
  // A string attribute; the terminating NUL (if present) is not included.
  std::string_view str() const;
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()};
  }
};

// Iterates a run of attributes (a message's, or a nest's payload).
class AttrReader {
 public:
  explicit AttrReader(std::span<const char> attrs) : rest_(attrs) {}
  std::optional<Attr> next();
  const Result<void>& status() const { return status_; }

 private:
  std::span<const char> rest_;
  Result<void> status_;
};

}  // namespace ovnk::netlink
