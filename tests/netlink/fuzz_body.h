// One fuzz input through everything in ovnk_netlink that reads kernel bytes:
// the message and attribute readers, every parser, and a Session with
// requests, a get and a dump in flight whose sequence numbers the input may
// hit. Shared by the deterministic smoke test (fuzz_smoke_test.cc) and the
// fuzz entry point (tests/fuzz/netlink_fuzz.cc). Returns how many
// messages parsed without error, so that callers can check that inputs do
// reach the parsers (completions do not count: an overrun completes all).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "netlink/ack.h"
#include "netlink/address.h"
#include "netlink/ethtool.h"
#include "netlink/genl.h"
#include "netlink/link.h"
#include "netlink/route.h"
#include "netlink/session.h"

namespace ovnk::netlink::testing {

inline size_t fuzz_one(const uint8_t* data, size_t size) {
  // Kernel datagrams land in aligned buffers; fuzzers hand out any address.
  Bytes buf(size);
  if (size > 0) std::memcpy(buf.data(), data, size);
  size_t parsed = 0;
  MessageReader reader(buf);
  while (auto m = reader.next()) {
    parsed += parse_link(*m).ok();
    parsed += parse_address(*m).ok();
    parsed += parse_route(*m).ok();
    parsed += parse_error_message(*m).ok();
    parsed += parse_done_message(*m).ok();
    parsed += parse_genl_family(*m).ok();
    parsed += parse_ethtool_features(*m, m->type).ok();
    parsed += parse_ethtool_features_set_reply(*m, m->type).ok();
  }
  // Requests 1..3, a get (4) and a dump (5) in flight; the input is their reply.
  Session session;
  int completed = 0;
  auto done = [&completed](Result<void>) { ++completed; };
  for (int i = 1; i <= 3; ++i) {
    Session::Handler h;
    h.on_done = done;
    (void)session.request(
        [i](Bytes& out, uint32_t seq) { return build_link_set_up(out, seq, LinkRef::by_index(i), true); },
        std::move(h));
  }
  Session::Handler get;
  get.on_row = [&parsed](const Message& m) { parsed += parse_link(m).ok(); };
  get.on_done = done;
  (void)session.request(
      [](Bytes& out, uint32_t seq) { return build_link_get(out, seq, LinkRef::by_name("eth0")); },
      std::move(get));
  Session::Handler dump;
  dump.on_row = [&parsed](const Message& m) { parsed += parse_route(m).ok(); };
  dump.on_done = done;
  (void)session.dump(build_link_dump, std::move(dump));
  while (session.has_output()) {
    session.peek_datagram();
    session.datagram_sent();
  }
  (void)session.on_datagram(buf);
  session.on_overrun();
  session.on_drained();
  // A restarted dump is re-queued: feed the same bytes once more.
  while (session.has_output()) {
    session.peek_datagram();
    session.datagram_sent();
  }
  (void)session.on_datagram(buf);
  (void)completed;
  return parsed;
}

}  // namespace ovnk::netlink::testing

namespace ovnk::fuzz {
// tests/fuzz/netlink_fuzz.cc: fuzz_one() as a fuzz entry point (returns 0).
int netlink_one_input(const uint8_t* data, size_t size);
}  // namespace ovnk::fuzz
