#include "ovsdb-proto/jsonrpc.h"

#include <gtest/gtest.h>

#include "ovsdb-proto/framing.h"

namespace ovnk::ovsdb {
namespace {

Message parse_ok(std::string_view text) {
  auto m = parse_message(text);
  EXPECT_TRUE(m.ok()) << text << ": " << (m.ok() ? "" : m.error().to_string());
  if (!m.ok()) return Message();
  return std::move(m).value();
}

TEST(JsonRpc, Request) {
  Message m = parse_ok(R"({"id":7,"method":"transact","params":["OVN_Northbound",{"op":"comment","comment":"x"}]})");
  EXPECT_EQ(m.kind(), MessageKind::kRequest);
  EXPECT_EQ(m.method(), "transact");
  EXPECT_EQ(m.params().text(), R"(["OVN_Northbound",{"op":"comment","comment":"x"}])");
  EXPECT_EQ(m.id(), "7");
  EXPECT_EQ(m.id_number(), 7u);
  EXPECT_FALSE(m.is_echo_request());
}

TEST(JsonRpc, ServerEchoRequestAndItsReply) {
  Message m = parse_ok(R"({"method":"echo","params":[],"id":"echo"})");
  EXPECT_TRUE(m.is_request());
  EXPECT_TRUE(m.is_echo_request());
  EXPECT_EQ(m.id(), R"("echo")");
  EXPECT_EQ(m.id_number(), std::nullopt);
  std::string reply = encode_echo_reply(m);
  EXPECT_EQ(reply, R"({"id":"echo","result":[],"error":null})");
  Message r = parse_ok(reply);
  EXPECT_TRUE(r.is_reply());
  EXPECT_EQ(r.result().text(), "[]");
  EXPECT_EQ(r.id(), R"("echo")");
}

TEST(JsonRpc, Notification) {
  Message m = parse_ok(R"({"id":null,"method":"update2","params":["mon",{"T":{}}]})");
  EXPECT_EQ(m.kind(), MessageKind::kNotification);
  EXPECT_EQ(m.method(), "update2");
  EXPECT_EQ(m.id(), "null");
  EXPECT_EQ(m.params().text(), R"(["mon",{"T":{}}])");
  // id absent is also a notification.
  Message m2 = parse_ok(R"({"method":"locked","params":["l"]})");
  EXPECT_TRUE(m2.is_notification());
  EXPECT_EQ(m2.id(), "null");
}

TEST(JsonRpc, Reply) {
  Message m = parse_ok(R"({"id":12,"result":[{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]}],"error":null})");
  EXPECT_TRUE(m.is_reply());
  EXPECT_EQ(m.id_number(), 12u);
  EXPECT_EQ(m.result().text(), R"([{"uuid":["uuid","0123abcd-4567-89ab-cdef-0123456789ab"]}])");
  EXPECT_EQ(m.error().text(), "null");
  // Members in any order, whitespace anywhere, no "error".
  Message m2 = parse_ok("{ \"result\" : { \"a\" : 1 } ,\n \"id\" : 13 }");
  EXPECT_TRUE(m2.is_reply());
  EXPECT_EQ(m2.result().text(), R"({ "a" : 1 })");
  EXPECT_EQ(m2.id_number(), 13u);
  // Scalar results.
  Message m3 = parse_ok(R"({"id":14,"result":"x","error":null})");
  EXPECT_EQ(m3.result().text(), R"("x")");
  Message m4 = parse_ok(R"({"id":15,"result":null,"error":null})");
  EXPECT_TRUE(m4.is_reply());
  EXPECT_EQ(m4.result().text(), "null");
}

TEST(JsonRpc, ErrorReplyWithoutResult) {
  // What the C ovsdb-server sends.
  Message m = parse_ok(R"({"id":3,"error":{"error":"unknown database","details":"transact request specifies unknown database Nope","syntax":"[\"Nope\"]"}})");
  EXPECT_TRUE(m.is_error_reply());
  EXPECT_EQ(m.result().text(), "null");
  EXPECT_EQ(m.error_text(), "unknown database: transact request specifies unknown database Nope");
  EXPECT_EQ(m.id_number(), 3u);
}

TEST(JsonRpc, ErrorReplyWithNullResultAndStringError) {
  Message m = parse_ok(R"({"id":4,"result":null,"error":"unknown method"})");
  EXPECT_TRUE(m.is_error_reply());
  EXPECT_EQ(m.error_text(), "unknown method");
  Message m2 = parse_ok(R"({"error":{"error":"not leader"},"result":null,"id":5})");
  EXPECT_TRUE(m2.is_error_reply());
  EXPECT_EQ(m2.error_text(), "not leader");
  Message m3 = parse_ok(R"({"error":[1,2],"id":6})");
  EXPECT_EQ(m3.error_text(), "[1,2]");
}

TEST(JsonRpc, Malformed) {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (const Case& c : std::vector<Case>{
           {"[]", "not a JSON object"},
           {"{", "invalid JSON"},
           {R"({"id":1})", "neither"},
           {R"({"result":1})", "without \"id\""},
           {R"({"method":"echo","id":1})", "without \"params\""},
           {R"({"method":1,"params":[],"id":1})", "\"method\" is not a string"},
           {R"({"method":"x","params":{},"id":1})", "\"params\" is not an array"},
           {R"({"method":"x","params":[],"id":1,"result":1})", "both"},
           {R"({"id":1,"result":2} x)", ""},
           {R"({"id":1,"result":nulla})", "invalid JSON"},
           {R"({"id":1x,"result":null})", "invalid JSON"},
           {R"({"id":1,"result":tru})", "invalid JSON"},
           {R"({"id":1,"result":"unterminated})", "invalid JSON"},
           {"", "empty"},
       }) {
    auto m = parse_message(std::string_view(c.text));
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_NE(m.error().message.find(c.needle), std::string::npos) << c.text << " -> " << m.error().message;
  }
}

TEST(JsonRpc, EncodersRoundTrip) {
  std::string req = encode_request("get_schema", params::get_schema("OVN_Northbound"), 42);
  EXPECT_EQ(req, R"({"id":42,"method":"get_schema","params":["OVN_Northbound"]})");
  Message m = parse_ok(req);
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.id_number(), 42u);
  EXPECT_EQ(m.params().text(), R"(["OVN_Northbound"])");

  std::string n = encode_notification("cancel", params::cancel("42"));
  EXPECT_EQ(n, R"({"id":null,"method":"cancel","params":[42]})");
  EXPECT_TRUE(parse_ok(n).is_notification());

  std::string rep = encode_reply("42", R"({"x":[1,2]})");
  EXPECT_EQ(rep, R"({"id":42,"result":{"x":[1,2]},"error":null})");
  Message r = parse_ok(rep);
  EXPECT_TRUE(r.is_reply());
  EXPECT_EQ(r.result().text(), R"({"x":[1,2]})");

  std::string err = encode_error_reply("42", R"({"error":"e"})");
  EXPECT_EQ(err, R"({"id":42,"result":null,"error":{"error":"e"}})");
  EXPECT_TRUE(parse_ok(err).is_error_reply());

  // Large id values survive.
  Message big = parse_ok(encode_request("echo", params::echo(), UINT64_MAX));
  EXPECT_EQ(big.id_number(), UINT64_MAX);
}

TEST(JsonRpc, ClientMethodParams) {
  EXPECT_EQ(params::list_dbs(), "[]");
  EXPECT_EQ(params::echo(), "[]");
  EXPECT_EQ(params::monitor_cancel(R"(["mon",1])"), R"([["mon",1]])");
  EXPECT_EQ(params::set_db_change_aware(true), "[true]");
  EXPECT_EQ(params::lock("my \"lock\""), R"(["my \"lock\""])");
  std::string requests = encode_monitor_requests({
      MonitorRequest{"Logical_Switch", {"name", "ports"}, std::nullopt, {}},
      MonitorRequest{"Logical_Switch_Port",
                     {},
                     std::vector<Condition>{Condition::of("name", Function::kEqual, Datum::string("a")),
                                            Condition::always(false)},
                     MonitorSelect{false, true, true, false}},
      MonitorRequest{"Logical_Switch", {"other_config"}, std::nullopt, {}},
  });
  EXPECT_EQ(requests,
            R"({"Logical_Switch":[{"columns":["name","ports"],"select":{"initial":true,"insert":true,"delete":true,"modify":true}},)"
            R"({"columns":["other_config"],"select":{"initial":true,"insert":true,"delete":true,"modify":true}}],)"
            R"("Logical_Switch_Port":[{"where":[["name","==","a"],false],"select":{"initial":false,"insert":true,"delete":true,"modify":false}}]})");
  EXPECT_EQ(params::monitor("OVN_Northbound", "null", "{}"), R"(["OVN_Northbound",null,{}])");
  EXPECT_EQ(params::monitor_cond_since("db", R"("m")", "{}", std::nullopt),
            R"(["db","m",{},"00000000-0000-0000-0000-000000000000"])");
  Uuid last = *Uuid::parse("0123abcd-4567-89ab-cdef-0123456789ab");
  EXPECT_EQ(params::monitor_cond_since("db", R"("m")", "{}", last),
            R"(["db","m",{},"0123abcd-4567-89ab-cdef-0123456789ab"])");
}

TEST(JsonRpc, FramerToParserWithoutCopyOfPadding) {
  Framer f;
  f.feed(R"({"id":1,"result":{"a":"}"},"error":null}{"method":"echo","params":[],"id":"echo"})");
  auto a = f.next();
  ASSERT_TRUE(a.ok() && a->has_value());
  auto m1 = parse_message(**a);
  ASSERT_TRUE(m1.ok());
  EXPECT_TRUE(m1->is_reply());
  auto b = f.next();
  ASSERT_TRUE(b.ok() && b->has_value());
  auto m2 = parse_message(**b);
  ASSERT_TRUE(m2.ok());
  EXPECT_TRUE(m2->is_echo_request());
  // The first message owns its text: still valid after the framer moved on.
  EXPECT_EQ(m1->result().text(), R"({"a":"}"})");
}

}  // namespace
}  // namespace ovnk::ovsdb
