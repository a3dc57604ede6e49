#include "agent/batch_split.h"

#include <gtest/gtest.h>

namespace ovnk::agent {
namespace {

using ovsdb::TxnStatus;

// Four items, two operations each (insert + mutate): ops 0..7.
const std::vector<size_t> kFirst = {0, 2, 4, 6};

TEST(BatchSplit, OkCommitsEveryone) {
  auto j = judge_batch(kFirst, 8, TxnStatus::kOk, std::nullopt, "");
  EXPECT_EQ(j.fates, std::vector<ItemFate>(4, ItemFate::kCommitted));
  EXPECT_TRUE(j.retry_groups.empty());
}

TEST(BatchSplit, AFailedOperationBlamesItsOwnerAndRetriesTheOthers) {
  auto j = judge_batch(kFirst, 8, TxnStatus::kOpError, 5, "constraint violation");
  EXPECT_EQ(j.fates[2], ItemFate::kFailed);
  EXPECT_EQ(j.fates[0], ItemFate::kRetry);
  ASSERT_EQ(j.retry_groups.size(), 1u);
  EXPECT_EQ(j.retry_groups[0], (std::vector<size_t>{0, 1, 3}));
}

TEST(BatchSplit, DuplicateUuidAsksTheReplica) {
  auto j = judge_batch(kFirst, 8, TxnStatus::kOpError, 0, "duplicate uuid");
  EXPECT_EQ(j.fates[0], ItemFate::kCheckApplied);
  ASSERT_EQ(j.retry_groups.size(), 1u);
  EXPECT_EQ(j.retry_groups[0], (std::vector<size_t>{1, 2, 3}));
}

TEST(BatchSplit, ACommitFailureSplitsInHalvesUntilTheCulpritIsAlone) {
  auto j = judge_batch(kFirst, 8, TxnStatus::kOpError, std::nullopt, "referential integrity violation");
  EXPECT_EQ(j.fates, std::vector<ItemFate>(4, ItemFate::kRetry));
  ASSERT_EQ(j.retry_groups.size(), 2u);
  EXPECT_EQ(j.retry_groups[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(j.retry_groups[1], (std::vector<size_t>{2, 3}));
  // Alone, the culprit gets the error.
  auto alone = judge_batch({0}, 2, TxnStatus::kOpError, std::nullopt, "constraint violation");
  EXPECT_EQ(alone.fates, std::vector<ItemFate>{ItemFate::kFailed});
  EXPECT_TRUE(alone.retry_groups.empty());
}

TEST(BatchSplit, SplittingConvergesForAnyBatchSize) {
  // Simulate: item 37 of 100 breaks any commit it is part of.
  const size_t n = 100;
  const size_t culprit = 37;
  std::vector<std::vector<size_t>> queue = {{}};
  for (size_t i = 0; i < n; ++i) queue[0].push_back(i);
  std::vector<int> outcome(n, -1);  // 1 committed, 0 failed
  int transactions = 0;
  while (!queue.empty()) {
    std::vector<size_t> group = queue.back();
    queue.pop_back();
    ++transactions;
    std::vector<size_t> first;
    for (size_t k = 0; k < group.size(); ++k) first.push_back(k * 2);
    bool bad = std::find(group.begin(), group.end(), culprit) != group.end();
    auto j = judge_batch(first, group.size() * 2, bad ? TxnStatus::kOpError : TxnStatus::kOk, std::nullopt,
                         bad ? "constraint violation" : "");
    for (size_t k = 0; k < group.size(); ++k) {
      if (j.fates[k] == ItemFate::kCommitted) outcome[group[k]] = 1;
      if (j.fates[k] == ItemFate::kFailed) outcome[group[k]] = 0;
    }
    for (auto& g : j.retry_groups) {
      std::vector<size_t> mapped;
      for (size_t idx : g) mapped.push_back(group[idx]);
      queue.push_back(mapped);
    }
  }
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(outcome[i], i == culprit ? 0 : 1) << i;
  EXPECT_LE(transactions, 2 * 7 + 1);  // about 2 log2(n): bisection, not one by one
}

TEST(BatchSplit, TryAgainRetriesTheWholeGroupAndErrorsFailEveryone) {
  auto again = judge_batch(kFirst, 8, TxnStatus::kTryAgain, std::nullopt, "");
  ASSERT_EQ(again.retry_groups.size(), 1u);
  EXPECT_EQ(again.retry_groups[0].size(), 4u);
  auto err = judge_batch(kFirst, 8, TxnStatus::kError, std::nullopt, "");
  EXPECT_EQ(err.fates, std::vector<ItemFate>(4, ItemFate::kFailed));
  EXPECT_TRUE(err.retry_groups.empty());
}

TEST(BatchSplit, ItemOfOp) {
  EXPECT_EQ(item_of_op(kFirst, 0), 0u);
  EXPECT_EQ(item_of_op(kFirst, 1), 0u);
  EXPECT_EQ(item_of_op(kFirst, 2), 1u);
  EXPECT_EQ(item_of_op(kFirst, 7), 3u);
  EXPECT_EQ(item_of_op({0, 3, 3, 5}, 3), 2u);  // an item with no op is skipped over
}

}  // namespace
}  // namespace ovnk::agent
