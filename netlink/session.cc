#include "netlink/session.h"

#include <linux/netlink.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "netlink/ack.h"

namespace ovnk::netlink {

struct Session::Pending {
  uint32_t id = 0;        // first sequence number: what the caller holds
  uint32_t seq = 0;       // current sequence number (changes when a dump restarts)
  uint16_t type = 0;      // the request's nlmsg_type, for messages
  bool is_dump = false;
  bool sent = false;      // handed to the kernel: a reply will come (or be lost)
  bool cancelled = false;
  Handler handler;
  // Dumps only.
  Bytes message;          // the request, re-sent on restart with a new seq
  int attempts = 0;
  bool interrupted = false;  // NLM_F_DUMP_INTR in this attempt
  bool tainted = false;      // an overrun happened during this attempt
};

namespace {

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

void patch_seq(std::span<char> message, uint32_t seq) {
  std::memcpy(message.data() + offsetof(nlmsghdr, nlmsg_seq), &seq, sizeof seq);
}

}  // namespace

Session::Session(Limits limits, int protocol) : limits_(limits), protocol_(protocol) {
  if (limits_.max_datagram_messages == 0) limits_.max_datagram_messages = 1;
  if (limits_.dump_attempts < 1) limits_.dump_attempts = 1;
}

Session::~Session() = default;

uint32_t Session::next_seq() {
  do {
    ++last_seq_;
  } while (last_seq_ == 0 || live_.count(last_seq_) != 0);
  return last_seq_;
}

Result<void> Session::append_message(const BuildFn& build, uint32_t seq, Bytes& target) {
  target.resize(align4(target.size()));
  size_t mark = target.size();
  Result<void> built = build(target, seq);
  if (!built.ok()) {
    target.resize(mark);
    return built;
  }
  size_t len = target.size() - mark;
  nlmsghdr h{};
  if (len >= sizeof h) std::memcpy(&h, target.data() + mark, sizeof h);
  if (len < sizeof h || h.nlmsg_len != len || h.nlmsg_seq != seq ||
      (h.nlmsg_flags & NLM_F_REQUEST) == 0) {
    target.resize(mark);
    return make_error("netlink", EINVAL, "request builder did not append exactly one request message");
  }
  return ok_result();
}

void Session::enqueue_bytes(uint32_t seq, std::span<const char> message) {
  out_.resize(align4(out_.size()));
  out_.insert(out_.end(), message.begin(), message.end());
  out_entries_.push_back(OutEntry{seq, align4(message.size())});
  out_.resize(align4(out_.size()));
}

Result<uint32_t> Session::request(const BuildFn& build, Handler handler) {
  uint32_t seq = next_seq();
  // Built in a scratch buffer, then copied: a builder sizes its buffer for its
  // largest message (4 KiB for ethtool), which built in place would stay in the
  // queue's capacity, per socket, with a thousand pod sockets alive in a burst.
  thread_local Bytes scratch;
  scratch.clear();
  OVNK_TRY(append_message(build, seq, scratch));
  auto p = std::make_unique<Pending>();
  p->id = seq;
  p->seq = seq;
  std::memcpy(&p->type, scratch.data() + offsetof(nlmsghdr, nlmsg_type), sizeof p->type);
  p->handler = std::move(handler);
  enqueue_bytes(seq, scratch);
  live_.emplace(seq, std::move(p));
  ++stats_.requests;
  return seq;
}

Result<uint32_t> Session::dump(const BuildFn& build, Handler handler) {
  uint32_t seq = next_seq();
  auto p = std::make_unique<Pending>();
  OVNK_TRY(append_message(build, seq, p->message));
  p->id = seq;
  p->seq = seq;
  p->is_dump = true;
  std::memcpy(&p->type, p->message.data() + offsetof(nlmsghdr, nlmsg_type), sizeof p->type);
  p->handler = std::move(handler);
  ++stats_.dumps;
  waiting_dumps_.push_back(std::move(p));
  if (active_dump_seq_ == 0) activate_next_dump();
  return seq;
}

void Session::activate_next_dump() {
  while (active_dump_seq_ == 0 && !waiting_dumps_.empty()) {
    std::unique_ptr<Pending> p = std::move(waiting_dumps_.front());
    waiting_dumps_.pop_front();
    if (p->cancelled) continue;
    // The seq given at submit time may have been reused meanwhile (after a wrap).
    if (live_.count(p->seq) != 0) {
      p->seq = next_seq();
      patch_seq(p->message, p->seq);
    }
    p->attempts = 1;
    uint32_t seq = p->seq;
    enqueue_bytes(seq, p->message);
    active_dump_seq_ = seq;
    live_.emplace(seq, std::move(p));
  }
}

void Session::cancel(uint32_t id) {
  for (auto& [seq, p] : live_) {
    if (p->id == id) p->cancelled = true;
  }
  for (auto& p : waiting_dumps_) {
    if (p->id == id) p->cancelled = true;
  }
}

std::span<const char> Session::peek_datagram() {
  peeked_messages_ = 0;
  peeked_bytes_ = 0;
  for (const OutEntry& e : out_entries_) {
    if (peeked_messages_ >= limits_.max_datagram_messages) break;
    // A message larger than the limit still goes out, alone.
    if (peeked_messages_ > 0 && peeked_bytes_ + e.size > limits_.max_datagram_bytes) break;
    ++peeked_messages_;
    peeked_bytes_ += e.size;
  }
  return {out_.data() + out_head_, peeked_bytes_};
}

void Session::release_output() {
  // Freed, not just cleared: builders size the buffer for their largest message
  // (4 KiB for ethtool), and a burst keeps a thousand pod sockets alive at once.
  Bytes().swap(out_);
  out_head_ = 0;
}

void Session::datagram_sent() {
  for (size_t i = 0; i < peeked_messages_; ++i) {
    auto it = live_.find(out_entries_.front().seq);
    if (it != live_.end()) it->second->sent = true;
    out_entries_.pop_front();
  }
  out_head_ += peeked_bytes_;
  if (out_entries_.empty()) release_output();
  peeked_messages_ = 0;
  peeked_bytes_ = 0;
  ++stats_.datagrams_sent;
}

void Session::datagram_failed(const Error& error) {
  std::vector<uint32_t> failed;
  for (size_t i = 0; i < peeked_messages_; ++i) {
    failed.push_back(out_entries_.front().seq);
    out_entries_.pop_front();
  }
  out_head_ += peeked_bytes_;
  if (out_entries_.empty()) release_output();
  peeked_messages_ = 0;
  peeked_bytes_ = 0;
  for (uint32_t seq : failed) complete(seq, error);
}

std::string Session::describe(const Pending& p) const {
  return message_type_name(p.type, protocol_) + (p.is_dump ? " dump" : "") + " seq " + std::to_string(p.seq);
}

Result<void> Session::on_datagram(std::span<const char> datagram) {
  MessageReader reader(datagram);
  while (auto m = reader.next()) dispatch(*m);
  if (!reader.status().ok()) {
    ++stats_.malformed;
    return reader.status().error().with_context("netlink datagram from the kernel");
  }
  return ok_result();
}

void Session::dispatch(const Message& m) {
  auto it = live_.find(m.seq);
  if (m.seq == 0 || it == live_.end() || !it->second->sent) {
    ++stats_.stray;
    return;
  }
  Pending* p = it->second.get();
  if ((m.flags & NLM_F_DUMP_INTR) != 0 && !p->interrupted) {
    p->interrupted = true;
    ++stats_.dumps_interrupted;
  }
  switch (m.type) {
    case NLMSG_NOOP:
    case NLMSG_OVERRUN: return;
    case NLMSG_ERROR: {
      Result<Ack> ack = parse_error_message(m);
      if (!ack.ok()) {
        ++stats_.acks_error;
        complete(p->seq, ack.error().with_context(describe(*p)));
        return;
      }
      if (ack->error != 0) {
        ++stats_.acks_error;
        complete(p->seq, ack_error(*ack, describe(*p)));
        return;
      }
      ++stats_.acks_ok;
      if (p->is_dump) {
        finish_dump(p, ok_result());
      } else {
        complete(p->seq, ok_result());
      }
      return;
    }
    case NLMSG_DONE: {
      Result<Ack> ack = parse_done_message(m);
      Result<void> outcome = ok_result();
      if (!ack.ok()) {
        outcome = ack.error().with_context(describe(*p));
      } else if (ack->error != 0) {
        outcome = ack_error(*ack, describe(*p));
      }
      if (p->is_dump) {
        finish_dump(p, std::move(outcome));
      } else {
        complete(p->seq, std::move(outcome));
      }
      return;
    }
    default:
      ++stats_.rows;
      if (!p->cancelled && p->handler.on_row) p->handler.on_row(m);
      return;
  }
}

void Session::finish_dump(Pending* p, Result<void> outcome) {
  if (!outcome.ok() || (!p->interrupted && !p->tainted)) {
    complete(p->seq, std::move(outcome));
    return;
  }
  if (p->attempts < limits_.dump_attempts) {
    restart_dump(p);
    return;
  }
  std::string why = p->interrupted ? "interrupted by concurrent changes (NLM_F_DUMP_INTR)"
                                   : "replies lost to receive-buffer overruns";
  complete(p->seq, make_error("netlink", p->interrupted ? EINTR : ENOBUFS,
                              describe(*p) + ": " + why + " " + std::to_string(p->attempts) +
                                  " times in a row"));
}

void Session::restart_dump(Pending* p) {
  auto it = live_.find(p->seq);
  std::unique_ptr<Pending> owned = std::move(it->second);
  live_.erase(it);
  owned->seq = next_seq();
  patch_seq(owned->message, owned->seq);
  ++owned->attempts;
  owned->interrupted = false;
  owned->tainted = false;
  owned->sent = false;
  ++stats_.dump_restarts;
  uint32_t seq = owned->seq;
  enqueue_bytes(seq, owned->message);
  active_dump_seq_ = seq;
  Pending* raw = owned.get();
  live_.emplace(seq, std::move(owned));
  if (!raw->cancelled && raw->handler.on_restart) raw->handler.on_restart();
}

void Session::complete(uint32_t seq, Result<void> outcome) {
  auto it = live_.find(seq);
  if (it == live_.end()) return;
  std::unique_ptr<Pending> p = std::move(it->second);
  live_.erase(it);
  if (seq == active_dump_seq_) {
    active_dump_seq_ = 0;
    activate_next_dump();
  }
  if (!p->cancelled && p->handler.on_done) p->handler.on_done(std::move(outcome));
}

void Session::on_overrun() {
  ++stats_.overruns;
  overrun_ = true;
  if (active_dump_seq_ != 0) {
    auto it = live_.find(active_dump_seq_);
    if (it != live_.end() && it->second->sent) it->second->tainted = true;
  }
}

void Session::on_drained() {
  if (!overrun_) return;
  overrun_ = false;
  std::vector<uint32_t> lost;
  for (const auto& [seq, p] : live_) {
    if (p->sent) lost.push_back(seq);
  }
  std::sort(lost.begin(), lost.end());
  for (uint32_t seq : lost) {
    auto it = live_.find(seq);
    if (it == live_.end()) continue;  // completed by an earlier callback
    Pending* p = it->second.get();
    ++stats_.lost_replies;
    if (p->is_dump) {
      p->tainted = true;
      finish_dump(p, ok_result());
    } else {
      complete(seq, make_error("netlink", ENOBUFS,
                               describe(*p) +
                                   ": reply lost to a receive-buffer overrun; outcome unknown"));
    }
  }
}

void Session::fail_all(const Error& error) {
  std::vector<uint32_t> seqs;
  for (const auto& [seq, p] : live_) seqs.push_back(seq);
  std::sort(seqs.begin(), seqs.end());
  // Nothing queued will be sent.
  out_entries_.clear();
  release_output();
  peeked_messages_ = 0;
  peeked_bytes_ = 0;
  std::deque<std::unique_ptr<Pending>> waiting;
  waiting.swap(waiting_dumps_);
  for (uint32_t seq : seqs) {
    if (seq == active_dump_seq_) active_dump_seq_ = 0;
    complete(seq, error);
  }
  for (auto& p : waiting) {
    if (!p->cancelled && p->handler.on_done) p->handler.on_done(error);
  }
}

}  // namespace ovnk::netlink
