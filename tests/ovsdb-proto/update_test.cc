// Monitor request params (golden strings), update2 diff rules, and the decoding of
// monitor replies and update/update2/update3 notifications.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "ovsdb-proto/monitor.h"
#include "tests/ovsdb-proto/replica_fixture.h"

namespace ovnk::ovsdb {
namespace {

using testing::nb_layout;
using testing::nb_schema;
using testing::table_request;

constexpr std::string_view kLsp1 = "00000000-0000-0000-0000-000000000001";
constexpr std::string_view kSw0 = "00000000-0000-0000-0000-0000000000a0";

Uuid uuid(std::string_view text) { return Uuid::parse(text).value(); }

ColumnType column_type(std::string_view json) { return parse_column_type(json).value(); }

Datum datum(std::string_view json, const ColumnType& type) {
  auto d = Datum::from_json(json, &type);
  EXPECT_TRUE(d.ok()) << json << ": " << (d.ok() ? "" : d.error().to_string());
  return d.ok() ? std::move(d).value() : Datum();
}

// ---- Request params --------------------------------------------------------

TEST(MonitorParams, PlainMonitorDropsConditions) {
  MonitorRequest r = table_request("Logical_Switch", {"name"});
  r.where = std::vector<Condition>{Condition::always(false)};
  EXPECT_EQ(monitor_params(MonitorMethod::kMonitor, "OVN_Northbound", "\"nb\"", {r}),
            R"(["OVN_Northbound","nb",{"Logical_Switch":[{"columns":["name"],)"
            R"("select":{"initial":true,"insert":true,"delete":true,"modify":true}}]}])");
}

TEST(MonitorParams, MonitorCondWithConditionsAndSelect) {
  MonitorRequest r = table_request("Logical_Switch", {"name", "ports"});
  r.where = std::vector<Condition>{Condition::of("name", Function::kEqual, Datum::string("sw0")),
                                   Condition::always(false)};
  r.select.remove = false;
  MonitorRequest lsp = table_request("Logical_Switch_Port", {"name"});
  lsp.where = std::vector<Condition>{
      Condition::of("external_ids", Function::kIncludes, Datum::string_map({{"pod", "true"}}))};
  EXPECT_EQ(
      monitor_params(MonitorMethod::kMonitorCond, "OVN_Northbound", "[\"monid\",\"nb\"]", {r, lsp}),
      R"(["OVN_Northbound",["monid","nb"],{)"
      R"("Logical_Switch":[{"columns":["name","ports"],"where":[["name","==","sw0"],false],)"
      R"("select":{"initial":true,"insert":true,"delete":false,"modify":true}}],)"
      R"("Logical_Switch_Port":[{"columns":["name"],)"
      R"("where":[["external_ids","includes",["map",[["pod","true"]]]]],)"
      R"("select":{"initial":true,"insert":true,"delete":true,"modify":true}}]}])");
}

TEST(MonitorParams, MonitorCondSinceWithAndWithoutTxnId) {
  MonitorRequest r = table_request("Logical_Switch", {"name"});
  const std::string prefix =
      R"(["OVN_Northbound","nb",{"Logical_Switch":[{"columns":["name"],)"
      R"("select":{"initial":true,"insert":true,"delete":true,"modify":true}}]},)";
  EXPECT_EQ(monitor_params(MonitorMethod::kMonitorCondSince, "OVN_Northbound", "\"nb\"", {r}),
            prefix + R"("00000000-0000-0000-0000-000000000000"])");
  EXPECT_EQ(monitor_params(MonitorMethod::kMonitorCondSince, "OVN_Northbound", "\"nb\"", {r},
                           uuid("8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11")),
            prefix + R"("8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11"])");
}

TEST(MonitorParams, MonitorCondChange) {
  std::vector<ConditionChange> changes{
      {"Logical_Switch_Port",
       {Condition::of("name", Function::kEqual, Datum::string("p1")),
        Condition::of("name", Function::kEqual, Datum::string("p2"))}},
      {"Logical_Switch", {}}};
  EXPECT_EQ(
      monitor_cond_change_params("\"nb\"", "\"nb2\"", changes),
      R"(["nb","nb2",{"Logical_Switch_Port":[{"where":[["name","==","p1"],["name","==","p2"]]}],)"
      R"("Logical_Switch":[{"where":[]}]}])");
}

TEST(MonitorParams, LayoutMakesColumnsExplicit) {
  auto layout = MonitorLayout::create(nb_schema(), {table_request("Logical_Router_Port")});
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(
      layout->monitor_params(MonitorMethod::kMonitorCond, "\"nb\""),
      R"(["OVN_Northbound","nb",{"Logical_Router_Port":[{"columns":["mac","name","networks"],)"
      R"("select":{"initial":true,"insert":true,"delete":true,"modify":true}}]}])");
  EXPECT_EQ(monitor_method_name(MonitorMethod::kMonitorCondSince), "monitor_cond_since");
  EXPECT_EQ(update_method_name(MonitorMethod::kMonitor), "update");
  EXPECT_EQ(update_method_name(MonitorMethod::kMonitorCond), "update2");
  EXPECT_EQ(update_method_name(MonitorMethod::kMonitorCondSince), "update3");
}

TEST(MonitorLayoutTest, RejectsWhatTheSchemaDoesNotHave) {
  auto unknown_table = MonitorLayout::create(nb_schema(), {table_request("Nope")});
  ASSERT_FALSE(unknown_table.ok());
  EXPECT_EQ(unknown_table.error().code, errc::kUnknownName);
  EXPECT_NE(unknown_table.error().message.find("Nope"), std::string::npos);

  auto unknown_column =
      MonitorLayout::create(nb_schema(), {table_request("Logical_Switch", {"nme"})});
  ASSERT_FALSE(unknown_column.ok());
  EXPECT_NE(unknown_column.error().message.find("nme"), std::string::npos);

  EXPECT_FALSE(
      MonitorLayout::create(nb_schema(), {table_request("Logical_Switch", {"_uuid"})}).ok());
  EXPECT_FALSE(
      MonitorLayout::create(nb_schema(), {table_request("Logical_Switch", {"name", "name"})}).ok());
  EXPECT_FALSE(MonitorLayout::create(
                   nb_schema(), {table_request("Logical_Switch"), table_request("Logical_Switch")})
                   .ok());
  MonitorRequest bad_where = table_request("Logical_Switch");
  bad_where.where =
      std::vector<Condition>{Condition::of("nope", Function::kEqual, Datum::integer(1))};
  EXPECT_FALSE(MonitorLayout::create(nb_schema(), {bad_where}).ok());
}

TEST(MonitorLayoutTest, SlotsDefaultsAndIndexes) {
  MonitorLayout layout = nb_layout();
  const MonitoredTable* lsp = layout.find_table("Logical_Switch_Port");
  ASSERT_NE(lsp, nullptr);
  EXPECT_EQ(lsp->column_count(), 10u);  // every column but _uuid and _version
  auto name = lsp->slot("name");
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(lsp->column(*name).name, "name");
  EXPECT_EQ(lsp->default_value(*name), Datum::string(""));
  EXPECT_EQ(lsp->default_value(*lsp->slot("options")), Datum::empty_map());
  EXPECT_TRUE(lsp->default_value(*lsp->slot("tag")).empty());
  EXPECT_FALSE(lsp->slot("_uuid").has_value());
  ASSERT_EQ(lsp->indexes().size(), 1u);
  EXPECT_EQ(lsp->indexes()[0], std::vector<uint32_t>{*name});

  // An index whose columns are not all monitored is not kept.
  auto partial = MonitorLayout::create(nb_schema(), {table_request("Pair", {"a", "weight"})});
  ASSERT_TRUE(partial.ok());
  EXPECT_TRUE(partial->table(0).indexes().empty());
}

// ---- update2 diffs (ovsdb-server(7) 4.1.14, ovsdb_datum_apply_diff) ---------

TEST(DatumDiff, SetElementsAreToggled) {
  ColumnType t = column_type(R"({"key": "string", "min": 0, "max": "unlimited"})");
  // "The difference between two sets are all elements that only belong to one of the sets."
  Datum old = datum(R"(["set",["a","b","c"]])", t);
  auto applied = apply_datum_diff(old, datum(R"(["set",["a","d"]])", t), t);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, datum(R"(["set",["b","c","d"]])", t));
  // A one-element diff arrives as a bare atom.
  auto single = apply_datum_diff(old, datum(R"("b")", t), t);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(*single, datum(R"(["set",["a","c"]])", t));
  // The empty diff changes nothing; emptying works.
  EXPECT_EQ(apply_datum_diff(old, datum(R"(["set",[]])", t), t).value(), old);
  EXPECT_TRUE(apply_datum_diff(old, old, t).value().empty());
}

TEST(DatumDiff, MapKeysAddedRemovedOrReplaced) {
  ColumnType t =
      column_type(R"({"key": "string", "value": "string", "min": 0, "max": "unlimited"})");
  Datum old = datum(R"(["map",[["a","1"],["b","2"],["c","3"]]])", t);
  // absent key "d": added; same value a=1: removed; other value b=9: replaced.
  Datum diff = datum(R"(["map",[["a","1"],["b","9"],["d","4"]]])", t);
  auto applied = apply_datum_diff(old, diff, t);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, datum(R"(["map",[["b","9"],["c","3"],["d","4"]]])", t));
  EXPECT_TRUE(applied->is_map());
}

TEST(DatumDiff, ScalarAndOptionalColumnsTakeTheDiffAsTheValue) {
  ColumnType scalar = column_type(R"("string")");
  EXPECT_EQ(apply_datum_diff(Datum::string("a"), Datum::string("b"), scalar).value(),
            Datum::string("b"));
  // "set of 0 or 1" is not composite: no toggling, the diff is the new value.
  ColumnType optional = column_type(R"({"key": "integer", "min": 0, "max": 1})");
  EXPECT_EQ(apply_datum_diff(Datum::integer(5), Datum::integer(7), optional).value(),
            Datum::integer(7));
  EXPECT_EQ(apply_datum_diff(Datum::integer(5), Datum::integer(5), optional).value(),
            Datum::integer(5));
  EXPECT_TRUE(apply_datum_diff(Datum::integer(5), Datum(), optional).value().empty());
  EXPECT_EQ(apply_datum_diff(Datum(), Datum::integer(3), optional).value(), Datum::integer(3));
}

TEST(DatumDiff, ResultMustFitTheColumnBounds) {
  ColumnType at_least_one = column_type(R"({"key": "string", "min": 1, "max": "unlimited"})");
  auto emptied = apply_datum_diff(Datum::string("x"), Datum::string("x"), at_least_one);
  ASSERT_FALSE(emptied.ok());
  EXPECT_EQ(emptied.error().code, errc::kConstraint);

  ColumnType at_most_two = column_type(R"({"key": "string", "min": 0, "max": 2})");
  auto grown = apply_datum_diff(Datum::string_set({"a", "b"}), Datum::string("c"), at_most_two);
  ASSERT_FALSE(grown.ok());
  EXPECT_EQ(grown.error().code, errc::kConstraint);
  EXPECT_NE(grown.error().message.find("0..2"), std::string::npos);

  ColumnType scalar = column_type(R"("string")");
  EXPECT_FALSE(apply_datum_diff(Datum::string("a"), Datum(), scalar).ok());
}

TEST(DatumDiff, MapDiffAgainstASetColumnIsATypeError) {
  ColumnType set = column_type(R"({"key": "string", "min": 0, "max": "unlimited"})");
  auto r = apply_datum_diff(Datum::string_set({"a"}), Datum::string_map({{"a", "b"}}), set);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, errc::kType);
}

// The server computes a diff as ovsdb_datum_diff does; applying it must give the
// new value back, for any pair of values.
Datum server_diff(const Datum& old, const Datum& now) {
  std::vector<std::pair<Atom, Atom>> pairs;
  std::vector<Atom> keys;
  for (size_t i = 0; i < old.size(); ++i) {
    const Atom& k = old.keys()[i];
    if (old.is_map()) {
      const Atom* v = now.find(k);
      if (v == nullptr) pairs.emplace_back(k, old.values()[i]);
    } else if (!now.contains(k)) {
      keys.push_back(k);
    }
  }
  for (size_t i = 0; i < now.size(); ++i) {
    const Atom& k = now.keys()[i];
    if (now.is_map()) {
      const Atom* v = old.find(k);
      if (v == nullptr || !(*v == now.values()[i])) pairs.emplace_back(k, now.values()[i]);
    } else if (!old.contains(k)) {
      keys.push_back(k);
    }
  }
  return old.is_map() ? Datum::map(std::move(pairs)) : Datum::set(std::move(keys));
}

TEST(DatumDiff, ServerDiffRoundTripsOnRandomValues) {
  std::mt19937_64 rng(7047);
  ColumnType set = column_type(R"({"key": "integer", "min": 0, "max": "unlimited"})");
  ColumnType map =
      column_type(R"({"key": "integer", "value": "string", "min": 0, "max": "unlimited"})");
  auto random_set = [&] {
    std::vector<Atom> atoms;
    for (uint64_t n = rng() % 8; n > 0; --n)
      atoms.push_back(Atom::integer(static_cast<int64_t>(rng() % 10)));
    return Datum::set(std::move(atoms));
  };
  auto random_map = [&] {
    std::vector<std::pair<Atom, Atom>> pairs;
    for (uint64_t n = rng() % 8; n > 0; --n) {
      pairs.emplace_back(Atom::integer(static_cast<int64_t>(rng() % 10)),
                         Atom::string(std::string(1, static_cast<char>('a' + rng() % 3))));
    }
    return Datum::map(std::move(pairs));
  };
  for (int i = 0; i < 500; ++i) {
    Datum s0 = random_set();
    Datum s1 = random_set();
    EXPECT_EQ(apply_datum_diff(s0, server_diff(s0, s1), set).value(), s1) << s0.to_json();
    Datum m0 = random_map();
    Datum m1 = random_map();
    EXPECT_EQ(apply_datum_diff(m0, server_diff(m0, m1), map).value(), m1) << m0.to_json();
  }
}

// ---- Decoding ----------------------------------------------------------------

class DecodeTest : public ::testing::Test {
 protected:
  MonitorLayout layout = nb_layout();
  UpdateDecoder decoder{layout};
  const MonitoredTable& lsp = *layout.find_table("Logical_Switch_Port");

  Result<TableUpdates> decode2(std::string_view json) {
    PaddedString text(json);
    return decoder.table_updates(text.view(), UpdateFormat::kUpdate2);
  }
  Result<TableUpdates> decode1(std::string_view json) {
    PaddedString text(json);
    return decoder.table_updates(text.view(), UpdateFormat::kUpdate);
  }
  // The value given for a column (the empty set, and a failure, when absent).
  const Datum& column(const RowUpdate& row, std::string_view name) {
    static const Datum kAbsent;
    auto slot = lsp.slot(name);
    for (const ColumnUpdate& c : row.columns) {
      if (slot && c.slot == *slot) return c.value;
    }
    ADD_FAILURE() << "no column " << name;
    return kAbsent;
  }
};

TEST_F(DecodeTest, Update2RowKinds) {
  auto u = decode2(R"({"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"initial":{"name":"p1","tag":12,"addresses":"0a:58:0a:f4:01:05 10.244.1.5"}},
      "00000000-0000-0000-0000-000000000002":{"insert":{"name":"p2","options":["map",[["requested-chassis","n1"]]]}},
      "00000000-0000-0000-0000-000000000003":{"modify":{"addresses":["set",["a","b"]],"up":true}},
      "00000000-0000-0000-0000-000000000004":{"delete":null}}})");
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  ASSERT_EQ(u->tables.size(), 1u);
  EXPECT_EQ(u->tables[0].table, *layout.table_index("Logical_Switch_Port"));
  const auto& rows = u->tables[0].rows;
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(u->row_count(), 4u);

  EXPECT_EQ(rows[0].uuid, uuid(kLsp1));
  EXPECT_EQ(rows[0].kind, RowUpdateKind::kInitial);
  ASSERT_EQ(rows[0].columns.size(), 3u);
  EXPECT_EQ(column(rows[0], "tag"), Datum::integer(12));
  // A one-element set column given as a bare atom.
  EXPECT_EQ(column(rows[0], "addresses"), Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"}));

  EXPECT_EQ(rows[1].kind, RowUpdateKind::kInsert);
  EXPECT_EQ(column(rows[1], "options"), Datum::string_map({{"requested-chassis", "n1"}}));
  EXPECT_EQ(rows[2].kind, RowUpdateKind::kModify);
  EXPECT_EQ(column(rows[2], "up"), Datum::boolean(true));
  EXPECT_EQ(rows[3].kind, RowUpdateKind::kDelete);
  EXPECT_TRUE(rows[3].columns.empty());
}

TEST_F(DecodeTest, UpdateV1OldAndNew) {
  auto u = decode1(R"({"Logical_Switch_Port":{
      "00000000-0000-0000-0000-000000000001":{"new":{"name":"p1"}},
      "00000000-0000-0000-0000-000000000002":{"old":{"name":"x"},"new":{"name":"y","tag":["set",[]]}},
      "00000000-0000-0000-0000-000000000003":{"old":{"name":"z"}}}})");
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  const auto& rows = u->tables[0].rows;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].kind, RowUpdateKind::kInsert);
  EXPECT_EQ(rows[1].kind, RowUpdateKind::kReplace);
  EXPECT_EQ(column(rows[1], "name"), Datum::string("y"));  // the new value
  EXPECT_TRUE(column(rows[1], "tag").empty());
  EXPECT_EQ(rows[2].kind, RowUpdateKind::kDelete);

  auto neither = decode1(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":{}}})");
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.error().message.find("\"old\" or \"new\""), std::string::npos);
}

TEST_F(DecodeTest, ColumnTypesComeFromTheSchema) {
  auto u = decode2(R"({"Pair":{"00000000-0000-0000-0000-000000000001":
      {"insert":{"a":"x","b":3,"weight":2}}}})");
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  const MonitoredTable& pair = *layout.find_table("Pair");
  for (const ColumnUpdate& c : u->tables[0].rows[0].columns) {
    if (c.slot == *pair.slot("weight")) {
      const Atom* weight = c.value.as_scalar();
      EXPECT_TRUE(weight != nullptr && weight->is_real());  // 2 read as a real
    }
  }
}

TEST_F(DecodeTest, UnmonitoredColumnsAreSkippedUnknownOnesRejected) {
  auto narrow =
      MonitorLayout::create(nb_schema(), {table_request("Logical_Switch_Port", {"name"})});
  ASSERT_TRUE(narrow.ok());
  UpdateDecoder d(*narrow);
  PaddedString text(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"insert":{"name":"p1","tag":3,"_uuid":["uuid","00000000-0000-0000-0000-000000000001"]}}}})");
  auto u = d.table_updates(text.view(), UpdateFormat::kUpdate2);
  ASSERT_TRUE(u.ok()) << u.error().to_string();
  ASSERT_EQ(u->tables[0].rows[0].columns.size(), 1u);

  auto unknown = decode2(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"insert":{"name":"p1","colour":"red"}}}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, errc::kUnknownName);
  EXPECT_NE(unknown.error().message.find("colour"), std::string::npos);
}

TEST_F(DecodeTest, ErrorsNameTheTableRowAndColumn) {
  auto unknown_table = decode2(R"({"Nope":{}})");
  ASSERT_FALSE(unknown_table.ok());
  EXPECT_EQ(unknown_table.error().code, errc::kUnknownName);
  EXPECT_NE(unknown_table.error().message.find("Nope"), std::string::npos);

  auto bad_uuid = decode2(R"({"Logical_Switch_Port":{"not-a-uuid":{"delete":null}}})");
  ASSERT_FALSE(bad_uuid.ok());
  EXPECT_EQ(bad_uuid.error().code, errc::kSyntax);
  EXPECT_NE(bad_uuid.error().message.find("not-a-uuid"), std::string::npos);

  auto wrong_type = decode2(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"insert":{"tag":"twelve"}}}})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().code, errc::kType);
  const std::string& m = wrong_type.error().message;
  EXPECT_NE(m.find("Logical_Switch_Port row 00000000-0000-0000-0000-000000000001 column tag"),
            std::string::npos)
      << m;

  auto too_few = decode2(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"insert":{"name":["set",[]]}}}})");
  ASSERT_FALSE(too_few.ok());
  EXPECT_EQ(too_few.error().code, errc::kConstraint);

  // A diff may hold more elements than the column allows (it is not a value).
  auto big_diff = decode2(R"({"Pair":{"00000000-0000-0000-0000-000000000001":
      {"modify":{"two":["set",["a","b","c"]]}}}})");
  EXPECT_TRUE(big_diff.ok());

  EXPECT_FALSE(decode2(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"insert":{},"delete":null}}}})")
                   .ok());
  EXPECT_FALSE(decode2(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"upsert":{}}}})")
                   .ok());
  EXPECT_FALSE(decode2(R"({"Logical_Switch_Port":{"00000000-0000-0000-0000-000000000001":
      {"insert":[1]}}})")
                   .ok());
  EXPECT_FALSE(decode2(R"({"Logical_Switch_Port":[]})").ok());
  EXPECT_FALSE(decode2(R"([])").ok());
  EXPECT_FALSE(decode2(R"({"Logical_Switch_Port":)").ok());  // not JSON
}

TEST_F(DecodeTest, SinceReply) {
  PaddedString text(R"([false,"8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11",
      {"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"initial":{"name":"sw0"}}}}])");
  auto r = decoder.since_reply(text.view());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->found);
  EXPECT_EQ(r->last_txn_id, uuid("8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11"));
  ASSERT_EQ(r->updates.row_count(), 1u);
  EXPECT_EQ(r->updates.tables[0].rows[0].uuid, uuid(kSw0));

  PaddedString found(R"([true,"8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11",{}])");
  auto f = decoder.since_reply(found.view());
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->found);
  EXPECT_EQ(f->updates.row_count(), 0u);

  for (std::string_view bad : {R"([true,"8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11"])",
                               R"(["yes","8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11",{}])",
                               R"([true,"nope",{}])", R"([true,42,{}])", R"({})"}) {
    PaddedString t(bad);
    EXPECT_FALSE(decoder.since_reply(t.view()).ok()) << bad;
  }
}

TEST_F(DecodeTest, Notifications) {
  PaddedString u3(R"(["nb","8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11",
      {"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"modify":{"name":"sw1"}}}}])");
  auto n3 = decoder.notification("update3", u3.view());
  ASSERT_TRUE(n3.ok()) << n3.error().to_string();
  EXPECT_EQ(n3->monitor_id_json, "\"nb\"");
  ASSERT_TRUE(n3->last_txn_id.has_value());
  EXPECT_EQ(*n3->last_txn_id, uuid("8a2c7b42-3a2e-4bb6-9cd3-0c8d9b0e6a11"));
  EXPECT_EQ(n3->updates.tables[0].rows[0].kind, RowUpdateKind::kModify);

  PaddedString u2(
      R"([["monid","nb"],{"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"delete":null}}}])");
  auto n2 = decoder.notification("update2", u2.view());
  ASSERT_TRUE(n2.ok());
  EXPECT_EQ(n2->monitor_id_json, R"(["monid","nb"])");
  EXPECT_FALSE(n2->last_txn_id.has_value());

  PaddedString u1(
      R"(["nb",{"Logical_Switch":{"00000000-0000-0000-0000-0000000000a0":{"old":{"name":"a"},"new":{"name":"b"}}}}])");
  auto n1 = decoder.notification("update", u1.view());
  ASSERT_TRUE(n1.ok());
  EXPECT_EQ(n1->updates.tables[0].rows[0].kind, RowUpdateKind::kReplace);

  EXPECT_FALSE(decoder.notification("update3", u2.view()).ok());  // wrong arity
  EXPECT_FALSE(decoder.notification("update2", u3.view()).ok());
  auto other = decoder.notification("locked", u2.view());
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("locked"), std::string::npos);
}

}  // namespace
}  // namespace ovnk::ovsdb
