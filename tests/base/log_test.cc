#include "base/log.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ovnk::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = level();
    set_sink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    set_sink({});
    set_level(saved_);
  }
  std::vector<std::string> lines_;
  Level saved_{};
};

TEST_F(LogTest, WritesKeyValueFieldsAndQuotesWhenNeeded) {
  set_level(Level::kInfo);
  LOG_INFO("pod_ready", kv("pod", "default/web-1"), kv("ms", 4), kv("msg", "two words"),
           kv("ok", true));
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& l = lines_[0];
  EXPECT_NE(l.find(" level=info event=pod_ready pod=default/web-1 ms=4 msg=\"two words\" ok=true"),
            std::string::npos)
      << l;
  EXPECT_EQ(l[4], '-');                  // starts with an ISO date
  EXPECT_EQ(l.find('\n'), std::string::npos);
}

TEST_F(LogTest, EscapesQuotesAndNewlines) {
  std::string line = format_line(Level::kWarn, "x", {kv("v", "a\"b\nc")});
  EXPECT_NE(line.find("v=\"a\\\"b\\nc\""), std::string::npos) << line;
}

TEST_F(LogTest, LevelFiltersAndSkipsFormatting) {
  set_level(Level::kWarn);
  int formatted = 0;
  auto expensive = [&formatted] {
    ++formatted;
    return std::string("x");
  };
  LOG_INFO("hidden", kv("v", expensive()));
  LOG_ERROR("shown", kv("v", expensive()));
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_EQ(formatted, 1);
}

TEST(LogLevel, Parses) {
  EXPECT_EQ(*parse_level("debug"), Level::kDebug);
  EXPECT_EQ(*parse_level("warning"), Level::kWarn);
  auto bad = parse_level("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("loud"), std::string::npos);
}

}  // namespace
}  // namespace ovnk::log
