// Session: one client connection to one OVSDB database, kept alive on the loop.
//
// The session owns everything between "a list of remotes" and "a replica that
// follows the server, and transactions that go through":
//   - connection: remotes are tried in turn (remote.h: unix, tcp, ssl, names
//     through the resolver) under the pure reconnect FSM (reconnect.h), driven
//     with loop.now() and one Timer for its deadlines: backoff, connect
//     timeout, inactivity probes (echo) on tcp/ssl. The server's own echo
//     requests are answered by the RpcConnection. Reading never stops.
//   - handshake, on every connection (the sequence of ovsdb-cs):
//       1. monitor_cond on _Server.Database where name == DB. A clustered
//          member that is not connected to its cluster, not the leader (when
//          leader_only, the default), or behind what we already saw (raft
//          index) is refused: the session moves on to the next remote at
//          once. The monitor stays: losing leadership later drops the
//          connection the same way. A server without _Server is taken as
//          standalone.
//       2. get_schema DB (the first schema is kept; see "Schema" below).
//       3. the caller's monitor: monitor_cond_since with the replica's
//          last-txn-id, so a resumed session receives only what it missed
//          (found=true; clustered databases keep ~100 transactions of
//          history), else the full snapshot (found=false). A server that
//          answers "unknown method" is asked monitor_cond, then monitor.
//     Then the session is ready: the snapshot is in the replica, updates are
//     applied as they arrive (update/update2/update3), queued transactions go.
//   - transactions: many in flight at once (pipelined), matched by id. Each
//     ends with one TransactResult: kOk, kOpError (an operation or the commit
//     failed; which one is said), kTryAgain, or kError (see TxnStatus).
//
// Policy for work submitted while not ready: it is queued and sent, in
// submission order, as soon as the session is ready. Each queued item may wait
// at most `queue_timeout` (SessionOptions, overridable per call); past it, it
// ends with kTryAgain (it was never sent). nullopt waits forever; zero fails at
// once (still from the loop, never inside transact()).
//
// In flight when the connection drops, or when leadership is lost (the
// session drops the connection itself then): kTryAgain. The outcome is then
// UNKNOWN (the server may have committed before the drop); a retry is safe when
// the transaction is idempotent, which explicit row uuids on insert give: the
// retry of a committed insert fails with "duplicate uuid" instead of creating
// a second row.
//
// Callbacks (transaction and request callbacks, SessionHooks) are never called
// from inside a Session method: they run from the loop, in order, and never
// after the Session is destroyed. Destroying the session cancels everything:
// the connection is closed and pending callbacks are dropped without being
// called. close() instead fails every pending item with kError ("session
// closed") through the loop, then stays closed. Callbacks may call any method,
// including destroying the session (loop.delete_later() is the house rule).
// Replica watch callbacks run while an update is being applied: they may read,
// and must not destroy the session.
//
// Schema: the schema of the first connection is kept for the life of the
// session (replica layout, result decoding). A later connection that reports
// another schema (online conversion) is logged; the monitor keeps asking for
// the first layout's columns, and if the server refuses them the session
// keeps retrying with backoff.
//
// Logs: info for connect/disconnect/ready/refusals with the remote name, debug
// for traffic (RpcConnection). Counters in stats().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/monitor.h"
#include "ovsdb-proto/reconnect.h"
#include "ovsdb-proto/remote.h"
#include "ovsdb-proto/replica.h"
#include "ovsdb-proto/rpc_connection.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/transaction.h"
#include "reactor/loop.h"
#include "reactor/resolver.h"
#include "reactor/stream.h"
#include "reactor/tls.h"

namespace ovnk::ovsdb {

namespace errc {
// Beyond json_value.h's and monitor.h's codes, for Error::code of session errors.
inline constexpr int kTryAgain = 30;   // never sent, or the connection dropped / leadership was lost in flight
inline constexpr int kClosed = 31;     // the session was closed
inline constexpr int kRpcError = 32;   // the server answered with a JSON-RPC error (unknown database ...)
inline constexpr int kOpFailed = 33;   // an operation or the commit of a transaction failed
}  // namespace errc

enum class TxnStatus : uint8_t {
  kOk,        // committed; `result` holds every operation's result
  kOpError,   // refused by the server: an operation (failed_op) or the commit
              // (failed_op nullopt) failed; nothing was committed
  kTryAgain,  // not sent (waited past its queue deadline), or in flight when the
              // connection dropped or leadership was lost: outcome unknown
  kError,     // a JSON-RPC error ("unknown database"), an unreadable reply, or
              // the session was closed
};
std::string_view txn_status_name(TxnStatus status);

struct TransactResult {
  TxnStatus status = TxnStatus::kError;
  TransactionResult result;         // kOk and kOpError: the per-operation results
  std::optional<size_t> failed_op;  // kOpError: the operation that failed; nullopt = the commit
  Error error;                      // every status but kOk: what happened, for logs
  bool ok() const { return status == TxnStatus::kOk; }
};
using TransactCallback = std::function<void(TransactResult)>;
// The raw reply (a reply or an error reply) or, when none came, an Error
// (code errc::kTryAgain when the connection dropped, errc::kClosed).
using RequestCallback = std::function<void(Result<Message>)>;

struct CallOptions {
  // How long it may wait for the session to be ready; nullopt: the session's default.
  std::optional<Duration> queue_timeout;
};

struct SessionOptions {
  // "unix:/run/ovn/ovnnb_db.sock", "tcp:10.0.0.1:6641,tcp:10.0.0.2:6641", ...
  std::string remotes;
  // "" = no database: ready once connected (list_dbs and other tool requests).
  std::string database;
  // The tables to replicate. Empty: no monitor and no replica (ready after
  // get_schema). Columns empty = every column.
  std::vector<MonitorRequest> monitor;
  // Refuse raft members that are not the leader (writers want the leader: a
  // follower forwards, adding a round trip, and leadership changes drop it).
  bool leader_only = true;
  // Required when a remote is ssl:.
  std::optional<TlsFiles> tls;
  ReconnectOptions reconnect;
  // See the policy at the top: nullopt = wait for ready forever.
  std::optional<Duration> queue_timeout;
  // The first monitor method tried (downgraded on "unknown method").
  MonitorMethod monitor_method = MonitorMethod::kMonitorCondSince;
  // A resolver shared with others; null: the session makes its own when a
  // remote names a host.
  reactor::Resolver* resolver = nullptr;
  reactor::StreamOptions stream;
  size_t max_message_size = Framer::kDefaultMaxMessageSize;
  // Log label; default: the database name (or "ovsdb").
  std::string name;
};

// What on_ready reports about the connection that just became ready.
struct ReadyInfo {
  std::string remote;
  bool monitoring = false;
  MonitorMethod method = MonitorMethod::kMonitorCondSince;  // when monitoring
  bool resumed = false;      // monitor_cond_since found=true: only missed changes came
  size_t rows_received = 0;  // row updates in the monitor reply
};

struct SessionHooks {
  // The session became ready (after each (re)connection); the replica holds the
  // snapshot.
  std::function<void(const ReadyInfo&)> on_ready;
  // A ready session lost its connection (it reconnects by itself).
  std::function<void(const Error&)> on_disconnected;
  // An update notification was applied to the replica.
  std::function<void()> on_update;
  // Notifications the session does not consume (monitors made with request()).
  std::function<void(const Message&)> on_notification;
  // An attempt to connect to `remote` failed (refused, DNS, TLS...). The session
  // goes on trying; tools that give up after one round use this.
  std::function<void(const std::string& remote, const Error&)> on_connect_failed;
};

struct SessionStats {
  uint64_t connect_attempts = 0;
  uint64_t connect_failures = 0;
  uint64_t connections = 0;  // transports that came up
  uint64_t disconnects = 0;  // connections that went down, whatever the reason
  uint64_t reconnects = 0;   // connections after the first one
  uint64_t ready = 0;        // times the session became ready
  uint64_t server_refusals = 0;  // members refused at connect (not leader, not connected, stale)
  uint64_t leader_losses = 0;    // leadership lost while connected
  uint64_t protocol_errors = 0;  // garbage, undecodable updates, unexpected replies
  uint64_t probes_sent = 0;
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t echo_answered = 0;
  uint64_t txns_sent = 0;
  uint64_t txns_ok = 0;
  uint64_t txns_op_error = 0;
  uint64_t txns_try_again = 0;
  uint64_t txns_error = 0;
  uint64_t requests_sent = 0;
  uint64_t monitor_replies = 0;
  uint64_t monitor_resumed = 0;   // monitor_cond_since replies with found=true
  uint64_t monitor_rows = 0;      // row updates received in monitor replies, in total
  uint64_t last_monitor_rows = 0;
  bool last_monitor_found = false;
  uint64_t updates_applied = 0;   // update notifications applied
};

class Session final : private RpcConnection::Handler {
 public:
  enum class State {
    kIdle,            // not started, closed, or between attempts (the FSM's backoff)
    kConnecting,      // transport being set up (resolve, connect, TLS handshake)
    kCheckingServer,  // monitor_cond on _Server.Database sent; waits for the row
    kFetchingSchema,  // get_schema sent
    kMonitoring,      // monitor request sent; waits for the snapshot
    kReady,           // transactions flow, updates are applied
  };

  // Checks the options (remotes, TLS files); connects only on start().
  static Result<std::unique_ptr<Session>> create(reactor::Loop& loop, SessionOptions options,
                                                 SessionHooks hooks = {});
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // Drops the connection and stops reconnecting; everything pending ends with
  // kError (errc::kClosed), from the loop. Final.
  void close();
  // Drops the current connection and reconnects (next remote).
  void force_reconnect();

  State state() const { return state_; }
  bool is_ready() const { return state_ == State::kReady; }
  bool is_closed() const { return closed_; }
  // The remote of the current connection, "" when none.
  const std::string& current_remote() const { return current_remote_; }
  // Null until the first get_schema reply.
  const DatabaseSchema* schema() const { return schema_.get(); }
  // Null until the first get_schema reply, and when nothing is monitored. Kept
  // across reconnections (watches stay valid).
  Replica* replica() { return replica_.get(); }
  const Replica* replica() const { return replica_.get(); }
  SessionStats stats() const;
  size_t pending() const { return ops_.size(); }  // queued + in flight

  // Sends the transaction once ready. Selected rows are decoded with the
  // session's schema when builder.database() is the session's database (another
  // database works, decoded by JSON shape). Returns a token for forget(). A
  // transaction given as raw params goes through request("transact", ...).
  uint64_t transact(TransactionBuilder txn, TransactCallback callback, CallOptions options = {});
  // Any method, for tools ("list_dbs", "get_schema", a "monitor" whose
  // notifications go to hooks.on_notification ...). Same queueing as transact.
  uint64_t request(std::string method, std::string params_json, RequestCallback callback,
                   CallOptions options = {});
  // The callback of `token` will not be called (a reply that still comes is
  // ignored). False when it already completed.
  bool forget(uint64_t token);

 private:
  struct Op {
    bool is_txn = true;
    std::optional<TransactionBuilder> txn;
    std::string method;
    std::string params;
    TransactCallback txn_callback;
    RequestCallback request_callback;
    std::optional<MonoTime> queue_deadline;
    uint64_t rpc_id = 0;  // non-zero once sent on the current connection
  };
  enum class PendingKind : uint8_t { kServerMonitor, kSchema, kMonitor, kProbe, kUser };
  struct Pending {
    PendingKind kind;
    uint64_t token = 0;  // kUser
  };

  Session(reactor::Loop& loop, SessionOptions options, SessionHooks hooks, std::vector<Remote> remotes,
          std::optional<reactor::TlsContext> tls);

  // The FSM: runs due actions, re-arms the timer.
  void drive();
  void start_connect(size_t remote_index);
  void on_connect_done(Result<std::unique_ptr<reactor::Stream>> result);
  // Drops the connection or attempt; in-flight work ends with kTryAgain.
  void teardown(const Error& reason);
  // Asks the FSM to drop the connection (next remote at once when `leader`).
  void request_reconnect(Error reason, bool leader);
  void protocol_error(Error error);

  void send_server_monitor();
  void send_get_schema();
  void send_monitor();
  void become_ready(ReadyInfo info);
  // Why the _Server row refuses this member; nullopt = acceptable.
  std::optional<std::string> check_server_row();

  void handle_server_monitor_reply(const Message& m);
  void handle_schema_reply(const Message& m);
  void handle_monitor_reply(const Message& m);
  void handle_user_reply(uint64_t token, const Message& m);
  bool handle_update(const Message& m);

  uint64_t submit(Op op, const CallOptions& options);
  void pump();
  void arm_queue_timer();
  void expire_queued();
  // Counts and posts the callback (the op is already out of ops_).
  void complete_txn(Op op, TransactResult result);
  void complete_request(Op op, Result<Message> result);
  // Runs `fn` from the loop (deferred work of the current iteration), in order.
  void post(std::function<void()> fn);
  void run_posted();
  void fold_rpc_stats();

  // RpcConnection::Handler
  void on_reply(const Message& reply) override;
  void on_notification(const Message& notification) override;
  void on_activity() override;
  void on_writable() override;
  void on_closed(const Error& reason) override;

  reactor::Loop& loop_;
  SessionOptions options_;
  SessionHooks hooks_;
  std::vector<Remote> remotes_;
  std::optional<reactor::TlsContext> tls_;
  std::string name_;
  Reconnect fsm_;
  std::unique_ptr<reactor::Timer> fsm_timer_;
  std::unique_ptr<reactor::Timer> queue_timer_;
  std::unique_ptr<reactor::Resolver> own_resolver_;
  std::unique_ptr<reactor::ConnectAttempt> attempt_;
  std::unique_ptr<RpcConnection> conn_;

  State state_ = State::kIdle;
  bool started_ = false;
  bool closed_ = false;
  bool driving_ = false;
  bool redrive_ = false;
  std::string current_remote_;
  std::optional<Error> pending_reason_;  // why the FSM was asked to drop the connection

  // _Server.Database, monitored on each connection.
  std::unique_ptr<Replica> server_replica_;
  bool server_monitored_ = false;
  int64_t min_index_ = 0;  // highest raft index seen: never go back to a staler member

  std::unique_ptr<DatabaseSchema> schema_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<UpdateDecoder> decoder_;
  MonitorMethod monitor_method_;

  uint64_t next_token_ = 1;
  std::unordered_map<uint64_t, Op> ops_;                 // by token: queued and in flight
  std::deque<uint64_t> queue_;                           // tokens not yet sent, in order
  std::multimap<MonoTime, uint64_t> deadlines_;          // queue deadlines
  std::unordered_map<uint64_t, Pending> inflight_;       // by JSON-RPC id, this connection

  std::vector<std::function<void()>> posted_;
  bool post_scheduled_ = false;
  // Expires with the session: deferred work (Loop::defer cannot be cancelled)
  // checks it before touching the session.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  SessionStats stats_;
  RpcStats closed_rpc_;  // traffic of connections already closed
  reactor::DestructionGuard guard_;
};

std::string_view session_state_name(Session::State state);

}  // namespace ovnk::ovsdb
