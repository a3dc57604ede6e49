// TransactionBuilder and TransactionResult: the "transact" method of RFC 7047
// section 5.2, plus the ovsdb-server extension of an explicit "uuid" on insert.
//
// A builder collects operations for one database and encodes them as they are
// added (no second pass), so building 1000 inserts costs one growing string.
// Each add returns the operation's index in the result array.
//
// The result array of ovsdb-server has one element per operation: once an
// operation fails, its element is an error object {"error","details"[,"syntax"]}
// and every later element is null (not executed). When all operations succeed
// but the commit fails (referential integrity, constraint violation, a
// uniqueness index), the array has ONE MORE element: that commit error.
// parse_transaction_result() decodes both into per-operation results and says
// which operation failed and why.
//
// Named rows: insert(..., uuid_name="lsp0") lets other operations of the same
// transaction refer to the new row as Atom::named_uuid("lsp0"). An explicit
// uuid makes a retried transaction fail with "duplicate uuid" instead of
// creating a second row (ovsdb-server 3.1 reads "uuid" on insert; verified in
// tests/ovsdb-proto/transaction_server_test.cc). Pitfall, also verified there:
// when an insert has BOTH a uuid-name and an explicit uuid, every reference to
// the name must come AFTER that insert; a reference placed before it is bound
// to a fresh random uuid and the commit fails with a referential integrity
// violation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/datum.h"
#include "ovsdb-proto/json_value.h"
#include "ovsdb-proto/json_writer.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ovsdb {

// Column values written by insert/update and matched by wait: in the order given.
using ColumnValues = std::vector<std::pair<std::string, Datum>>;
// A row as returned by select: column name -> value.
using RowData = std::map<std::string, Datum, std::less<>>;

// Condition functions (RFC 7047 5.1 <condition>).
enum class Function : uint8_t {
  kLess,          // "<"
  kLessEqual,     // "<="
  kEqual,         // "=="
  kNotEqual,      // "!="
  kGreaterEqual,  // ">="
  kGreater,       // ">"
  kIncludes,      // "includes"
  kExcludes,      // "excludes"
};
std::string_view function_name(Function f);
std::optional<Function> parse_function(std::string_view name);

// [column, function, value], or a literal true/false (allowed in monitor_cond
// conditions and, by ovsdb-server, in where clauses).
struct Condition {
  std::string column;
  Function function = Function::kEqual;
  Datum value;
  std::optional<bool> literal;  // set: the condition is just `true` or `false`

  static Condition of(std::string column, Function f, Datum value) {
    return Condition{std::move(column), f, std::move(value), std::nullopt};
  }
  static Condition always(bool b) { return Condition{{}, Function::kEqual, {}, b}; }
  // [["_uuid","==",["uuid",u]]]: the way to address one row (no table scan).
  static Condition uuid_is(const Uuid& u) { return of("_uuid", Function::kEqual, Datum::uuid(u)); }
  static Condition named_uuid_is(std::string name) {
    return of("_uuid", Function::kEqual, Datum::named_uuid(std::move(name)));
  }

  void write_json(JsonWriter& w) const;
};
void write_conditions(JsonWriter& w, const std::vector<Condition>& where);

// Mutators (RFC 7047 5.1 <mutator>).
enum class Mutator : uint8_t {
  kAdd,       // "+="  integer/real scalars or sets (each element)
  kSubtract,  // "-="
  kMultiply,  // "*="
  kDivide,    // "/="
  kModulo,    // "%="  integers only
  kInsert,    // "insert": add elements to a set / pairs to a map (existing keys kept)
  kDelete,    // "delete": remove elements; for a map, a map (matching pairs) or a set of keys
};
std::string_view mutator_name(Mutator m);
std::optional<Mutator> parse_mutator(std::string_view name);

struct Mutation {
  std::string column;
  Mutator mutator = Mutator::kInsert;
  Datum value;
};

enum class OpKind : uint8_t {
  kInsert,
  kSelect,
  kUpdate,
  kMutate,
  kDelete,
  kWait,
  kCommit,
  kAbort,
  kComment,
  kAssert,
};
std::string_view op_name(OpKind k);  // the "op" string: "insert", ..., "delete", ...

enum class WaitUntil : uint8_t { kEqual, kNotEqual };

struct InsertOptions {
  std::string uuid_name;     // "" = none
  std::optional<Uuid> uuid;  // explicit row uuid
};

class TransactionBuilder {
 public:
  explicit TransactionBuilder(std::string database);
  TransactionBuilder(TransactionBuilder&&) noexcept;
  TransactionBuilder& operator=(TransactionBuilder&&) noexcept;
  ~TransactionBuilder();

  size_t insert(std::string_view table, const ColumnValues& row, const InsertOptions& options = {});
  // columns nullopt: every column.
  size_t select(std::string_view table, const std::vector<Condition>& where,
                const std::optional<std::vector<std::string>>& columns = std::nullopt);
  size_t update(std::string_view table, const std::vector<Condition>& where, const ColumnValues& row);
  size_t mutate(std::string_view table, const std::vector<Condition>& where,
                const std::vector<Mutation>& mutations);
  size_t delete_rows(std::string_view table, const std::vector<Condition>& where);
  // Waits until the rows matching `where`, projected on `columns`, are (==) or
  // are not (!=) exactly `rows`; timeout in ms (nullopt = forever, 0 = fail now).
  size_t wait(std::string_view table, const std::vector<Condition>& where,
              const std::vector<std::string>& columns, WaitUntil until, const std::vector<ColumnValues>& rows,
              std::optional<int64_t> timeout_ms = std::nullopt);
  size_t commit(bool durable);
  size_t abort();
  size_t comment(std::string_view text);
  // The lock name must be an <id> ([A-Za-z_][A-Za-z0-9_]*): anything else is
  // a "syntax error" from the server.
  size_t assert_lock(std::string_view lock);

  const std::string& database() const { return database_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  OpKind kind(size_t op) const { return ops_[op].kind; }
  const std::string& table(size_t op) const { return ops_[op].table; }

  // ["DB", op, ...]: the "params" of a transact request.
  std::string params_json() const;
  // The whole JSON-RPC request {"id":id,"method":"transact","params":[...]}.
  std::string request_json(uint64_t id) const;

 private:
  struct OpInfo {
    OpKind kind;
    std::string table;
  };
  JsonWriter& begin_op(OpKind kind, std::string_view table);
  void end_op();

  std::string database_;
  std::vector<OpInfo> ops_;
  std::string ops_json_;  // "op1,op2,..." (each a complete object)
  std::unique_ptr<JsonWriter> writer_;  // scratch for one op (unique_ptr: movable builder)
};

struct OpError {
  std::string error;    // "constraint violation", "referential integrity violation", ...
  std::string details;  // human text, may be ""
  std::string syntax;   // the offending JSON as text, present for syntax errors

  std::string to_string() const;  // "error: details"
};

struct OpResult {
  OpKind kind = OpKind::kComment;
  // Not executed because an earlier operation failed (null in the array).
  bool skipped = false;
  std::optional<OpError> error;
  std::optional<Uuid> uuid;      // insert
  std::optional<int64_t> count;  // update, mutate, delete
  std::vector<RowData> rows;     // select

  bool ok() const { return !error && !skipped; }
};

struct TransactionResult {
  std::vector<OpResult> ops;
  // The extra trailing element: every operation succeeded but the commit failed.
  std::optional<OpError> commit_error;

  bool ok() const;

  struct Failure {
    std::optional<size_t> op;  // nullopt = the commit itself
    std::optional<OpKind> kind;
    OpError error;
  };
  std::optional<Failure> failure() const;
  // "operation 3 (insert Logical_Switch_Port) failed: constraint violation: ..."
  // or "commit failed: referential integrity violation: ..."; "" when ok.
  std::string describe_failure(const TransactionBuilder* txn = nullptr) const;
};

// Decodes the "result" of a transact reply for the operations of `txn`. With a
// schema, selected rows are decoded with their column types (exact); without,
// the JSON shape decides. A result that is not an array, shorter than the
// operations, or with wrongly shaped elements is an error (errc::kSyntax).
Result<TransactionResult> parse_transaction_result(PaddedView result, const TransactionBuilder& txn,
                                                   const DatabaseSchema* schema = nullptr);
Result<TransactionResult> parse_transaction_result(std::string_view result, const TransactionBuilder& txn,
                                                   const DatabaseSchema* schema = nullptr);

}  // namespace ovnk::ovsdb
