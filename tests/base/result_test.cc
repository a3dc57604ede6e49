#include "base/result.h"

#include <cerrno>
#include <memory>

#include <gtest/gtest.h>

namespace ovnk {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error("parse", 1, std::string("not a digit: ") + c);
  return c - '0';
}

Result<int> sum_two(char a, char b) {
  OVNK_ASSIGN_OR_RETURN(int x, parse_digit(a));
  OVNK_ASSIGN_OR_RETURN(int y, parse_digit(b));
  return x + y;
}

Result<void> check_even(int v) {
  if (v % 2 != 0) return make_error("check", 2, "odd");
  return {};
}

Result<void> sum_is_even(char a, char b) {
  OVNK_ASSIGN_OR_RETURN(int s, sum_two(a, b));
  OVNK_TRY(check_even(s));
  return {};
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_digit('7');
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  auto bad = parse_digit('x');
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().domain, "parse");
  EXPECT_EQ(bad.error().code, 1);
  EXPECT_EQ(bad.error().message, "not a digit: x");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*sum_two('2', '3'), 5);
  EXPECT_EQ(sum_two('2', 'q').error().message, "not a digit: q");
  EXPECT_TRUE(sum_is_even('2', '4').ok());
  auto odd = sum_is_even('2', '3');
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().domain, "check");
}

TEST(Result, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(4));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 4);
}

TEST(Error, ContextAndErrnoText) {
  Error e = errno_error("io", ECONNREFUSED, "connect tcp:127.0.0.1:1");
  EXPECT_EQ(e.code, ECONNREFUSED);
  EXPECT_EQ(e.to_string(), "io: connect tcp:127.0.0.1:1: Connection refused");
  Error wrapped = e.with_context("nb session");
  EXPECT_EQ(wrapped.message, "nb session: connect tcp:127.0.0.1:1: Connection refused");
  EXPECT_EQ(e.message, "connect tcp:127.0.0.1:1: Connection refused");  // original untouched
  EXPECT_EQ(make_error("cni", 7, "bad config").to_string(), "cni: bad config (code 7)");
}

}  // namespace
}  // namespace ovnk
