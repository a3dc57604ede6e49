// judge_batch(): what one transaction's outcome means for each item in it.
//
// Many items (one per pod) share one OVSDB transaction; each item owns a
// contiguous run of its operations. A transaction is atomic, so when it fails
// nothing of it was committed, and the items that did nothing wrong must be
// sent again without the one that did:
//   - ok: every item is committed;
//   - an operation failed: its owner is the culprit. "duplicate uuid" on an
//     insert means an earlier try of that item was committed after all (an
//     outcome we could not see: the connection dropped): the caller checks the
//     replica (kCheckApplied). Any other error fails the culprit alone. The
//     others go back as one group;
//   - the commit failed (referential integrity, a uniqueness index...): no
//     operation is to blame, so the batch is split in two halves, each its own
//     transaction, until the culprit is alone (log2(n) rounds at worst);
//   - try again (never sent, or the connection dropped in flight): every item
//     goes back, as the same group;
//   - any other error (a JSON-RPC error, the session closed): every item fails.
// Pure: indices in, verdicts out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "ovsdb-proto/session.h"

namespace ovnk::agent {

enum class ItemFate : uint8_t {
  kCommitted,     // its operations are in the database
  kFailed,        // its own error, reported to its owner
  kRetry,         // innocent bystander: in one of retry_groups
  kCheckApplied,  // "duplicate uuid": committed earlier if the replica has its rows
};

struct BatchJudgement {
  std::vector<ItemFate> fates;                     // per item, in batch order
  std::vector<std::vector<size_t>> retry_groups;   // item indices; one transaction each
};

// `first_op[i]` is the index of item i's first operation (ascending); the
// transaction has `op_count` operations. Items with no operation are not in a
// transaction at all.
BatchJudgement judge_batch(const std::vector<size_t>& first_op, size_t op_count,
                           ovsdb::TxnStatus status, std::optional<size_t> failed_op,
                           const std::string& op_error);

// The item owning operation `op`.
size_t item_of_op(const std::vector<size_t>& first_op, size_t op);

}  // namespace ovnk::agent
