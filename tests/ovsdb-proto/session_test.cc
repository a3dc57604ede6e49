// Loop tests of the OVSDB session against real ovsdb-servers (OVN NB schema):
// transports (unix, tcp, tcp by name, ssl), remote lists, monitor + replica,
// pipelined transactions, TryAgain on restarts and retries made safe by explicit
// uuids, inactivity probes, a garbage-sending peer, queueing policy, close and
// destruction. The core cases run on both loop backends; the raft cluster case
// (tests/ovsdb-proto/session_raft_test.cc) runs on libuv only.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ovsdb-proto/framing.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/session.h"
#include "reactor/listener.h"
#include "tests/ovsdb-proto/session_fixture.h"
#include "tests/reactor/backends.h"

namespace ovnk::ovsdb {
namespace {

using reactor::testing::AllBackends;
using reactor::testing::BackendNames;
using testing_support::kNb;
using testing_support::kNbSchema;
using testing_support::SessionFixture;
using OvsdbServerOptionsForTest = ovnk::testing::OvsdbServerOptions;

template <class B>
class SessionTest : public SessionFixture<reactor::testing::LoopTest<B>> {};
TYPED_TEST_SUITE(SessionTest, AllBackends, BackendNames);

TYPED_TEST(SessionTest, UnixMonitorAndTransactionsUpdateTheReplica) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  ASSERT_NE(s.replica(), nullptr);
  ASSERT_NE(s.schema(), nullptr);
  EXPECT_EQ(s.schema()->name, kNb);
  EXPECT_EQ(this->ready_count, 1);
  // A standalone database cannot resume: the first monitor is a full snapshot.
  EXPECT_FALSE(this->last_ready.resumed);
  EXPECT_EQ(this->last_ready.method, MonitorMethod::kMonitorCondSince);

  auto r = this->transact_and_wait(s, this->insert_switch("sw0"));
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->status, TxnStatus::kOk) << r->error.to_string();
  ASSERT_EQ(r->result.ops.size(), 1u);
  ASSERT_TRUE(r->result.ops[0].uuid.has_value());
  Uuid uuid = *r->result.ops[0].uuid;

  // The update notification follows the reply: wait for the row.
  ASSERT_TRUE(this->loop().run_until([&] { return this->switch_count(s) == 1; }, seconds(10)));
  const ReplicaTable* t = s.replica()->table("Logical_Switch");
  const Row* row = t->find(uuid);
  ASSERT_NE(row, nullptr);
  EXPECT_EQ(*t->get(*row, "name"), Datum::string("sw0"));
  EXPECT_GE(this->updates, 1);

  SessionStats st = s.stats();
  EXPECT_EQ(st.txns_ok, 1u);
  EXPECT_EQ(st.connections, 1u);
  EXPECT_GE(st.messages_in, 4u);  // _Server monitor, schema, monitor, transact replies
  EXPECT_GE(st.bytes_out, 100u);
  EXPECT_EQ(st.protocol_errors, 0u);
}

TYPED_TEST(SessionTest, PipelinesManyTransactions) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  constexpr int kCount = 200;
  int ok = 0;
  int done = 0;
  for (int i = 0; i < kCount; ++i) {
    s.transact(this->insert_switch("p" + std::to_string(i)), [&](TransactResult r) {
      ++done;
      if (r.ok()) ++ok;
    });
  }
  // All of them are on the wire before the first reply can be read.
  EXPECT_EQ(s.stats().txns_sent, static_cast<uint64_t>(kCount));
  ASSERT_TRUE(this->loop().run_until([&] { return done == kCount; }, seconds(20)));
  EXPECT_EQ(ok, kCount);
  ASSERT_TRUE(this->loop().run_until([&] { return this->switch_count(s) == kCount; }, seconds(10)));
}

TYPED_TEST(SessionTest, OperationErrorSaysWhichOperation) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  Uuid u = *Uuid::parse("11111111-2222-4333-8444-555555555555");
  TransactionBuilder first(kNb);
  first.insert("Logical_Switch", {{"name", Datum::string("a")}}, InsertOptions{"", u});
  auto r1 = this->transact_and_wait(s, std::move(first));
  ASSERT_TRUE(r1 && r1->ok());
  // The same explicit uuid again, after a harmless comment: operation 1 fails.
  TransactionBuilder second(kNb);
  second.comment("retry");
  second.insert("Logical_Switch", {{"name", Datum::string("a")}}, InsertOptions{"", u});
  auto r2 = this->transact_and_wait(s, std::move(second));
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->status, TxnStatus::kOpError);
  ASSERT_TRUE(r2->failed_op.has_value());
  EXPECT_EQ(*r2->failed_op, 1u);
  EXPECT_NE(r2->error.message.find("duplicate"), std::string::npos) << r2->error.to_string();
  EXPECT_EQ(s.stats().txns_op_error, 1u);
}

TYPED_TEST(SessionTest, UnknownDatabaseIsAnErrorNotATryAgain) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  TransactionBuilder txn("No_Such_Db");
  txn.comment("x");
  auto r = this->transact_and_wait(s, std::move(txn));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, TxnStatus::kError);
  EXPECT_NE(r->error.message.find("unknown database"), std::string::npos) << r->error.to_string();
}

TYPED_TEST(SessionTest, TcpByHostName) {
  OvsdbServerOptionsForTest o;
  o.tcp = true;
  auto server = this->start_server(o);
  ASSERT_TRUE(server);
  // "localhost" may resolve to ::1 first, where nothing listens: the next
  // address is tried.
  std::string remote = "tcp:localhost:" + std::to_string(server->tcp_port());
  auto& s = this->make_session(remote);
  ASSERT_TRUE(this->wait_ready(s));
  EXPECT_EQ(s.current_remote(), remote);
  auto r = this->transact_and_wait(s, this->insert_switch("tcp"));
  ASSERT_TRUE(r && r->ok());
}

TYPED_TEST(SessionTest, TcpIpv4Literal) {
  OvsdbServerOptionsForTest o;
  o.tcp = true;
  auto server = this->start_server(o);
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->tcp_remote());
  ASSERT_TRUE(this->wait_ready(s));
  auto r = this->transact_and_wait(s, this->insert_switch("tcp4"));
  ASSERT_TRUE(r && r->ok());
}

TYPED_TEST(SessionTest, SslByAddressAndByName) {
  auto pki = this->make_pki();
  ASSERT_TRUE(pki);
  OvsdbServerOptionsForTest o;
  o.ssl = *pki;
  auto server = this->start_server(o);
  ASSERT_TRUE(server);
  TlsFiles files{pki->private_key, pki->certificate, pki->ca_cert};
  {
    auto& s = this->make_session(server->ssl_remote(), [&](SessionOptions& so) { so.tls = files; });
    ASSERT_TRUE(this->wait_ready(s));
    auto r = this->transact_and_wait(s, this->insert_switch("ssl"));
    ASSERT_TRUE(r && r->ok());
  }
  this->drop_sessions();
  // By name: the certificate's SAN has DNS:localhost, so the check passes.
  auto& s2 = this->make_session("ssl:localhost:" + std::to_string(server->ssl_port()),
                                [&](SessionOptions& so) { so.tls = files; });
  ASSERT_TRUE(this->wait_ready(s2));
  ASSERT_TRUE(this->loop().run_until([&] { return this->switch_count(s2) == 1; }, seconds(10)));
}

TYPED_TEST(SessionTest, SslWithoutFilesIsRefusedAtCreate) {
  SessionOptions so;
  so.remotes = "ssl:127.0.0.1:6641";
  so.database = kNb;
  auto s = Session::create(this->loop(), so);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("private key"), std::string::npos);
}

TYPED_TEST(SessionTest, SslWithTheWrongCaNeverBecomesReady) {
  auto pki = this->make_pki();
  ASSERT_TRUE(pki);
  OvsdbServerOptionsForTest o;
  o.ssl = *pki;
  auto server = this->start_server(o);
  ASSERT_TRUE(server);
  // The server certificate is not a CA: the chain does not verify.
  TlsFiles files{pki->private_key, pki->certificate, pki->certificate};
  auto& s = this->make_session(server->ssl_remote(), [&](SessionOptions& so) { so.tls = files; });
  EXPECT_FALSE(this->loop().run_until([&] { return s.is_ready(); }, milliseconds(1500)));
  EXPECT_GE(s.stats().connect_failures, 1u);
  EXPECT_EQ(s.stats().connections, 0u);
}

TYPED_TEST(SessionTest, FirstRemoteDeadSecondServes) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  std::string dead = "unix:" + server->dir() + "/nobody.sock";
  auto& s = this->make_session(dead + "," + server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  EXPECT_EQ(s.current_remote(), server->unix_remote());
  EXPECT_GE(s.stats().connect_failures, 1u);
}

TYPED_TEST(SessionTest, QueuedBeforeReadyIsSentOnceReady) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote(), nullptr, /*start=*/false);
  std::optional<TransactResult> result;
  s.transact(this->insert_switch("early"), [&](TransactResult r) { result = std::move(r); });
  EXPECT_EQ(s.pending(), 1u);
  s.start();
  ASSERT_TRUE(this->loop().run_until([&] { return result.has_value(); }, seconds(10)));
  EXPECT_TRUE(result->ok()) << result->error.to_string();
}

TYPED_TEST(SessionTest, QueueTimeoutZeroFailsFastAsTryAgain) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  std::string dead = "unix:" + server->dir() + "/nobody.sock";
  auto& s = this->make_session(dead, [](SessionOptions& so) { so.queue_timeout = Duration::zero(); });
  std::optional<TransactResult> result;
  s.transact(this->insert_switch("x"), [&](TransactResult r) { result = std::move(r); });
  // Never from inside transact().
  EXPECT_FALSE(result.has_value());
  ASSERT_TRUE(this->loop().run_until([&] { return result.has_value(); }, seconds(5)));
  EXPECT_EQ(result->status, TxnStatus::kTryAgain);
  // A per-call deadline overrides the session's.
  std::optional<TransactResult> later;
  s.transact(this->insert_switch("y"), [&](TransactResult r) { later = std::move(r); },
             CallOptions{milliseconds(200)});
  ASSERT_TRUE(this->loop().run_until([&] { return later.has_value(); }, seconds(5)));
  EXPECT_EQ(later->status, TxnStatus::kTryAgain);
}

TYPED_TEST(SessionTest, RestartMidTransactionGivesTryAgainAndRetryMakesNoDuplicate) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  Uuid u = *Uuid::parse("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  auto make_txn = [&] {
    TransactionBuilder txn(kNb);
    txn.insert("Logical_Switch", {{"name", Datum::string("once")}}, InsertOptions{"", u});
    return txn;
  };
  // Frozen: the transaction is written but nobody answers it.
  ASSERT_TRUE(server->kill(SIGSTOP).ok());
  std::optional<TransactResult> first;
  s.transact(make_txn(), [&](TransactResult r) { first = std::move(r); });
  this->loop().run_until([] { return false; }, milliseconds(100));
  EXPECT_EQ(s.stats().txns_sent, 1u);
  EXPECT_FALSE(first.has_value());
  ASSERT_TRUE(server->kill(SIGKILL).ok());
  ASSERT_TRUE(server->restart().ok()) << server->log_tail();
  ASSERT_TRUE(this->loop().run_until([&] { return first.has_value(); }, seconds(10)));
  EXPECT_EQ(first->status, TxnStatus::kTryAgain) << first->error.to_string();
  EXPECT_EQ(this->disconnected, 1);
  EXPECT_EQ(s.stats().txns_try_again, 1u);

  // Retry the same transaction until it is not TryAgain: it commits once; a
  // second retry is refused as a duplicate instead of adding a row.
  std::optional<TransactResult> retry;
  ASSERT_TRUE(this->wait_ready(s));
  EXPECT_EQ(s.stats().reconnects, 1u);
  retry = this->transact_and_wait(s, make_txn());
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->status, TxnStatus::kOk) << retry->error.to_string();
  auto again = this->transact_and_wait(s, make_txn());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, TxnStatus::kOpError);
  this->loop().run_until([] { return false; }, milliseconds(200));
  EXPECT_EQ(this->switch_count(s), 1u);
  EXPECT_EQ(this->ready_count, 2);
}

TYPED_TEST(SessionTest, SilentServerIsProbedAndTheSessionMovesToAnother) {
  OvsdbServerOptionsForTest o;
  o.tcp = true;
  auto a = this->start_server(o);
  auto b = this->start_server(o);
  ASSERT_TRUE(a && b);
  auto& s = this->make_session(a->tcp_remote() + "," + b->tcp_remote(), [](SessionOptions& so) {
    so.reconnect.probe_interval = milliseconds(200);
    so.reconnect.connect_timeout = milliseconds(500);
  });
  ASSERT_TRUE(this->wait_ready(s));
  EXPECT_EQ(s.current_remote(), a->tcp_remote());
  ASSERT_TRUE(a->kill(SIGSTOP).ok());
  // Two probe intervals of silence, then the next remote.
  ASSERT_TRUE(this->loop().run_until(
      [&] { return s.is_ready() && s.current_remote() == b->tcp_remote() && this->hooks_caught_up(); },
      seconds(10)));
  EXPECT_GE(s.stats().probes_sent, 1u);
  EXPECT_EQ(this->disconnected, 1);
  ASSERT_TRUE(a->kill(SIGCONT).ok());
  auto r = this->transact_and_wait(s, this->insert_switch("on-b"));
  ASSERT_TRUE(r && r->ok());
}

TYPED_TEST(SessionTest, SilentServerResumesAfterSigcont) {
  OvsdbServerOptionsForTest o;
  o.tcp = true;
  auto a = this->start_server(o);
  ASSERT_TRUE(a);
  auto& s = this->make_session(a->tcp_remote(), [](SessionOptions& so) {
    so.reconnect.probe_interval = milliseconds(200);
    so.reconnect.connect_timeout = milliseconds(300);
    so.reconnect.min_backoff = milliseconds(50);
    so.reconnect.max_backoff = milliseconds(200);
  });
  ASSERT_TRUE(this->wait_ready(s));
  ASSERT_TRUE(a->kill(SIGSTOP).ok());
  ASSERT_TRUE(this->loop().run_until([&] { return this->disconnected == 1; }, seconds(10)));
  EXPECT_FALSE(s.is_ready());
  ASSERT_TRUE(a->kill(SIGCONT).ok());
  ASSERT_TRUE(this->wait_ready(s));
  EXPECT_EQ(this->ready_count, 2);
}

TYPED_TEST(SessionTest, GarbageFromThePeerClosesCleanlyAndReconnects) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  std::string path = server->dir() + "/junk.sock";
  std::vector<std::unique_ptr<reactor::Stream>> accepted;
  auto listener = reactor::Listener::listen(
      this->loop(), *reactor::SocketAddress::unix_path(path), [&](std::unique_ptr<reactor::Stream> st) {
        st->write("}}} this is not json {{{");
        accepted.push_back(std::move(st));
      });
  ASSERT_TRUE(listener.ok()) << listener.error().to_string();
  auto& s = this->make_session("unix:" + path + "," + server->unix_remote(), [](SessionOptions& so) {
    so.reconnect.min_backoff = milliseconds(50);
  });
  // The junk peer is dropped, the real server serves.
  ASSERT_TRUE(this->wait_ready(s));
  EXPECT_EQ(s.current_remote(), server->unix_remote());
  EXPECT_GE(s.stats().protocol_errors, 1u);
  EXPECT_GE(accepted.size(), 1u);
  accepted.clear();
  listener->reset();
}

TYPED_TEST(SessionTest, GarbageOnlyPeerKeepsRetryingWithBackoff) {
  auto server = this->start_server();  // for its temporary directory
  ASSERT_TRUE(server);
  std::string path = server->dir() + "/junk.sock";
  int accepts = 0;
  std::vector<std::unique_ptr<reactor::Stream>> accepted;
  auto listener = reactor::Listener::listen(
      this->loop(), *reactor::SocketAddress::unix_path(path), [&](std::unique_ptr<reactor::Stream> st) {
        ++accepts;
        // Valid JSON, not JSON-RPC, then a huge unterminated string.
        st->write("[1,2,3] \"");
        accepted.push_back(std::move(st));
      });
  ASSERT_TRUE(listener.ok());
  auto& s = this->make_session("unix:" + path, [](SessionOptions& so) {
    so.reconnect.min_backoff = milliseconds(20);
    so.reconnect.max_backoff = milliseconds(40);
  });
  ASSERT_TRUE(this->loop().run_until([&] { return accepts >= 3; }, seconds(10)));
  EXPECT_FALSE(s.is_ready());
  EXPECT_GE(s.stats().protocol_errors, 2u);
  accepted.clear();
  listener->reset();
}

// A scripted peer for what a real ovsdb-server 3.1 never does: it answers
// "unknown method" to _Server and to the newer monitor methods.
class FakeOvsdb : public reactor::StreamHandler {
 public:
  void attach(std::unique_ptr<reactor::Stream> s) {
    stream_ = std::move(s);
    framer_.reset();
    stream_->set_handler(this);
  }
  void send(const std::string& json) { stream_->write(json); }
  void on_data(std::string_view data) override {
    framer_.feed(data);
    for (;;) {
      auto next = framer_.next();
      if (!next.ok() || !next->has_value()) return;
      auto m = parse_message(**next);
      if (!m.ok() || !m->is_request()) continue;
      methods.push_back(m->method());
      const std::string& method = m->method();
      if (method == "get_schema") {
        stream_->write(encode_reply(m->id(), kSchema));
      } else if (method == "monitor") {
        stream_->write(encode_reply(m->id(), R"({"T":{"00000000-0000-4000-8000-000000000001":{"new":{"name":"one"}}}})"));
      } else {
        stream_->write(encode_error_reply(m->id(), "\"unknown method\""));
      }
    }
  }
  void on_eof() override {}
  void on_error(const Error&) override {}
  void close() { stream_.reset(); }

  static constexpr const char* kSchema =
      R"({"name":"Fake","version":"1.0.0","tables":{"T":{"columns":{"name":{"type":"string"}}}}})";
  std::vector<std::string> methods;

 private:
  std::unique_ptr<reactor::Stream> stream_;
  Framer framer_;
};

TYPED_TEST(SessionTest, FallsBackToOlderMonitorMethods) {
  auto server = this->start_server();  // for its temporary directory
  ASSERT_TRUE(server);
  std::string path = server->dir() + "/fake.sock";
  FakeOvsdb fake;
  auto listener = reactor::Listener::listen(this->loop(), *reactor::SocketAddress::unix_path(path),
                                            [&](std::unique_ptr<reactor::Stream> st) { fake.attach(std::move(st)); });
  ASSERT_TRUE(listener.ok());
  auto& s = this->make_session("unix:" + path, [](SessionOptions& so) {
    so.database = "Fake";
    MonitorRequest t;
    t.table = "T";
    so.monitor = {t};
  });
  ASSERT_TRUE(this->wait_ready(s));
  // No _Server (taken as standalone), then monitor_cond_since, monitor_cond, monitor.
  EXPECT_EQ(fake.methods, (std::vector<std::string>{"monitor_cond", "get_schema", "monitor_cond_since",
                                                     "monitor_cond", "monitor"}));
  EXPECT_EQ(this->last_ready.method, MonitorMethod::kMonitor);
  ASSERT_EQ(this->count_rows(s, "T"), 1u);
  // Plain "update" notifications (RFC 7047) reach the replica too.
  fake.send(R"({"id":null,"method":"update","params":["ovnk-data",)"
            R"({"T":{"00000000-0000-4000-8000-000000000002":{"new":{"name":"two"}}}}]})");
  ASSERT_TRUE(this->loop().run_until([&] { return this->count_rows(s, "T") == 2; }, seconds(10)));
  // A notification for a monitor the session did not make is not an error.
  fake.send(R"({"id":null,"method":"update","params":[null,{}]})");
  this->loop().run_until([] { return false; }, milliseconds(50));
  EXPECT_EQ(s.stats().protocol_errors, 0u);
  fake.close();
  listener->reset();
}

TYPED_TEST(SessionTest, RequestForTools) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote(), [](SessionOptions& so) {
    so.database.clear();
    so.monitor.clear();
  });
  std::optional<Result<Message>> reply;
  s.request("list_dbs", "[]", [&](Result<Message> r) { reply = std::move(r); });
  ASSERT_TRUE(this->loop().run_until([&] { return reply.has_value(); }, seconds(10)));
  ASSERT_TRUE(reply->ok());
  EXPECT_TRUE((*reply)->is_reply());
  EXPECT_NE((*reply)->result().text().find("OVN_Northbound"), std::string::npos);
  EXPECT_EQ(s.replica(), nullptr);
}

TYPED_TEST(SessionTest, CloseFailsPendingWorkFromTheLoop) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  std::string dead = "unix:" + server->dir() + "/nobody.sock";
  auto& s = this->make_session(dead);
  std::optional<TransactResult> result;
  s.transact(this->insert_switch("x"), [&](TransactResult r) { result = std::move(r); });
  s.close();
  EXPECT_FALSE(result.has_value());
  ASSERT_TRUE(this->loop().run_until([&] { return result.has_value(); }, seconds(5)));
  EXPECT_EQ(result->status, TxnStatus::kError);
  EXPECT_EQ(result->error.code, errc::kClosed);
  // After close, new work fails the same way.
  std::optional<TransactResult> after;
  s.transact(this->insert_switch("y"), [&](TransactResult r) { after = std::move(r); });
  ASSERT_TRUE(this->loop().run_until([&] { return after.has_value(); }, seconds(5)));
  EXPECT_EQ(after->status, TxnStatus::kError);
}

TYPED_TEST(SessionTest, DestroyingTheSessionCallsNothingBack) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  ASSERT_TRUE(server->kill(SIGSTOP).ok());
  int called = 0;
  for (int i = 0; i < 5; ++i) s.transact(this->insert_switch("d" + std::to_string(i)), [&](TransactResult) { ++called; });
  this->drop_sessions();
  this->loop().run_until([] { return false; }, milliseconds(100));
  ASSERT_TRUE(server->kill(SIGCONT).ok());
  this->loop().run_until([] { return false; }, milliseconds(100));
  EXPECT_EQ(called, 0);
}

TYPED_TEST(SessionTest, ACallbackMayDestroyTheSession) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  int called = 0;
  for (int i = 0; i < 3; ++i) {
    s.transact(this->insert_switch("k" + std::to_string(i)), [&](TransactResult) {
      ++called;
      this->drop_sessions();
    });
  }
  this->loop().run_until([&] { return called > 0 && this->sessions_.empty(); }, seconds(10));
  this->loop().run_until([] { return false; }, milliseconds(100));
  EXPECT_EQ(called, 1);
}

TYPED_TEST(SessionTest, ForgottenTransactionIsNotCalledBack) {
  auto server = this->start_server();
  ASSERT_TRUE(server);
  auto& s = this->make_session(server->unix_remote());
  ASSERT_TRUE(this->wait_ready(s));
  int forgotten_called = 0;
  uint64_t token = s.transact(this->insert_switch("f1"), [&](TransactResult) { ++forgotten_called; });
  EXPECT_TRUE(s.forget(token));
  EXPECT_FALSE(s.forget(token));
  auto r = this->transact_and_wait(s, this->insert_switch("f2"));
  ASSERT_TRUE(r && r->ok());
  EXPECT_EQ(forgotten_called, 0);
}

}  // namespace
}  // namespace ovnk::ovsdb
