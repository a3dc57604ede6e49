// Test support: real ovsdb-server processes for loop and e2e tests.
//
// OvsdbServer runs one standalone ovsdb-server on a database created from a
// schema file, in its own temporary directory, listening on a unix socket and
// optionally on tcp and ssl (127.0.0.1, free ports picked at start). It is a
// child of the test process (never --detach), so `pid()` is exact, `kill(sig)`
// reaches it, and PR_SET_PDEATHSIG kills it if the test binary dies.
// OvsdbCluster builds a 3-member (or n-member) raft cluster on loopback
// (ovsdb-tool create-cluster / join-cluster with tcp:127.0.0.1:PORT addresses)
// and runs one server per member, each with its own unix (and optional tcp)
// client remote.
//
// Everything is torn down in the destructor: processes get SIGTERM (then
// SIGKILL after 5 s) and the directory is removed, unless the environment
// variable OVNK_KEEP_TEST_DIRS is set (for post-mortems: logs are in dir()).
// Remotes are strings in ovs syntax: "unix:/tmp/ovnk-ovsdb-XXXX/db.sock",
// "tcp:127.0.0.1:PORT", "ssl:127.0.0.1:PORT".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace ovnk::testing {

struct SslFiles {
  std::string private_key;
  std::string certificate;
  std::string ca_cert;
};

// A self-signed CA and a server/client certificate signed by it, made with the
// openssl command line in `dir` (for tests of the TLS stream).
Result<SslFiles> make_test_pki(const std::string& dir, const std::string& common_name = "127.0.0.1");

struct OvsdbServerOptions {
  std::string schema_path;  // e.g. "/usr/share/ovn/ovn-nb.ovsschema"
  bool tcp = false;         // also listen on ptcp:PORT:127.0.0.1
  std::optional<SslFiles> ssl;  // also listen on pssl:PORT:127.0.0.1 with these files
  std::vector<std::string> extra_args;  // appended to the ovsdb-server command line
  std::chrono::milliseconds start_timeout{10000};
};

class OvsdbServer {
 public:
  // Creates dir/db.db from the schema and starts the server.
  static Result<std::unique_ptr<OvsdbServer>> start(const OvsdbServerOptions& options);
  // Unix socket only.
  static Result<std::unique_ptr<OvsdbServer>> start(const std::string& schema_path);
  ~OvsdbServer();
  OvsdbServer(const OvsdbServer&) = delete;
  OvsdbServer& operator=(const OvsdbServer&) = delete;

  const std::string& unix_remote() const { return unix_remote_; }  // "unix:<path>"
  const std::string& unix_path() const { return unix_path_; }
  const std::string& tcp_remote() const { return tcp_remote_; }    // "" without tcp
  const std::string& ssl_remote() const { return ssl_remote_; }    // "" without ssl
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t ssl_port() const { return ssl_port_; }
  const std::string& dir() const { return dir_; }
  const std::string& db_path() const { return db_path_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& unixctl_path() const { return ctl_path_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Sends a signal (SIGSTOP/SIGCONT to freeze a server, SIGKILL to crash it).
  // After a fatal signal call stop() or restart() to reap the child.
  Result<void> kill(int sig);
  // SIGTERM, waits for exit (SIGKILL after 5 s). Idempotent.
  Result<void> stop();
  // stop() then start again on the same database, socket and ports.
  Result<void> restart();
  // Runs `ovs-appctl -t <ctl> <args...>` against this server; returns stdout.
  Result<std::string> appctl(const std::vector<std::string>& args) const;
  // The last `max_bytes` of the server's log (for failure messages).
  std::string log_tail(size_t max_bytes = 4000) const;

 private:
  friend class OvsdbCluster;
  OvsdbServer() = default;
  Result<void> launch(std::chrono::milliseconds timeout);

  std::string dir_;
  bool owns_dir_ = false;
  std::string name_;  // file prefix in dir_: "db", "s1", ...
  std::string db_path_, unix_path_, unix_remote_, ctl_path_, log_path_, pid_path_;
  std::string tcp_remote_, ssl_remote_;
  uint16_t tcp_port_ = 0;
  uint16_t ssl_port_ = 0;
  std::optional<SslFiles> ssl_;
  std::vector<std::string> extra_args_;
  std::chrono::milliseconds start_timeout_{10000};
  pid_t pid_ = -1;
};

class OvsdbCluster {
 public:
  struct Options {
    std::string schema_path;
    size_t members = 3;
    bool client_tcp = false;  // a tcp client remote per member, besides unix
    std::chrono::milliseconds start_timeout{20000};
  };
  static Result<std::unique_ptr<OvsdbCluster>> start(const Options& options);
  static Result<std::unique_ptr<OvsdbCluster>> start(const std::string& schema_path, size_t members = 3,
                                                     bool client_tcp = false);
  ~OvsdbCluster();

  size_t size() const { return members_.size(); }
  OvsdbServer& member(size_t i) { return *members_.at(i); }
  const std::string& database() const { return database_; }
  const std::string& dir() const { return dir_; }
  // Raft addresses "tcp:127.0.0.1:PORT" of each member.
  const std::vector<std::string>& raft_addresses() const { return raft_addresses_; }
  // Comma-separated unix remotes of every member (what a client is given).
  std::string unix_remotes() const;
  std::string tcp_remotes() const;
  // The index of the member that reports "Role: leader" (cluster/status).
  Result<size_t> leader() const;
  // Polls until some member is leader and every running member knows it.
  Result<size_t> wait_for_leader(std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;

 private:
  OvsdbCluster() = default;
  std::string dir_;
  std::string database_;
  std::vector<std::string> raft_addresses_;
  std::vector<std::unique_ptr<OvsdbServer>> members_;
};

// Runs a program (argv[0] looked up in PATH), returns its stdout; an error with
// its stderr when it exits non-zero. For ovsdb-tool, ovs-appctl, openssl.
Result<std::string> run_command(const std::vector<std::string>& argv);
// Waits up to `timeout` for child `pid` to exit: its wait status, -1 when it
// is not our child (any more), nullopt when it is still running.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout);
// A loopback tcp port that was free a moment ago.
Result<uint16_t> pick_free_port();

}  // namespace ovnk::testing
