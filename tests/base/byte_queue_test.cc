#include "base/byte_queue.h"

#include <string>

#include <gtest/gtest.h>

namespace ovnk {
namespace {

TEST(ByteQueue, AppendConsumeKeepsOrder) {
  ByteQueue q;
  EXPECT_TRUE(q.empty());
  q.append("hello ");
  q.append("world");
  EXPECT_EQ(q.readable(), "hello world");
  q.consume(6);
  EXPECT_EQ(q.readable(), "world");
  q.append("!");
  EXPECT_EQ(q.readable(), "world!");
  q.consume(6);
  EXPECT_TRUE(q.empty());
}

TEST(ByteQueue, PrepareCommit) {
  ByteQueue q;
  q.append("ab");
  char* p = q.prepare(10);
  p[0] = 'c';
  p[1] = 'd';
  q.commit(2);
  EXPECT_EQ(q.readable(), "abcd");
}

TEST(ByteQueue, InterleavedTrafficMatchesAReferenceString) {
  ByteQueue q;
  std::string reference;
  unsigned seed = 12345;
  for (int i = 0; i < 20000; ++i) {
    seed = seed * 1103515245u + 12345u;
    size_t n = (seed >> 16) % 97;
    if ((seed >> 8) % 3 != 0) {
      std::string chunk(n, static_cast<char>('a' + i % 26));
      q.append(chunk);
      reference += chunk;
    } else {
      size_t k = std::min(n, reference.size());
      q.consume(k);
      reference.erase(0, k);
    }
    ASSERT_EQ(q.size(), reference.size());
  }
  EXPECT_EQ(q.readable(), reference);
}

}  // namespace
}  // namespace ovnk
