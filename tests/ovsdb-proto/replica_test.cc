// The replica: snapshots, updates in the three wire formats, indexes, callbacks,
// resync with found=false, and malformed updates leaving it untouched.
#include "ovsdb-proto/replica.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "tests/ovsdb-proto/replica_fixture.h"

namespace ovnk::ovsdb {
namespace {

using testing::all_tables;
using testing::nb_schema;
using testing::table_request;

constexpr std::string_view kSw0 = "00000000-0000-0000-0000-0000000000a0";
constexpr std::string_view kP1 = "00000000-0000-0000-0000-000000000001";
constexpr std::string_view kP2 = "00000000-0000-0000-0000-000000000002";
constexpr std::string_view kP3 = "00000000-0000-0000-0000-000000000003";
constexpr std::string_view kTxn1 = "11111111-0000-0000-0000-000000000000";
constexpr std::string_view kTxn2 = "22222222-0000-0000-0000-000000000000";

Uuid uuid(std::string_view text) { return Uuid::parse(text).value(); }

std::unique_ptr<Replica> make_replica() {
  auto r = Replica::create(nb_schema(), all_tables());
  EXPECT_TRUE(r.ok());
  return std::move(r).value();
}

// A canonical text of the whole replica: tables in layout order, rows by uuid,
// every column as JSON. Two replicas with the same contents dump the same.
std::string dump(const Replica& replica) {
  std::string out;
  for (size_t i = 0; i < replica.table_count(); ++i) {
    const ReplicaTable& t = replica.table(i);
    std::vector<const Row*> rows;
    for (const Row& row : t) rows.push_back(&row);
    std::sort(rows.begin(), rows.end(),
              [](const Row* a, const Row* b) { return a->uuid() < b->uuid(); });
    for (const Row* row : rows) {
      out += t.name() + " " + row->uuid().to_string() + " {";
      for (uint32_t slot = 0; slot < t.layout().column_count(); ++slot) {
        out += t.layout().column(slot).name + "=" + (*row)[slot].to_json() + " ";
      }
      out += "}\n";
    }
  }
  return out;
}

Result<void> feed_reply(Replica& r, MonitorMethod method, std::string_view json) {
  PaddedString text(json);
  return r.apply_monitor_reply(method, text.view());
}

Result<void> feed(Replica& r, std::string_view method, std::string_view params) {
  PaddedString text(params);
  return r.apply_notification(method, text.view());
}

// One event as a string, for comparing sequences.
struct Recorder {
  std::vector<std::string> events;
  ChangeCallback callback(std::string_view column) {
    return [this, col = std::string(column)](const RowChange& c) {
      std::string e(row_event_name(c.event));
      e += " " + c.table.name();
      if (c.old_row != nullptr) e += " old=" + c.table.get(*c.old_row, col)->to_json();
      if (c.new_row != nullptr) e += " new=" + c.table.get(*c.new_row, col)->to_json();
      events.push_back(e);
    };
  }
};

// ---- The same transcript in the three formats --------------------------------
//
// 1. initial: sw0 with port p1; p1 "p1"; p2 "p2" (not yet on the switch).
// 2. p2 joins sw0 (ports +p2), p1 gets an address and external_ids, p2 tag 7.
// 3. p3 inserted and on sw0; p2 renamed "p2-new", external_ids pod=true changed
//    to pod=false, tag cleared.
// 4. p1 deleted and removed from sw0.

constexpr std::string_view kInitial2 = R"({
  "Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"initial":{"name":"sw0",
      "ports":["uuid","00000000-0000-0000-0000-000000000001"]}}},
  "Logical_Switch_Port":{
    "00000000-0000-0000-0000-000000000001":{"initial":{"name":"p1"}},
    "00000000-0000-0000-0000-000000000002":{"initial":{"name":"p2",
        "external_ids":["map",[["pod","true"]]]}}}})";

constexpr std::string_view kSteps2[] = {
    R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"modify":{
          "ports":["uuid","00000000-0000-0000-0000-000000000002"]}}},
        "Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"modify":{"addresses":"0a:58:0a:f4:01:05 10.244.1.5",
              "external_ids":["map",[["namespace","default"]]]}},
          "00000000-0000-0000-0000-000000000002":{"modify":{"tag":7}}}})",
    R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"modify":{
          "ports":["uuid","00000000-0000-0000-0000-000000000003"]}}},
        "Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000003":{"insert":{"name":"p3","up":false}},
          "00000000-0000-0000-0000-000000000002":{"modify":{"name":"p2-new",
              "external_ids":["map",[["pod","false"]]],"tag":["set",[]]}}}})",
    R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"modify":{
          "ports":["uuid","00000000-0000-0000-0000-000000000001"]}}},
        "Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"delete":null}}})",
};

constexpr std::string_view kInitial1 = R"({
  "Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"new":{"name":"sw0",
      "ports":["uuid","00000000-0000-0000-0000-000000000001"],"other_config":["map",[]],
      "external_ids":["map",[]]}}},
  "Logical_Switch_Port":{
    "00000000-0000-0000-0000-000000000001":{"new":{"name":"p1","type":"","addresses":["set",[]],
        "port_security":["set",[]],"options":["map",[]],"external_ids":["map",[]],
        "tag":["set",[]],"up":["set",[]],"enabled":["set",[]],"dynamic_addresses":["set",[]]}},
    "00000000-0000-0000-0000-000000000002":{"new":{"name":"p2","external_ids":["map",[["pod","true"]]]}}}})";

// v1: "old" holds the previous values of the changed columns, "new" the whole row.
constexpr std::string_view kSteps1[] = {
    R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{
          "old":{"ports":["uuid","00000000-0000-0000-0000-000000000001"]},
          "new":{"name":"sw0","ports":["set",[["uuid","00000000-0000-0000-0000-000000000001"],
                                              ["uuid","00000000-0000-0000-0000-000000000002"]]]}}},
        "Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"old":{"addresses":["set",[]]},
              "new":{"name":"p1","addresses":"0a:58:0a:f4:01:05 10.244.1.5",
                     "external_ids":["map",[["namespace","default"]]]}},
          "00000000-0000-0000-0000-000000000002":{"old":{"tag":["set",[]]},
              "new":{"name":"p2","external_ids":["map",[["pod","true"]]],"tag":7}}}})",
    R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"old":{},
          "new":{"ports":["set",[["uuid","00000000-0000-0000-0000-000000000001"],
                                 ["uuid","00000000-0000-0000-0000-000000000002"],
                                 ["uuid","00000000-0000-0000-0000-000000000003"]]]}}},
        "Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000003":{"new":{"name":"p3","up":false}},
          "00000000-0000-0000-0000-000000000002":{"old":{"name":"p2"},
              "new":{"name":"p2-new","external_ids":["map",[["pod","false"]]],"tag":["set",[]]}}}})",
    R"({"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"old":{},
          "new":{"ports":["set",[["uuid","00000000-0000-0000-0000-000000000002"],
                                 ["uuid","00000000-0000-0000-0000-000000000003"]]]}}},
        "Logical_Switch_Port":{
          "00000000-0000-0000-0000-000000000001":{"old":{"name":"p1"}}}})",
};

TEST(ReplicaTranscript, UpdateUpdate2AndUpdate3GiveTheSameReplica) {
  auto v1 = make_replica();
  auto v2 = make_replica();
  auto v3 = make_replica();
  ASSERT_TRUE(feed_reply(*v1, MonitorMethod::kMonitor, kInitial1).ok());
  ASSERT_TRUE(feed_reply(*v2, MonitorMethod::kMonitorCond, kInitial2).ok());
  ASSERT_TRUE(feed_reply(*v3, MonitorMethod::kMonitorCondSince,
                         "[false,\"" + std::string(kTxn1) + "\"," + std::string(kInitial2) + "]")
                  .ok());
  EXPECT_EQ(dump(*v1), dump(*v2));
  EXPECT_EQ(dump(*v2), dump(*v3));
  EXPECT_EQ(v3->last_txn_id(), uuid(kTxn1));
  EXPECT_FALSE(v2->last_txn_id().has_value());

  for (size_t i = 0; i < 3; ++i) {
    auto r1 = feed(*v1, "update", "[\"nb\"," + std::string(kSteps1[i]) + "]");
    ASSERT_TRUE(r1.ok()) << i << ": " << r1.error().to_string();
    auto r2 = feed(*v2, "update2", "[\"nb\"," + std::string(kSteps2[i]) + "]");
    ASSERT_TRUE(r2.ok()) << i << ": " << r2.error().to_string();
    std::string txn = "3333333" + std::to_string(i) + "-0000-0000-0000-000000000000";
    auto r3 = feed(*v3, "update3", "[\"nb\",\"" + txn + "\"," + std::string(kSteps2[i]) + "]");
    ASSERT_TRUE(r3.ok()) << i << ": " << r3.error().to_string();
    EXPECT_EQ(dump(*v1), dump(*v2)) << "after step " << i;
    EXPECT_EQ(dump(*v2), dump(*v3)) << "after step " << i;
    EXPECT_EQ(v3->last_txn_id(), uuid(txn));
  }

  // And the end state is what the transcript says.
  const ReplicaTable& lsp = *v2->table("Logical_Switch_Port");
  EXPECT_EQ(lsp.size(), 2u);
  EXPECT_EQ(lsp.find(uuid(kP1)), nullptr);
  const Row* p2 = lsp.find(uuid(kP2));
  ASSERT_NE(p2, nullptr);
  EXPECT_EQ(*lsp.get(*p2, "name"), Datum::string("p2-new"));
  EXPECT_EQ(*lsp.get(*p2, "external_ids"), Datum::string_map({{"pod", "false"}}));
  EXPECT_TRUE(lsp.get(*p2, "tag")->empty());
  const ReplicaTable& ls = *v2->table("Logical_Switch");
  const Row* sw0 = ls.find(uuid(kSw0));
  ASSERT_NE(sw0, nullptr);
  EXPECT_EQ(*ls.get(*sw0, "ports"), Datum::uuid_set({uuid(kP2), uuid(kP3)}));
  EXPECT_EQ(v2->stats().rows_deleted, 1u);
}

// ---- Snapshot, defaults, look-ups ----------------------------------------------

TEST(ReplicaTest, SnapshotFillsDefaultsAndIndexes) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, kInitial2).ok());
  const ReplicaTable* lsp = r->table("Logical_Switch_Port");
  ASSERT_NE(lsp, nullptr);
  EXPECT_EQ(r->table("Nope"), nullptr);
  ASSERT_EQ(lsp->size(), 2u);
  const Row* p1 = lsp->find(uuid(kP1));
  ASSERT_NE(p1, nullptr);
  EXPECT_EQ(p1->uuid(), uuid(kP1));
  EXPECT_EQ(*lsp->get(*p1, "type"), Datum::string(""));  // omitted: default
  EXPECT_EQ(*lsp->get(*p1, "options"), Datum::empty_map());
  EXPECT_TRUE(lsp->get(*p1, "addresses")->empty());
  EXPECT_EQ(lsp->get(*p1, "no_such_column"), nullptr);
  EXPECT_EQ(lsp->find_by_string("name", "p1"), p1);
  EXPECT_EQ(lsp->find_by("name", Datum::string("p2")), lsp->find(uuid(kP2)));
  EXPECT_EQ(lsp->find_by_string("name", "p9"), nullptr);
  EXPECT_EQ(lsp->find_by_string("type", ""), nullptr);  // no index on type
  EXPECT_EQ(lsp->find_by_index({"name"}, {Datum::string("p1")}), p1);
  EXPECT_EQ(lsp->find_by_index({"name", "type"}, {Datum::string("p1")}), nullptr);
  size_t n = 0;
  for (const Row& row : *lsp) n += row.columns().size() == lsp->layout().column_count() ? 1u : 0u;
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(r->stats().snapshots, 1u);
}

TEST(ReplicaTest, CompositeIndex) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, R"({"Pair":{
      "00000000-0000-0000-0000-000000000001":{"initial":{"a":"x","b":1}},
      "00000000-0000-0000-0000-000000000002":{"initial":{"a":"x","b":2}}}})")
                  .ok());
  const ReplicaTable& pair = *r->table("Pair");
  const Row* row = pair.find_by_index({"a", "b"}, {Datum::string("x"), Datum::integer(2)});
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(row->uuid(), uuid(kP2));
  EXPECT_EQ(pair.find_by_index({"a", "b"}, {Datum::string("x"), Datum::integer(3)}), nullptr);
  EXPECT_EQ(pair.find_by("a", Datum::string("x")), nullptr);  // not a one-column index
}

TEST(ReplicaTest, IndexFollowsRenamesIncludingASwapInOneUpdate) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, kInitial2).ok());
  const ReplicaTable& lsp = *r->table("Logical_Switch_Port");
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"modify":{"name":"p1-renamed"}}}}])")
                  .ok());
  EXPECT_EQ(lsp.find_by_string("name", "p1"), nullptr);
  EXPECT_EQ(lsp.find_by_string("name", "p1-renamed"), lsp.find(uuid(kP1)));

  // p1-renamed <-> p2 in one transaction.
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"modify":{"name":"p2"}},
      "00000000-0000-0000-0000-000000000002":{"modify":{"name":"p1-renamed"}}}}])")
                  .ok());
  EXPECT_EQ(lsp.find_by_string("name", "p2"), lsp.find(uuid(kP1)));
  EXPECT_EQ(lsp.find_by_string("name", "p1-renamed"), lsp.find(uuid(kP2)));

  // A delete and an insert reusing the name in one transaction.
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"delete":null},
      "00000000-0000-0000-0000-000000000003":{"insert":{"name":"p2"}}}}])")
                  .ok());
  EXPECT_EQ(lsp.find_by_string("name", "p2"), lsp.find(uuid(kP3)));
  EXPECT_EQ(lsp.find(uuid(kP1)), nullptr);
  EXPECT_EQ(lsp.size(), 2u);
}

TEST(ReplicaTest, CountByIndexSeesAPeerThatBrokeUniqueness) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, kInitial2).ok());
  const ReplicaTable& lsp = *r->table("Logical_Switch_Port");
  EXPECT_EQ(lsp.count_by("name", Datum::string("p1")), 1u);
  EXPECT_EQ(lsp.count_by("name", Datum::string("p9")), 0u);
  EXPECT_EQ(lsp.count_by("type", Datum::string("")), 0u);  // no index on type
  // A server must refuse this (name is a unique index); a replica keeps both.
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000003":{"insert":{"name":"p1"}}}}])")
                  .ok());
  EXPECT_EQ(lsp.count_by("name", Datum::string("p1")), 2u);
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"delete":null}}}])")
                  .ok());
  EXPECT_EQ(lsp.count_by("name", Datum::string("p1")), 1u);
  EXPECT_EQ(lsp.find_by_string("name", "p1"), lsp.find(uuid(kP3)));
}

// ---- Callbacks -----------------------------------------------------------------

TEST(ReplicaCallbacks, InsertModifyDeleteWithOldAndNew) {
  auto r = make_replica();
  Recorder rec;
  auto watch = r->watch("Logical_Switch_Port", rec.callback("name"));
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, kInitial2).ok());
  ASSERT_TRUE(feed(*r, "update2", "[\"nb\"," + std::string(kSteps2[1]) + "]").ok());
  ASSERT_TRUE(feed(*r, "update2", "[\"nb\"," + std::string(kSteps2[2]) + "]").ok());
  EXPECT_EQ(rec.events, (std::vector<std::string>{
                            "insert Logical_Switch_Port new=\"p1\"",
                            "insert Logical_Switch_Port new=\"p2\"",
                            "insert Logical_Switch_Port new=\"p3\"",
                            "modify Logical_Switch_Port old=\"p2\" new=\"p2-new\"",
                            "delete Logical_Switch_Port old=\"p1\"",
                        }));
  EXPECT_FALSE(r->watch("Nope", [](const RowChange&) {}).ok());
}

TEST(ReplicaCallbacks, NoOpModifyIsNotReported) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, kInitial2).ok());
  Recorder rec;
  auto watch = r->watch("Logical_Switch_Port", rec.callback("name"));
  // Same scalar value; and a map diff adding then (next update) removing a key.
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"modify":{"name":"p1"}}}}])")
                  .ok());
  EXPECT_TRUE(rec.events.empty());
  ASSERT_TRUE(feed(*r, "update", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"old":{},"new":{"name":"p1"}}}}])")
                  .ok());
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(r->stats().rows_modified, 0u);
}

TEST(ReplicaCallbacks, CallbacksSeeTheWholeUpdateApplied) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, "{}").ok());
  bool checked = false;
  auto watch = r->watch("Logical_Switch_Port", [&](const RowChange& c) {
    // The switch inserted in the same update (listed after the port) is there.
    const ReplicaTable* ls = r->table("Logical_Switch");
    const Row* sw = ls->find(uuid(kSw0));
    ASSERT_NE(sw, nullptr);
    EXPECT_TRUE(ls->get(*sw, "ports")->contains(Atom::uuid(c.new_row->uuid())));
    checked = true;
  });
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{
      "Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":{"insert":{"name":"p1"}}},
      "Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"insert":{"name":"sw0",
          "ports":["uuid","00000000-0000-0000-0000-000000000001"]}}}}])")
                  .ok());
  EXPECT_TRUE(checked);
}

TEST(ReplicaCallbacks, WatchDestroyedOrAddedInsideACallback) {
  auto r = make_replica();
  std::unique_ptr<ReplicaWatch> late;
  int first_calls = 0;
  int late_calls = 0;
  std::unique_ptr<ReplicaWatch> first;
  first = r->watch("Logical_Switch_Port", [&](const RowChange&) {
             ++first_calls;
             if (!late) {
               late =
                   r->watch("Logical_Switch_Port", [&](const RowChange&) { ++late_calls; }).value();
             }
             first.reset();  // destroys this very watch while it runs
           }).value();
  // The callback must not feed the replica.
  auto feeder = r->watch("Logical_Switch", [&](const RowChange&) {
                   auto again = feed(*r, "update2", R"(["nb",{}])");
                   EXPECT_FALSE(again.ok());
                 }).value();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, kInitial2).ok());
  EXPECT_EQ(first_calls, 1);  // unregistered after its first event
  EXPECT_EQ(late_calls, 0);   // registered during the update: starts with the next
  ASSERT_TRUE(feed(*r, "update2", "[\"nb\"," + std::string(kSteps2[1]) + "]").ok());
  EXPECT_EQ(first_calls, 1);
  EXPECT_EQ(late_calls, 2);  // p3 inserted, p2 modified
}

// ---- Resync ------------------------------------------------------------------------

TEST(ReplicaResync, FoundFalseReportsTheDifferenceNotAWipe) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCondSince,
                         "[false,\"" + std::string(kTxn1) + "\"," + std::string(kInitial2) + "]")
                  .ok());
  Recorder ports;
  Recorder switches;
  auto w1 = r->watch("Logical_Switch_Port", ports.callback("name")).value();
  auto w2 = r->watch("Logical_Switch", switches.callback("name")).value();
  // Reconnected to another server that lost our txn: a full snapshot where p2 is
  // gone, p1 changed, p3 is new and sw0 is unchanged.
  ASSERT_TRUE(
      feed_reply(*r, MonitorMethod::kMonitorCondSince, "[false,\"" + std::string(kTxn2) + R"(",{
      "Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"initial":{"name":"sw0",
          "ports":["uuid","00000000-0000-0000-0000-000000000001"]}}},
      "Logical_Switch_Port":{
        "00000000-0000-0000-0000-000000000001":{"initial":{"name":"p1","up":true}},
        "00000000-0000-0000-0000-000000000003":{"initial":{"name":"p3"}}}}])")
          .ok());
  EXPECT_EQ(ports.events, (std::vector<std::string>{
                              "modify Logical_Switch_Port old=\"p1\" new=\"p1\"",
                              "insert Logical_Switch_Port new=\"p3\"",
                              "delete Logical_Switch_Port old=\"p2\"",
                          }));
  EXPECT_TRUE(switches.events.empty());
  EXPECT_EQ(r->last_txn_id(), uuid(kTxn2));
  const ReplicaTable& lsp = *r->table("Logical_Switch_Port");
  EXPECT_EQ(lsp.find_by_string("name", "p2"), nullptr);
  EXPECT_EQ(*lsp.get(*lsp.find(uuid(kP1)), "up"), Datum::boolean(true));

  // A snapshot without a table empties it.
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCond, R"({"Logical_Switch_Port":{}})").ok());
  EXPECT_TRUE(r->table("Logical_Switch")->empty());
  EXPECT_TRUE(lsp.empty());
  EXPECT_FALSE(r->last_txn_id().has_value());  // monitor_cond has no txn ids
}

TEST(ReplicaResync, FoundTrueAppliesTheDelta) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCondSince,
                         "[false,\"" + std::string(kTxn1) + "\"," + std::string(kInitial2) + "]")
                  .ok());
  EXPECT_NE(r->monitor_params(MonitorMethod::kMonitorCondSince, "\"nb\"").find(kTxn1),
            std::string::npos);
  ASSERT_TRUE(
      feed_reply(*r, MonitorMethod::kMonitorCondSince, "[true,\"" + std::string(kTxn2) + R"(",{
      "Logical_Switch_Port":{"00000000-0000-0000-0000-000000000002":{"delete":null}}}])")
          .ok());
  EXPECT_EQ(r->table("Logical_Switch_Port")->size(), 1u);
  EXPECT_EQ(r->table("Logical_Switch")->size(), 1u);  // untouched: a delta, not a snapshot
  EXPECT_EQ(r->last_txn_id(), uuid(kTxn2));
}

TEST(ReplicaResync, ClearReportsDeletes) {
  auto r = make_replica();
  ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCondSince,
                         "[false,\"" + std::string(kTxn1) + "\"," + std::string(kInitial2) + "]")
                  .ok());
  Recorder rec;
  auto w = r->watch("Logical_Switch_Port", rec.callback("name")).value();
  r->clear();
  EXPECT_EQ(rec.events.size(), 2u);
  EXPECT_TRUE(r->table("Logical_Switch_Port")->empty());
  EXPECT_FALSE(r->last_txn_id().has_value());
}

TEST(ReplicaResync, SetWhereChangesTheNextRequest) {
  auto r = make_replica();
  ASSERT_TRUE(
      r->set_where("Logical_Switch_Port", std::vector<Condition>{Condition::of(
                                              "name", Function::kEqual, Datum::string("p1"))})
          .ok());
  EXPECT_NE(r->monitor_params(MonitorMethod::kMonitorCond, "\"nb\"")
                .find(R"("where":[["name","==","p1"]])"),
            std::string::npos);
  EXPECT_FALSE(r->set_where("Nope", std::nullopt).ok());
  EXPECT_FALSE(
      r->set_where("Logical_Switch_Port", std::vector<Condition>{Condition::of(
                                              "nope", Function::kEqual, Datum::integer(1))})
          .ok());
}

// ---- Malformed updates: all or nothing ----------------------------------------------
//
// Documented behaviour: the update is rejected as a whole, the replica keeps its
// previous contents, no callback runs, and the txn id is dropped (so that the next
// monitor_cond_since asks for a full snapshot).

class ReplicaRejects : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(feed_reply(*r, MonitorMethod::kMonitorCondSince,
                           "[false,\"" + std::string(kTxn1) + "\"," + std::string(kInitial2) + "]")
                    .ok());
    before = dump(*r);
    watch = r->watch("Logical_Switch_Port", rec.callback("name")).value();
  }
  // Feeds an update2 whose first row is valid and whose last is `bad`.
  void expect_rejected(std::string_view bad_rows, int code, std::string_view message_part) {
    std::string params = R"(["nb",{"Logical_Switch_Port":{
        "00000000-0000-0000-0000-000000000001":{"modify":{"name":"changed"}},
        "00000000-0000-0000-0000-000000000009":{"insert":{"name":"new"}},)" +
                         std::string(bad_rows) + "}}]";
    auto result = feed(*r, "update2", params);
    ASSERT_FALSE(result.ok()) << bad_rows;
    EXPECT_EQ(result.error().code, code) << result.error().to_string();
    EXPECT_NE(result.error().message.find(message_part), std::string::npos)
        << result.error().to_string();
    EXPECT_EQ(dump(*r), before);
    EXPECT_TRUE(rec.events.empty());
    EXPECT_FALSE(r->last_txn_id().has_value());
    EXPECT_EQ(r->table("Logical_Switch_Port")->find_by_string("name", "changed"), nullptr);
  }

  std::unique_ptr<Replica> r = make_replica();
  std::string before;
  Recorder rec;
  std::unique_ptr<ReplicaWatch> watch;
};

TEST_F(ReplicaRejects, ModifyOfAMissingRow) {
  expect_rejected(R"("00000000-0000-0000-0000-00000000dead":{"modify":{"name":"x"}})",
                  errc::kInconsistent, "modify of a missing row");
}

TEST_F(ReplicaRejects, DeleteOfAMissingRow) {
  expect_rejected(R"("00000000-0000-0000-0000-00000000dead":{"delete":null})", errc::kInconsistent,
                  "delete of a missing row");
}

TEST_F(ReplicaRejects, InsertOfAnExistingRow) {
  expect_rejected(R"("00000000-0000-0000-0000-000000000002":{"insert":{"name":"again"}})",
                  errc::kInconsistent, "insert of a row that exists");
}

TEST_F(ReplicaRejects, BadUuid) {
  expect_rejected(R"("00000000-0000-0000-0000-00000000zzzz":{"delete":null})", errc::kSyntax,
                  "invalid row uuid");
}

TEST_F(ReplicaRejects, WrongType) {
  expect_rejected(R"("00000000-0000-0000-0000-000000000002":{"modify":{"up":"yes"}})", errc::kType,
                  "column up");
}

TEST_F(ReplicaRejects, DiffBreaksTheBounds) {
  // name is a scalar: a diff emptying it is not a value it can hold.
  expect_rejected(R"("00000000-0000-0000-0000-000000000002":{"modify":{"name":["set",[]]}})",
                  errc::kConstraint, "column name");
}

TEST_F(ReplicaRejects, SameRowTwice) {
  expect_rejected(R"("00000000-0000-0000-0000-000000000001":{"delete":null})", errc::kSyntax,
                  "twice");
}

TEST_F(ReplicaRejects, UnknownTable) {
  auto result = feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"modify":{"name":"changed"}}},"Nope":{}}])");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, errc::kUnknownName);
  EXPECT_EQ(dump(*r), before);
  EXPECT_TRUE(rec.events.empty());
  EXPECT_EQ(r->stats().updates_rejected, 1u);
}

TEST_F(ReplicaRejects, SnapshotWithModifyRows) {
  auto result = feed_reply(*r, MonitorMethod::kMonitorCond, R"({"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"modify":{"name":"x"}}}})");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("snapshot"), std::string::npos);
  EXPECT_EQ(dump(*r), before);
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(ReplicaRejects, TheReplicaStillWorksAfterARejection) {
  expect_rejected(R"("00000000-0000-0000-0000-00000000dead":{"delete":null})", errc::kInconsistent,
                  "missing");
  ASSERT_TRUE(feed(*r, "update2", R"(["nb",{"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"modify":{"name":"changed"}}}}])")
                  .ok());
  EXPECT_EQ(rec.events.size(), 1u);
  EXPECT_NE(r->table("Logical_Switch_Port")->find_by_string("name", "changed"), nullptr);
  EXPECT_EQ(r->stats().updates_rejected, 1u);
}

}  // namespace
}  // namespace ovnk::ovsdb
