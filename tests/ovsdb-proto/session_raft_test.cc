// Loop tests of the session against a 3-member raft cluster (OVN NB schema):
// leader-only connection, refusal of followers, following a new leader after
// the old one is killed, resumption through monitor_cond_since (found=true,
// only the missed rows), and TryAgain for a transaction in flight during the
// kill. libuv only: a cluster costs seconds to start and the loop backends are
// covered by session_test.cc.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <optional>
#include <string>

#include "ovsdb-proto/session.h"
#include "tests/ovsdb-proto/session_fixture.h"
#include "tests/reactor/backends.h"
#include "tests/support/ovsdb_server.h"

namespace ovnk::ovsdb {
namespace {

using testing_support::kNb;
using testing_support::kNbSchema;

class SessionRaftTest : public testing_support::SessionFixture<reactor::testing::LoopTest<reactor::testing::UvBackend>> {
 protected:
  std::unique_ptr<ovnk::testing::OvsdbCluster> start_cluster() {
    auto c = ovnk::testing::OvsdbCluster::start(kNbSchema, 3);
    if (!c.ok()) {
      ADD_FAILURE() << c.error().to_string();
      return nullptr;
    }
    return std::move(c).value();
  }
  static void fast_reconnect(SessionOptions& so) {
    so.reconnect.min_backoff = milliseconds(100);
    so.reconnect.max_backoff = milliseconds(500);
  }
  static bool has_switch(const Session& s, const std::string& name) {
    const ReplicaTable* t = s.replica() != nullptr ? s.replica()->table("Logical_Switch") : nullptr;
    if (t == nullptr) return false;
    for (const Row& row : *t) {
      if (*t->get(row, "name") == Datum::string(name)) return true;
    }
    return false;
  }
  // Inserts a switch as a real writer does: a try-again outcome (the leader
  // changed, e.g. a member stalled on a loaded machine) is retried once the
  // session is ready again, unless the replica shows the first try committed.
  ::testing::AssertionResult write_switch(Session& writer, const std::string& name) {
    std::string last = "no reply";
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (attempt > 0) {
        if (!wait_ready(writer)) return ::testing::AssertionFailure() << name << ": writer not ready again";
        if (has_switch(writer, name)) return ::testing::AssertionSuccess();
      }
      auto r = transact_and_wait(writer, insert_switch(name));
      if (r && r->ok()) return ::testing::AssertionSuccess();
      if (r) last = r->error.to_string();
      if (!r || r->status != TxnStatus::kTryAgain) return ::testing::AssertionFailure() << name << ": " << last;
    }
    return ::testing::AssertionFailure() << name << ": still try-again after 5 attempts: " << last;
  }
};

TEST_F(SessionRaftTest, LeaderOnlyConnectsToTheLeaderAndFollowsTheNextOne) {
  auto cluster = start_cluster();
  ASSERT_TRUE(cluster);
  auto leader = cluster->wait_for_leader();
  ASSERT_TRUE(leader.ok()) << leader.error().to_string();
  auto& s = make_session(cluster->unix_remotes(), fast_reconnect);
  ASSERT_TRUE(wait_ready(s));
  const std::string old_leader = cluster->member(*leader).unix_remote();
  EXPECT_EQ(s.current_remote(), old_leader);

  constexpr size_t kRows = 20;
  for (size_t i = 0; i < kRows; ++i) {
    auto r = transact_and_wait(s, insert_switch("ls" + std::to_string(i)));
    ASSERT_TRUE(r && r->ok()) << (r ? r->error.to_string() : "no reply");
  }
  ASSERT_TRUE(loop().run_until([&] { return switch_count(s) == kRows; }, seconds(10)));
  uint64_t rows_before = s.stats().monitor_rows;

  // Freeze the leader so that the next transaction is surely in flight, then kill it.
  Uuid u = *Uuid::parse("0badc0de-0000-4000-8000-000000000001");
  auto make_txn = [&] {
    TransactionBuilder txn(kNb);
    txn.insert("Logical_Switch", {{"name", Datum::string("inflight")}}, InsertOptions{"", u});
    return txn;
  };
  ASSERT_TRUE(cluster->member(*leader).kill(SIGSTOP).ok());
  std::optional<TransactResult> in_flight;
  s.transact(make_txn(), [&](TransactResult r) { in_flight = std::move(r); });
  loop().run_until([] { return false; }, milliseconds(100));
  EXPECT_FALSE(in_flight.has_value());
  ASSERT_TRUE(cluster->member(*leader).kill(SIGKILL).ok());
  ASSERT_TRUE(loop().run_until([&] { return in_flight.has_value(); }, seconds(10)));
  EXPECT_EQ(in_flight->status, TxnStatus::kTryAgain) << in_flight->error.to_string();
  ASSERT_TRUE(cluster->member(*leader).stop().ok());

  // The session finds the new leader by itself.
  ASSERT_TRUE(loop().run_until([&] { return ready_count == 2; }, seconds(60)));
  EXPECT_NE(s.current_remote(), old_leader);
  auto new_leader = cluster->leader();
  ASSERT_TRUE(new_leader.ok());
  EXPECT_EQ(s.current_remote(), cluster->member(*new_leader).unix_remote());
  // Resumed from the last transaction id: nothing was missed, nothing resent.
  EXPECT_TRUE(last_ready.resumed);
  EXPECT_EQ(last_ready.method, MonitorMethod::kMonitorCondSince);
  EXPECT_LT(last_ready.rows_received, kRows);
  EXPECT_EQ(s.stats().monitor_rows - rows_before, last_ready.rows_received);
  EXPECT_GE(s.stats().monitor_resumed, 1u);
  EXPECT_EQ(switch_count(s), kRows);

  // The retry (same explicit uuid) commits once.
  auto retry = transact_and_wait(s, make_txn());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status, TxnStatus::kOk) << retry->error.to_string();
  ASSERT_TRUE(loop().run_until([&] { return switch_count(s) == kRows + 1; }, seconds(10)));
}

TEST_F(SessionRaftTest, MissedChangesArriveWhenResuming) {
  auto cluster = start_cluster();
  ASSERT_TRUE(cluster);
  auto leader = cluster->wait_for_leader();
  ASSERT_TRUE(leader.ok());
  // A reader that accepts followers, pinned to one follower.
  size_t follower = (*leader + 1) % cluster->size();
  auto& reader = make_session(cluster->member(follower).unix_remote(), [](SessionOptions& so) {
    so.leader_only = false;
    fast_reconnect(so);
  });
  auto& writer = make_session(cluster->unix_remotes(), fast_reconnect);
  ASSERT_TRUE(wait_ready(reader));
  ASSERT_TRUE(wait_ready(writer));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(write_switch(writer, "a" + std::to_string(i)));
  ASSERT_TRUE(loop().run_until([&] { return switch_count(reader) == 10; }, seconds(10)));
  int ready_before = ready_count;
  // The reader drops its connection; 3 rows are written meanwhile.
  ASSERT_TRUE(cluster->member(follower).kill(SIGSTOP).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(write_switch(writer, "b" + std::to_string(i)));
  reader.force_reconnect();
  ASSERT_TRUE(cluster->member(follower).kill(SIGCONT).ok());
  ASSERT_TRUE(loop().run_until([&] { return ready_count > ready_before && reader.is_ready(); }, seconds(30)));
  ASSERT_TRUE(loop().run_until([&] { return switch_count(reader) == 13; }, seconds(10)));
  EXPECT_GE(reader.stats().monitor_resumed, 1u);
  // Only the three missed rows came in the resumed monitor reply (or in updates
  // right after it), never the whole table again.
  EXPECT_TRUE(reader.stats().last_monitor_found);
  EXPECT_LE(reader.stats().last_monitor_rows, 3u);
}

TEST_F(SessionRaftTest, FollowersAreRefusedInLeaderOnlyMode) {
  auto cluster = start_cluster();
  ASSERT_TRUE(cluster);
  auto leader = cluster->wait_for_leader();
  ASSERT_TRUE(leader.ok());
  size_t follower = (*leader + 1) % cluster->size();
  auto& strict = make_session(cluster->member(follower).unix_remote(), fast_reconnect);
  auto& lenient = make_session(cluster->member(follower).unix_remote(), [](SessionOptions& so) {
    so.leader_only = false;
    fast_reconnect(so);
  });
  ASSERT_TRUE(wait_ready(lenient));
  ASSERT_TRUE(loop().run_until([&] { return strict.stats().server_refusals >= 2; }, seconds(20)));
  EXPECT_FALSE(strict.is_ready());
  // A follower forwards writes: the lenient session can write.
  auto r = transact_and_wait(lenient, insert_switch("via-follower"));
  ASSERT_TRUE(r && r->ok()) << (r ? r->error.to_string() : "no reply");
}

}  // namespace
}  // namespace ovnk::ovsdb
