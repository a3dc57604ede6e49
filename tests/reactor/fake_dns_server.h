// FakeDnsServer: a TEST DOUBLE standing in for a DNS server, for the resolver's
// tests. Not a DNS implementation: it answers only what those tests need.
//
// It listens on UDP 127.0.0.1:<ephemeral port>, on the test's own loop (one
// FdWatch), and answers each query from a table: A/AAAA records for the names
// added with add_host(), an empty NOERROR answer (NODATA) for other types or a
// family the name lacks, NXDOMAIN for every other name. It can be told to stay
// silent (drop every query: the client times out) or to hold queries until
// release_held() (the query is then surely in flight). No TCP, no compression in
// questions, one question per query; malformed packets are dropped and counted.
//
// Invariant: it closes its socket and its watch when destroyed; the loop must
// outlive it.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "reactor/loop.h"

namespace ovnk::reactor::testing {

class FakeDnsServer {
 public:
  enum class Mode {
    kAnswer,  // answer every query at once
    kSilent,  // read and drop every query
    kHold,    // keep queries until release_held()
  };

  static Result<std::unique_ptr<FakeDnsServer>> start(Loop& loop);
  FakeDnsServer(const FakeDnsServer&) = delete;
  FakeDnsServer& operator=(const FakeDnsServer&) = delete;
  ~FakeDnsServer();

  // Names are matched case-insensitively, without a trailing dot.
  void add_host(std::string_view name, std::vector<std::string> ipv4, std::vector<std::string> ipv6);
  void set_mode(Mode mode) { mode_ = mode; }
  // Answers the held queries (whatever the mode now is).
  void release_held();

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  size_t queries_received() const { return received_; }
  size_t answers_sent() const { return answered_; }
  size_t held() const { return held_.size(); }
  size_t malformed() const { return malformed_; }

 private:
  struct Records {
    std::vector<in_addr> ipv4;
    std::vector<in6_addr> ipv6;
  };
  struct Held {
    std::string packet;
    sockaddr_in from{};
  };

  FakeDnsServer(Loop& loop, int fd, uint16_t port);
  void on_readable();
  void answer(const std::string& query, const sockaddr_in& from);

  Loop& loop_;
  int fd_;
  uint16_t port_;
  Mode mode_ = Mode::kAnswer;
  std::map<std::string, Records> table_;
  std::vector<Held> held_;
  size_t received_ = 0;
  size_t answered_ = 0;
  size_t malformed_ = 0;
  std::unique_ptr<FdWatch> watch_;
};

}  // namespace ovnk::reactor::testing
