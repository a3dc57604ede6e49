// The sans-I/O session: batching, sequence numbers, reply matching, dumps one
// at a time, NLM_F_DUMP_INTR restarts, overrun recovery, cancellation. The
// "kernel" here is a handful of functions that write reply messages.
#include "netlink/session.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netlink/link.h"

namespace ovnk::netlink {
namespace {

void put_header(Bytes& out, uint32_t len, uint16_t type, uint16_t flags, uint32_t seq) {
  nlmsghdr h{len, type, flags, seq, 0};
  const char* p = reinterpret_cast<const char*>(&h);
  out.insert(out.end(), p, p + sizeof h);
}

void put_u32(Bytes& out, uint32_t v) {
  const char* p = reinterpret_cast<const char*>(&v);
  out.insert(out.end(), p, p + 4);
}

// A capped ACK as our sockets receive it, optionally with an ext-ack message.
void kernel_ack(Bytes& out, uint32_t seq, int err, std::string msg = {}) {
  size_t tlv = msg.empty() ? 0 : ((4 + msg.size() + 1 + 3) & ~size_t{3});
  uint16_t flags = NLM_F_CAPPED | (msg.empty() ? 0 : NLM_F_ACK_TLVS);
  put_header(out, static_cast<uint32_t>(16 + 4 + 16 + tlv), NLMSG_ERROR, flags, seq);
  put_u32(out, static_cast<uint32_t>(-err));
  put_header(out, 32, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
  if (!msg.empty()) {
    uint16_t hdr[2] = {static_cast<uint16_t>(4 + msg.size() + 1), NLMSGERR_ATTR_MSG};
    const char* p = reinterpret_cast<const char*>(hdr);
    out.insert(out.end(), p, p + 4);
    out.insert(out.end(), msg.begin(), msg.end());
    out.resize(out.size() + (tlv - 4 - msg.size()), '\0');
  }
}

void kernel_row(Bytes& out, uint32_t seq, int ifindex, uint16_t flags = NLM_F_MULTI) {
  put_header(out, 32, RTM_NEWLINK, flags, seq);
  ifinfomsg ifi{};
  ifi.ifi_index = ifindex;
  const char* p = reinterpret_cast<const char*>(&ifi);
  out.insert(out.end(), p, p + sizeof ifi);
}

void kernel_done(Bytes& out, uint32_t seq, uint16_t flags = NLM_F_MULTI, int err = 0) {
  put_header(out, 20, NLMSG_DONE, flags, seq);
  put_u32(out, static_cast<uint32_t>(-err));
}

Session::BuildFn link_up(int ifindex) {
  return [ifindex](Bytes& out, uint32_t seq) { return build_link_set_up(out, seq, LinkRef::by_index(ifindex), true); };
}

struct Outcome {
  bool called = false;
  Result<void> result = ok_result();
  int calls = 0;
};

Session::Handler record(Outcome& o) {
  Session::Handler h;
  h.on_done = [&o](Result<void> r) {
    o.called = true;
    ++o.calls;
    o.result = std::move(r);
  };
  return h;
}

// Sequence numbers of the messages of one datagram.
std::vector<uint32_t> seqs_of(std::span<const char> datagram) {
  std::vector<uint32_t> out;
  MessageReader r(datagram);
  while (auto m = r.next()) out.push_back(m->seq);
  EXPECT_TRUE(r.status().ok());
  return out;
}

TEST(Session, QueuedRequestsLeaveInOneDatagramAndAckInAnyOrder) {
  Session s;
  Outcome a, b, c;
  ASSERT_EQ(*s.request(link_up(1), record(a)), 1u);
  ASSERT_EQ(*s.request(link_up(2), record(b)), 2u);
  ASSERT_EQ(*s.request(link_up(3), record(c)), 3u);
  ASSERT_TRUE(s.has_output());
  std::span<const char> d = s.peek_datagram();
  EXPECT_EQ(seqs_of(d), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(d.size(), 3 * 32u);
  s.datagram_sent();
  EXPECT_FALSE(s.has_output());
  EXPECT_EQ(s.pending(), 3u);

  Bytes reply;
  kernel_ack(reply, 3, 0);
  kernel_ack(reply, 1, EEXIST, "already there");
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_TRUE(c.called && c.result.ok());
  ASSERT_TRUE(a.called);
  ASSERT_FALSE(a.result.ok());
  EXPECT_EQ(a.result.error().code, EEXIST);
  EXPECT_NE(a.result.error().message.find("RTM_NEWLINK seq 1"), std::string::npos) << a.result.error().message;
  EXPECT_NE(a.result.error().message.find("kernel: already there"), std::string::npos);
  EXPECT_FALSE(b.called);

  reply.clear();
  kernel_ack(reply, 2, 0);
  kernel_ack(reply, 2, 0);  // a duplicate: stray
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_EQ(b.calls, 1);
  EXPECT_EQ(s.stats().stray, 1u);
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_EQ(s.stats().acks_ok, 2u);
  EXPECT_EQ(s.stats().acks_error, 1u);
}

TEST(Session, DatagramsRespectMessageAndByteLimits) {
  Session::Limits limits;
  limits.max_datagram_messages = 4;
  limits.max_datagram_bytes = 100;  // three 32-byte messages
  Session s(limits);
  std::vector<Outcome> o(10);
  for (auto& x : o) ASSERT_TRUE(s.request(link_up(1), record(x)).ok());
  std::vector<size_t> sizes;
  while (s.has_output()) {
    sizes.push_back(seqs_of(s.peek_datagram()).size());
    s.datagram_sent();
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(s.stats().datagrams_sent, 4u);
}

TEST(Session, RepliesForUnsentRequestsAreStray) {
  Session s;
  Outcome a;
  ASSERT_TRUE(s.request(link_up(1), record(a)).ok());
  Bytes reply;
  kernel_ack(reply, 1, 0);
  kernel_ack(reply, 0, 0);  // seq 0: a notification, never ours
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_FALSE(a.called);
  EXPECT_EQ(s.stats().stray, 2u);
}

TEST(Session, GetDeliversRowThenCompletesOnAck) {
  Session s;
  std::vector<int> rows;
  Session::Handler h;
  Outcome o;
  h = record(o);
  h.on_row = [&](const Message& m) {
    rows.push_back(parse_link(m)->index);
    EXPECT_FALSE(o.called) << "rows come before completion";
  };
  ASSERT_TRUE(s.request([](Bytes& out, uint32_t seq) { return build_link_get(out, seq, LinkRef::by_index(7)); },
                        std::move(h))
                  .ok());
  s.peek_datagram();
  s.datagram_sent();
  Bytes reply;
  kernel_row(reply, 1, 7, 0);
  kernel_ack(reply, 1, 0);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_EQ(rows, (std::vector<int>{7}));
  EXPECT_TRUE(o.called && o.result.ok());
}

TEST(Session, DumpsRunOneAtATime) {
  Session s;
  Outcome d1, d2, r;
  std::vector<int> rows1, rows2;
  Session::Handler h1 = record(d1);
  h1.on_row = [&](const Message& m) { rows1.push_back(parse_link(m)->index); };
  Session::Handler h2 = record(d2);
  h2.on_row = [&](const Message& m) { rows2.push_back(parse_link(m)->index); };
  ASSERT_EQ(*s.dump(build_link_dump, std::move(h1)), 1u);
  ASSERT_EQ(*s.dump(build_link_dump, std::move(h2)), 2u);
  ASSERT_TRUE(s.request(link_up(5), record(r)).ok());
  // The second dump waits: the kernel would answer it EBUSY.
  EXPECT_EQ(seqs_of(s.peek_datagram()), (std::vector<uint32_t>{1, 3}));
  s.datagram_sent();
  EXPECT_FALSE(s.has_output());

  Bytes reply;
  kernel_row(reply, 1, 1);
  kernel_ack(reply, 3, 0);  // a request's ACK interleaved with the dump
  kernel_row(reply, 1, 2);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_TRUE(r.called);
  EXPECT_FALSE(s.has_output());
  reply.clear();
  kernel_done(reply, 1);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_TRUE(d1.called && d1.result.ok());
  EXPECT_EQ(rows1, (std::vector<int>{1, 2}));
  // Now the second dump goes out.
  ASSERT_TRUE(s.has_output());
  EXPECT_EQ(seqs_of(s.peek_datagram()), (std::vector<uint32_t>{2}));
  s.datagram_sent();
  reply.clear();
  kernel_row(reply, 2, 9);
  kernel_done(reply, 2);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_TRUE(d2.called && d2.result.ok());
  EXPECT_EQ(rows2, (std::vector<int>{9}));
}

TEST(Session, InterruptedDumpRestartsWithNewSeq) {
  Session s;
  Outcome d;
  int restarts = 0;
  std::vector<int> rows;
  Session::Handler h = record(d);
  h.on_row = [&](const Message& m) { rows.push_back(parse_link(m)->index); };
  h.on_restart = [&] {
    ++restarts;
    rows.clear();
  };
  ASSERT_TRUE(s.dump(build_link_dump, std::move(h)).ok());
  s.peek_datagram();
  s.datagram_sent();
  Bytes reply;
  kernel_row(reply, 1, 1);
  kernel_row(reply, 1, 2, NLM_F_MULTI | NLM_F_DUMP_INTR);
  kernel_done(reply, 1, NLM_F_MULTI | NLM_F_DUMP_INTR);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_FALSE(d.called);
  EXPECT_EQ(restarts, 1);
  EXPECT_TRUE(rows.empty());
  ASSERT_TRUE(s.has_output());
  std::vector<uint32_t> again = seqs_of(s.peek_datagram());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0], 1u) << "late rows of the first attempt must not mix in";
  s.datagram_sent();
  reply.clear();
  kernel_row(reply, 1, 99);  // late row of the old attempt: stray
  kernel_row(reply, again[0], 1);
  kernel_row(reply, again[0], 2);
  kernel_done(reply, again[0]);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_TRUE(d.called && d.result.ok());
  EXPECT_EQ(rows, (std::vector<int>{1, 2}));
  EXPECT_EQ(s.stats().dump_restarts, 1u);
}

TEST(Session, DumpInterruptedEveryTimeFailsWithEintr) {
  Session::Limits limits;
  limits.dump_attempts = 3;
  Session s(limits);
  Outcome d;
  ASSERT_TRUE(s.dump(build_link_dump, record(d)).ok());
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSERT_TRUE(s.has_output()) << attempt;
    uint32_t seq = seqs_of(s.peek_datagram()).at(0);
    s.datagram_sent();
    Bytes reply;
    kernel_done(reply, seq, NLM_F_MULTI | NLM_F_DUMP_INTR);
    ASSERT_TRUE(s.on_datagram(reply).ok());
  }
  ASSERT_TRUE(d.called);
  ASSERT_FALSE(d.result.ok());
  EXPECT_EQ(d.result.error().code, EINTR);
  EXPECT_NE(d.result.error().message.find("3 times"), std::string::npos) << d.result.error().message;
}

TEST(Session, DumpErrorCompletesAndNextDumpStarts) {
  Session s;
  Outcome d1, d2;
  ASSERT_TRUE(s.dump(build_link_dump, record(d1)).ok());
  ASSERT_TRUE(s.dump(build_link_dump, record(d2)).ok());
  s.peek_datagram();
  s.datagram_sent();
  Bytes reply;
  kernel_ack(reply, 1, EBUSY);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  ASSERT_TRUE(d1.called);
  EXPECT_EQ(d1.result.error().code, EBUSY);
  EXPECT_TRUE(s.has_output());
}

TEST(Session, OverrunThenDrainFailsInFlightAndRestartsDump) {
  Session s;
  Outcome a, b, d, later;
  int restarts = 0;
  ASSERT_TRUE(s.request(link_up(1), record(a)).ok());
  ASSERT_TRUE(s.request(link_up(2), record(b)).ok());
  Session::Handler h = record(d);
  h.on_restart = [&] { ++restarts; };
  ASSERT_TRUE(s.dump(build_link_dump, std::move(h)).ok());
  s.peek_datagram();
  s.datagram_sent();
  ASSERT_TRUE(s.request(link_up(3), record(later)).ok());  // queued, not sent

  Bytes reply;
  kernel_ack(reply, 1, 0);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  s.on_overrun();  // b's ACK and the dump's rows were dropped
  s.on_drained();
  EXPECT_TRUE(a.called && a.result.ok());
  ASSERT_TRUE(b.called);
  EXPECT_EQ(b.result.error().code, ENOBUFS);
  EXPECT_NE(b.result.error().message.find("outcome unknown"), std::string::npos);
  EXPECT_FALSE(later.called) << "not sent yet: its reply cannot have been lost";
  EXPECT_FALSE(d.called);
  EXPECT_EQ(restarts, 1);
  EXPECT_EQ(s.stats().lost_replies, 2u);
  // Draining again without a new overrun changes nothing.
  s.on_drained();
  EXPECT_FALSE(later.called);
}

TEST(Session, CancelledHandlersAreNeverCalled) {
  Session s;
  Outcome a, d;
  uint32_t id = *s.request(link_up(1), record(a));
  uint32_t did = *s.dump(build_link_dump, record(d));
  s.cancel(id);
  s.cancel(did);
  s.peek_datagram();
  s.datagram_sent();
  Bytes reply;
  kernel_ack(reply, 1, 0);
  kernel_done(reply, 2);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  EXPECT_FALSE(a.called);
  EXPECT_FALSE(d.called);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(Session, BuildErrorsAreReturnedAndQueueNothing) {
  Session s;
  Outcome a;
  Result<uint32_t> r = s.request(
      [](Bytes& out, uint32_t seq) { return build_link_delete_group(out, seq, 0); }, record(a));
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(s.has_output());
  // A builder that appends two messages is refused: replies would not match.
  Result<uint32_t> two = s.request(
      [](Bytes& out, uint32_t seq) -> Result<void> {
        OVNK_TRY(build_link_set_up(out, seq, LinkRef::by_index(1), true));
        return build_link_set_up(out, seq, LinkRef::by_index(2), true);
      },
      record(a));
  ASSERT_FALSE(two.ok());
  EXPECT_FALSE(s.has_output());
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_FALSE(a.called);
}

TEST(Session, SendFailureAndFailAllCompleteEverything) {
  Session s;
  Outcome a, b, d1, d2;
  ASSERT_TRUE(s.request(link_up(1), record(a)).ok());
  s.peek_datagram();
  s.datagram_failed(make_error("netlink", EMSGSIZE, "too big"));
  ASSERT_TRUE(a.called);
  EXPECT_EQ(a.result.error().code, EMSGSIZE);
  EXPECT_FALSE(s.has_output());

  ASSERT_TRUE(s.request(link_up(2), record(b)).ok());
  ASSERT_TRUE(s.dump(build_link_dump, record(d1)).ok());
  ASSERT_TRUE(s.dump(build_link_dump, record(d2)).ok());
  s.fail_all(make_error("netlink", EIO, "socket broken"));
  EXPECT_TRUE(b.called && d1.called && d2.called);
  EXPECT_EQ(d2.result.error().code, EIO);
  EXPECT_EQ(s.pending(), 0u);
  EXPECT_FALSE(s.has_output());
}

TEST(Session, HandlersMaySubmitFromCallbacks) {
  Session s;
  Outcome second;
  Session::Handler h;
  h.on_done = [&](Result<void>) { ASSERT_TRUE(s.request(link_up(2), record(second)).ok()); };
  ASSERT_TRUE(s.request(link_up(1), std::move(h)).ok());
  s.peek_datagram();
  s.datagram_sent();
  Bytes reply;
  kernel_ack(reply, 1, 0);
  ASSERT_TRUE(s.on_datagram(reply).ok());
  ASSERT_TRUE(s.has_output());
  EXPECT_EQ(seqs_of(s.peek_datagram()), (std::vector<uint32_t>{2}));
}

TEST(Session, MalformedDatagramDispatchesWhatParsedAndReportsTheRest) {
  Session s;
  Outcome a, b;
  ASSERT_TRUE(s.request(link_up(1), record(a)).ok());
  ASSERT_TRUE(s.request(link_up(2), record(b)).ok());
  s.peek_datagram();
  s.datagram_sent();
  Bytes reply;
  kernel_ack(reply, 1, 0);
  kernel_ack(reply, 2, 0);
  reply.resize(reply.size() - 10);  // the second ACK is cut
  Result<void> r = s.on_datagram(reply);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EBADMSG);
  EXPECT_TRUE(a.called);
  EXPECT_FALSE(b.called);
  EXPECT_EQ(s.stats().malformed, 1u);
}

}  // namespace
}  // namespace ovnk::netlink
