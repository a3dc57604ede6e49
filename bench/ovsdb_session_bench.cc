// Macro-benchmark: inserting Logical_Switch_Ports into a real ovsdb-server (OVN
// NB schema, standalone, unix socket), with the session (ovsdb-proto/session.h)
// and with a plain client written the obvious way (blocking socket, snprintf'd
// JSON, read until the reply with our id). Same transactions for both: per
// port an insert with a uuid-name and an explicit uuid, and per transaction one
// mutate adding the new ports to one Logical_Switch's "ports".
//
// For each batch size (1, 10, 100, 1000 ports per transaction, each
// transaction waited for before the next), it prints ports/s, the client's CPU
// per port (getrusage of this process) and the server's (utime+stime from
// /proc/PID/stat), and the session/raw ratios. Extra rows: the session with
// transactions pipelined (many in flight), and with a replica of
// Logical_Switch_Port(name) being kept up to date. The database is cleaned
// (switch deleted, ports garbage-collected) before every run.
//
//   ovsdb_session_bench [PORTS]        (default 10000)
//
// Not a Google Benchmark: one run costs seconds and the interesting output is
// the side-by-side table. Speed is never asserted.
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "ovsdb-proto/framing.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"
#include "tests/support/ovsdb_server.h"

namespace ovnk::bench {
namespace {

using ovsdb::Atom;
using ovsdb::Datum;
using ovsdb::Uuid;

constexpr const char* kNbSchema = "/usr/share/ovn/ovn-nb.ovsschema";
constexpr const char* kNb = "OVN_Northbound";

double cpu_seconds_self() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

double cpu_seconds_of(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return 0;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  std::fclose(file);
  std::string text(buf, n);
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (fields >> f); ++i) {
    if (i == 14) utime = std::strtoull(f.c_str(), nullptr, 10);
    if (i == 15) stime = std::strtoull(f.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The uuids of the ports: drawn once, the same for every run.
struct PortSet {
  std::vector<Uuid> uuids;
  std::vector<std::string> uuid_text;
  explicit PortSet(size_t n) {
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < n; ++i) {
      uuids.push_back(Uuid::generate(rng));
      uuid_text.push_back(uuids.back().to_string());
    }
  }
};

struct RunResult {
  std::string mode;
  size_t batch = 0;
  size_t ports = 0;
  double seconds = 0;
  double client_cpu = 0;
  double server_cpu = 0;
  size_t failures = 0;
  double ports_per_second() const { return seconds > 0 ? static_cast<double>(ports) / seconds : 0; }
  double client_us_per_port() const { return ports ? client_cpu * 1e6 / static_cast<double>(ports) : 0; }
  double server_us_per_port() const { return ports ? server_cpu * 1e6 / static_cast<double>(ports) : 0; }
};

// ---- The plain client --------------------------------------------------------

class RawClient {
 public:
  bool connect(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // One transaction inserting ports [first, first+count) and adding them to the switch.
  bool insert_ports(const PortSet& ports, size_t first, size_t count, const std::string& switch_uuid) {
    uint64_t id = next_id_++;
    out_.clear();
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, "{\"id\":%" PRIu64 ",\"method\":\"transact\",\"params\":[\"%s\"", id, kNb);
    out_.append(buf, static_cast<size_t>(n));
    for (size_t i = first; i < first + count; ++i) {
      n = std::snprintf(buf, sizeof buf,
                        ",{\"op\":\"insert\",\"table\":\"Logical_Switch_Port\",\"uuid-name\":\"p%zu\","
                        "\"uuid\":\"%s\",\"row\":{\"name\":\"bench-p%zu\",\"addresses\":\"0a:58:0a:00:%02zx:%02zx "
                        "10.0.%zu.%zu\"}}",
                        i, ports.uuid_text[i].c_str(), i, (i >> 8) & 0xff, i & 0xff, (i >> 8) & 0xff, i & 0xff);
      out_.append(buf, static_cast<size_t>(n));
    }
    n = std::snprintf(buf, sizeof buf,
                      ",{\"op\":\"mutate\",\"table\":\"Logical_Switch\",\"where\":[[\"_uuid\",\"==\",[\"uuid\",\"%s\"]]],"
                      "\"mutations\":[[\"ports\",\"insert\",[\"set\",[",
                      switch_uuid.c_str());
    out_.append(buf, static_cast<size_t>(n));
    for (size_t i = first; i < first + count; ++i) {
      n = std::snprintf(buf, sizeof buf, "%s[\"named-uuid\",\"p%zu\"]", i == first ? "" : ",", i);
      out_.append(buf, static_cast<size_t>(n));
    }
    out_.append("]]]]}]}");
    if (!write_all(out_)) return false;
    return wait_reply(id);
  }

  size_t failures = 0;

 private:
  bool write_all(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      ssize_t w = ::write(fd_, s.data() + off, s.size() - off);
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  }
  // Reads messages until the reply with `id`; a reply with an "error" member
  // that is not null counts as a failure.
  bool wait_reply(uint64_t id) {
    char needle[64];
    std::snprintf(needle, sizeof needle, "\"id\":%" PRIu64, id);
    for (;;) {
      auto m = framer_.next();
      if (!m.ok()) return false;
      if (m->has_value()) {
        std::string_view text = (*m)->text();
        size_t at = text.find(needle);
        if (at != std::string_view::npos) {
          char after = text[at + std::strlen(needle)];
          if (after == ',' || after == '}') {
            if (text.find("\"error\":\"") != std::string_view::npos ||
                text.find("\"error\":{") != std::string_view::npos) {
              ++failures;
            }
            return true;
          }
        }
        continue;
      }
      char* p = framer_.prepare(65536);
      ssize_t r = ::read(fd_, p, 65536);
      if (r <= 0) return false;
      framer_.commit(static_cast<size_t>(r));
    }
  }

  int fd_ = -1;
  uint64_t next_id_ = 1;
  std::string out_;
  ovsdb::Framer framer_;
};

// ---- The session -------------------------------------------------------------

ovsdb::TransactionBuilder session_txn(const PortSet& ports, size_t first, size_t count, const Uuid& switch_uuid) {
  ovsdb::TransactionBuilder txn(kNb);
  std::vector<Atom> named;
  named.reserve(count);
  char addresses[64];
  for (size_t i = first; i < first + count; ++i) {
    std::string name = "p" + std::to_string(i);
    std::snprintf(addresses, sizeof addresses, "0a:58:0a:00:%02zx:%02zx 10.0.%zu.%zu", (i >> 8) & 0xff, i & 0xff,
                  (i >> 8) & 0xff, i & 0xff);
    txn.insert("Logical_Switch_Port",
               {{"name", Datum::string("bench-p" + std::to_string(i))}, {"addresses", Datum::string(addresses)}},
               ovsdb::InsertOptions{name, ports.uuids[i]});
    named.push_back(Atom::named_uuid(std::move(name)));
  }
  txn.mutate("Logical_Switch", {ovsdb::Condition::uuid_is(switch_uuid)},
             {ovsdb::Mutation{"ports", ovsdb::Mutator::kInsert, Datum::set(std::move(named))}});
  return txn;
}

class Bench {
 public:
  Bench(reactor::Loop& loop, testing::OvsdbServer& server, size_t ports)
      : loop_(loop), server_(server), ports_(ports), n_(ports) {}

  // Deletes the switch (its ports go with it: they are not root) and makes a
  // fresh one with a known uuid.
  bool clean() {
    auto s = make_session({});
    if (!s) return false;
    ovsdb::TransactionBuilder txn(kNb);
    txn.delete_rows("Logical_Switch", {ovsdb::Condition::of("name", ovsdb::Function::kEqual, Datum::string("bench"))});
    std::mt19937_64 rng(++generation_);
    switch_uuid_ = Uuid::generate(rng);
    txn.insert("Logical_Switch", {{"name", Datum::string("bench")}}, ovsdb::InsertOptions{"", switch_uuid_});
    bool ok = false;
    bool done = false;
    s->transact(std::move(txn), [&](ovsdb::TransactResult r) {
      ok = r.ok();
      if (!ok) std::fprintf(stderr, "clean: %s\n", r.error.to_string().c_str());
      done = true;
    });
    loop_.run_until([&] { return done; }, seconds(60));
    return ok;
  }

  RunResult raw(size_t batch) {
    RunResult r{"raw client (blocking, snprintf)", batch};
    if (!clean()) return r;
    RawClient c;
    if (!c.connect(server_.unix_path())) return r;
    measure(r, [&] {
      for (size_t i = 0; i < n_; i += batch) {
        if (!c.insert_ports(ports_, i, std::min(batch, n_ - i), switch_uuid_.to_string())) break;
        r.ports += std::min(batch, n_ - i);
      }
    });
    r.failures = c.failures;
    return r;
  }

  // window: transactions in flight at once (1 = each waited for in turn).
  RunResult session(size_t batch, size_t window, bool with_replica) {
    std::string mode = window == 1 ? "session" : "session, " + std::to_string(window) + " in flight";
    if (with_replica) mode += " + LSP replica";
    RunResult r{mode, batch};
    if (!clean()) return r;
    std::vector<ovsdb::MonitorRequest> monitor;
    if (with_replica) {
      ovsdb::MonitorRequest lsp;
      lsp.table = "Logical_Switch_Port";
      lsp.columns = {"name"};
      monitor.push_back(lsp);
    }
    auto s = make_session(monitor);
    if (!s) return r;
    size_t next = 0;
    size_t in_flight = 0;
    size_t done_ports = 0;
    std::function<void()> pump = [&] {
      while (in_flight < window && next < n_) {
        size_t count = std::min(batch, n_ - next);
        size_t first = next;
        next += count;
        ++in_flight;
        s->transact(session_txn(ports_, first, count, switch_uuid_), [&, count](ovsdb::TransactResult t) {
          --in_flight;
          if (!t.ok()) ++r.failures;
          done_ports += count;
          pump();
        });
      }
    };
    measure(r, [&] {
      pump();
      loop_.run_until([&] { return done_ports == n_; }, seconds(600));
      if (with_replica) {
        // The replica has caught up with every port.
        loop_.run_until([&] { return s->replica()->table("Logical_Switch_Port")->size() == n_; }, seconds(60));
      }
      r.ports = done_ports;
    });
    return r;
  }

 private:
  std::unique_ptr<ovsdb::Session> make_session(std::vector<ovsdb::MonitorRequest> monitor) {
    ovsdb::SessionOptions so;
    so.remotes = server_.unix_remote();
    so.database = kNb;
    so.monitor = std::move(monitor);
    auto s = ovsdb::Session::create(loop_, so);
    if (!s.ok()) {
      std::fprintf(stderr, "session: %s\n", s.error().to_string().c_str());
      return nullptr;
    }
    (*s)->start();
    if (!loop_.run_until([&] { return (*s)->is_ready(); }, seconds(30))) return nullptr;
    return std::move(s).value();
  }

  void measure(RunResult& r, const std::function<void()>& body) {
    double client0 = cpu_seconds_self();
    double server0 = cpu_seconds_of(server_.pid());
    MonoTime t0 = mono_now();
    body();
    r.seconds = to_seconds(mono_now() - t0);
    r.client_cpu = cpu_seconds_self() - client0;
    r.server_cpu = cpu_seconds_of(server_.pid()) - server0;
  }

  reactor::Loop& loop_;
  testing::OvsdbServer& server_;
  PortSet ports_;
  size_t n_;
  Uuid switch_uuid_;
  uint64_t generation_ = 0;
};

void print_row(const RunResult& r, const RunResult* raw) {
  std::printf("%-42s %6zu %10.0f %12.1f %12.1f", r.mode.c_str(), r.batch, r.ports_per_second(),
              r.client_us_per_port(), r.server_us_per_port());
  if (raw != nullptr && raw->ports_per_second() > 0 && raw->client_us_per_port() > 0) {
    std::printf(" %9.2fx %9.2fx", r.ports_per_second() / raw->ports_per_second(),
                r.client_us_per_port() / raw->client_us_per_port());
  } else {
    std::printf(" %10s %10s", "", "");
  }
  if (r.failures > 0 || r.ports == 0) std::printf("  (%zu failed txns, %zu ports)", r.failures, r.ports);
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace
}  // namespace ovnk::bench

int main(int argc, char** argv) {
  using namespace ovnk;
  size_t ports = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  log::set_level(log::Level::kWarn);
  auto server = testing::OvsdbServer::start(bench::kNbSchema);
  if (!server.ok()) {
    std::fprintf(stderr, "ovsdb-server: %s\n", server.error().to_string().c_str());
    return 1;
  }
  auto loop = reactor::Loop::create(reactor::Backend::kLibuv);
  if (!loop.ok()) return 1;
  bench::Bench b(**loop, **server, ports);
  std::printf("%zu Logical_Switch_Ports into a standalone ovsdb-server over a unix socket\n", ports);
  std::printf("%-42s %6s %10s %12s %12s %10s %10s\n", "client", "batch", "ports/s", "client us/p",
              "server us/p", "rate/raw", "cpu/raw");
  for (size_t batch : {size_t{1}, size_t{10}, size_t{100}, size_t{1000}}) {
    bench::RunResult raw = b.raw(batch);
    bench::print_row(raw, nullptr);
    bench::RunResult ses = b.session(batch, 1, false);
    bench::print_row(ses, &raw);
    if (batch == 1 || batch == 100) {
      bench::print_row(b.session(batch, 64, false), &raw);
      bench::print_row(b.session(batch, 1, true), &raw);
    }
  }
  return 0;
}
