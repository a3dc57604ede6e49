#include "ovsdb-proto/session.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/log.h"

namespace ovnk::ovsdb {

namespace {

// Monitor ids of the two monitors of a connection (JSON strings).
constexpr std::string_view kServerMonitorId = "\"ovnk-server\"";
constexpr std::string_view kDataMonitorId = "\"ovnk-data\"";

// The part of the _Server schema the session reads (ovsdb-server(7), "Database"
// table). Only these columns are monitored: "schema" is large and not needed.
constexpr std::string_view kServerSchema = R"({
  "name": "_Server", "version": "1.2.0",
  "tables": {"Database": {"isRoot": true, "columns": {
    "name": {"type": "string"},
    "model": {"type": "string"},
    "connected": {"type": "boolean"},
    "leader": {"type": "boolean"},
    "index": {"type": {"key": "integer", "min": 0}},
    "cid": {"type": {"key": "uuid", "min": 0}}}}}})";

// Whether the first element of a params array is the raw JSON `id`. Our ids are
// plain strings, and the server echoes them as it received them.
bool first_param_is(std::string_view params, std::string_view id) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < params.size() && (params[i] == ' ' || params[i] == '\n' || params[i] == '\r' || params[i] == '\t')) {
      ++i;
    }
  };
  skip_ws();
  if (i >= params.size() || params[i] != '[') return false;
  ++i;
  skip_ws();
  if (params.substr(i, id.size()) != id) return false;
  i += id.size();
  skip_ws();
  return i < params.size() && (params[i] == ',' || params[i] == ']');
}

std::string_view scalar_string(const ReplicaTable& table, const Row& row, std::string_view column) {
  const Datum* d = table.get(row, column);
  if (d == nullptr || d->as_scalar() == nullptr || !d->as_scalar()->is_string()) return {};
  return d->as_scalar()->as_string();
}

bool scalar_bool(const ReplicaTable& table, const Row& row, std::string_view column) {
  const Datum* d = table.get(row, column);
  return d != nullptr && d->as_scalar() != nullptr && d->as_scalar()->is_boolean() &&
         d->as_scalar()->as_boolean();
}

int64_t optional_integer(const ReplicaTable& table, const Row& row, std::string_view column) {
  const Datum* d = table.get(row, column);
  if (d == nullptr || d->size() != 1 || !d->keys()[0].is_integer()) return 0;
  return d->keys()[0].as_integer();
}

Error session_error(int code, std::string message) { return make_error("ovsdb", code, message); }

}  // namespace

std::string_view txn_status_name(TxnStatus status) {
  switch (status) {
    case TxnStatus::kOk:
      return "ok";
    case TxnStatus::kOpError:
      return "op_error";
    case TxnStatus::kTryAgain:
      return "try_again";
    case TxnStatus::kError:
      return "error";
  }
  return "unknown";
}

std::string_view session_state_name(Session::State state) {
  switch (state) {
    case Session::State::kIdle:
      return "idle";
    case Session::State::kConnecting:
      return "connecting";
    case Session::State::kCheckingServer:
      return "checking_server";
    case Session::State::kFetchingSchema:
      return "fetching_schema";
    case Session::State::kMonitoring:
      return "monitoring";
    case Session::State::kReady:
      return "ready";
  }
  return "unknown";
}

Result<std::unique_ptr<Session>> Session::create(reactor::Loop& loop, SessionOptions options,
                                                 SessionHooks hooks) {
  OVNK_ASSIGN_OR_RETURN(std::vector<Remote> remotes, parse_remotes(options.remotes));
  std::optional<reactor::TlsContext> tls;
  bool any_ssl = std::any_of(remotes.begin(), remotes.end(), [](const Remote& r) { return r.is_ssl(); });
  if (any_ssl) {
    if (!options.tls) {
      return make_error("tls", EINVAL,
                        "ssl: remotes need a private key, a certificate and a CA certificate");
    }
    OVNK_ASSIGN_OR_RETURN(reactor::TlsContext context, make_client_tls(*options.tls));
    tls = std::move(context);
  }
  if (options.database.empty() && !options.monitor.empty()) {
    return make_error("ovsdb", EINVAL, "a monitor needs a database name");
  }
  return std::unique_ptr<Session>(
      new Session(loop, std::move(options), std::move(hooks), std::move(remotes), std::move(tls)));
}

namespace {
std::vector<std::string> remote_texts(const std::vector<Remote>& remotes) {
  std::vector<std::string> out;
  out.reserve(remotes.size());
  for (const auto& r : remotes) out.push_back(r.text());
  return out;
}
}  // namespace

Session::Session(reactor::Loop& loop, SessionOptions options, SessionHooks hooks, std::vector<Remote> remotes,
                 std::optional<reactor::TlsContext> tls)
    : loop_(loop),
      options_(std::move(options)),
      hooks_(std::move(hooks)),
      remotes_(std::move(remotes)),
      tls_(std::move(tls)),
      name_(!options_.name.empty()       ? options_.name
            : !options_.database.empty() ? options_.database
                                         : std::string("ovsdb")),
      fsm_(remote_texts(remotes_), options_.reconnect, loop.now()),
      monitor_method_(options_.monitor_method) {
  fsm_timer_ = loop_.make_timer([this] { drive(); });
  queue_timer_ = loop_.make_timer([this] { expire_queued(); });
}

Session::~Session() {
  // Nothing is called back after this point: the timers, the attempt and the
  // connection die with the session, and posted work is dropped.
  if (conn_) conn_->close();
}

void Session::start() {
  if (started_ || closed_) return;
  started_ = true;
  LOG_INFO("ovsdb_session_start", log::kv("session", name_), log::kv("remotes", options_.remotes),
           log::kv("leader_only", options_.leader_only));
  fsm_.enable(loop_.now());
  drive();
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  Error reason = session_error(errc::kClosed, "session " + name_ + " closed");
  // Pending work ends with kError, not kTryAgain: nobody will send it.
  std::vector<uint64_t> tokens;
  tokens.reserve(ops_.size());
  for (const auto& [token, op] : ops_) tokens.push_back(token);
  std::sort(tokens.begin(), tokens.end());
  for (uint64_t token : tokens) {
    auto it = ops_.find(token);
    Op op = std::move(it->second);
    ops_.erase(it);
    if (op.is_txn) {
      TransactResult r;
      r.status = TxnStatus::kError;
      r.error = reason;
      complete_txn(std::move(op), std::move(r));
    } else {
      complete_request(std::move(op), reason);
    }
  }
  queue_.clear();
  deadlines_.clear();
  queue_timer_->stop();
  fsm_.disable(loop_.now());
  fsm_timer_->stop();
  teardown(reason);
}

void Session::force_reconnect() {
  request_reconnect(session_error(errc::kTryAgain, "reconnect requested"), false);
}

// ---- The FSM -----------------------------------------------------------------

void Session::drive() {
  if (driving_) {
    redrive_ = true;
    return;
  }
  driving_ = true;
  for (;;) {
    redrive_ = false;
    MonoTime now = loop_.now();
    Reconnect::State before = fsm_.state();
    Reconnect::Step step = fsm_.run(now);
    switch (step.action) {
      case Reconnect::Action::kNone:
        break;
      case Reconnect::Action::kConnect:
        start_connect(step.remote);
        break;
      case Reconnect::Action::kDisconnect: {
        Error reason;
        if (pending_reason_) {
          reason = *pending_reason_;
        } else if (before == Reconnect::State::kConnectInProgress) {
          reason = make_error("io", ETIMEDOUT, "connect " + current_remote_ + ": timed out");
        } else if (before == Reconnect::State::kIdle) {
          reason = make_error("io", ETIMEDOUT,
                              current_remote_ + ": no answer to the inactivity probe for " +
                                  std::to_string(to_whole_millis(fsm_.probe_interval())) + " ms");
        } else {
          reason = session_error(errc::kTryAgain, "disconnected");
        }
        teardown(reason);
        break;
      }
      case Reconnect::Action::kProbe:
        if (conn_) {
          uint64_t id = conn_->next_id();
          inflight_[id] = Pending{PendingKind::kProbe};
          conn_->send_request("echo", params::echo(), id);
          ++stats_.probes_sent;
        }
        break;
    }
    if (step.action == Reconnect::Action::kNone && !redrive_) {
      if (step.wake_at) {
        fsm_timer_->start(std::max(Duration::zero(), *step.wake_at - now));
      } else {
        fsm_timer_->stop();
      }
      break;
    }
  }
  driving_ = false;
}

void Session::start_connect(size_t remote_index) {
  const Remote& remote = remotes_[remote_index];
  state_ = State::kConnecting;
  current_remote_ = remote.text();
  ++stats_.connect_attempts;
  reactor::Resolver* resolver = options_.resolver;
  if (resolver == nullptr && !remote.is_unix() && !remote.host_is_ip()) {
    if (!own_resolver_) {
      auto created = reactor::Resolver::create(loop_);
      if (created.ok()) {
        own_resolver_ = std::move(created).value();
      } else {
        LOG_WARN("ovsdb_session_resolver_failed", log::kv("session", name_), log::kv("error", created.error()));
      }
    }
    resolver = own_resolver_.get();
  }
  ConnectOptions co;
  co.timeout = std::max(options_.reconnect.connect_timeout, fsm_.backoff());
  co.stream = options_.stream;
  LOG_DEBUG("ovsdb_session_connecting", log::kv("session", name_), log::kv("remote", current_remote_));
  attempt_ = connect_remote(loop_, resolver, remote, tls_ ? &*tls_ : nullptr, co,
                            [this](Result<std::unique_ptr<reactor::Stream>> r) { on_connect_done(std::move(r)); });
}

void Session::on_connect_done(Result<std::unique_ptr<reactor::Stream>> result) {
  loop_.delete_later(std::move(attempt_));  // it is calling us
  MonoTime now = loop_.now();
  if (!result.ok()) {
    ++stats_.connect_failures;
    LOG_INFO("ovsdb_session_connect_failed", log::kv("session", name_), log::kv("remote", current_remote_),
             log::kv("error", result.error()));
    if (hooks_.on_connect_failed) {
      post([this, remote = current_remote_, e = result.error()] {
        if (hooks_.on_connect_failed) hooks_.on_connect_failed(remote, e);
      });
    }
    state_ = State::kIdle;
    current_remote_.clear();
    fsm_.connect_failed(now);
    drive();
    return;
  }
  fsm_.connected(now);
  ++stats_.connections;
  inflight_.clear();
  RpcConnection::Handler& handler = *this;
  conn_ = std::make_unique<RpcConnection>(std::move(result).value(), handler, current_remote_,
                                          options_.max_message_size);
  LOG_INFO("ovsdb_session_connected", log::kv("session", name_), log::kv("remote", current_remote_));
  if (options_.database.empty()) {
    become_ready(ReadyInfo{current_remote_, false, monitor_method_, false, 0});
  } else {
    send_server_monitor();
  }
  drive();  // the probe deadline
}

void Session::teardown(const Error& reason) {
  pending_reason_.reset();
  // Never on the call stack here (on_connect_done() releases it first), so it
  // is destroyed now: that cancels it, and its callback cannot come later in
  // this iteration.
  attempt_.reset();
  bool was_ready = state_ == State::kReady;
  if (conn_) {
    fold_rpc_stats();
    conn_->close();
    loop_.delete_later(std::move(conn_));
    ++stats_.disconnects;
    LOG_INFO("ovsdb_session_disconnected", log::kv("session", name_), log::kv("remote", current_remote_),
             log::kv("was_ready", was_ready), log::kv("reason", reason));
  }
  state_ = State::kIdle;
  current_remote_.clear();
  server_monitored_ = false;

  // Work in flight on the lost connection: outcome unknown.
  std::vector<uint64_t> tokens;
  for (const auto& [id, p] : inflight_) {
    if (p.kind == PendingKind::kUser) tokens.push_back(p.token);
  }
  inflight_.clear();
  std::sort(tokens.begin(), tokens.end());
  for (uint64_t token : tokens) {
    auto it = ops_.find(token);
    if (it == ops_.end()) continue;  // forgotten
    Op op = std::move(it->second);
    ops_.erase(it);
    Error e = session_error(errc::kTryAgain, "in flight when the connection was lost: " + reason.to_string());
    if (op.is_txn) {
      TransactResult r;
      r.status = TxnStatus::kTryAgain;
      r.error = std::move(e);
      complete_txn(std::move(op), std::move(r));
    } else {
      complete_request(std::move(op), std::move(e));
    }
  }
  if (was_ready && hooks_.on_disconnected) {
    post([this, reason] {
      if (hooks_.on_disconnected) hooks_.on_disconnected(reason);
    });
  }
}

void Session::request_reconnect(Error reason, bool leader) {
  if (closed_) return;
  MonoTime now = loop_.now();
  pending_reason_ = std::move(reason);
  if (leader) {
    fsm_.leader_lost(now);
  } else {
    fsm_.force_reconnect(now);
  }
  drive();
}

void Session::protocol_error(Error error) {
  ++stats_.protocol_errors;
  LOG_WARN("ovsdb_session_protocol_error", log::kv("session", name_), log::kv("remote", current_remote_),
           log::kv("error", error));
  request_reconnect(std::move(error), false);
}

// ---- Handshake ---------------------------------------------------------------

void Session::send_server_monitor() {
  state_ = State::kCheckingServer;
  server_monitored_ = false;
  if (!server_replica_) {
    auto schema = DatabaseSchema::parse(kServerSchema);
    if (!schema.ok()) std::abort();  // a constant of this file
    MonitorRequest request;
    request.table = "Database";
    request.columns = {"name", "model", "connected", "leader", "index", "cid"};
    request.where = std::vector<Condition>{Condition::of("name", Function::kEqual, Datum::string(options_.database))};
    auto replica = Replica::create(std::move(schema).value(), {std::move(request)});
    if (!replica.ok()) std::abort();
    server_replica_ = std::move(replica).value();
  }
  uint64_t id = conn_->next_id();
  inflight_[id] = Pending{PendingKind::kServerMonitor};
  conn_->send_request("monitor_cond", server_replica_->monitor_params(MonitorMethod::kMonitorCond, kServerMonitorId),
                      id);
}

std::optional<std::string> Session::check_server_row() {
  const ReplicaTable* table = server_replica_->table("Database");
  const Row* row = nullptr;
  for (const Row& r : *table) {
    if (scalar_string(*table, r, "name") == options_.database) {
      row = &r;
      break;
    }
  }
  if (row == nullptr) return "server does not have database " + options_.database;
  if (scalar_string(*table, *row, "model") != "clustered") return std::nullopt;
  if (!scalar_bool(*table, *row, "connected")) return "clustered database server is disconnected from cluster";
  if (options_.leader_only && !scalar_bool(*table, *row, "leader")) {
    return "clustered database server is not cluster leader";
  }
  int64_t index = optional_integer(*table, *row, "index");
  if (index < min_index_) {
    return "clustered database server has stale data (raft index " + std::to_string(index) + " < " +
           std::to_string(min_index_) + ")";
  }
  min_index_ = index;
  return std::nullopt;
}

void Session::handle_server_monitor_reply(const Message& m) {
  if (m.is_error_reply()) {
    // ovsdb-cs does the same: a server without _Server is an old standalone one.
    LOG_INFO("ovsdb_session_no_server_db", log::kv("session", name_), log::kv("remote", current_remote_),
             log::kv("error", m.error_text()));
    send_get_schema();
    return;
  }
  auto applied = server_replica_->apply_monitor_reply(MonitorMethod::kMonitorCond, m.result());
  if (!applied.ok()) {
    protocol_error(applied.error().with_context("_Server.Database monitor reply"));
    return;
  }
  server_monitored_ = true;
  if (auto refusal = check_server_row()) {
    ++stats_.server_refusals;
    LOG_INFO("ovsdb_session_server_refused", log::kv("session", name_), log::kv("remote", current_remote_),
             log::kv("reason", *refusal));
    request_reconnect(session_error(errc::kTryAgain, current_remote_ + ": " + *refusal), true);
    return;
  }
  send_get_schema();
}

void Session::send_get_schema() {
  state_ = State::kFetchingSchema;
  uint64_t id = conn_->next_id();
  inflight_[id] = Pending{PendingKind::kSchema};
  conn_->send_request("get_schema", params::get_schema(options_.database), id);
}

void Session::handle_schema_reply(const Message& m) {
  if (m.is_error_reply()) {
    Error e = session_error(errc::kRpcError, "get_schema " + options_.database + " refused by " +
                                                 current_remote_ + ": " + m.error_text());
    LOG_WARN("ovsdb_session_schema_refused", log::kv("session", name_), log::kv("error", e));
    request_reconnect(std::move(e), false);
    return;
  }
  auto parsed = DatabaseSchema::parse(m.result());
  if (!parsed.ok()) {
    protocol_error(parsed.error().with_context("get_schema reply"));
    return;
  }
  if (!schema_) {
    schema_ = std::make_unique<DatabaseSchema>(std::move(parsed).value());
    if (!options_.monitor.empty()) {
      auto replica = Replica::create(*schema_, options_.monitor);
      if (!replica.ok()) {
        // The caller asked for tables or columns this database does not have:
        // no reconnection can fix that.
        LOG_ERROR("ovsdb_session_bad_monitor", log::kv("session", name_), log::kv("error", replica.error()));
        Error e = replica.error();
        close();
        if (hooks_.on_disconnected) {
          post([this, e] {
            if (hooks_.on_disconnected) hooks_.on_disconnected(e);
          });
        }
        return;
      }
      replica_ = std::move(replica).value();
      decoder_ = std::make_unique<UpdateDecoder>(replica_->layout());
    }
  } else if (parsed->cksum != schema_->cksum || parsed->version != schema_->version) {
    LOG_WARN("ovsdb_session_schema_changed", log::kv("session", name_), log::kv("remote", current_remote_),
             log::kv("version", parsed->version), log::kv("kept_version", schema_->version));
  }
  if (replica_) {
    send_monitor();
  } else {
    become_ready(ReadyInfo{current_remote_, false, monitor_method_, false, 0});
  }
}

void Session::send_monitor() {
  state_ = State::kMonitoring;
  uint64_t id = conn_->next_id();
  inflight_[id] = Pending{PendingKind::kMonitor};
  conn_->send_request(monitor_method_name(monitor_method_), replica_->monitor_params(monitor_method_, kDataMonitorId),
                      id);
}

void Session::handle_monitor_reply(const Message& m) {
  if (m.is_error_reply()) {
    std::string text = m.error_text();
    if (text.starts_with("unknown method") && monitor_method_ != MonitorMethod::kMonitor) {
      MonitorMethod older =
          monitor_method_ == MonitorMethod::kMonitorCondSince ? MonitorMethod::kMonitorCond : MonitorMethod::kMonitor;
      LOG_INFO("ovsdb_session_monitor_fallback", log::kv("session", name_), log::kv("remote", current_remote_),
               log::kv("from", monitor_method_name(monitor_method_)), log::kv("to", monitor_method_name(older)));
      monitor_method_ = older;
      send_monitor();
      return;
    }
    request_reconnect(session_error(errc::kRpcError, "monitor refused by " + current_remote_ + ": " + text), false);
    return;
  }
  ReadyInfo info{current_remote_, true, monitor_method_, false, 0};
  Result<void> applied;
  if (monitor_method_ == MonitorMethod::kMonitorCondSince) {
    auto reply = decoder_->since_reply(m.result());
    if (!reply.ok()) {
      replica_->set_last_txn_id(std::nullopt);
      protocol_error(reply.error().with_context("monitor_cond_since reply"));
      return;
    }
    info.resumed = reply->found;
    info.rows_received = reply->updates.row_count();
    Uuid last = reply->last_txn_id;
    applied = reply->found ? replica_->apply_updates(std::move(reply->updates))
                           : replica_->apply_snapshot(std::move(reply->updates));
    if (applied.ok()) replica_->set_last_txn_id(last);
  } else {
    auto updates = decoder_->table_updates(
        m.result(), monitor_method_ == MonitorMethod::kMonitor ? UpdateFormat::kUpdate : UpdateFormat::kUpdate2);
    if (!updates.ok()) {
      protocol_error(updates.error().with_context("monitor reply"));
      return;
    }
    info.rows_received = updates->row_count();
    applied = replica_->apply_snapshot(std::move(updates).value());
    replica_->set_last_txn_id(std::nullopt);
  }
  if (!applied.ok()) {
    protocol_error(applied.error().with_context("monitor reply"));
    return;
  }
  ++stats_.monitor_replies;
  if (info.resumed) ++stats_.monitor_resumed;
  stats_.monitor_rows += info.rows_received;
  stats_.last_monitor_rows = info.rows_received;
  stats_.last_monitor_found = info.resumed;
  become_ready(std::move(info));
}

void Session::become_ready(ReadyInfo info) {
  state_ = State::kReady;
  ++stats_.ready;
  LOG_INFO("ovsdb_session_ready", log::kv("session", name_), log::kv("remote", info.remote),
           log::kv("monitor", info.monitoring ? monitor_method_name(info.method) : std::string_view("none")),
           log::kv("resumed", info.resumed), log::kv("rows", info.rows_received));
  if (hooks_.on_ready) {
    post([this, info = std::move(info)] {
      if (hooks_.on_ready) hooks_.on_ready(info);
    });
  }
  pump();
}

// ---- Messages ----------------------------------------------------------------

void Session::on_reply(const Message& m) {
  std::optional<uint64_t> id = m.id_number();
  if (!id) return;  // not one of our ids
  auto it = inflight_.find(*id);
  if (it == inflight_.end()) {
    LOG_DEBUG("ovsdb_session_stray_reply", log::kv("session", name_), log::kv("id", m.id()));
    return;
  }
  Pending p = it->second;
  inflight_.erase(it);
  switch (p.kind) {
    case PendingKind::kServerMonitor:
      handle_server_monitor_reply(m);
      return;
    case PendingKind::kSchema:
      handle_schema_reply(m);
      return;
    case PendingKind::kMonitor:
      handle_monitor_reply(m);
      return;
    case PendingKind::kProbe:
      return;  // any data counted already
    case PendingKind::kUser:
      handle_user_reply(p.token, m);
      return;
  }
}

void Session::handle_user_reply(uint64_t token, const Message& m) {
  auto it = ops_.find(token);
  if (it == ops_.end()) return;  // forgotten
  Op op = std::move(it->second);
  ops_.erase(it);
  if (!op.is_txn) {
    complete_request(std::move(op), m);
    return;
  }
  TransactResult r;
  if (m.is_error_reply()) {
    std::string text = m.error_text();
    if (text == "canceled") {
      // ovsdb-server cancels pending transactions when it loses leadership or
      // the database is replaced: nothing was committed.
      r.status = TxnStatus::kTryAgain;
      r.error = session_error(errc::kTryAgain, "transaction canceled by " + current_remote_);
    } else {
      r.status = TxnStatus::kError;
      r.error = session_error(errc::kRpcError, "transact refused by " + current_remote_ + ": " + text);
    }
  } else {
    const DatabaseSchema* schema = op.txn->database() == options_.database ? schema_.get() : nullptr;
    auto parsed = parse_transaction_result(m.result(), *op.txn, schema);
    if (!parsed.ok()) {
      r.status = TxnStatus::kError;
      r.error = parsed.error().with_context("transact reply from " + current_remote_);
      ++stats_.protocol_errors;
    } else if (parsed->ok()) {
      r.status = TxnStatus::kOk;
      r.result = std::move(parsed).value();
    } else {
      r.status = TxnStatus::kOpError;
      auto failure = parsed->failure();
      if (failure) r.failed_op = failure->op;
      r.error = session_error(errc::kOpFailed, parsed->describe_failure(&*op.txn));
      r.result = std::move(parsed).value();
    }
  }
  complete_txn(std::move(op), std::move(r));
}

void Session::on_notification(const Message& m) {
  if (handle_update(m)) return;
  if (hooks_.on_notification) {
    post([this, copy = m] {
      if (hooks_.on_notification) hooks_.on_notification(copy);
    });
  }
}

bool Session::handle_update(const Message& m) {
  const std::string& method = m.method();
  std::string_view params = m.params().text();
  if (method == "update" || method == "update2" || method == "update3") {
    if (replica_ && first_param_is(params, kDataMonitorId)) {
      auto applied = replica_->apply_notification(method, m.params());
      if (!applied.ok()) {
        protocol_error(applied.error().with_context(method + " notification"));
        return true;
      }
      ++stats_.updates_applied;
      if (hooks_.on_update) {
        post([this] {
          if (hooks_.on_update) hooks_.on_update();
        });
      }
      return true;
    }
    if (server_replica_ && first_param_is(params, kServerMonitorId)) {
      auto applied = server_replica_->apply_notification(method, m.params());
      if (!applied.ok()) {
        protocol_error(applied.error().with_context("_Server " + method + " notification"));
        return true;
      }
      if (server_monitored_) {
        if (auto refusal = check_server_row()) {
          ++stats_.leader_losses;
          LOG_INFO("ovsdb_session_leader_lost", log::kv("session", name_), log::kv("remote", current_remote_),
                   log::kv("reason", *refusal));
          request_reconnect(session_error(errc::kTryAgain, current_remote_ + ": " + *refusal), true);
        }
      }
      return true;
    }
    return false;
  }
  if (method == "monitor_canceled" &&
      (first_param_is(params, kDataMonitorId) || first_param_is(params, kServerMonitorId))) {
    request_reconnect(session_error(errc::kTryAgain, current_remote_ + ": monitor canceled (database removed or converted)"),
                      false);
    return true;
  }
  return false;
}

void Session::on_activity() { fsm_.received(loop_.now()); }

void Session::on_writable() { pump(); }

void Session::on_closed(const Error& reason) {
  if (reason.domain == "ovsdb" && (reason.code == errc::kSyntax || reason.code == errc::kTooBig)) {
    ++stats_.protocol_errors;
  }
  fsm_.disconnected(loop_.now());
  teardown(reason);
  drive();
}

// ---- Transactions and requests -------------------------------------------------

uint64_t Session::transact(TransactionBuilder txn, TransactCallback callback, CallOptions options) {
  Op op;
  op.is_txn = true;
  op.txn = std::move(txn);
  op.txn_callback = std::move(callback);
  return submit(std::move(op), options);
}

uint64_t Session::request(std::string method, std::string params_json, RequestCallback callback,
                          CallOptions options) {
  Op op;
  op.is_txn = false;
  op.method = std::move(method);
  op.params = std::move(params_json);
  op.request_callback = std::move(callback);
  return submit(std::move(op), options);
}

uint64_t Session::submit(Op op, const CallOptions& options) {
  uint64_t token = next_token_++;
  if (closed_) {
    Error e = session_error(errc::kClosed, "session " + name_ + " closed");
    if (op.is_txn) {
      TransactResult r;
      r.status = TxnStatus::kError;
      r.error = std::move(e);
      complete_txn(std::move(op), std::move(r));
    } else {
      complete_request(std::move(op), std::move(e));
    }
    return token;
  }
  std::optional<Duration> timeout = options.queue_timeout ? options.queue_timeout : options_.queue_timeout;
  if (timeout && state_ != State::kReady) {
    op.queue_deadline = loop_.now() + *timeout;
    deadlines_.emplace(*op.queue_deadline, token);
  }
  ops_.emplace(token, std::move(op));
  queue_.push_back(token);
  if (state_ == State::kReady) {
    pump();
  } else {
    arm_queue_timer();
  }
  return token;
}

bool Session::forget(uint64_t token) { return ops_.erase(token) > 0; }

void Session::pump() {
  if (state_ != State::kReady || !conn_) return;
  while (!queue_.empty() && !conn_->congested()) {
    uint64_t token = queue_.front();
    queue_.pop_front();
    auto it = ops_.find(token);
    if (it == ops_.end()) continue;  // forgotten or expired
    Op& op = it->second;
    if (op.queue_deadline) {
      auto range = deadlines_.equal_range(*op.queue_deadline);
      for (auto d = range.first; d != range.second; ++d) {
        if (d->second == token) {
          deadlines_.erase(d);
          break;
        }
      }
      op.queue_deadline.reset();
    }
    uint64_t id = conn_->next_id();
    op.rpc_id = id;
    inflight_[id] = Pending{PendingKind::kUser, token};
    if (op.is_txn) {
      conn_->send_raw(op.txn->request_json(id), "transact");
      ++stats_.txns_sent;
    } else {
      conn_->send_request(op.method, op.params, id);
      ++stats_.requests_sent;
    }
  }
  arm_queue_timer();
}

void Session::arm_queue_timer() {
  if (deadlines_.empty()) {
    queue_timer_->stop();
    return;
  }
  queue_timer_->start(std::max(Duration::zero(), deadlines_.begin()->first - loop_.now()));
}

void Session::expire_queued() {
  MonoTime now = loop_.now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    uint64_t token = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = ops_.find(token);
    if (it == ops_.end() || it->second.rpc_id != 0) continue;
    Op op = std::move(it->second);
    ops_.erase(it);  // its queue_ entry is skipped by pump()
    Error e = session_error(errc::kTryAgain, "session " + name_ + " not ready in time (state " +
                                                 std::string(session_state_name(state_)) + "); not sent");
    if (op.is_txn) {
      TransactResult r;
      r.status = TxnStatus::kTryAgain;
      r.error = std::move(e);
      complete_txn(std::move(op), std::move(r));
    } else {
      complete_request(std::move(op), std::move(e));
    }
  }
  arm_queue_timer();
}

void Session::complete_txn(Op op, TransactResult result) {
  switch (result.status) {
    case TxnStatus::kOk:
      ++stats_.txns_ok;
      break;
    case TxnStatus::kOpError:
      ++stats_.txns_op_error;
      break;
    case TxnStatus::kTryAgain:
      ++stats_.txns_try_again;
      break;
    case TxnStatus::kError:
      ++stats_.txns_error;
      break;
  }
  if (!op.txn_callback) return;
  post([cb = std::move(op.txn_callback), r = std::move(result)]() mutable { cb(std::move(r)); });
}

void Session::complete_request(Op op, Result<Message> result) {
  if (!op.request_callback) return;
  post([cb = std::move(op.request_callback), r = std::move(result)]() mutable { cb(std::move(r)); });
}

void Session::post(std::function<void()> fn) {
  posted_.push_back(std::move(fn));
  if (post_scheduled_) return;
  post_scheduled_ = true;
  // Deferred work runs after this iteration's callbacks, without another trip
  // through the poller (a zero timer would cost one per completion).
  loop_.defer([this, alive = std::weak_ptr<const bool>(alive_)] {
    if (alive.expired()) return;
    post_scheduled_ = false;
    run_posted();
  });
}

void Session::run_posted() {
  while (!posted_.empty()) {
    std::vector<std::function<void()>> batch = std::move(posted_);
    posted_.clear();
    for (auto& fn : batch) {
      if (!guard_.call(fn)) return;  // a callback destroyed the session
    }
  }
}

// ---- Stats -------------------------------------------------------------------

void Session::fold_rpc_stats() {
  const RpcStats& s = conn_->stats();
  closed_rpc_.messages_in += s.messages_in;
  closed_rpc_.messages_out += s.messages_out;
  closed_rpc_.bytes_in += s.bytes_in;
  closed_rpc_.bytes_out += s.bytes_out;
  closed_rpc_.echo_requests_answered += s.echo_requests_answered;
}

SessionStats Session::stats() const {
  SessionStats s = stats_;
  RpcStats rpc = closed_rpc_;
  if (conn_) {
    rpc.messages_in += conn_->stats().messages_in;
    rpc.messages_out += conn_->stats().messages_out;
    rpc.bytes_in += conn_->stats().bytes_in;
    rpc.bytes_out += conn_->stats().bytes_out;
    rpc.echo_requests_answered += conn_->stats().echo_requests_answered;
  }
  s.messages_in = rpc.messages_in;
  s.messages_out = rpc.messages_out;
  s.bytes_in = rpc.bytes_in;
  s.bytes_out = rpc.bytes_out;
  s.echo_answered = rpc.echo_requests_answered;
  s.reconnects = s.connections > 0 ? s.connections - 1 : 0;
  return s;
}

}  // namespace ovnk::ovsdb
