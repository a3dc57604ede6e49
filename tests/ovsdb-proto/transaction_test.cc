#include "ovsdb-proto/transaction.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ovsdb-proto/jsonrpc.h"

namespace ovnk::ovsdb {
namespace {

const Uuid kU = *Uuid::parse("0123abcd-4567-89ab-cdef-0123456789ab");
const char* const kUs = "0123abcd-4567-89ab-cdef-0123456789ab";

std::string ops_of(const TransactionBuilder& t) {
  // params_json without the leading ["DB", and trailing ].
  std::string p = t.params_json();
  std::string prefix = "[" + json_quote(t.database()) + ",";
  EXPECT_EQ(p.substr(0, prefix.size()), prefix);
  return p.substr(prefix.size(), p.size() - prefix.size() - 1);
}

TEST(Transaction, InsertForms) {
  TransactionBuilder t("OVN_Northbound");
  EXPECT_EQ(t.insert("Logical_Switch", {{"name", Datum::string("sw0")}}), 0u);
  EXPECT_EQ(t.insert("Logical_Switch_Port",
                     {{"name", Datum::string("ns_pod")},
                      {"addresses", Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"})},
                      {"external_ids", Datum::string_map({{"pod", "true"}, {"namespace", "ns"}})}},
                     InsertOptions{"lsp0", kU}),
            1u);
  EXPECT_EQ(ops_of(t),
            R"({"op":"insert","table":"Logical_Switch","row":{"name":"sw0"}},)"
            R"({"op":"insert","table":"Logical_Switch_Port","row":{"name":"ns_pod","addresses":"0a:58:0a:f4:01:05 10.244.1.5",)"
            R"("external_ids":["map",[["namespace","ns"],["pod","true"]]]},"uuid-name":"lsp0","uuid":"0123abcd-4567-89ab-cdef-0123456789ab"})");
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(t.kind(1), OpKind::kInsert);
  EXPECT_EQ(t.table(1), "Logical_Switch_Port");
}

TEST(Transaction, SelectUpdateDelete) {
  TransactionBuilder t("db");
  t.select("T", {Condition::uuid_is(kU)}, std::vector<std::string>{"name", "_uuid"});
  t.select("T", {});
  t.update("T", {Condition::of("name", Function::kEqual, Datum::string("a"))}, {{"n", Datum::integer(3)}});
  t.delete_rows("T", {Condition::of("n", Function::kGreater, Datum::integer(1))});
  EXPECT_EQ(ops_of(t),
            std::string(R"({"op":"select","table":"T","where":[["_uuid","==",["uuid",")") + kUs +
                R"("]]],"columns":["name","_uuid"]},)"
                R"({"op":"select","table":"T","where":[]},)"
                R"({"op":"update","table":"T","where":[["name","==","a"]],"row":{"n":3}},)"
                R"({"op":"delete","table":"T","where":[["n",">",1]]})");
}

TEST(Transaction, EveryConditionFunction) {
  std::vector<Condition> where;
  for (auto f : {Function::kLess, Function::kLessEqual, Function::kEqual, Function::kNotEqual,
                 Function::kGreaterEqual, Function::kGreater, Function::kIncludes, Function::kExcludes}) {
    where.push_back(Condition::of("c", f, Datum::integer(1)));
    EXPECT_EQ(parse_function(function_name(f)), f);
  }
  where.push_back(Condition::always(true));
  where.push_back(Condition::named_uuid_is("row"));
  TransactionBuilder t("db");
  t.delete_rows("T", where);
  EXPECT_EQ(ops_of(t),
            R"({"op":"delete","table":"T","where":[["c","<",1],["c","<=",1],["c","==",1],["c","!=",1],)"
            R"(["c",">=",1],["c",">",1],["c","includes",1],["c","excludes",1],true,["_uuid","==",["named-uuid","row"]]]})");
  EXPECT_EQ(parse_function("=~"), std::nullopt);
}

TEST(Transaction, EveryMutator) {
  TransactionBuilder t("db");
  t.mutate("T", {Condition::uuid_is(kU)},
           {
               {"i", Mutator::kAdd, Datum::integer(1)},
               {"i", Mutator::kSubtract, Datum::integer(2)},
               {"r", Mutator::kMultiply, Datum::real(1.5)},
               {"r", Mutator::kDivide, Datum::real(2.0)},
               {"i", Mutator::kModulo, Datum::integer(7)},
               {"s", Mutator::kInsert, Datum::string_set({"a", "b"})},
               {"m", Mutator::kDelete, Datum::string_set({"k"})},
               {"m", Mutator::kInsert, Datum::string_map({{"k", "v"}})},
               {"ports", Mutator::kInsert, Datum::named_uuid("lsp0")},
           });
  for (auto m : {Mutator::kAdd, Mutator::kSubtract, Mutator::kMultiply, Mutator::kDivide, Mutator::kModulo,
                 Mutator::kInsert, Mutator::kDelete}) {
    EXPECT_EQ(parse_mutator(mutator_name(m)), m);
  }
  EXPECT_EQ(ops_of(t), std::string(R"({"op":"mutate","table":"T","where":[["_uuid","==",["uuid",")") + kUs +
                           R"("]]],"mutations":[["i","+=",1],["i","-=",2],["r","*=",1.5],["r","/=",2.0],["i","%=",7],)"
                           R"(["s","insert",["set",["a","b"]]],["m","delete","k"],["m","insert",["map",[["k","v"]]]],)"
                           R"(["ports","insert",["named-uuid","lsp0"]]]})");
}

TEST(Transaction, WaitCommitAbortCommentAssert) {
  TransactionBuilder t("db");
  t.wait("T", {Condition::of("name", Function::kEqual, Datum::string("a"))}, {"name", "n"}, WaitUntil::kNotEqual,
         {{{"name", Datum::string("a")}, {"n", Datum::integer(1)}}}, 1000);
  t.wait("T", {}, {}, WaitUntil::kEqual, {});
  t.commit(true);
  t.commit(false);
  t.abort();
  t.comment("ovnk: add \"pods\"");
  t.assert_lock("lock1");
  EXPECT_EQ(ops_of(t),
            R"({"op":"wait","table":"T","timeout":1000,"where":[["name","==","a"]],"columns":["name","n"],"until":"!=","rows":[{"name":"a","n":1}]},)"
            R"({"op":"wait","table":"T","where":[],"columns":[],"until":"==","rows":[]},)"
            R"({"op":"commit","durable":true},{"op":"commit","durable":false},{"op":"abort"},)"
            R"({"op":"comment","comment":"ovnk: add \"pods\""},{"op":"assert","lock":"lock1"})");
}

TEST(Transaction, RequestJsonIsAValidTransactRequest) {
  TransactionBuilder empty("db");
  EXPECT_EQ(empty.params_json(), R"(["db"])");
  TransactionBuilder t("OVN_Northbound");
  t.comment("x");
  std::string req = t.request_json(9);
  EXPECT_EQ(req, R"({"id":9,"method":"transact","params":["OVN_Northbound",{"op":"comment","comment":"x"}]})");
  auto m = parse_message(req);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->method(), "transact");
  EXPECT_EQ(m->id_number(), 9u);
  // Moved builders keep working.
  TransactionBuilder moved = std::move(t);
  moved.abort();
  EXPECT_EQ(moved.size(), 2u);
}

TEST(TransactionResult, AllSucceed) {
  TransactionBuilder t("db");
  t.insert("T", {});
  t.update("T", {}, {});
  t.mutate("T", {}, {});
  t.delete_rows("T", {});
  t.select("T", {});
  t.comment("c");
  t.commit(false);
  auto r = parse_transaction_result(
      std::string(R"([{"uuid":["uuid",")") + kUs +
          R"("]},{"count":2},{"count":0},{"count":5},{"rows":[{"name":"a","n":1,"s":["set",[]]},{"name":"b"}]},{},{}])",
      t);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->ok());
  EXPECT_FALSE(r->failure().has_value());
  EXPECT_EQ(r->describe_failure(), "");
  ASSERT_EQ(r->ops.size(), 7u);
  EXPECT_EQ(r->ops[0].uuid, kU);
  EXPECT_EQ(r->ops[1].count, 2);
  EXPECT_EQ(r->ops[2].count, 0);
  EXPECT_EQ(r->ops[3].count, 5);
  ASSERT_EQ(r->ops[4].rows.size(), 2u);
  EXPECT_EQ(r->ops[4].rows[0].at("name"), Datum::string("a"));
  EXPECT_EQ(r->ops[4].rows[0].at("n"), Datum::integer(1));
  EXPECT_EQ(r->ops[4].rows[1].size(), 1u);
  EXPECT_EQ(r->ops[5].kind, OpKind::kComment);
  EXPECT_TRUE(r->ops[6].ok());
}

TEST(TransactionResult, PerOperationErrorAndSkippedRest) {
  TransactionBuilder t("OVN_Northbound");
  t.insert("Logical_Switch", {});
  t.insert("ACL", {});
  t.comment("c");
  auto r = parse_transaction_result(
      std::string(R"([{"uuid":["uuid",")") + kUs +
          R"j("]},{"details":"99999 is not in the valid range 0 to 32767 (inclusive)","error":"constraint violation"},null])j",
      t);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->ok());
  EXPECT_TRUE(r->ops[0].ok());
  ASSERT_TRUE(r->ops[1].error.has_value());
  EXPECT_EQ(r->ops[1].error->error, "constraint violation");
  EXPECT_TRUE(r->ops[2].skipped);
  auto f = r->failure();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->op, 1u);
  EXPECT_EQ(f->kind, OpKind::kInsert);
  EXPECT_EQ(r->describe_failure(&t),
            "operation 1 (insert ACL) failed: constraint violation: 99999 is not in the valid range 0 to 32767 "
            "(inclusive)");
  EXPECT_EQ(r->describe_failure(), "operation 1 (insert) failed: constraint violation: 99999 is not in the valid "
                                   "range 0 to 32767 (inclusive)");
}

TEST(TransactionResult, SyntaxErrorCarriesSyntax) {
  TransactionBuilder t("db");
  t.insert("Nope", {});
  auto r = parse_transaction_result(
      R"([{"details":"No table named Nope.","error":"syntax error","syntax":"{\"op\":\"insert\"}"}])", t);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->ops[0].error.has_value());
  EXPECT_EQ(r->ops[0].error->syntax, R"({"op":"insert"})");
}

TEST(TransactionResult, CommitTimeErrorIsTheExtraElement) {
  TransactionBuilder t("OVN_Northbound");
  t.insert("Logical_Switch", {});
  t.comment("c");
  auto r = parse_transaction_result(
      std::string(R"([{"uuid":["uuid",")") + kUs +
          R"("]},{},{"details":"Table Logical_Switch column ports row x references nonexistent row y in table Logical_Switch_Port.","error":"referential integrity violation"}])",
      t);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->ok());
  EXPECT_TRUE(r->ops[0].ok());
  EXPECT_TRUE(r->ops[1].ok());
  ASSERT_TRUE(r->commit_error.has_value());
  auto f = r->failure();
  ASSERT_TRUE(f.has_value());
  EXPECT_FALSE(f->op.has_value());
  EXPECT_EQ(r->describe_failure(&t).rfind("commit failed: referential integrity violation: Table Logical_Switch", 0),
            0u);
}

TEST(TransactionResult, SelectRowsDecodedWithSchema) {
  std::ifstream in("/usr/share/ovn/ovn-nb.ovsschema");
  if (!in) GTEST_SKIP();
  std::stringstream ss;
  ss << in.rdbuf();
  auto schema = DatabaseSchema::parse(ss.str());
  ASSERT_TRUE(schema.ok());
  TransactionBuilder t("OVN_Northbound");
  t.select("Logical_Switch_Port", {});
  // "addresses" with one element is a bare string; tag_request empty set;
  // options an empty map as the server writes it.
  std::string result = R"([{"rows":[{"addresses":"0a:58:0a:f4:01:05 10.244.1.5","tag_request":["set",[]],"options":["map",[]]}]}])";
  auto r = parse_transaction_result(result, t, &*schema);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const RowData& row = r->ops[0].rows.at(0);
  EXPECT_EQ(row.at("addresses"), Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"}));
  EXPECT_TRUE(row.at("options").is_map());
  EXPECT_TRUE(row.at("tag_request").empty());
  // A type mismatch names the column.
  auto bad = parse_transaction_result(R"([{"rows":[{"tag_request":"x"}]}])", t, &*schema);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Logical_Switch_Port.tag_request"), std::string::npos) << bad.error().message;
}

TEST(TransactionResult, MalformedResults) {
  TransactionBuilder t("db");
  t.insert("T", {});
  t.update("T", {}, {});
  for (const char* bad : {
           R"({})",
           R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]}])",  // too short
           R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]},{"count":1},{},{}])",  // too long
           R"([{},{"count":1}])",                                              // insert without uuid
           R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]},{"count":"1"}])",
           R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]},{"count":1},{"not":"an error"}])",
           R"([1,2])",
           R"([{"uuid":["uuid","bad"]},{"count":1}])",
       }) {
    EXPECT_FALSE(parse_transaction_result(bad, t).ok()) << bad;
  }
}

}  // namespace
}  // namespace ovnk::ovsdb
