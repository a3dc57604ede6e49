// ovnk-ctl: the cluster side of the topology (ovn-kubernetes' master), on the
// project's OVSDB session: raw OVSDB, no ovn-nbctl.
//
//   ovnk-ctl [--nb REMOTE] cluster-init --cluster-cidr CIDR[,CIDR] --node-prefix LEN[,LEN]
//                                       [--join-cidr CIDR[,CIDR]]
//   ovnk-ctl [--nb REMOTE] node-add NAME [--subnet CIDR[,CIDR]] [--pin-chassis]
//   ovnk-ctl [--nb REMOTE] node-del NAME
//   ovnk-ctl [--nb REMOTE] gateway-add NODE --physnet NAME --ip CIDR[,CIDR] --nexthop IP[,IP]
//   ovnk-ctl [--nb REMOTE] status [--json]
//   ovnk-ctl [--nb REMOTE] pods [--node NAME] [--json]
//
// Each changing command reads NB (a monitor of the tables it plans from),
// plans with topology_plan.h and commits ONE transaction, or none when NB
// already holds what was asked (running a command twice changes nothing). A
// transaction refused because NB changed under the plan (a guard, a name or
// subnet taken meanwhile) or lost with the connection is planned again from
// the fresh replica, a few times. Output: one line per change ("+", "~", "-")
// then a result line; errors on stderr, exit status 1 (2 for usage errors).
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "ovsdb-proto/remote.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"
#include "tools/common/one_shot.h"
#include "tools/ovnk-ctl/change_set.h"
#include "tools/ovnk-ctl/nb_snapshot.h"
#include "tools/ovnk-ctl/report.h"
#include "tools/ovnk-ctl/topology_plan.h"

namespace ovnk::ctl {
namespace {

constexpr std::string_view kUsage =
    "ovnk-ctl: the cluster topology in OVN Northbound (ovn-kubernetes names)\n"
    "usage: ovnk-ctl [OPTIONS] COMMAND [ARG...]\n"
    "\n"
    "Commands:\n"
    "  cluster-init --cluster-cidr CIDR[,CIDR] --node-prefix LEN[,LEN] [--join-cidr CIDR[,CIDR]]\n"
    "      ovn_cluster_router, the join switch and its router port; the config is\n"
    "      kept in ovn_cluster_router's external_ids (join default 100.64.0.0/16, fd98::/64)\n"
    "  node-add NAME [--subnet CIDR[,CIDR]] [--pin-chassis]\n"
    "      the node switch (its subnet allocated from the cluster CIDR unless given),\n"
    "      rtos-NAME/stor-NAME, the management port k8s-NAME (.2); --pin-chassis adds a\n"
    "      Gateway_Chassis binding rtos-NAME to chassis NAME\n"
    "  node-del NAME\n"
    "      every row of the node: switch (and its pods' ports), router ports, gateway\n"
    "  gateway-add NODE --physnet NAME --ip CIDR[,CIDR] --nexthop IP[,IP]\n"
    "      GR_NODE on chassis NODE, joined to the cluster router, ext_NODE with a\n"
    "      localnet port on NAME, SNAT of the cluster CIDR to the gateway address\n"
    "  status [--json]              the cluster config and every node\n"
    "  pods [--node NAME] [--json]  pod ports, of every node or of one\n"
    "\n"
    "Options:\n"
    "  --nb REMOTE      OVN Northbound (unix:PATH, tcp:HOST:PORT, ssl:..., comma-separated);\n"
    "                   default $OVN_NB, else unix:/var/run/ovn/ovnnb_db.sock\n"
    "  --timeout SECS   give up after SECS seconds (default 30)\n"
    "  --dry-run        print the changes without committing them\n"
    "  -q, --quiet      print only the result line\n"
    "  -v, --verbose    log the session's traffic to stderr\n"
    "  -h, --help       this help\n";

struct Options {
  std::string nb;
  double timeout = 30;
  bool dry_run = false;
  bool quiet = false;
  bool verbose = false;
  bool json = false;
  bool pin_chassis = false;
  std::string cluster_cidr, node_prefix, join_cidr, subnet, physnet, ip, nexthop, node;
  std::set<std::string> given;     // value options and flags seen
  std::vector<std::string> args;   // command, then positional arguments
};

int usage_error(std::string_view message) {
  std::fprintf(stderr, "ovnk-ctl: %.*s (use --help for help)\n", static_cast<int>(message.size()), message.data());
  return 2;
}

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

std::optional<int> parse_options(int argc, char** argv, Options& o) {
  struct ValueOption {
    std::string_view name;
    std::string* out;
  };
  const ValueOption values[] = {
      {"--nb", &o.nb},           {"--cluster-cidr", &o.cluster_cidr}, {"--node-prefix", &o.node_prefix},
      {"--join-cidr", &o.join_cidr}, {"--subnet", &o.subnet},        {"--physnet", &o.physnet},
      {"--ip", &o.ip},           {"--nexthop", &o.nexthop},           {"--node", &o.node},
  };
  std::string timeout_text;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      for (++i; i < argc; ++i) o.args.emplace_back(argv[i]);
      break;
    }
    if (!a.starts_with("-")) {
      o.args.emplace_back(a);
      continue;
    }
    if (a == "-h" || a == "--help") {
      print_out(kUsage);
      return 0;
    }
    if (a == "-v" || a == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (a == "-q" || a == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (a == "--json" || a == "--dry-run" || a == "--pin-chassis") {
      o.given.insert(std::string(a));
      if (a == "--json") o.json = true;
      if (a == "--dry-run") o.dry_run = true;
      if (a == "--pin-chassis") o.pin_chassis = true;
      continue;
    }
    size_t eq = a.find('=');
    std::string_view name = a.substr(0, eq);
    std::string* out = name == "--timeout" ? &timeout_text : nullptr;
    for (const ValueOption& v : values) {
      if (v.name == name) out = v.out;
    }
    if (out == nullptr) return usage_error("unknown option " + std::string(a));
    if (eq != std::string_view::npos) {
      *out = std::string(a.substr(eq + 1));
    } else {
      if (i + 1 >= argc) return usage_error("option " + std::string(a) + " needs a value");
      *out = argv[++i];
    }
    o.given.insert(std::string(name));
  }
  if (!timeout_text.empty()) {
    char* end = nullptr;
    o.timeout = std::strtod(timeout_text.c_str(), &end);
    if (end == timeout_text.c_str() || *end != '\0' || !(o.timeout > 0)) {
      return usage_error("--timeout wants a positive number of seconds");
    }
  }
  if (o.nb.empty()) {
    const char* env = std::getenv("OVN_NB");
    o.nb = env != nullptr && *env != '\0' ? env : "unix:/var/run/ovn/ovnnb_db.sock";
  }
  return std::nullopt;
}

// The options each command takes, besides --nb, --timeout, -q, -v.
std::optional<int> check_command(const Options& o) {
  struct Spec {
    std::string_view command;
    size_t positional;
    std::set<std::string_view> options;
    std::set<std::string_view> required;
  };
  const Spec specs[] = {
      {"cluster-init", 0, {"--cluster-cidr", "--node-prefix", "--join-cidr", "--dry-run"}, {"--cluster-cidr", "--node-prefix"}},
      {"node-add", 1, {"--subnet", "--pin-chassis", "--dry-run"}, {}},
      {"node-del", 1, {"--dry-run"}, {}},
      {"gateway-add", 1, {"--physnet", "--ip", "--nexthop", "--dry-run"}, {"--physnet", "--ip", "--nexthop"}},
      {"status", 0, {"--json"}, {}},
      {"pods", 0, {"--node", "--json"}, {}},
  };
  if (o.args.empty()) return usage_error("missing command");
  for (const Spec& s : specs) {
    if (s.command != o.args[0]) continue;
    if (o.args.size() - 1 != s.positional) {
      return usage_error(std::string(s.command) + " takes " +
                         (s.positional == 0 ? std::string("no argument") : std::string("one argument (a node name)")));
    }
    for (const std::string& g : o.given) {
      if (g != "--nb" && g != "--timeout" && s.options.count(g) == 0) {
        return usage_error(g + " is not an option of " + std::string(s.command));
      }
    }
    for (std::string_view r : s.required) {
      if (o.given.count(std::string(r)) == 0) return usage_error(std::string(s.command) + " needs " + std::string(r));
    }
    return std::nullopt;
  }
  return usage_error("unknown command '" + o.args[0] + "'");
}

// What one planning round produced: the changes and the line to print last.
struct Planned {
  ChangeSet changes;
  std::string result;
};

class Ctl {
 public:
  Ctl(reactor::Loop& loop, Options options) : loop_(loop), o_(std::move(options)) {
    auto seed = ovsdb::random_uuid();
    uint64_t s = 0;
    if (seed.ok()) {
      for (uint8_t b : seed->bytes) s = (s << 8) ^ b ^ (s >> 56);
    }
    rng_.seed(s);
  }

  int run() {
    OVNK_LOG(log::Level::kDebug, "ctl_start", log::kv("command", o_.args[0]), log::kv("nb", o_.nb));
    auto remotes = ovsdb::parse_remotes(o_.nb);
    if (!remotes.ok()) return outcome_.fatal(remotes.error().message);
    remote_count_ = remotes->size();
    ovsdb::SessionOptions so;
    so.remotes = o_.nb;
    so.database = std::string(kNbDatabase);
    so.monitor = ctl_monitor_requests();
    so.name = "ovnk-ctl";
    ovsdb::SessionHooks hooks;
    hooks.on_ready = [this](const ovsdb::ReadyInfo&) {
      if (started_) return;  // a reconnection: retries are driven by the retry timer
      started_ = true;
      attempt();
    };
    hooks.on_connect_failed = [this](const std::string& remote, const Error& e) {
      if (++connect_failures_ >= remote_count_ && !started_) {
        outcome_.fail("cannot connect to OVN Northbound at " + remote + ": " + e.to_string());
      }
    };
    auto session = ovsdb::Session::create(loop_, so, hooks);
    if (!session.ok()) return outcome_.fatal(session.error().to_string());
    session_ = std::move(session).value();
    auto deadline = loop_.make_timer([this] {
      std::string context;
      if (!started_) context = " (NB not reachable at " + o_.nb + ")";
      else if (!last_retry_reason_.empty()) context = " after " + std::to_string(retries_) + " retries (last: " + last_retry_reason_ + ")";
      outcome_.fail("timed out after " + std::to_string(static_cast<long>(o_.timeout)) + " s" + context);
    });
    deadline->start(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.timeout)));
    retry_timer_ = loop_.make_timer([this] { attempt(); });
    session_->start();
    loop_.run_until([this] { return outcome_.done(); }, std::chrono::hours(24 * 365));
    retry_timer_.reset();
    deadline.reset();
    session_.reset();
    return outcome_.code();
  }

 private:
  Result<Planned> plan(const NbSnapshot& snap) {
    const std::string& command = o_.args[0];
    auto next_uuid = [this] { return ovsdb::Uuid::generate(rng_); };
    Planned out;
    if (command == "cluster-init") {
      OVNK_ASSIGN_OR_RETURN(ClusterConfig config, ClusterConfig::parse(o_.cluster_cidr, o_.node_prefix, o_.join_cidr));
      OVNK_ASSIGN_OR_RETURN(DesiredState desired, plan_cluster(snap, config));
      OVNK_ASSIGN_OR_RETURN(out.changes, diff(snap, desired, next_uuid));
      out.result = "cluster: " + config.describe();
      return out;
    }
    if (command == "node-del") {
      out.changes = plan_node_delete(snap, o_.args[1]);
      out.result = "node " + o_.args[1] + (out.changes.empty() ? ": nothing left to delete" : ": deleted");
      return out;
    }
    OVNK_ASSIGN_OR_RETURN(std::optional<ClusterConfig> config, ClusterConfig::read(snap));
    if (!config) return make_error("ctl", ENOENT, "the cluster is not initialised (run ovnk-ctl cluster-init first)");
    if (command == "node-add") {
      NodeOptions n;
      n.node = o_.args[1];
      n.pin_chassis = o_.pin_chassis;
      if (!o_.subnet.empty()) {
        OVNK_ASSIGN_OR_RETURN(n.subnets, parse_cidr_list(o_.subnet));
      }
      OVNK_ASSIGN_OR_RETURN(NodePlan p, plan_node(snap, *config, n));
      OVNK_ASSIGN_OR_RETURN(out.changes, diff(snap, p.desired, next_uuid));
      out.result = "node " + n.node + ": subnet " + join_prefixes(p.subnets);
      return out;
    }
    if (command == "gateway-add") {
      GatewayOptions g;
      g.node = o_.args[1];
      g.physnet = o_.physnet;
      OVNK_ASSIGN_OR_RETURN(g.addresses, parse_if_addr_list(o_.ip));
      OVNK_ASSIGN_OR_RETURN(g.nexthops, parse_addr_list(o_.nexthop));
      OVNK_ASSIGN_OR_RETURN(GatewayPlan p, plan_gateway(snap, *config, g));
      OVNK_ASSIGN_OR_RETURN(out.changes, diff(snap, p.desired, next_uuid));
      out.result = "gateway " + names::gateway_router(g.node) + ": " + join_prefixes(g.addresses) + " via " +
                   join_addrs(g.nexthops) + " on " + g.physnet + ", join " + join_prefixes(p.join_addrs);
      return out;
    }
    return make_error("ctl", EINVAL, "unknown command " + command);
  }

  void attempt() {
    if (outcome_.done()) return;
    if (!session_->is_ready() || session_->replica() == nullptr) {
      retry_timer_->start(std::chrono::milliseconds(100));
      return;
    }
    NbSnapshot snap = NbSnapshot::from_replica(*session_->replica());
    const std::string& command = o_.args[0];
    if (command == "status") {
      ClusterInfo info = read_cluster(snap);
      print_out(o_.json ? status_json(info) : status_text(info));
      outcome_.succeed();
      return;
    }
    if (command == "pods") {
      auto pods = read_pods(snap, o_.node);
      print_out(o_.json ? pods_json(pods) : pods_text(pods));
      outcome_.succeed();
      return;
    }
    auto planned = plan(snap);
    if (!planned.ok()) {
      outcome_.fail(planned.error().message);
      return;
    }
    if (planned->changes.empty()) {
      print_out(planned->result + " (no change)\n");
      outcome_.succeed();
      return;
    }
    if (o_.dry_run) {
      print_changes(planned->changes);
      print_out(planned->result + " (dry run: nothing committed)\n");
      outcome_.succeed();
      return;
    }
    std::string comment = "ovnk-ctl";
    for (const std::string& a : o_.args) comment += " " + a;
    auto txn = planned->changes.to_transaction(comment);
    const size_t guards = planned->changes.guards.size();
    session_->transact(std::move(txn), [this, p = std::move(planned).value(), guards](ovsdb::TransactResult r) {
      on_result(p, guards, std::move(r));
    });
  }

  void on_result(const Planned& p, size_t guards, ovsdb::TransactResult r) {
    if (outcome_.done()) return;
    if (r.ok()) {
      print_changes(p.changes);
      print_out(p.result + "\n");
      outcome_.succeed();
      return;
    }
    std::string why = r.status == ovsdb::TxnStatus::kOpError ? r.result.describe_failure() : r.error.to_string();
    // A guard failed (another writer changed what the plan read) or the server asked us
    // to try again: the plan is stale, not wrong, so re-plan on a fresher replica until
    // --timeout. Any other operation error is retried only a few times: it may be a race
    // too (two writers taking the same name), but it may also be a plan the NB refuses.
    const bool stale_plan = (r.failed_op && *r.failed_op < guards) || r.status == ovsdb::TxnStatus::kTryAgain;
    if (r.failed_op && *r.failed_op < guards) why = "NB changed while planning (" + why + ")";
    const bool retry = stale_plan || (r.status == ovsdb::TxnStatus::kOpError && retries_ + 1 < kMaxOpErrorRetries);
    if (retry) {
      ++retries_;
      last_retry_reason_ = why;
      OVNK_LOG(log::Level::kInfo, "ctl_retry", log::kv("attempt", retries_), log::kv("reason", why));
      // Give the monitor a moment to bring the replica up to date; jitter keeps
      // concurrent writers that collided from colliding again in lockstep.
      const int64_t ceiling_ms = std::min<int64_t>(1000, int64_t{50} << std::min(retries_, 5));
      const int64_t delay_ms = ceiling_ms / 2 + static_cast<int64_t>(rng_() % static_cast<uint64_t>(ceiling_ms / 2 + 1));
      retry_timer_->start(std::chrono::milliseconds(delay_ms));
      return;
    }
    outcome_.fail("transaction failed: " + why);
  }

  void print_changes(const ChangeSet& cs) {
    if (o_.quiet) return;
    std::string out;
    for (const std::string& line : cs.lines) {
      if (!line.empty()) out += line + "\n";
    }
    print_out(out);
  }

  static constexpr int kMaxOpErrorRetries = 5;
  reactor::Loop& loop_;
  Options o_;
  std::mt19937_64 rng_;
  std::unique_ptr<ovsdb::Session> session_;
  std::unique_ptr<reactor::Timer> retry_timer_;
  size_t remote_count_ = 0;
  size_t connect_failures_ = 0;
  int retries_ = 0;
  std::string last_retry_reason_;  // why the newest plan was retried, for the timeout message
  bool started_ = false;
  tools::OneShotOutcome outcome_{"ovnk-ctl"};
};

}  // namespace
}  // namespace ovnk::ctl

int main(int argc, char** argv) {
  ovnk::ctl::Options options;
  if (auto status = ovnk::ctl::parse_options(argc, argv, options)) return *status;
  if (auto status = ovnk::ctl::check_command(options)) return *status;
  const bool verbose = options.verbose;
  return ovnk::tools::run_one_shot<ovnk::ctl::Ctl>("ovnk-ctl", std::move(options), verbose);
}
