// The strict JSON reader behind every CNI input: what it accepts, what it
// refuses, and that minify() writes back what it read.
#include <gtest/gtest.h>

#include <string>

#include "cni-frontend/json_value.h"

namespace ovnk::cni::json {
namespace {

const Value& at(const Value& v, std::string_view key) {
  static const Value kNull;
  const Value* p = v.find(key);
  if (p == nullptr) {
    ADD_FAILURE() << "no member " << key;
    return kNull;
  }
  return *p;
}
std::string str(const Value& v) {
  const std::string* s = v.as_string();
  return s != nullptr ? *s : std::string("<not a string>");
}
size_t len(const Value& v) {
  const auto* a = v.as_array();
  return a != nullptr ? a->size() : 0;
}

TEST(JsonValueTest, ReadsEveryKind) {
  auto v = parse(R"( {"s":"a\"b\\c\/\n\u00e9\ud83d\ude00","i":-42,"big":12345678901234567890,
                     "d":1.5e2,"t":true,"f":false,"n":null,"a":[1,[],{}],"o":{"k":"v"}} )",
                 "test");
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  const Value& root = *v;
  EXPECT_EQ(str(at(root, "s")), "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(at(root, "i").as_int(), -42);
  EXPECT_FALSE(at(root, "big").as_int().has_value());  // over int64: a double only
  EXPECT_EQ(at(root, "big").as_double(), 12345678901234567890.0);
  EXPECT_FALSE(at(root, "d").as_int().has_value());
  EXPECT_EQ(at(root, "d").as_double(), 150.0);
  EXPECT_EQ(at(root, "t").as_bool(), true);
  EXPECT_EQ(at(root, "f").as_bool(), false);
  EXPECT_TRUE(at(root, "n").is_null());
  EXPECT_EQ(len(at(root, "a")), 3u);
  EXPECT_EQ(str(at(at(root, "o"), "k")), "v");
  EXPECT_EQ(root.find("missing"), nullptr);
  EXPECT_EQ(at(root, "s").find("x"), nullptr);  // not an object
}

TEST(JsonValueTest, MinifyRoundTrips) {
  const std::string text =
      R"({"a":[1,-0,2.50,1e-3,true,null],"b":"tab\tquote\"ctl\u0001","c":{},"é":"ü"})";
  auto v = parse(text, "test");
  ASSERT_TRUE(v.ok());
  const std::string once = v->minify();
  EXPECT_EQ(once, R"({"a":[1,-0,2.50,1e-3,true,null],"b":"tab\tquote\"ctl\u0001","c":{},"é":"ü"})");
  auto again = parse(once, "test");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->minify(), once);
}

TEST(JsonValueTest, FirstDuplicateKeyWins) {
  auto v = parse(R"({"k":1,"k":2})", "test");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(at(*v, "k").as_int(), 1);
}

TEST(JsonValueTest, RefusesWhatIsNotStrictJson) {
  for (const char* bad : {
           "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "[01]", "[1.]", "[.5]",
           "[+1]", "[1e]", "[-]", "[NaN]", "[Infinity]", "[1e999]", "[tru]", "[nul]", "\"abc",
           "\"a\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
           "{} {}", "[1] x", "\"a\tb\"", "[\"\\u00\"]",
       }) {
    auto v = parse(bad, "test");
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().code, 6) << bad;
    EXPECT_NE(v.error().message.find("test"), std::string::npos);
  }
}

TEST(JsonValueTest, RefusesInvalidUtf8) {
  for (const std::string& bad : {
           std::string("\"\xff\""),              // never valid
           std::string("\"\xc0\xaf\""),          // overlong '/'
           std::string("\"\xe0\x80\xaf\""),      // overlong
           std::string("\"\xed\xa0\x80\""),      // UTF-8 encoded surrogate
           std::string("\"\xf4\x90\x80\x80\""),  // above U+10FFFF
           std::string("\"\xc3\""),              // truncated
           std::string("\"\xe2\x28\xa1\""),      // bad continuation
       }) {
    EXPECT_FALSE(parse(bad, "test").ok()) << bad;
  }
  EXPECT_TRUE(parse("\"\xe2\x82\xac \xf0\x9f\x98\x80\"", "test").ok());  // € and an emoji
}

TEST(JsonValueTest, NestingIsCapped) {
  std::string deep(kMaxDepth, '[');
  deep.append(kMaxDepth, ']');
  EXPECT_TRUE(parse(deep, "test").ok());
  std::string too_deep(kMaxDepth + 1, '[');
  too_deep.append(kMaxDepth + 1, ']');
  auto v = parse(too_deep, "test");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("deep"), std::string::npos);
  // A hostile 1 MiB of '[' is refused without exhausting the stack.
  EXPECT_FALSE(parse(std::string(1 << 20, '['), "test").ok());
}

TEST(JsonValueTest, ErrorsSayWhere) {
  auto v = parse(R"({"a": tru})", "network config");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("network config"), std::string::npos);
  EXPECT_NE(v.error().message.find("byte"), std::string::npos);
}

}  // namespace
}  // namespace ovnk::cni::json
