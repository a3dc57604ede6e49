#include "ovsdb-proto/framing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace ovnk::ovsdb {
namespace {

// Messages chosen to trip a naive brace counter: braces and brackets inside
// strings, escaped quotes, an escaped backslash right before a closing quote,
// unicode escapes, nested arrays, a top-level array.
const std::vector<std::string> kMessages = {
    R"({"id":1,"method":"echo","params":[]})",
    R"({"id":"echo","result":[],"error":null})",
    R"({"method":"update2","params":["m",{"T":{"u":{"insert":{"s":"}}}]]{{[","q":"say \"hi\" {"}}}}],"id":null})",
    R"({"id":2,"result":[{"x":"ends with backslash \\"},{"y":"\\\"}\\"}],"error":null})",
    R"(["top","level","array",{"a":[[[]]]}])",
    R"({"id":3,"error":{"error":"unknown method","details":"\u007b\ud83d\ude00"}})",
    R"({"id":4,"result":{"k":"tab\there","n":-1.5e3,"t":true,"f":false,"z":null},"error":null})",
};

std::string transcript() {
  std::string t;
  for (size_t i = 0; i < kMessages.size(); ++i) {
    t += kMessages[i];
    if (i % 2 == 0) t += "\n";  // ovsdb-server writes none; tolerate whitespace anyway
    if (i == 3) t += " \t\r\n ";
  }
  return t;
}

// Feeds `chunks` and collects every message, asserting padding on each.
std::vector<std::string> drain(Framer& f, const std::vector<std::string_view>& chunks) {
  std::vector<std::string> out;
  for (std::string_view c : chunks) {
    f.feed(c);
    for (;;) {
      auto r = f.next();
      EXPECT_TRUE(r.ok()) << r.error().to_string();
      if (!r.ok() || !r->has_value()) break;
      PaddedView v = **r;
      // The promised padding is readable (ASan would flag it otherwise).
      volatile char sink = 0;
      for (size_t i = 0; i < kJsonPadding; ++i) sink = static_cast<char>(sink ^ v.data()[v.size() + i]);
      (void)sink;
      out.emplace_back(v.text());
    }
  }
  return out;
}

TEST(Framer, WholeTranscript) {
  Framer f;
  std::string t = transcript();
  EXPECT_EQ(drain(f, {t}), kMessages);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(Framer, EverySplitOffset) {
  std::string t = transcript();
  for (size_t split = 0; split <= t.size(); ++split) {
    Framer f;
    std::string_view sv(t);
    auto got = drain(f, {sv.substr(0, split), sv.substr(split)});
    ASSERT_EQ(got, kMessages) << "split at " << split;
  }
}

TEST(Framer, EveryPairOfSplitOffsetsOnAShortTranscript) {
  std::string t = kMessages[2] + kMessages[3];
  for (size_t a = 0; a <= t.size(); ++a) {
    for (size_t b = a; b <= t.size(); b += 3) {
      Framer f;
      std::string_view sv(t);
      auto got = drain(f, {sv.substr(0, a), sv.substr(a, b - a), sv.substr(b)});
      ASSERT_EQ(got, (std::vector<std::string>{kMessages[2], kMessages[3]})) << a << "," << b;
    }
  }
}

TEST(Framer, ByteByByteAndRandomChunks) {
  std::string t = transcript();
  {
    Framer f;
    std::vector<std::string_view> chunks;
    for (size_t i = 0; i < t.size(); ++i) chunks.push_back(std::string_view(t).substr(i, 1));
    EXPECT_EQ(drain(f, chunks), kMessages);
  }
  std::mt19937 rng(99);
  for (int iter = 0; iter < 200; ++iter) {
    Framer f;
    std::vector<std::string_view> chunks;
    size_t pos = 0;
    while (pos < t.size()) {
      size_t n = 1 + rng() % 40;
      chunks.push_back(std::string_view(t).substr(pos, n));
      pos += n;
    }
    ASSERT_EQ(drain(f, chunks), kMessages);
  }
}

TEST(Framer, PrepareCommit) {
  std::string t = transcript();
  Framer f;
  std::vector<std::string> got;
  size_t pos = 0;
  while (pos < t.size()) {
    size_t n = std::min<size_t>(17, t.size() - pos);
    char* p = f.prepare(64);
    std::memcpy(p, t.data() + pos, n);
    f.commit(n);
    pos += n;
    for (;;) {
      auto r = f.next();
      ASSERT_TRUE(r.ok());
      if (!r->has_value()) break;
      got.emplace_back((**r).text());
    }
  }
  EXPECT_EQ(got, kMessages);
}

TEST(Framer, IncompleteMessageWaits) {
  Framer f;
  f.feed(R"({"id":1,"result":"}")");
  auto r = f.next();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(f.buffered(), 20u);
  f.feed("}");
  r = f.next();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((**r).text(), R"({"id":1,"result":"}"})");
}

TEST(Framer, GarbageIsAnErrorThatSticks) {
  for (const char* bad : {"x", "1", "\"str\"", "}", "]", "{}x", "{} null", "\x00"}) {
    Framer f;
    f.feed(std::string_view(bad, std::max<size_t>(1, std::strlen(bad))));
    Result<std::optional<PaddedView>> r = f.next();
    // A valid first message may come out before the garbage.
    while (r.ok() && r->has_value()) r = f.next();
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, errc::kSyntax);
    EXPECT_NE(r.error().message.find("garbage"), std::string::npos) << r.error().message;
    EXPECT_TRUE(f.failed());
    f.feed("{}");
    EXPECT_FALSE(f.next().ok());  // sticky
    f.reset();
    f.feed("{}");
    auto again = f.next();
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(again->has_value());
  }
}

TEST(Framer, SizeLimitWhileIncompleteAndWhenComplete) {
  {
    Framer f(32);
    f.feed(R"({"id":1,"result":")");
    EXPECT_TRUE(f.next().ok());
    f.feed(std::string(100, 'a'));  // still inside a string, never completes
    auto r = f.next();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::kTooBig);
    EXPECT_NE(r.error().message.find("maximum size of 32 bytes"), std::string::npos);
  }
  {
    Framer f(32);
    std::string exact = R"({"k":")" + std::string(32 - 8, 'b') + R"("})";
    ASSERT_EQ(exact.size(), 32u);
    f.feed(exact + exact + R"({"k":")" + std::string(30, 'c') + R"("})");
    for (int i = 0; i < 2; ++i) {
      auto r = f.next();
      ASSERT_TRUE(r.ok());
      ASSERT_TRUE(r->has_value());
      EXPECT_EQ((**r).text(), exact);
    }
    auto r = f.next();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, errc::kTooBig);
  }
}

TEST(Framer, BufferIsReclaimed) {
  Framer f;
  std::string msg = R"({"id":1,"result":[)" + std::string(1000, ' ') + "]}";
  for (int i = 0; i < 10000; ++i) {
    f.feed(msg);
    auto r = f.next();
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->has_value());
  }
  EXPECT_EQ(f.buffered(), 0u);
}

}  // namespace
}  // namespace ovnk::ovsdb
