// ovsdb-cli against Debian's ovsdb-client on the same real ovsdb-server: the
// outputs of list-dbs, get-schema, transact and monitor must be the same bytes;
// errors go to stderr with a non-zero exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/ovsdb_server.h"

namespace ovnk::tools {
namespace {

using ovnk::testing::OvsdbServer;
using ovnk::testing::run_command;

const char* const kNbSchema = "/usr/share/ovn/ovn-nb.ovsschema";
const char* const kCli = OVNK_CLI_BINARY;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ovsdb-client prints this when killed by SIGTERM; ovsdb-cli just dies.
std::string without_signal_lines(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("fatal_signal") != std::string::npos) continue;
    out.append(line).push_back('\n');
  }
  return out;
}

// A background process with stdout and stderr in a file, SIGTERMed at the end.
class Background {
 public:
  Background(const std::vector<std::string>& argv, std::string out_path) : out_path_(std::move(out_path)) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Background() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string output() const { return read_file(out_path_); }

 private:
  std::string out_path_;
  pid_t pid_ = -1;
};

class OvsdbCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OvsdbServer::start(kNbSchema);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    server_ = std::move(s).value();
    remote_ = server_->unix_remote();
  }

  // Runs both tools with the same arguments; both must succeed.
  void expect_same(const std::vector<std::string>& args) {
    std::vector<std::string> theirs{"ovsdb-client"};
    std::vector<std::string> ours{kCli};
    theirs.insert(theirs.end(), args.begin(), args.end());
    ours.insert(ours.end(), args.begin(), args.end());
    auto expected = run_command(theirs);
    ASSERT_TRUE(expected.ok()) << expected.error().to_string();
    auto actual = run_command(ours);
    ASSERT_TRUE(actual.ok()) << actual.error().to_string();
    EXPECT_EQ(*actual, *expected);
    EXPECT_FALSE(actual->empty());
  }

  std::string transact(const std::string& json) {
    auto r = run_command({"ovsdb-client", "transact", remote_, json});
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : std::string();
  }

  std::unique_ptr<OvsdbServer> server_;
  std::string remote_;
};

TEST_F(OvsdbCliTest, ListDbs) { expect_same({"list-dbs", remote_}); }

TEST_F(OvsdbCliTest, GetSchema) {
  expect_same({"get-schema", remote_, "OVN_Northbound"});
  expect_same({"get-schema", remote_, "_Server"});
}

TEST_F(OvsdbCliTest, TransactInsertAndSelect) {
  // Insert with ovsdb-cli, then select with both: the same rows, the same bytes.
  auto inserted = run_command({kCli, "transact", remote_,
                               R"(["OVN_Northbound",{"op":"insert","table":"Logical_Switch",)"
                               R"("row":{"name":"sw \"0\"\t","external_ids":["map",[["b","1"],["a","x y"]]]}}])"});
  ASSERT_TRUE(inserted.ok()) << inserted.error().to_string();
  EXPECT_TRUE(inserted->starts_with(R"([{"uuid":["uuid",")")) << *inserted;
  EXPECT_TRUE(inserted->ends_with("]\n"));
  expect_same({"transact", remote_, R"(["OVN_Northbound",{"op":"select","table":"Logical_Switch","where":[]}])"});
  // A failing operation is a result, not an error: same output, exit 0.
  expect_same({"transact", remote_,
               R"(["OVN_Northbound",{"op":"comment","comment":"c"},{"op":"select","table":"Nope","where":[]}])"});
  // Explicit uuid, then a duplicate of it.
  std::string txn =
      R"(["OVN_Northbound",{"op":"insert","table":"Logical_Switch","uuid":"12345678-1234-4234-8234-123456789abc",)"
      R"("row":{"name":"fixed"}}])";
  auto first = run_command({kCli, "transact", remote_, txn});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "[{\"uuid\":[\"uuid\",\"12345678-1234-4234-8234-123456789abc\"]}]\n");
  expect_same({"transact", remote_, txn});
}

TEST_F(OvsdbCliTest, MonitorPrintsTheTablesOvsdbClientPrints) {
  transact(R"(["OVN_Northbound",{"op":"insert","table":"Logical_Switch",)"
           R"("row":{"name":"sw0","external_ids":["map",[["b","1"],["a","2"],["c","true"],["d",""]]]}}])");
  std::string dir = server_->dir();
  std::vector<std::string> args{"monitor", remote_, "OVN_Northbound", "Logical_Switch", "name,external_ids",
                                "other_config"};
  std::vector<std::string> theirs{"ovsdb-client"};
  std::vector<std::string> ours{kCli};
  theirs.insert(theirs.end(), args.begin(), args.end());
  ours.insert(ours.end(), args.begin(), args.end());
  Background client(theirs, dir + "/client.out");
  Background cli(ours, dir + "/cli.out");
  // Both print the initial table once their monitor is set up.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((client.output().find("initial") == std::string::npos || cli.output().find("initial") == std::string::npos) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  transact(R"(["OVN_Northbound",{"op":"insert","table":"Logical_Switch","row":{"name":"with space"}}])");
  transact(R"(["OVN_Northbound",{"op":"update","table":"Logical_Switch","where":[["name","==","sw0"]],)"
           R"("row":{"name":"sw0b","other_config":["map",[["k","v"]]]}}])");
  transact(R"(["OVN_Northbound",{"op":"delete","table":"Logical_Switch","where":[["name","==","sw0b"]]}])");
  // Four tables (initial, insert, modify, delete) in each output.
  auto tables = [](const std::string& s) {
    size_t n = 0;
    for (size_t p = s.find("\nrow "); p != std::string::npos; p = s.find("\nrow ", p + 1)) ++n;
    return n + (s.starts_with("row ") ? 1 : 0);
  };
  while ((tables(client.output()) < 4 || tables(cli.output()) < 4) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  client.stop();
  cli.stop();
  std::string expected = without_signal_lines(client.output());
  std::string actual = without_signal_lines(cli.output());
  EXPECT_EQ(tables(actual), 4u) << actual;
  EXPECT_EQ(actual, expected);
  EXPECT_NE(actual.find("{a=\"2\", b=\"1\", c=\"true\", d=\"\"}"), std::string::npos) << actual;
}

TEST_F(OvsdbCliTest, ErrorsGoToStderrWithAFailureStatus) {
  // Connection refused.
  auto r = run_command({kCli, "list-dbs", "unix:" + server_->dir() + "/nobody.sock"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("ovsdb-cli: failed to connect to"), std::string::npos) << r.error().message;
  // Not JSON, then JSON that is not a transaction.
  r = run_command({kCli, "transact", remote_, "garbage"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("ovsdb-cli:"), std::string::npos);
  r = run_command({kCli, "transact", remote_, "{}"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a valid OVSDB query"), std::string::npos);
  // A JSON-RPC error from the server.
  r = run_command({kCli, "transact", remote_, R"(["Nope",{"op":"comment","comment":"x"}])"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("transaction returned error"), std::string::npos);
  EXPECT_NE(r.error().message.find("unknown database"), std::string::npos);
  r = run_command({kCli, "get-schema", remote_, "Nope"});
  ASSERT_FALSE(r.ok());
  r = run_command({kCli, "monitor", remote_, "OVN_Northbound", "No_Table"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not have a table named"), std::string::npos);
  // Usage errors.
  r = run_command({kCli, "frobnicate", remote_});
  ASSERT_FALSE(r.ok());
  r = run_command({kCli, "list-dbs"});
  ASSERT_FALSE(r.ok());
  // ssl: without the key, certificate and CA.
  r = run_command({kCli, "list-dbs", "ssl:127.0.0.1:1"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("private key"), std::string::npos) << r.error().message;
  // A silent remote and --timeout.
  ASSERT_TRUE(server_->kill(SIGSTOP).ok());
  r = run_command({kCli, "--timeout=1", "list-dbs", remote_});
  ASSERT_TRUE(server_->kill(SIGCONT).ok());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("timeout"), std::string::npos) << r.error().message;
}

TEST_F(OvsdbCliTest, SslRemote) {
  std::string dir = server_->dir() + "/pki";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  auto pki = ovnk::testing::make_test_pki(dir);
  ASSERT_TRUE(pki.ok()) << pki.error().to_string();
  ovnk::testing::OvsdbServerOptions o;
  o.schema_path = kNbSchema;
  o.ssl = *pki;
  auto ssl_server = OvsdbServer::start(o);
  ASSERT_TRUE(ssl_server.ok()) << ssl_server.error().to_string();
  std::vector<std::string> files{"--private-key=" + pki->private_key, "--certificate=" + pki->certificate,
                                 "--ca-cert=" + pki->ca_cert};
  std::vector<std::string> args = files;
  args.insert(args.end(), {"list-dbs", (*ssl_server)->ssl_remote()});
  expect_same(args);
}

}  // namespace
}  // namespace ovnk::tools
