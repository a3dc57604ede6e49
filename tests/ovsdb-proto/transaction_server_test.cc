// Loop test: the encodings of this library against a real ovsdb-server (OVN NB
// schema) over a plain blocking unix socket. The async session lives elsewhere;
// SyncClient below is the smallest client that can drive the server.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <signal.h>

#include "ovsdb-proto/framing.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/transaction.h"
#include "tests/support/ovsdb_server.h"

namespace ovnk::ovsdb {
namespace {

const char* const kNbSchema = "/usr/share/ovn/ovn-nb.ovsschema";
const char* const kNb = "OVN_Northbound";

class SyncClient {
 public:
  ~SyncClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<void> connect(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return errno_error("io", errno, "socket");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return errno_error("io", errno, "connect " + path);
    }
    return ok_result();
  }
  // Sends a request and returns the reply with the same id (answering echoes).
  Result<Message> call(std::string_view method, std::string_view params) {
    uint64_t id = next_id_++;
    OVNK_TRY(send(encode_request(method, params, id)));
    return wait_reply(id);
  }
  Result<Message> transact(const TransactionBuilder& txn) {
    uint64_t id = next_id_++;
    OVNK_TRY(send(txn.request_json(id)));
    return wait_reply(id);
  }

 private:
  Result<void> send(const std::string& text) {
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(fd_, text.data() + off, text.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_error("io", errno, "write");
      }
      off += static_cast<size_t>(n);
    }
    return ok_result();
  }
  Result<Message> wait_reply(uint64_t id) {
    for (;;) {
      OVNK_ASSIGN_OR_RETURN(std::optional<PaddedView> framed, framer_.next());
      if (!framed) {
        char* p = framer_.prepare(65536);
        ssize_t n = ::read(fd_, p, 65536);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return make_error("io", 0, "connection closed");
        framer_.commit(static_cast<size_t>(n));
        continue;
      }
      OVNK_ASSIGN_OR_RETURN(Message m, parse_message(*framed));
      if (m.is_echo_request()) {
        OVNK_TRY(send(encode_echo_reply(m)));
        continue;
      }
      if ((m.is_reply() || m.is_error_reply()) && m.id_number() == id) return m;
    }
  }

  int fd_ = -1;
  uint64_t next_id_ = 1;
  Framer framer_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kNbSchema, R_OK) != 0) GTEST_SKIP() << "no OVN NB schema";
    auto s = testing::OvsdbServer::start(std::string(kNbSchema));
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    server_ = std::move(s).value();
    ASSERT_TRUE(client_.connect(server_->unix_path()).ok());
    auto reply = client_.call("get_schema", params::get_schema(kNb));
    ASSERT_TRUE(reply.ok()) << reply.error().to_string();
    ASSERT_TRUE(reply->is_reply());
    auto schema = DatabaseSchema::parse(reply->result());
    ASSERT_TRUE(schema.ok()) << schema.error().to_string();
    schema_ = std::move(schema).value();
  }

  // Runs a transaction that must get a reply; returns the parsed result.
  TransactionResult run(const TransactionBuilder& txn) {
    auto reply = client_.transact(txn);
    EXPECT_TRUE(reply.ok()) << reply.error().to_string();
    if (!reply.ok()) return {};
    EXPECT_TRUE(reply->is_reply()) << reply->text();
    auto r = parse_transaction_result(reply->result(), txn, &schema_);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string()) << " in " << reply->text();
    if (!r.ok()) return {};
    return std::move(r).value();
  }

  std::vector<RowData> select(std::string_view table, std::vector<Condition> where) {
    TransactionBuilder t(kNb);
    t.select(table, where);
    TransactionResult r = run(t);
    EXPECT_TRUE(r.ok()) << r.describe_failure(&t);
    return r.ops.empty() ? std::vector<RowData>{} : r.ops[0].rows;
  }

  std::unique_ptr<testing::OvsdbServer> server_;
  SyncClient client_;
  DatabaseSchema schema_;
};

TEST_F(ServerTest, ListDbsAndServerSchema) {
  auto reply = client_.call("list_dbs", params::list_dbs());
  ASSERT_TRUE(reply.ok());
  EXPECT_NE(reply->result().text().find("\"OVN_Northbound\""), std::string::npos);
  EXPECT_NE(reply->result().text().find("\"_Server\""), std::string::npos);
  EXPECT_EQ(schema_.name, kNb);

  auto server_schema = client_.call("get_schema", params::get_schema("_Server"));
  ASSERT_TRUE(server_schema.ok());
  auto s = DatabaseSchema::parse(server_schema->result());
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  const ColumnSchema* leader = s->column("Database", "leader");
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(leader->type.key.type, AtomicType::kBoolean);
  const ColumnSchema* model = s->column("Database", "model");
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->type.key.enum_values.has_value());
  EXPECT_TRUE(model->type.key.enum_values->contains(Atom::string("clustered")));
  EXPECT_NE(s->column("Database", "sid"), nullptr);
}

TEST_F(ServerTest, ErrorReplyForUnknownMethodAndDatabase) {
  auto reply = client_.call("frobnicate", "[]");
  ASSERT_TRUE(reply.ok()) << reply.error().to_string();
  EXPECT_TRUE(reply->is_error_reply());
  EXPECT_FALSE(reply->error_text().empty());
  TransactionBuilder t("Nope");
  t.comment("x");
  auto r = client_.transact(t);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_error_reply());
  EXPECT_EQ(r->error_text().rfind("unknown database", 0), 0u) << r->error_text();
}

TEST_F(ServerTest, InsertWithNamedAndExplicitUuidSelectUpdateDelete) {
  Uuid ls_uuid = *Uuid::parse("11111111-2222-4333-8444-555555555555");
  Uuid lsp_uuid = *Uuid::parse("66666666-7777-4888-8999-aaaaaaaaaaaa");
  TransactionBuilder t(kNb);
  // The port first: a named-uuid with an explicit uuid must be declared before
  // it is referenced (see ForwardReferenceToExplicitUuidFails).
  t.insert("Logical_Switch_Port",
           {{"name", Datum::string("ns_pod")},
            {"addresses", Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"})},
            {"external_ids", Datum::string_map({{"namespace", "ns"}, {"pod", "true"}})}},
           InsertOptions{"lsp0", lsp_uuid});
  t.insert("Logical_Switch", {{"name", Datum::string("node1")}, {"ports", Datum::named_uuid("lsp0")}},
           InsertOptions{"ls0", ls_uuid});
  t.comment("ovnk test");
  t.commit(true);
  TransactionResult r = run(t);
  ASSERT_TRUE(r.ok()) << r.describe_failure(&t);
  EXPECT_EQ(r.ops[0].uuid, lsp_uuid);
  EXPECT_EQ(r.ops[1].uuid, ls_uuid);

  auto rows = select("Logical_Switch_Port", {Condition::uuid_is(lsp_uuid)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("name"), Datum::string("ns_pod"));
  EXPECT_EQ(rows[0].at("addresses"), Datum::string_set({"0a:58:0a:f4:01:05 10.244.1.5"}));
  EXPECT_EQ(rows[0].at("external_ids").get_string("pod"), "true");
  EXPECT_TRUE(rows[0].at("options").is_map());
  EXPECT_EQ(rows[0].at("_uuid"), Datum::uuid(lsp_uuid));
  auto switches = select("Logical_Switch", {Condition::uuid_is(ls_uuid)});
  ASSERT_EQ(switches.size(), 1u);
  EXPECT_EQ(switches[0].at("ports"), Datum::uuid(lsp_uuid));

  // select with columns.
  TransactionBuilder sel(kNb);
  sel.select("Logical_Switch_Port", {Condition::of("name", Function::kEqual, Datum::string("ns_pod"))},
             std::vector<std::string>{"name"});
  TransactionResult sr = run(sel);
  ASSERT_TRUE(sr.ok());
  ASSERT_EQ(sr.ops[0].rows.size(), 1u);
  EXPECT_EQ(sr.ops[0].rows[0].size(), 1u);

  TransactionBuilder up(kNb);
  up.update("Logical_Switch_Port", {Condition::uuid_is(lsp_uuid)},
            {{"addresses", Datum::string_set({"0a:58:0a:f4:01:06 10.244.1.6"})}, {"enabled", Datum::boolean(false)}});
  TransactionResult ur = run(up);
  ASSERT_TRUE(ur.ok()) << ur.describe_failure(&up);
  EXPECT_EQ(ur.ops[0].count, 1);
  rows = select("Logical_Switch_Port", {Condition::uuid_is(lsp_uuid)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("enabled"), Datum::boolean(false));

  // Deleting a strongly referenced row fails at commit.
  TransactionBuilder del_ref(kNb);
  del_ref.delete_rows("Logical_Switch_Port", {Condition::uuid_is(lsp_uuid)});
  TransactionResult dr = run(del_ref);
  EXPECT_FALSE(dr.ok());
  ASSERT_TRUE(dr.commit_error.has_value()) << dr.describe_failure(&del_ref);
  EXPECT_EQ(dr.commit_error->error, "referential integrity violation");
  EXPECT_EQ(dr.ops[0].count, 1);  // the delete itself succeeded

  // Delete the switch: its port, now unreferenced, is garbage-collected.
  TransactionBuilder del(kNb);
  del.delete_rows("Logical_Switch", {Condition::uuid_is(ls_uuid)});
  TransactionResult dd = run(del);
  ASSERT_TRUE(dd.ok()) << dd.describe_failure(&del);
  EXPECT_EQ(dd.ops[0].count, 1);
  EXPECT_TRUE(select("Logical_Switch_Port", {}).empty());
}

// ovsdb-server binds a uuid-name to a fresh uuid when it is first referenced;
// an insert that declares that name LATER with an explicit "uuid" gets the
// explicit uuid while the earlier reference keeps the fresh one, so the commit
// fails. Forward references without an explicit uuid work.
TEST_F(ServerTest, ForwardReferenceToExplicitUuidFails) {
  TransactionBuilder t(kNb);
  t.insert("Logical_Switch", {{"name", Datum::string("fwd")}, {"ports", Datum::named_uuid("p")}});
  t.insert("Logical_Switch_Port", {{"name", Datum::string("fwd_p")}},
           InsertOptions{"p", *Uuid::parse("12345678-1234-4234-8234-123456789abc")});
  TransactionResult r = run(t);
  ASSERT_TRUE(r.commit_error.has_value()) << r.describe_failure(&t);
  EXPECT_EQ(r.commit_error->error, "referential integrity violation");

  TransactionBuilder ok(kNb);
  ok.insert("Logical_Switch", {{"name", Datum::string("fwd")}, {"ports", Datum::named_uuid("p")}});
  ok.insert("Logical_Switch_Port", {{"name", Datum::string("fwd_p")}}, InsertOptions{"p", std::nullopt});
  TransactionResult r2 = run(ok);
  EXPECT_TRUE(r2.ok()) << r2.describe_failure(&ok);
}

TEST_F(ServerTest, EveryMutator) {
  TransactionBuilder t(kNb);
  t.insert("Logical_Switch", {{"name", Datum::string("sw")}, {"acls", Datum::named_uuid("acl")}},
           InsertOptions{"sw", std::nullopt});
  t.insert("ACL",
           {{"priority", Datum::integer(100)},
            {"direction", Datum::string("to-lport")},
            {"match", Datum::string("ip4")},
            {"action", Datum::string("allow")},
            {"external_ids", Datum::string_map({{"a", "1"}, {"b", "2"}, {"c", "3"}})}},
           InsertOptions{"acl", std::nullopt});
  TransactionResult r = run(t);
  ASSERT_TRUE(r.ok()) << r.describe_failure(&t);
  ASSERT_TRUE(r.ops[1].uuid.has_value());
  Uuid acl = *r.ops[1].uuid;
  Uuid sw = *r.ops[0].uuid;

  auto priority_after = [&](Mutator m, int64_t arg) -> int64_t {
    TransactionBuilder mt(kNb);
    mt.mutate("ACL", {Condition::uuid_is(acl)}, {{"priority", m, Datum::integer(arg)}});
    TransactionResult mr = run(mt);
    EXPECT_TRUE(mr.ok()) << mutator_name(m) << ": " << mr.describe_failure(&mt);
    EXPECT_EQ(mr.ops.at(0).count, 1);
    auto rows = select("ACL", {Condition::uuid_is(acl)});
    if (rows.size() != 1) return -1;
    const Atom* a = rows[0].at("priority").as_scalar();
    return a ? a->as_integer() : -1;
  };
  EXPECT_EQ(priority_after(Mutator::kAdd, 10), 110);
  EXPECT_EQ(priority_after(Mutator::kSubtract, 3), 107);
  EXPECT_EQ(priority_after(Mutator::kMultiply, 2), 214);
  EXPECT_EQ(priority_after(Mutator::kDivide, 4), 53);
  EXPECT_EQ(priority_after(Mutator::kModulo, 10), 3);

  // Map: insert keeps existing keys, delete by key set and by key/value pairs.
  TransactionBuilder mm(kNb);
  mm.mutate("ACL", {Condition::uuid_is(acl)},
            {{"external_ids", Mutator::kInsert, Datum::string_map({{"a", "changed"}, {"d", "4"}})},
             {"external_ids", Mutator::kDelete, Datum::string_set({"b"})},
             {"external_ids", Mutator::kDelete, Datum::string_map({{"c", "3"}, {"d", "not-4"}})}});
  TransactionResult mmr = run(mm);
  ASSERT_TRUE(mmr.ok()) << mmr.describe_failure(&mm);
  auto rows = select("ACL", {Condition::uuid_is(acl)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("external_ids"), Datum::string_map({{"a", "1"}, {"d", "4"}}));

  // Set: insert and delete on Logical_Switch.acls (uuid set).
  TransactionBuilder ms(kNb);
  ms.insert("ACL",
            {{"priority", Datum::integer(1)},
             {"direction", Datum::string("from-lport")},
             {"match", Datum::string("1")},
             {"action", Datum::string("drop")}},
            InsertOptions{"acl2", std::nullopt});
  ms.mutate("Logical_Switch", {Condition::uuid_is(sw)}, {{"acls", Mutator::kInsert, Datum::named_uuid("acl2")}});
  ms.mutate("Logical_Switch", {Condition::uuid_is(sw)}, {{"acls", Mutator::kDelete, Datum::uuid(acl)}});
  TransactionResult msr = run(ms);
  ASSERT_TRUE(msr.ok()) << msr.describe_failure(&ms);
  auto sws = select("Logical_Switch", {Condition::uuid_is(sw)});
  ASSERT_EQ(sws.size(), 1u);
  EXPECT_EQ(sws[0].at("acls"), Datum::uuid(*msr.ops[0].uuid));
  // The ACL removed from the set was garbage-collected.
  EXPECT_TRUE(select("ACL", {Condition::uuid_is(acl)}).empty());

  // Mutation errors: a result out of range is a constraint violation.
  TransactionBuilder bad(kNb);
  bad.mutate("ACL", {Condition::uuid_is(*msr.ops[0].uuid)}, {{"priority", Mutator::kAdd, Datum::integer(100000)}});
  TransactionResult br = run(bad);
  ASSERT_FALSE(br.ok());
  auto f = br.failure();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->op, 0u);
  EXPECT_EQ(f->error.error, "constraint violation") << br.describe_failure(&bad);
}

TEST_F(ServerTest, WaitCommitAbortCommentAssert) {
  TransactionBuilder t(kNb);
  t.insert("Logical_Switch", {{"name", Datum::string("w")}});
  ASSERT_TRUE(run(t).ok());

  TransactionBuilder w(kNb);
  w.wait("Logical_Switch", {Condition::of("name", Function::kEqual, Datum::string("w"))}, {"name"}, WaitUntil::kEqual,
         {{{"name", Datum::string("w")}}}, 0);
  w.wait("Logical_Switch", {}, {"name"}, WaitUntil::kNotEqual, {}, 0);
  w.comment("waits pass");
  w.commit(true);
  TransactionResult wr = run(w);
  EXPECT_TRUE(wr.ok()) << wr.describe_failure(&w);

  TransactionBuilder wf(kNb);
  wf.wait("Logical_Switch", {}, {"name"}, WaitUntil::kEqual, {}, 0);
  TransactionResult wfr = run(wf);
  ASSERT_FALSE(wfr.ok());
  EXPECT_EQ(wfr.failure()->error.error, "timed out");

  TransactionBuilder ab(kNb);
  ab.insert("Logical_Switch", {{"name", Datum::string("never")}});
  ab.abort();
  ab.comment("not reached");
  TransactionResult abr = run(ab);
  ASSERT_FALSE(abr.ok());
  EXPECT_TRUE(abr.ops[0].ok());
  ASSERT_TRUE(abr.ops[1].error.has_value());
  EXPECT_EQ(abr.ops[1].error->error, "aborted");
  EXPECT_TRUE(abr.ops[2].skipped);
  EXPECT_EQ(select("Logical_Switch", {Condition::of("name", Function::kEqual, Datum::string("never"))}).size(), 0u);

  TransactionBuilder as(kNb);
  as.assert_lock("nobody_holds_this");
  TransactionResult asr = run(as);
  ASSERT_FALSE(asr.ok());
  EXPECT_EQ(asr.failure()->error.error, "not owner");
  EXPECT_EQ(asr.describe_failure(&as).rfind("operation 0 (assert) failed: not owner", 0), 0u) << asr.describe_failure(&as);
}

TEST_F(ServerTest, ConditionFunctions) {
  TransactionBuilder t(kNb);
  for (int p : {1, 2, 3}) {
    t.insert("Logical_Switch", {{"name", Datum::string("c" + std::to_string(p))},
                                {"other_config", Datum::string_map({{"k", std::to_string(p)}})}});
  }
  ASSERT_TRUE(run(t).ok());
  auto count = [&](Condition c) { return select("Logical_Switch", {std::move(c)}).size(); };
  EXPECT_EQ(count(Condition::of("name", Function::kEqual, Datum::string("c2"))), 1u);
  EXPECT_EQ(count(Condition::of("name", Function::kNotEqual, Datum::string("c2"))), 2u);
  EXPECT_EQ(count(Condition::of("other_config", Function::kIncludes, Datum::string_map({{"k", "3"}}))), 1u);
  EXPECT_EQ(count(Condition::of("other_config", Function::kExcludes, Datum::string_map({{"k", "3"}}))), 2u);
  EXPECT_EQ(count(Condition::always(true)), 3u);
  EXPECT_EQ(count(Condition::always(false)), 0u);
  // Ordering functions apply to integer/real scalars only: use ACL priorities.
  TransactionBuilder a(kNb);
  a.insert("Logical_Switch", {{"name", Datum::string("acls")}, {"acls", Datum::set({Atom::named_uuid("a1"), Atom::named_uuid("a2")})}});
  for (int p : {10, 20}) {
    a.insert("ACL",
             {{"priority", Datum::integer(p)},
              {"direction", Datum::string("to-lport")},
              {"match", Datum::string("1")},
              {"action", Datum::string("allow")}},
             InsertOptions{p == 10 ? "a1" : "a2", std::nullopt});
  }
  TransactionResult ar = run(a);
  ASSERT_TRUE(ar.ok()) << ar.describe_failure(&a);
  auto acls = [&](Function f, int64_t v) {
    return select("ACL", {Condition::of("priority", f, Datum::integer(v))}).size();
  };
  EXPECT_EQ(acls(Function::kLess, 20), 1u);
  EXPECT_EQ(acls(Function::kLessEqual, 20), 2u);
  EXPECT_EQ(acls(Function::kGreater, 10), 1u);
  EXPECT_EQ(acls(Function::kGreaterEqual, 10), 2u);
}

TEST_F(ServerTest, ErrorResults) {
  // Commit-time referential integrity: a reference to a row that does not exist.
  TransactionBuilder ri(kNb);
  ri.insert("Logical_Switch",
            {{"name", Datum::string("x")}, {"ports", Datum::uuid(*Uuid::parse("11111111-2222-3333-4444-000000000000"))}});
  TransactionResult rir = run(ri);
  ASSERT_TRUE(rir.commit_error.has_value()) << rir.describe_failure(&ri);
  EXPECT_EQ(rir.commit_error->error, "referential integrity violation");
  EXPECT_EQ(rir.describe_failure(&ri).rfind("commit failed: referential integrity violation", 0), 0u);

  // Per-operation constraint violation.
  TransactionBuilder cv(kNb);
  cv.comment("first");
  cv.insert("ACL", {{"priority", Datum::integer(99999)},
                    {"direction", Datum::string("from-lport")},
                    {"match", Datum::string("1")},
                    {"action", Datum::string("drop")}});
  TransactionResult cvr = run(cv);
  auto f = cvr.failure();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->op, 1u);
  EXPECT_EQ(f->error.error, "constraint violation");
  EXPECT_NE(f->error.details.find("99999"), std::string::npos);

  // Commit-time uniqueness (index on name) is a constraint violation too.
  TransactionBuilder dup(kNb);
  dup.insert("Logical_Switch", {{"name", Datum::string("dup")}, {"ports", Datum::set({Atom::named_uuid("p1"), Atom::named_uuid("p2")})}});
  dup.insert("Logical_Switch_Port", {{"name", Datum::string("same")}}, InsertOptions{"p1", std::nullopt});
  dup.insert("Logical_Switch_Port", {{"name", Datum::string("same")}}, InsertOptions{"p2", std::nullopt});
  TransactionResult dupr = run(dup);
  ASSERT_TRUE(dupr.commit_error.has_value()) << dupr.describe_failure(&dup);
  EXPECT_EQ(dupr.commit_error->error, "constraint violation");

  // A retried transaction with an explicit uuid fails instead of duplicating.
  Uuid u = *Uuid::parse("abcdef01-2345-4678-89ab-cdef01234567");
  TransactionBuilder once(kNb);
  once.insert("Logical_Switch", {{"name", Datum::string("retry")}}, InsertOptions{"", u});
  EXPECT_TRUE(run(once).ok());
  TransactionResult again = run(once);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure()->error.error, "duplicate uuid");
  EXPECT_EQ(select("Logical_Switch", {Condition::of("name", Function::kEqual, Datum::string("retry"))}).size(), 1u);

  // Unknown table and unknown column: syntax errors with the offending JSON.
  TransactionBuilder ut(kNb);
  ut.insert("No_Such_Table", {});
  TransactionResult utr = run(ut);
  ASSERT_FALSE(utr.ok());
  EXPECT_EQ(utr.failure()->error.error, "syntax error");
  EXPECT_FALSE(utr.failure()->error.syntax.empty());
  TransactionBuilder uc(kNb);
  uc.insert("Logical_Switch", {{"no_such_column", Datum::string("x")}});
  TransactionResult ucr = run(uc);
  ASSERT_FALSE(ucr.ok());
  EXPECT_NE(ucr.describe_failure(&uc).find("no_such_column"), std::string::npos) << ucr.describe_failure(&uc);
}

TEST_F(ServerTest, UnreferencedNonRootRowIsGarbageCollected) {
  TransactionBuilder t(kNb);
  t.insert("Logical_Switch_Port", {{"name", Datum::string("orphan")}});
  TransactionResult r = run(t);
  ASSERT_TRUE(r.ok()) << r.describe_failure(&t);
  ASSERT_TRUE(r.ops[0].uuid.has_value());  // the server reports a uuid...
  EXPECT_TRUE(select("Logical_Switch_Port", {Condition::uuid_is(*r.ops[0].uuid)}).empty());  // ...of no row
}

TEST_F(ServerTest, LargeTransactionAndReply) {
  TransactionBuilder t(kNb);
  std::vector<Atom> ports;
  for (int i = 0; i < 2000; ++i) {
    std::string name = "p" + std::to_string(i);
    t.insert("Logical_Switch_Port", {{"name", Datum::string(name)}, {"addresses", Datum::string_set({"dynamic"})}},
             InsertOptions{name, std::nullopt});
    ports.push_back(Atom::named_uuid(name));
  }
  t.insert("Logical_Switch", {{"name", Datum::string("big")}, {"ports", Datum::set(ports)}});
  TransactionResult r = run(t);
  ASSERT_TRUE(r.ok()) << r.describe_failure(&t);
  EXPECT_EQ(select("Logical_Switch_Port", {}).size(), 2000u);
}

// The support library itself: restart keeps the data; tcp/ssl remotes listen;
// a raft cluster elects a leader.
TEST(OvsdbServerSupport, RestartTcpSsl) {
  if (::access(kNbSchema, R_OK) != 0) GTEST_SKIP();
  auto dir = testing::run_command({"mktemp", "-d", "/tmp/ovnk-pki-XXXXXX"});
  ASSERT_TRUE(dir.ok());
  std::string pki_dir = dir->substr(0, dir->size() - 1);
  auto pki = testing::make_test_pki(pki_dir);
  ASSERT_TRUE(pki.ok()) << pki.error().to_string();
  testing::OvsdbServerOptions opts;
  opts.schema_path = kNbSchema;
  opts.tcp = true;
  opts.ssl = *pki;
  auto s = testing::OvsdbServer::start(opts);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto& server = **s;
  EXPECT_EQ(server.tcp_remote(), "tcp:127.0.0.1:" + std::to_string(server.tcp_port()));
  EXPECT_EQ(server.ssl_remote().rfind("ssl:127.0.0.1:", 0), 0u);
  EXPECT_GT(server.pid(), 0);
  {
    SyncClient c;
    ASSERT_TRUE(c.connect(server.unix_path()).ok());
    TransactionBuilder t(kNb);
    t.insert("Logical_Switch", {{"name", Datum::string("persist")}});
    auto reply = c.transact(t);
    ASSERT_TRUE(reply.ok());
  }
  pid_t old = server.pid();
  ASSERT_TRUE(server.restart().ok());
  EXPECT_NE(server.pid(), old);
  SyncClient c;
  ASSERT_TRUE(c.connect(server.unix_path()).ok());
  TransactionBuilder sel(kNb);
  sel.select("Logical_Switch", {});
  auto reply = c.transact(sel);
  ASSERT_TRUE(reply.ok());
  EXPECT_NE(reply->result().text().find("persist"), std::string::npos);
  ASSERT_TRUE(server.kill(SIGKILL).ok());
  ASSERT_TRUE(server.stop().ok());
  EXPECT_FALSE(server.running());
  (void)testing::run_command({"rm", "-rf", pki_dir});
}

TEST(OvsdbServerSupport, RaftClusterElectsALeader) {
  if (::access(kNbSchema, R_OK) != 0) GTEST_SKIP();
  auto c = testing::OvsdbCluster::start(kNbSchema, 3, true);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto& cluster = **c;
  EXPECT_EQ(cluster.size(), 3u);
  EXPECT_EQ(cluster.database(), kNb);
  auto leader = cluster.leader();
  ASSERT_TRUE(leader.ok());
  // A transaction through a follower is forwarded to the leader and commits.
  size_t follower = (*leader + 1) % cluster.size();
  SyncClient client;
  ASSERT_TRUE(client.connect(cluster.member(follower).unix_path()).ok());
  TransactionBuilder t(kNb);
  t.insert("Logical_Switch", {{"name", Datum::string("raft")}});
  auto reply = client.transact(t);
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->is_reply()) << reply->text();
  // Killing the leader makes another member leader.
  ASSERT_TRUE(cluster.member(*leader).stop().ok());
  auto next = cluster.wait_for_leader();
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_NE(*next, *leader);
  ASSERT_TRUE(cluster.member(*leader).restart().ok());
  EXPECT_TRUE(cluster.wait_for_leader().ok());
  EXPECT_EQ(cluster.unix_remotes().find("unix:"), 0u);
  std::string tcp = cluster.tcp_remotes();
  EXPECT_EQ(std::count(tcp.begin(), tcp.end(), ','), 2);
}

}  // namespace
}  // namespace ovnk::ovsdb
