#include "ovsdb-proto/transaction.h"

#include "ovsdb-proto/detail/simd.h"

namespace ovnk::ovsdb {

using detail::proto_error;
using simdjson::dom::element;
using simdjson::dom::element_type;

// ---- Names --------------------------------------------------------------------

std::string_view function_name(Function f) {
  switch (f) {
    case Function::kLess: return "<";
    case Function::kLessEqual: return "<=";
    case Function::kEqual: return "==";
    case Function::kNotEqual: return "!=";
    case Function::kGreaterEqual: return ">=";
    case Function::kGreater: return ">";
    case Function::kIncludes: return "includes";
    case Function::kExcludes: return "excludes";
  }
  return "?";
}

std::optional<Function> parse_function(std::string_view name) {
  for (auto f : {Function::kLess, Function::kLessEqual, Function::kEqual, Function::kNotEqual,
                 Function::kGreaterEqual, Function::kGreater, Function::kIncludes, Function::kExcludes}) {
    if (function_name(f) == name) return f;
  }
  return std::nullopt;
}

std::string_view mutator_name(Mutator m) {
  switch (m) {
    case Mutator::kAdd: return "+=";
    case Mutator::kSubtract: return "-=";
    case Mutator::kMultiply: return "*=";
    case Mutator::kDivide: return "/=";
    case Mutator::kModulo: return "%=";
    case Mutator::kInsert: return "insert";
    case Mutator::kDelete: return "delete";
  }
  return "?";
}

std::optional<Mutator> parse_mutator(std::string_view name) {
  for (auto m : {Mutator::kAdd, Mutator::kSubtract, Mutator::kMultiply, Mutator::kDivide, Mutator::kModulo,
                 Mutator::kInsert, Mutator::kDelete}) {
    if (mutator_name(m) == name) return m;
  }
  return std::nullopt;
}

std::string_view op_name(OpKind k) {
  switch (k) {
    case OpKind::kInsert: return "insert";
    case OpKind::kSelect: return "select";
    case OpKind::kUpdate: return "update";
    case OpKind::kMutate: return "mutate";
    case OpKind::kDelete: return "delete";
    case OpKind::kWait: return "wait";
    case OpKind::kCommit: return "commit";
    case OpKind::kAbort: return "abort";
    case OpKind::kComment: return "comment";
    case OpKind::kAssert: return "assert";
  }
  return "?";
}

// ---- Encoding -----------------------------------------------------------------

void Condition::write_json(JsonWriter& w) const {
  if (literal) {
    w.boolean(*literal);
    return;
  }
  w.start_array().string(column).string(function_name(function));
  value.write_json(w);
  w.end_array();
}

void write_conditions(JsonWriter& w, const std::vector<Condition>& where) {
  w.start_array();
  for (const auto& c : where) c.write_json(w);
  w.end_array();
}

namespace {

void write_row(JsonWriter& w, const ColumnValues& row) {
  w.start_object();
  for (const auto& [column, datum] : row) {
    w.key(column);
    datum.write_json(w);
  }
  w.end_object();
}

}  // namespace

TransactionBuilder::TransactionBuilder(std::string database)
    : database_(std::move(database)), writer_(std::make_unique<JsonWriter>()) {}
TransactionBuilder::TransactionBuilder(TransactionBuilder&&) noexcept = default;
TransactionBuilder& TransactionBuilder::operator=(TransactionBuilder&&) noexcept = default;
TransactionBuilder::~TransactionBuilder() = default;

JsonWriter& TransactionBuilder::begin_op(OpKind kind, std::string_view table) {
  ops_.push_back(OpInfo{kind, std::string(table)});
  if (!writer_) writer_ = std::make_unique<JsonWriter>();  // a moved-from builder reused
  writer_->start_object().key("op").string(op_name(kind));
  if (!table.empty()) writer_->key("table").string(table);
  return *writer_;
}

void TransactionBuilder::end_op() {
  writer_->end_object();
  if (ops_.size() > 1) ops_json_.push_back(',');
  ops_json_.append(writer_->view());
  (void)writer_->take();
}

size_t TransactionBuilder::insert(std::string_view table, const ColumnValues& row, const InsertOptions& options) {
  JsonWriter& w = begin_op(OpKind::kInsert, table);
  w.key("row");
  write_row(w, row);
  if (!options.uuid_name.empty()) w.key("uuid-name").string(options.uuid_name);
  if (options.uuid) w.key("uuid").string(options.uuid->to_string());
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::select(std::string_view table, const std::vector<Condition>& where,
                                  const std::optional<std::vector<std::string>>& columns) {
  JsonWriter& w = begin_op(OpKind::kSelect, table);
  w.key("where");
  write_conditions(w, where);
  if (columns) {
    w.key("columns").start_array();
    for (const auto& c : *columns) w.string(c);
    w.end_array();
  }
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::update(std::string_view table, const std::vector<Condition>& where,
                                  const ColumnValues& row) {
  JsonWriter& w = begin_op(OpKind::kUpdate, table);
  w.key("where");
  write_conditions(w, where);
  w.key("row");
  write_row(w, row);
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::mutate(std::string_view table, const std::vector<Condition>& where,
                                  const std::vector<Mutation>& mutations) {
  JsonWriter& w = begin_op(OpKind::kMutate, table);
  w.key("where");
  write_conditions(w, where);
  w.key("mutations").start_array();
  for (const auto& m : mutations) {
    w.start_array().string(m.column).string(mutator_name(m.mutator));
    m.value.write_json(w);
    w.end_array();
  }
  w.end_array();
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::delete_rows(std::string_view table, const std::vector<Condition>& where) {
  JsonWriter& w = begin_op(OpKind::kDelete, table);
  w.key("where");
  write_conditions(w, where);
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::wait(std::string_view table, const std::vector<Condition>& where,
                                const std::vector<std::string>& columns, WaitUntil until,
                                const std::vector<ColumnValues>& rows, std::optional<int64_t> timeout_ms) {
  JsonWriter& w = begin_op(OpKind::kWait, table);
  if (timeout_ms) w.key("timeout").integer(*timeout_ms);
  w.key("where");
  write_conditions(w, where);
  w.key("columns").start_array();
  for (const auto& c : columns) w.string(c);
  w.end_array();
  w.key("until").string(until == WaitUntil::kEqual ? "==" : "!=");
  w.key("rows").start_array();
  for (const auto& r : rows) write_row(w, r);
  w.end_array();
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::commit(bool durable) {
  begin_op(OpKind::kCommit, {}).key("durable").boolean(durable);
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::abort() {
  begin_op(OpKind::kAbort, {});
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::comment(std::string_view text) {
  begin_op(OpKind::kComment, {}).key("comment").string(text);
  end_op();
  return ops_.size() - 1;
}

size_t TransactionBuilder::assert_lock(std::string_view lock) {
  begin_op(OpKind::kAssert, {}).key("lock").string(lock);
  end_op();
  return ops_.size() - 1;
}

std::string TransactionBuilder::params_json() const {
  std::string db = json_quote(database_);
  std::string out;
  out.reserve(db.size() + ops_json_.size() + 3);
  out.push_back('[');
  out.append(db);
  if (!ops_json_.empty()) out.push_back(',');
  out.append(ops_json_);
  out.push_back(']');
  return out;
}

std::string TransactionBuilder::request_json(uint64_t id) const {
  std::string p = params_json();
  std::string out;
  out.reserve(p.size() + 64);
  out.append("{\"id\":").append(std::to_string(id)).append(",\"method\":\"transact\",\"params\":");
  out.append(p);
  out.push_back('}');
  return out;
}

// ---- Results ------------------------------------------------------------------

std::string OpError::to_string() const {
  std::string out = error;
  if (!details.empty()) out.append(": ").append(details);
  return out;
}

bool TransactionResult::ok() const {
  if (commit_error) return false;
  for (const auto& op : ops) {
    if (!op.ok()) return false;
  }
  return true;
}

std::optional<TransactionResult::Failure> TransactionResult::failure() const {
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].error) return Failure{i, ops[i].kind, *ops[i].error};
  }
  if (commit_error) return Failure{std::nullopt, std::nullopt, *commit_error};
  return std::nullopt;
}

std::string TransactionResult::describe_failure(const TransactionBuilder* txn) const {
  auto f = failure();
  if (!f) return {};
  if (!f->op) return "commit failed: " + f->error.to_string();
  std::string out = "operation " + std::to_string(*f->op) + " (" + std::string(op_name(*f->kind));
  if (txn != nullptr && *f->op < txn->size() && !txn->table(*f->op).empty()) {
    out.append(" ").append(txn->table(*f->op));
  }
  out.append(") failed: ").append(f->error.to_string());
  return out;
}

namespace {

Error result_error(std::string_view what) {
  return proto_error(errc::kSyntax, std::string("transact result: ") + std::string(what));
}

// {"error": "...", "details": "...", "syntax": "..."}; false if `o` has no "error".
bool as_op_error(simdjson::dom::object o, OpError& out) {
  std::string_view s;
  if (o["error"].get_string().get(s)) return false;
  out.error = std::string(s);
  if (!o["details"].get_string().get(s)) out.details = std::string(s);
  if (!o["syntax"].get_string().get(s)) out.syntax = std::string(s);
  return true;
}

Result<RowData> decode_row(element e, const TableSchema* table) {
  simdjson::dom::object o;
  if (e.get_object().get(o)) return result_error("a selected row is not an object");
  RowData row;
  for (auto field : o) {
    const ColumnSchema* col = table ? table->column(field.key) : nullptr;
    auto d = detail::datum_from_json(field.value, col ? &col->type : nullptr);
    if (!d.ok()) {
      std::string ctx = table ? table->name + "." : std::string();
      ctx.append(field.key);
      return std::move(d).error().with_context(ctx);
    }
    row.emplace(std::string(field.key), std::move(d).value());
  }
  return row;
}

}  // namespace

Result<TransactionResult> parse_transaction_result(PaddedView result, const TransactionBuilder& txn,
                                                   const DatabaseSchema* schema) {
  detail::ScratchParser parser(result.size());
  OVNK_ASSIGN_OR_RETURN(element root, detail::parse_dom(parser.get(), result));
  simdjson::dom::array items;
  if (root.get_array().get(items)) return result_error("not an array");
  const size_t n = txn.size();
  const size_t got = items.size();
  if (got < n) {
    return result_error(std::to_string(got) + " results for " + std::to_string(n) + " operations");
  }
  if (got > n + 1) {
    return result_error(std::to_string(got) + " results for " + std::to_string(n) +
                        " operations (at most one extra commit error expected)");
  }

  TransactionResult out;
  out.ops.resize(n);
  size_t i = 0;
  for (element item : items) {
    if (i == n) {
      // The extra element: the commit failed although every operation succeeded.
      simdjson::dom::object o;
      OpError err;
      if (item.get_object().get(o) || !as_op_error(o, err)) return result_error("extra element is not an error");
      out.commit_error = std::move(err);
      break;
    }
    OpResult& r = out.ops[i];
    r.kind = txn.kind(i);
    if (item.is_null()) {
      r.skipped = true;
      ++i;
      continue;
    }
    simdjson::dom::object o;
    if (item.get_object().get(o)) {
      return result_error("result " + std::to_string(i) + " is neither an object nor null");
    }
    OpError err;
    if (as_op_error(o, err)) {
      r.error = std::move(err);
      ++i;
      continue;
    }
    element m;
    switch (r.kind) {
      case OpKind::kInsert: {
        if (o["uuid"].get(m)) return result_error("insert result " + std::to_string(i) + " has no uuid");
        OVNK_ASSIGN_OR_RETURN(Uuid u, detail::uuid_from_json(m));
        r.uuid = u;
        break;
      }
      case OpKind::kUpdate:
      case OpKind::kMutate:
      case OpKind::kDelete: {
        int64_t count = 0;
        if (o["count"].get(m) || m.get_int64().get(count)) {
          return result_error(std::string(op_name(r.kind)) + " result " + std::to_string(i) + " has no count");
        }
        r.count = count;
        break;
      }
      case OpKind::kSelect: {
        simdjson::dom::array rows;
        if (o["rows"].get(m) || m.get_array().get(rows)) {
          return result_error("select result " + std::to_string(i) + " has no rows");
        }
        const TableSchema* table = schema ? schema->table(txn.table(i)) : nullptr;
        r.rows.reserve(rows.size());
        for (element row : rows) {
          OVNK_ASSIGN_OR_RETURN(RowData d, decode_row(row, table));
          r.rows.push_back(std::move(d));
        }
        break;
      }
      case OpKind::kWait:
      case OpKind::kCommit:
      case OpKind::kAbort:
      case OpKind::kComment:
      case OpKind::kAssert: break;
    }
    ++i;
  }
  return out;
}

Result<TransactionResult> parse_transaction_result(std::string_view result, const TransactionBuilder& txn,
                                                   const DatabaseSchema* schema) {
  PaddedString padded(result);
  return parse_transaction_result(padded.view(), txn, schema);
}

}  // namespace ovnk::ovsdb
