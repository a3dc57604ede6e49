// Session: the request/reply bookkeeping of one netlink socket, without the
// socket (sans-I/O, in the style of nghttp2's session). The owner feeds it
// received datagrams and asks it for datagrams to send; it assigns sequence
// numbers, batches queued requests into datagrams of whole messages, matches
// every reply to its request, and completes each request exactly once.
//
// Request kinds:
//   - request(): answered by NLMSG_ERROR (an ACK when error is 0), possibly
//     preceded by reply rows (a GET of one object with NLM_F_ACK);
//   - dump(): rows then NLMSG_DONE. The kernel runs one dump per socket at a
//     time (a second one gets EBUSY), so dumps are sent one after another.
//     A dump whose rows carry NLM_F_DUMP_INTR (the table changed while it was
//     read) or that spanned a receive overrun is restarted with a new
//     sequence number, at most Limits::dump_attempts times; the handler's
//     on_restart tells the caller to drop the rows it has so far.
//
// Replies can be lost only to a receive-buffer overrun (ENOBUFS, or a
// datagram truncated by a small receive buffer): the owner reports it with
// on_overrun(). rtnetlink and generic netlink process a sendmsg synchronously,
// so once the receive queue is empty (on_drained()) every request sent so far
// has had its reply queued: whatever is still waiting then lost its reply and
// completes with ENOBUFS ("outcome unknown"), and a dump is restarted.
//
// Invariants: every handler's on_done is called exactly once unless the
// request was cancelled or the session destroyed (then never). Handlers may
// submit new requests and cancel any request, including their own. Sequence
// numbers are never 0 (the kernel's own notifications use 0). Pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>

#include "base/result.h"
#include "netlink/message.h"

namespace ovnk::netlink {

class Session {
 public:
  struct Limits {
    // Kept well under the default socket send buffer (sendmsg fails with
    // EMSGSIZE above sk_sndbuf), and in messages so that the ACKs of one
    // datagram cannot overrun the receive buffer.
    size_t max_datagram_bytes = 64 * 1024;
    size_t max_datagram_messages = 256;
    int dump_attempts = 4;
  };

  struct Handler {
    std::function<void(const Message&)> on_row;   // reply rows (optional)
    std::function<void()> on_restart;             // dump restarted (optional)
    std::function<void(Result<void>)> on_done;    // exactly once
  };

  struct Stats {
    uint64_t requests = 0;
    uint64_t dumps = 0;
    uint64_t datagrams_sent = 0;
    uint64_t acks_ok = 0;
    uint64_t acks_error = 0;
    uint64_t rows = 0;
    uint64_t dump_restarts = 0;
    uint64_t dumps_interrupted = 0;  // NLM_F_DUMP_INTR seen
    uint64_t stray = 0;              // replies matching no request
    uint64_t malformed = 0;          // datagrams that did not parse
    uint64_t overruns = 0;
    uint64_t lost_replies = 0;
  };

  // Appends exactly one message with the given sequence number to `out`.
  using BuildFn = std::function<Result<void>(Bytes& out, uint32_t seq)>;

  // protocol: NETLINK_ROUTE (0) or NETLINK_GENERIC (16), for messages only.
  explicit Session(Limits limits, int protocol = 0);
  Session() : Session(Limits{}) {}
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Queues a request; returns its id (the first sequence number). A build
  // error is returned here and the handler is dropped (never called).
  Result<uint32_t> request(const BuildFn& build, Handler handler);
  Result<uint32_t> dump(const BuildFn& build, Handler handler);
  // Forgets the handler of a request: it will never be called (the request may
  // still reach the kernel). Unknown or finished ids are ignored.
  void cancel(uint32_t id);

  // Output side: whole messages for one sendmsg(). The span is valid until the
  // next call to a non-const method.
  bool has_output() const { return !out_entries_.empty(); }
  std::span<const char> peek_datagram();
  void datagram_sent();
  // sendmsg() failed: the peeked requests complete with `error`.
  void datagram_failed(const Error& error);

  // Input side. A malformed datagram is an error (counted); the messages
  // before the bad one are still dispatched.
  Result<void> on_datagram(std::span<const char> datagram);
  void on_overrun();
  void on_drained();
  // The socket is unusable: everything pending completes with `error`.
  void fail_all(const Error& error);

  // Requests submitted and not completed (queued, in flight, waiting dumps).
  size_t pending() const { return live_.size() + waiting_dumps_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Pending;
  struct OutEntry {
    uint32_t seq;
    size_t size;
  };

  uint32_t next_seq();
  Result<void> append_message(const BuildFn& build, uint32_t seq, Bytes& target);
  void enqueue_bytes(uint32_t seq, std::span<const char> message);
  void activate_next_dump();
  void release_output();  // every queued datagram is gone: give the memory back
  void dispatch(const Message& m);
  void finish_dump(Pending* p, Result<void> outcome);
  void restart_dump(Pending* p);
  void complete(uint32_t seq, Result<void> outcome);
  std::string describe(const Pending& p) const;

  Limits limits_;
  int protocol_;
  uint32_t last_seq_ = 0;
  // Every request queued for sending or in flight, by current sequence number
  // (heap-allocated so that handlers may submit while one of them runs).
  std::unordered_map<uint32_t, std::unique_ptr<Pending>> live_;
  // Dumps not yet sent because another one is active.
  std::deque<std::unique_ptr<Pending>> waiting_dumps_;
  uint32_t active_dump_seq_ = 0;  // 0: no dump in live_
  Bytes out_;
  size_t out_head_ = 0;
  std::deque<OutEntry> out_entries_;
  size_t peeked_messages_ = 0;
  size_t peeked_bytes_ = 0;
  bool overrun_ = false;
  Stats stats_;
};

}  // namespace ovnk::netlink
