#include "agent/batch_split.h"

#include <algorithm>

namespace ovnk::agent {

size_t item_of_op(const std::vector<size_t>& first_op, size_t op) {
  // The last item whose first operation is <= op.
  auto it = std::upper_bound(first_op.begin(), first_op.end(), op);
  if (it == first_op.begin()) return 0;
  return static_cast<size_t>(it - first_op.begin()) - 1;
}

BatchJudgement judge_batch(const std::vector<size_t>& first_op, size_t op_count,
                           ovsdb::TxnStatus status, std::optional<size_t> failed_op,
                           const std::string& op_error) {
  const size_t n = first_op.size();
  BatchJudgement j;
  auto all = [&](ItemFate fate) { j.fates.assign(n, fate); };
  auto everyone = [&] {
    std::vector<size_t> g(n);
    for (size_t i = 0; i < n; ++i) g[i] = i;
    return g;
  };
  switch (status) {
    case ovsdb::TxnStatus::kOk:
      all(ItemFate::kCommitted);
      return j;
    case ovsdb::TxnStatus::kTryAgain:
      all(ItemFate::kRetry);
      if (n > 0) j.retry_groups.push_back(everyone());
      return j;
    case ovsdb::TxnStatus::kError:
      all(ItemFate::kFailed);
      return j;
    case ovsdb::TxnStatus::kOpError:
      break;
  }
  if (n == 0) return j;
  if (failed_op && *failed_op < op_count) {
    size_t culprit = item_of_op(first_op, *failed_op);
    all(ItemFate::kRetry);
    j.fates[culprit] = op_error == "duplicate uuid" ? ItemFate::kCheckApplied : ItemFate::kFailed;
    std::vector<size_t> rest;
    for (size_t i = 0; i < n; ++i) {
      if (i != culprit) rest.push_back(i);
    }
    if (!rest.empty()) j.retry_groups.push_back(std::move(rest));
    return j;
  }
  // The commit failed: nobody to blame yet.
  if (n == 1) {
    all(ItemFate::kFailed);
    return j;
  }
  all(ItemFate::kRetry);
  std::vector<size_t> lo;
  std::vector<size_t> hi;
  for (size_t i = 0; i < n; ++i) (i < n / 2 ? lo : hi).push_back(i);
  j.retry_groups.push_back(std::move(lo));
  j.retry_groups.push_back(std::move(hi));
  return j;
}

}  // namespace ovnk::agent
