// TxnBatcher against a real ovsdb-server (OVN NB schema): items submitted
// together share transactions, and a batch broken by one item is split so
// that every item gets its own outcome.
#include <gtest/gtest.h>

#include <signal.h>

#include <map>

#include "agent/ovn_rows.h"
#include "agent/txn_batcher.h"
#include "tests/support/ovsdb_server.h"

namespace ovnk::agent {
namespace {

using ovsdb::Datum;
using ovsdb::Uuid;

constexpr const char* kNbSchema = "/usr/share/ovn/ovn-nb.ovsschema";

class BatcherLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::OvsdbServer::start(kNbSchema);
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(server).value();
    auto loop = reactor::Loop::create(reactor::Backend::kLibuv);
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(loop).value();
    ovsdb::SessionOptions so;
    so.remotes = server_->unix_remote();
    so.database = std::string(kNbDatabase);
    so.monitor = nb_monitor_requests();
    auto session = ovsdb::Session::create(*loop_, so);
    ASSERT_TRUE(session.ok()) << session.error().to_string();
    session_ = std::move(session).value();
    session_->start();
    ASSERT_TRUE(loop_->run_until([&] { return session_->is_ready(); }, std::chrono::seconds(10)));
    // The switch, and a port whose name is taken.
    switch_ = Uuid::generate(rng_);
    taken_ = Uuid::generate(rng_);
    ovsdb::TransactionBuilder t{std::string(kNbDatabase)};
    t.insert("Logical_Switch_Port", {{"name", Datum::string("taken")}}, {uuid_name(taken_), taken_});
    t.insert("Logical_Switch", {{"name", Datum::string("s1")}, {"ports", Datum::named_uuid(uuid_name(taken_))}},
             {"", switch_});
    bool done = false;
    session_->transact(std::move(t), [&](ovsdb::TransactResult r) {
      EXPECT_TRUE(r.ok()) << r.error.to_string();
      done = true;
    });
    ASSERT_TRUE(loop_->run_until([&] { return done; }, std::chrono::seconds(10)));
    batcher_ = std::make_unique<TxnBatcher>(*loop_, *session_, std::string(kNbDatabase), registry_,
                                            BatcherOptions{"nb", 64, 2, 6});
  }

  void TearDown() override {
    batcher_.reset();
    session_.reset();
    if (loop_) loop_->run_once(false);
  }

  TxnBatcher::Item lsp_item(const std::string& name, Uuid uuid, std::map<std::string, Result<size_t>>* out) {
    LspPlan plan;
    plan.uuid = uuid;
    plan.name = name;
    plan.mac = *netlink::MacAddr::parse("0a:58:0a:f4:01:05");
    plan.ip = *netlink::IpAddr::parse("10.244.1.5");
    plan.node = "n1";
    plan.sandbox = name;
    TxnBatcher::Item item;
    item.label = name;
    item.build = [this, plan](ovsdb::TransactionBuilder& txn) {
      add_lsp_insert(txn, switch_, plan);
      return true;
    };
    item.applied = [this, uuid] {
      return session_->replica()->table("Logical_Switch_Port")->find(uuid) != nullptr;
    };
    item.done = [out, name](Result<TxnBatcher::OpResults> r) {
      if (r.ok()) {
        out->emplace(name, r->size());
      } else {
        out->emplace(name, r.error());
      }
    };
    return item;
  }

  // A batcher with these options, after one item committed alone (the
  // transaction pacing is measured from).
  void paced_after_one_commit(BatcherOptions options, std::map<std::string, Result<size_t>>* out) {
    batcher_ = std::make_unique<TxnBatcher>(*loop_, *session_, std::string(kNbDatabase), registry_, options);
    batcher_->submit(lsp_item("first", Uuid::generate(rng_), out));
    ASSERT_TRUE(loop_->run_until([&] { return out->size() == 1; }, std::chrono::seconds(10)));
  }

  double batches() {
    std::string text = registry_.render();
    const std::string key = "ovnk_ovsdb_batch_items_count{db=\"nb\"} ";
    size_t at = text.find(key);
    return at == std::string::npos ? -1 : std::atof(text.c_str() + at + key.size());
  }

  std::mt19937_64 rng_{42};
  std::unique_ptr<testing::OvsdbServer> server_;
  std::unique_ptr<reactor::Loop> loop_;
  metrics::Registry registry_;
  std::unique_ptr<ovsdb::Session> session_;
  std::unique_ptr<TxnBatcher> batcher_;
  Uuid switch_;
  Uuid taken_;
};

TEST_F(BatcherLoopTest, ItemsSubmittedTogetherShareOneTransaction) {
  std::map<std::string, Result<size_t>> out;
  for (int i = 0; i < 40; ++i) batcher_->submit(lsp_item("p" + std::to_string(i), Uuid::generate(rng_), &out));
  ASSERT_TRUE(loop_->run_until([&] { return out.size() == 40; }, std::chrono::seconds(20)));
  for (auto& [name, r] : out) {
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().to_string();
    EXPECT_EQ(*r, 2u) << name;  // its insert and its mutate
  }
  EXPECT_EQ(batches(), 1.0);
  EXPECT_EQ(session_->replica()->table("Logical_Switch_Port")->size(), 41u);
}

TEST_F(BatcherLoopTest, OneBadItemFailsAloneAndTheOthersCommit) {
  std::map<std::string, Result<size_t>> out;
  for (int i = 0; i < 20; ++i) {
    // Item 7 takes a name that exists (a commit-time uniqueness violation, no
    // operation to blame); item 12 has an operation the server refuses.
    if (i == 7) {
      batcher_->submit(lsp_item("taken", Uuid::generate(rng_), &out));
    } else if (i == 12) {
      TxnBatcher::Item bad;
      bad.label = "p12";
      bad.build = [](ovsdb::TransactionBuilder& txn) {
        txn.insert("Logical_Switch_Port", {{"name", Datum::string("p12")}, {"type", Datum::integer(5)}});
        return true;
      };
      bad.done = [&out](Result<TxnBatcher::OpResults> r) {
        out.emplace("p12", r.ok() ? Result<size_t>(r->size()) : Result<size_t>(r.error()));
      };
      batcher_->submit(std::move(bad));
    } else {
      batcher_->submit(lsp_item("p" + std::to_string(i), Uuid::generate(rng_), &out));
    }
  }
  ASSERT_TRUE(loop_->run_until([&] { return out.size() == 20; }, std::chrono::seconds(20)));
  for (auto& [name, r] : out) {
    if (name == "taken" || name == "p12") {
      EXPECT_FALSE(r.ok()) << name;
    } else {
      EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
    }
  }
  EXPECT_NE(out.at("taken").error().message.find("constraint violation"), std::string::npos)
      << out.at("taken").error().to_string();
  const ovsdb::ReplicaTable* lsps = session_->replica()->table("Logical_Switch_Port");
  EXPECT_EQ(lsps->size(), 19u);  // "taken" + the 18 good ones
  EXPECT_EQ(lsps->find_by_string("name", "p12"), nullptr);
  // Bisection, not one transaction per item.
  EXPECT_LT(batches(), 16.0);
  EXPECT_GE(batches(), 3.0);
}

TEST_F(BatcherLoopTest, DuplicateUuidOfACommittedItemCountsAsCommitted) {
  // The retry of an insert that was committed (its reply lost) carries the
  // same explicit uuid: the server says "duplicate uuid", the replica says it
  // is there, and the item succeeds.
  std::map<std::string, Result<size_t>> out;
  batcher_->submit(lsp_item("again", taken_, &out));
  ASSERT_TRUE(loop_->run_until([&] { return out.size() == 1; }, std::chrono::seconds(10)));
  EXPECT_TRUE(out.at("again").ok());
}

TEST_F(BatcherLoopTest, ItemsInFlightWhenTheServerDiesAreRetriedWithoutDuplicates) {
  // The server is frozen, so the batch is sent and never answered; then it
  // dies and comes back: the items go again once the session is ready.
  ASSERT_TRUE(server_->kill(SIGSTOP).ok());
  std::map<std::string, Result<size_t>> out;
  for (int i = 0; i < 20; ++i) batcher_->submit(lsp_item("r" + std::to_string(i), Uuid::generate(rng_), &out));
  loop_->run_until([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(server_->kill(SIGKILL).ok());
  ASSERT_TRUE(server_->restart().ok());
  // The batcher is told when the session is ready again (the daemon does it
  // from the session's on_ready hook).
  ASSERT_TRUE(loop_->run_until(
      [&] {
        if (session_->is_ready()) batcher_->pump();
        return out.size() == 20;
      },
      std::chrono::seconds(30)));
  for (auto& [name, r] : out) EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().to_string());
  const ovsdb::ReplicaTable* lsps = session_->replica()->table("Logical_Switch_Port");
  EXPECT_EQ(lsps->size(), 21u);
  EXPECT_NE(registry_.render().find("ovnk_ovsdb_item_retries_total{db=\"nb\"} 20\n"), std::string::npos);
}

TEST_F(BatcherLoopTest, CancelledItemsAreNeitherSentNorAnswered) {
  std::map<std::string, Result<size_t>> out;
  uint64_t id = batcher_->submit(lsp_item("cancelled", Uuid::generate(rng_), &out));
  batcher_->submit(lsp_item("kept", Uuid::generate(rng_), &out));
  batcher_->cancel(id);
  ASSERT_TRUE(loop_->run_until([&] { return out.size() == 1; }, std::chrono::seconds(10)));
  loop_->run_until([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(out.count("cancelled"), 0u);
  EXPECT_EQ(session_->replica()->table("Logical_Switch_Port")->find_by_string("name", "cancelled"), nullptr);
  EXPECT_NE(session_->replica()->table("Logical_Switch_Port")->find_by_string("name", "kept"), nullptr);
}

// Pacing: after a batch left, items that trickle in (one per loop iteration
// here) wait out min_interval and share the next transaction; without pacing
// each would have left alone as soon as the previous reply came.
TEST_F(BatcherLoopTest, ATrickleOfItemsIsPacedIntoOneTransaction) {
  std::map<std::string, Result<size_t>> out;
  ASSERT_NO_FATAL_FAILURE(paced_after_one_commit(BatcherOptions{"nb", 64, 2, 6, std::chrono::milliseconds(800)}, &out));
  EXPECT_EQ(batches(), 1.0);  // a lone item after a quiet spell leaves at once
  // Three more, each one after the previous was answered or 20 ms passed.
  int submitted = 0;
  auto trickle = loop_->make_timer([&] {
    batcher_->submit(lsp_item("t" + std::to_string(submitted), Uuid::generate(rng_), &out));
    ++submitted;
  });
  trickle->start(std::chrono::milliseconds(1), std::chrono::milliseconds(20));
  ASSERT_TRUE(loop_->run_until([&] {
    if (submitted == 3) trickle->stop();
    return out.size() == 4;
  }, std::chrono::seconds(10)));
  for (auto& [name, r] : out) EXPECT_TRUE(r.ok()) << name;
  EXPECT_EQ(batches(), 2.0);
  EXPECT_EQ(session_->replica()->table("Logical_Switch_Port")->size(), 5u);
}

TEST_F(BatcherLoopTest, AFullBatchIsNotPaced) {
  // An interval no test waits out: only a full batch can leave before it.
  std::map<std::string, Result<size_t>> out;
  ASSERT_NO_FATAL_FAILURE(paced_after_one_commit(BatcherOptions{"nb", 4, 2, 6, std::chrono::hours(1)}, &out));
  // One item: paced.
  batcher_->submit(lsp_item("f0", Uuid::generate(rng_), &out));
  loop_->run_until([] { return false; }, std::chrono::milliseconds(50));
  EXPECT_EQ(out.size(), 1u);
  // Four more, later: the first four fill a batch and leave at once; the
  // fifth waits for the interval.
  for (int i = 1; i < 5; ++i) batcher_->submit(lsp_item("f" + std::to_string(i), Uuid::generate(rng_), &out));
  ASSERT_TRUE(loop_->run_until([&] { return out.size() == 5; }, std::chrono::seconds(10)));
  loop_->run_until([] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(out.count("f4"), 0u);
  EXPECT_EQ(batches(), 2.0);
  EXPECT_EQ(batcher_->queued(), 1u);
}

}  // namespace
}  // namespace ovnk::agent
