#include "netlink/message.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

namespace ovnk::netlink {

namespace {

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }
// libmnl's MNL_ALIGN mixes int and size_t (a -Wsign-conversion warning).
constexpr size_t kNlmsgHdrLen = align4(sizeof(nlmsghdr));
constexpr size_t kAttrHdrLen = align4(sizeof(nlattr));

Error malformed(std::string what) { return make_error("netlink", EBADMSG, what); }

}  // namespace

std::string message_type_name(uint16_t type, int protocol) {
  if (protocol == NETLINK_GENERIC && type >= NLMSG_MIN_TYPE) {
    if (type == GENL_ID_CTRL) return "GENL_CTRL";
    return "genl family " + std::to_string(type);
  }
  switch (type) {
    case NLMSG_NOOP: return "NLMSG_NOOP";
    case NLMSG_ERROR: return "NLMSG_ERROR";
    case NLMSG_DONE: return "NLMSG_DONE";
    case NLMSG_OVERRUN: return "NLMSG_OVERRUN";
    case RTM_NEWLINK: return "RTM_NEWLINK";
    case RTM_DELLINK: return "RTM_DELLINK";
    case RTM_GETLINK: return "RTM_GETLINK";
    case RTM_SETLINK: return "RTM_SETLINK";
    case RTM_NEWADDR: return "RTM_NEWADDR";
    case RTM_DELADDR: return "RTM_DELADDR";
    case RTM_GETADDR: return "RTM_GETADDR";
    case RTM_NEWROUTE: return "RTM_NEWROUTE";
    case RTM_DELROUTE: return "RTM_DELROUTE";
    case RTM_GETROUTE: return "RTM_GETROUTE";
    default: return "msg_type_" + std::to_string(type);
  }
}

MessageBuilder::MessageBuilder(Bytes& out, uint16_t type, uint16_t flags, uint32_t seq,
                               size_t max_size)
    : out_(&out), max_size_(max_size) {
  // Pad to 4 so that nlmsghdr and every attribute is naturally aligned (the
  // vector's storage itself comes from operator new, aligned far beyond 4).
  out.resize(align4(out.size()));
  start_ = out.size();
  if (max_size_ < kNlmsgHdrLen) max_size_ = kNlmsgHdrLen;
  out.resize(start_ + max_size_);
  nlh_ = mnl_nlmsg_put_header(out.data() + start_);
  nlh_->nlmsg_type = type;
  nlh_->nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST);
  nlh_->nlmsg_seq = seq;
  nlh_->nlmsg_pid = 0;
}

MessageBuilder::~MessageBuilder() {
  if (!finished_) out_->resize(start_);
}

void* MessageBuilder::put_extra_header(size_t size) {
  if (overflow_ || nlh_->nlmsg_len + align4(size) > max_size_) {
    overflow_ = true;
    return nullptr;
  }
  return mnl_nlmsg_put_extra_header(nlh_, size);
}

void MessageBuilder::put_u8(uint16_t type, uint8_t v) {
  if (!overflow_ && !mnl_attr_put_check(nlh_, max_size_, type, sizeof v, &v)) overflow_ = true;
}

void MessageBuilder::put_u16(uint16_t type, uint16_t v) {
  if (!overflow_ && !mnl_attr_put_check(nlh_, max_size_, type, sizeof v, &v)) overflow_ = true;
}

void MessageBuilder::put_u32(uint16_t type, uint32_t v) {
  if (!overflow_ && !mnl_attr_put_check(nlh_, max_size_, type, sizeof v, &v)) overflow_ = true;
}

void MessageBuilder::put_flag(uint16_t type) {
  if (!overflow_ && !mnl_attr_put_check(nlh_, max_size_, type, 0, nullptr)) overflow_ = true;
}

void MessageBuilder::put_bytes(uint16_t type, std::span<const uint8_t> bytes) {
  if (!overflow_ && !mnl_attr_put_check(nlh_, max_size_, type, bytes.size(), bytes.data())) {
    overflow_ = true;
  }
}

void MessageBuilder::put_strz(uint16_t type, std::string_view s) {
  if (overflow_) return;
  // Attribute payload = the characters + NUL; libmnl copies from one pointer,
  // so write the header and bytes ourselves after the same bounds check.
  size_t payload = s.size() + 1;
  if (nlh_->nlmsg_len + kAttrHdrLen + align4(payload) > max_size_) {
    overflow_ = true;
    return;
  }
  char* base = static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh_));
  nlattr attr{};
  attr.nla_len = static_cast<uint16_t>(kAttrHdrLen + payload);
  attr.nla_type = type;
  std::memcpy(base, &attr, sizeof attr);
  std::memcpy(base + kAttrHdrLen, s.data(), s.size());
  std::memset(base + kAttrHdrLen + s.size(), 0, align4(payload) - s.size());
  nlh_->nlmsg_len += static_cast<uint32_t>(kAttrHdrLen + align4(payload));
}

void MessageBuilder::put_str(uint16_t type, std::string_view s) {
  if (!overflow_ && !mnl_attr_put_check(nlh_, max_size_, type, s.size(), s.data())) overflow_ = true;
}

nlattr* MessageBuilder::nest_start(uint16_t type) {
  if (overflow_) return nullptr;
  nlattr* nest = mnl_attr_nest_start_check(nlh_, max_size_, type);
  if (nest == nullptr) overflow_ = true;
  return nest;
}

void MessageBuilder::nest_end(nlattr* nest) {
  if (overflow_ || nest == nullptr) return;
  mnl_attr_nest_end(nlh_, nest);
}

Result<void> MessageBuilder::finish() {
  if (finished_) return ok_result();
  if (overflow_) {
    uint16_t type = nlh_->nlmsg_type;
    out_->resize(start_);
    finished_ = true;
    return make_error("netlink", EMSGSIZE,
                      message_type_name(type) + " does not fit in " + std::to_string(max_size_) +
                          " bytes");
  }
  out_->resize(start_ + nlh_->nlmsg_len);
  finished_ = true;
  return ok_result();
}

std::optional<Message> MessageReader::next() {
  if (!status_.ok() || rest_.empty()) return std::nullopt;
  if (rest_.size() < sizeof(nlmsghdr)) {
    status_ = malformed("truncated netlink header: " + std::to_string(rest_.size()) + " bytes left");
    return std::nullopt;
  }
  nlmsghdr h;
  std::memcpy(&h, rest_.data(), sizeof h);
  if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > rest_.size()) {
    status_ = malformed("netlink message length " + std::to_string(h.nlmsg_len) + " with " +
                        std::to_string(rest_.size()) + " bytes left");
    return std::nullopt;
  }
  Message m;
  m.type = h.nlmsg_type;
  m.flags = h.nlmsg_flags;
  m.seq = h.nlmsg_seq;
  m.pid = h.nlmsg_pid;
  m.whole = rest_.subspan(0, h.nlmsg_len);
  m.payload = m.whole.subspan(sizeof(nlmsghdr));
  // The last message of a datagram may omit its padding.
  size_t advance = align4(h.nlmsg_len);
  rest_ = advance >= rest_.size() ? std::span<const char>() : rest_.subspan(advance);
  return m;
}

std::span<const char> attrs_after(std::span<const char> payload, size_t header_size) {
  size_t skip = align4(header_size);
  if (skip >= payload.size()) return {};
  return payload.subspan(skip);
}

namespace {

template <class T>
Result<T> read_scalar(const Attr& a, const char* name) {
  if (a.payload.size() < sizeof(T)) {
    return malformed("attribute " + std::to_string(a.type) + " too short for " + name + ": " +
                     std::to_string(a.payload.size()) + " bytes");
  }
  T v;
  std::memcpy(&v, a.payload.data(), sizeof v);
  return v;
}

}  // namespace

Result<uint8_t> Attr::u8() const { return read_scalar<uint8_t>(*this, "u8"); }
Result<uint16_t> Attr::u16() const { return read_scalar<uint16_t>(*this, "u16"); }
Result<uint32_t> Attr::u32() const { return read_scalar<uint32_t>(*this, "u32"); }
Result<int32_t> Attr::s32() const { return read_scalar<int32_t>(*this, "s32"); }
Result<uint64_t> Attr::u64() const { return read_scalar<uint64_t>(*this, "u64"); }

std::string_view Attr::str() const {
  std::string_view s(payload.data(), payload.size());
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

std::optional<Attr> AttrReader::next() {
  if (!status_.ok() || rest_.empty()) return std::nullopt;
  if (rest_.size() < sizeof(nlattr)) {
    // Trailing bytes too short for a header: kernels never send them, but they
    // are harmless padding if zero.
    for (char c : rest_) {
      if (c != 0) {
        status_ = malformed("truncated attribute header: " + std::to_string(rest_.size()) +
                            " bytes left");
        return std::nullopt;
      }
    }
    rest_ = {};
    return std::nullopt;
  }
  nlattr h;
  std::memcpy(&h, rest_.data(), sizeof h);
  if (h.nla_len < sizeof(nlattr) || h.nla_len > rest_.size()) {
    status_ = malformed("attribute " + std::to_string(h.nla_type & NLA_TYPE_MASK) + " length " +
                        std::to_string(h.nla_len) + " with " + std::to_string(rest_.size()) +
                        " bytes left");
    return std::nullopt;
  }
  Attr a;
  a.type = static_cast<uint16_t>(h.nla_type & NLA_TYPE_MASK);
  a.payload = rest_.subspan(sizeof(nlattr), h.nla_len - sizeof(nlattr));
  size_t advance = align4(h.nla_len);
  rest_ = advance >= rest_.size() ? std::span<const char>() : rest_.subspan(advance);
  return a;
}

}  // namespace ovnk::netlink
