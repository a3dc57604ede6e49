// The HTTP/1.1 codec of the CNI socket, sans I/O: requests split anywhere,
// pipelining, keep-alive, limits, 100-continue, responses.
#include <gtest/gtest.h>

#include <string>

#include "cni-frontend/http_message.h"

namespace ovnk::cni::http {
namespace {

constexpr size_t kLimit = 1024;

std::string post(std::string_view body, std::string_view extra_headers = "") {
  std::string out = "POST /cni HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  out.append(extra_headers);
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

TEST(HttpParserTest, OneRequest) {
  Parser p(Parser::Type::kRequest, kLimit);
  const std::string req = post(R"({"a":1})");
  auto fed = p.feed(req);
  ASSERT_EQ(fed.status, Parser::Status::kMessage);
  EXPECT_EQ(fed.consumed, req.size());
  Message m = p.take();
  EXPECT_EQ(m.method, "POST");
  EXPECT_EQ(m.target, "/cni");
  EXPECT_EQ(m.path(), "/cni");
  EXPECT_EQ(m.body, R"({"a":1})");
  EXPECT_EQ(m.header("content-type"), "application/json");
  EXPECT_TRUE(m.keep_alive);
}

TEST(HttpParserTest, ByteByByte) {
  Parser p(Parser::Type::kRequest, kLimit);
  const std::string req = post("hello");
  for (size_t i = 0; i < req.size(); ++i) {
    auto fed = p.feed(std::string_view(req).substr(i, 1));
    ASSERT_EQ(fed.consumed, 1u);
    if (i + 1 < req.size()) {
      ASSERT_EQ(fed.status, Parser::Status::kNeedMore) << i;
    } else {
      ASSERT_EQ(fed.status, Parser::Status::kMessage);
    }
  }
  Message m = p.take();
  EXPECT_EQ(m.body, "hello");
  EXPECT_EQ(m.header("host"), "x");
}

TEST(HttpParserTest, PipelinedRequestsStopAtEachEnd) {
  Parser p(Parser::Type::kRequest, kLimit);
  const std::string a = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string b = "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string both = a + b;
  std::string_view rest = both;
  auto fed = p.feed(rest);
  ASSERT_EQ(fed.status, Parser::Status::kMessage);
  EXPECT_EQ(fed.consumed, a.size());
  rest.remove_prefix(fed.consumed);
  EXPECT_EQ(p.take().path(), "/healthz");
  fed = p.feed(rest);
  ASSERT_EQ(fed.status, Parser::Status::kMessage);
  EXPECT_EQ(fed.consumed, b.size());
  Message m = p.take();
  EXPECT_EQ(m.path(), "/metrics");
  EXPECT_EQ(m.target, "/metrics?x=1");
  EXPECT_FALSE(m.keep_alive);
}

TEST(HttpParserTest, Http10ClosesUnlessAsked) {
  Parser p(Parser::Type::kRequest, kLimit);
  ASSERT_EQ(p.feed("GET /healthz HTTP/1.0\r\n\r\n").status, Parser::Status::kMessage);
  EXPECT_FALSE(p.take().keep_alive);
  Parser q(Parser::Type::kRequest, kLimit);
  ASSERT_EQ(q.feed("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").status,
            Parser::Status::kMessage);
  EXPECT_TRUE(q.take().keep_alive);
}

TEST(HttpParserTest, ChunkedBody) {
  Parser p(Parser::Type::kRequest, kLimit);
  auto fed = p.feed(
      "POST /cni HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_EQ(fed.status, Parser::Status::kMessage);
  EXPECT_EQ(p.take().body, "abcde");
}

TEST(HttpParserTest, DeclaredBodyOverTheLimitIsRefusedBeforeTheBody) {
  Parser p(Parser::Type::kRequest, kLimit);
  auto fed = p.feed("POST /cni HTTP/1.1\r\nContent-Length: 1025\r\n\r\n");
  EXPECT_EQ(fed.status, Parser::Status::kError);
  EXPECT_EQ(p.error_status(), 413);
  EXPECT_NE(p.error().find("1025"), std::string::npos);
  // Dead afterwards.
  EXPECT_EQ(p.feed("x").status, Parser::Status::kError);
}

TEST(HttpParserTest, ChunkedBodyOverTheLimit) {
  Parser p(Parser::Type::kRequest, 4);
  auto fed = p.feed("POST /cni HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n");
  EXPECT_EQ(fed.status, Parser::Status::kError);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(HttpParserTest, MalformedIs400) {
  for (const char* bad : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                          "POST /cni HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    Parser p(Parser::Type::kRequest, kLimit);
    auto fed = p.feed(bad);
    EXPECT_EQ(fed.status, Parser::Status::kError) << bad;
    EXPECT_EQ(p.error_status(), 400) << bad;
  }
}

TEST(HttpParserTest, HugeHeadersAre431) {
  Parser p(Parser::Type::kRequest, kLimit);
  std::string req = "GET / HTTP/1.1\r\nX-Big: " + std::string(100 * 1024, 'a') + "\r\n\r\n";
  auto fed = p.feed(req);
  EXPECT_EQ(fed.status, Parser::Status::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(HttpParserTest, ExpectContinueIsReportedOnceBeforeTheBody) {
  Parser p(Parser::Type::kRequest, kLimit);
  auto fed = p.feed("POST /cni HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(fed.status, Parser::Status::kNeedMore);
  EXPECT_TRUE(p.take_expect_continue());
  EXPECT_FALSE(p.take_expect_continue());
  EXPECT_TRUE(p.in_message());
  fed = p.feed("abc");
  ASSERT_EQ(fed.status, Parser::Status::kMessage);
  EXPECT_EQ(p.take().body, "abc");
  EXPECT_FALSE(p.in_message());
}

TEST(HttpParserTest, FinishMidMessageIsAnError) {
  Parser p(Parser::Type::kRequest, kLimit);
  EXPECT_EQ(p.feed("POST /cni HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc").status,
            Parser::Status::kNeedMore);
  EXPECT_EQ(p.finish(), Parser::Status::kError);
  Parser idle(Parser::Type::kRequest, kLimit);
  EXPECT_EQ(idle.finish(), Parser::Status::kNeedMore);
}

TEST(HttpParserTest, Responses) {
  Parser p(Parser::Type::kResponse, kLimit);
  const std::string resp = format_response(501, "application/json", R"({"code":104})", true);
  auto fed = p.feed(resp);
  ASSERT_EQ(fed.status, Parser::Status::kMessage);
  Message m = p.take();
  EXPECT_EQ(m.status, 501);
  EXPECT_EQ(m.body, R"({"code":104})");
  EXPECT_TRUE(m.keep_alive);
}

TEST(HttpParserTest, ResponseWithoutLengthEndsAtEof) {
  Parser p(Parser::Type::kResponse, kLimit);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\npartial body").status,
            Parser::Status::kNeedMore);
  EXPECT_EQ(p.finish(), Parser::Status::kMessage);
  EXPECT_EQ(p.take().body, "partial body");
}

TEST(HttpFormatTest, ResponseShape) {
  EXPECT_EQ(format_response(200, "text/plain", "ok\n", true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n");
  EXPECT_EQ(format_response(413, "", "", false),
            "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  const std::string req = format_post("/cni", "{}");
  Parser p(Parser::Type::kRequest, kLimit);
  ASSERT_EQ(p.feed(req).status, Parser::Status::kMessage);
  Message m = p.take();
  EXPECT_EQ(m.method, "POST");
  EXPECT_EQ(m.body, "{}");
  EXPECT_FALSE(m.keep_alive);
}

}  // namespace
}  // namespace ovnk::cni::http
