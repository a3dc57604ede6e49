// ovsdb-cli: a few commands of Open vSwitch's ovsdb-client, on this project's
// session (ovsdb-proto/session.h), with the same arguments and output:
//
//   ovsdb-cli [OPTIONS] list-dbs REMOTE
//   ovsdb-cli [OPTIONS] get-schema REMOTE DATABASE
//   ovsdb-cli [OPTIONS] transact REMOTE TRANSACTION
//   ovsdb-cli [OPTIONS] monitor REMOTE DATABASE TABLE [COLUMN[,COLUMN]...]...
//
// Options: --timeout=SECS (-t), --private-key=FILE (-p), --certificate=FILE (-c),
// --ca-cert=FILE (-C), --leader-only / --no-leader-only, -v/--verbose, -h/--help.
// REMOTE is unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT, or several separated by
// commas (then, like ovsdb-client, only the raft leader is used unless
// --no-leader-only).
//
// Output is byte for byte ovsdb-client's for list-dbs, get-schema and transact
// (sorted compact JSON), and its default "table" format for monitor, with one
// known difference: rows of one update are printed in uuid order, where
// ovsdb-client prints them in the order of its internal hash table. Errors go
// to stderr as "ovsdb-cli: ..." and the exit status is 1; 0 on success.
// Without --timeout a command waits as long as it takes (monitor forever), but
// gives up when every remote failed to connect once.
#include <signal.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "ovsdb-proto/jsonrpc.h"
#include "ovsdb-proto/remote.h"
#include "ovsdb-proto/schema.h"
#include "ovsdb-proto/session.h"
#include "reactor/loop.h"
#include "tools/common/one_shot.h"
#include "tools/ovsdb-cli/ovs_format.h"

namespace ovnk::tools {
namespace {

constexpr std::string_view kUsage =
    "ovsdb-cli: OVSDB client (a subset of ovsdb-client)\n"
    "usage: ovsdb-cli [OPTIONS] COMMAND [ARG...]\n"
    "\n"
    "Commands:\n"
    "  list-dbs REMOTE\n"
    "  get-schema REMOTE DATABASE\n"
    "  transact REMOTE TRANSACTION\n"
    "  monitor REMOTE DATABASE TABLE [COLUMN,...]...\n"
    "    COLUMNs may include !initial, !insert, !delete, !modify\n"
    "\n"
    "REMOTE: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT, comma-separated for several\n"
    "\n"
    "Options:\n"
    "  -t, --timeout=SECS          give up after SECS seconds\n"
    "  -p, --private-key=FILE      private key for ssl: remotes\n"
    "  -c, --certificate=FILE      certificate for ssl: remotes\n"
    "  -C, --ca-cert=FILE          CA certificate for ssl: remotes\n"
    "  --leader-only, --no-leader-only\n"
    "                              with several remotes, use only the raft leader\n"
    "                              (default) or any connected member\n"
    "  -v, --verbose               log the session's traffic to stderr\n"
    "  -h, --help                  this help\n";

struct CliOptions {
  std::optional<double> timeout;
  ovsdb::TlsFiles tls;
  bool verbose = false;
  std::optional<bool> leader_only;
  std::vector<std::string> args;  // command, then its arguments
};

// Parsers kept for the life of the process, one per use so that elements of
// one parse never outlive a later parse on the same parser. Out of line: g++ 12
// warns wrongly (-Wnull-dereference) when it sees a fresh parser inlined into
// a parse.
enum ParserUse { kArgParser, kReplyParser, kNotificationParser, kUpdateParser, kParserUses };
[[gnu::noinline]] simdjson::dom::parser& json_parser(ParserUse use) {
  static simdjson::dom::parser parsers[kParserUses];
  return parsers[use];
}

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int usage_error(std::string_view message) {
  std::fprintf(stderr, "ovsdb-cli: %.*s (use --help for help)\n", static_cast<int>(message.size()),
               message.data());
  return 1;
}

// Parses "--name=value", "--name value", "-x value". Returns 0 to go on, or an
// exit status.
std::optional<int> parse_options(int argc, char** argv, CliOptions& o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value_of = [&](std::string_view long_name, std::string_view short_name,
                        std::string& out) -> std::optional<bool> {
      if (a == long_name || (!short_name.empty() && a == short_name)) {
        if (i + 1 >= argc) return false;
        out = argv[++i];
        return true;
      }
      if (a.starts_with(std::string(long_name) + "=")) {
        out = std::string(a.substr(long_name.size() + 1));
        return true;
      }
      return std::nullopt;
    };
    std::string value;
    if (!o.args.empty() || a == "-" || !a.starts_with("-")) {
      o.args.emplace_back(a);
      continue;
    }
    if (a == "--") {
      for (++i; i < argc; ++i) o.args.emplace_back(argv[i]);
      break;
    }
    if (a == "-h" || a == "--help") {
      print_out(kUsage);
      return 0;
    }
    if (a == "-v" || a == "--verbose") {
      o.verbose = true;
      continue;
    }
    if (a == "--leader-only" || a == "--no-leader-only") {
      o.leader_only = a == "--leader-only";
      continue;
    }
    if (auto r = value_of("--timeout", "-t", value)) {
      if (!*r) return usage_error("option --timeout needs a value");
      char* end = nullptr;
      double secs = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || secs < 1) {
        return usage_error("value " + value + " on -t or --timeout is not at least 1");
      }
      o.timeout = secs;
      continue;
    }
    if (auto r = value_of("--private-key", "-p", value)) {
      if (!*r) return usage_error("option --private-key needs a value");
      o.tls.private_key = value;
      continue;
    }
    if (auto r = value_of("--certificate", "-c", value)) {
      if (!*r) return usage_error("option --certificate needs a value");
      o.tls.certificate = value;
      continue;
    }
    if (auto r = value_of("--ca-cert", "-C", value)) {
      if (!*r) return usage_error("option --ca-cert needs a value");
      o.tls.ca_cert = value;
      continue;
    }
    return usage_error("unknown option " + std::string(a));
  }
  return std::nullopt;
}

// The columns one "monitor" command shows, and the request that asks for them.
struct MonitorSpec {
  const ovsdb::TableSchema* table = nullptr;
  std::vector<const ovsdb::ColumnSchema*> columns;  // in display order
  std::string requests_json;                        // {"TABLE":[...]}
};

Result<MonitorSpec> make_monitor_spec(const ovsdb::DatabaseSchema& schema, const std::string& remote,
                                      const std::string& db, const std::string& table_name,
                                      const std::vector<std::string>& column_args) {
  MonitorSpec spec;
  spec.table = schema.table(table_name);
  if (spec.table == nullptr) {
    return make_error("cli", 1, remote + ": " + db + " does not have a table named \"" + table_name + "\"");
  }
  std::set<std::string> seen;
  auto add = [&](const ovsdb::ColumnSchema* c, std::string& json_columns) -> Result<void> {
    if (!seen.insert(c->name).second) {
      return make_error("cli", 1, remote + ": column \"" + c->name + "\" mentioned multiple times");
    }
    spec.columns.push_back(c);
    if (json_columns.size() > 1) json_columns.push_back(',');
    json_columns.append(ovs_json_string(c->name));
    return ok_result();
  };
  std::vector<std::string> args = column_args.empty() ? std::vector<std::string>{""} : column_args;
  std::string requests = "[";
  for (const std::string& arg : args) {
    bool initial = true, insert = true, remove = true, modify = true;
    std::string json_columns = "[";
    size_t pos = 0;
    while (pos <= arg.size()) {
      size_t comma = arg.find(',', pos);
      std::string token = arg.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      pos = comma == std::string::npos ? arg.size() + 1 : comma + 1;
      if (token.empty()) continue;
      if (token == "!initial") {
        initial = false;
      } else if (token == "!insert") {
        insert = false;
      } else if (token == "!delete") {
        remove = false;
      } else if (token == "!modify") {
        modify = false;
      } else {
        const ovsdb::ColumnSchema* c = spec.table->column(token);
        if (c == nullptr) {
          return make_error("cli", 1, remote + ": table \"" + table_name + "\" in " + db +
                                          " does not have a column named \"" + token + "\"");
        }
        OVNK_TRY(add(c, json_columns));
      }
    }
    if (json_columns == "[") {
      // Every column, sorted, then _version (what ovsdb-client asks for).
      for (const auto& [name, column] : spec.table->columns) {
        if (name == "_uuid" || name == "_version") continue;
        OVNK_TRY(add(&column, json_columns));
      }
      if (const ovsdb::ColumnSchema* v = spec.table->column("_version")) OVNK_TRY(add(v, json_columns));
    }
    json_columns.push_back(']');
    if (requests.size() > 1) requests.push_back(',');
    requests.append("{\"columns\":").append(json_columns);
    if (!initial || !insert || !remove || !modify) {
      auto b = [](bool v) { return v ? "true" : "false"; };
      requests.append(",\"select\":{\"initial\":").append(b(initial));
      requests.append(",\"insert\":").append(b(insert));
      requests.append(",\"delete\":").append(b(remove));
      requests.append(",\"modify\":").append(b(modify)).append("}");
    }
    requests.push_back('}');
  }
  requests.push_back(']');
  spec.requests_json = "{" + ovs_json_string(table_name) + ":" + requests + "}";
  return spec;
}

class Cli {
 public:
  Cli(reactor::Loop& loop, CliOptions options) : loop_(loop), o_(std::move(options)) {}

  int run() {
    const std::string& command = o_.args[0];
    size_t nargs = o_.args.size() - 1;
    if (command == "list-dbs") {
      if (nargs != 1) return usage_error("invalid syntax for 'list-dbs'");
      return start(o_.args[1], "", [this] { list_dbs(); });
    }
    if (command == "get-schema") {
      if (nargs != 2) return usage_error("invalid syntax for 'get-schema'");
      db_ = o_.args[2];
      return start(o_.args[1], db_, [this] { get_schema(); });
    }
    if (command == "transact") {
      if (nargs != 2) return usage_error("invalid syntax for 'transact'");
      auto db = transaction_database(o_.args[2]);
      if (!db.ok()) return outcome_.fatal(db.error().message);
      db_ = *db;
      return start(o_.args[1], db_, [this] { transact(); });
    }
    if (command == "monitor") {
      if (nargs < 3) return usage_error("invalid syntax for 'monitor'");
      db_ = o_.args[2];
      return start(o_.args[1], db_, [this] { monitor(); });
    }
    return usage_error("unknown command '" + command + "'");
  }

 private:
  // "[\"DB\", ...ops]": the database the transaction is for.
  static Result<std::string> transaction_database(const std::string& text) {
    simdjson::dom::element root;
    auto error = json_parser(kArgParser).parse(text.data(), text.size(), true).get(root);
    if (error) return make_error("cli", 1, "\"" + text + "\": " + simdjson::error_message(error));
    simdjson::dom::array array;
    std::string_view db;
    if (root.get_array().get(array) || array.size() == 0 || array.at(0).get_string().get(db)) {
      return make_error("cli", 1, "not a valid OVSDB query");
    }
    return std::string(db);
  }

  int start(const std::string& remotes, const std::string& database, std::function<void()> command) {
    auto parsed = ovsdb::parse_remotes(remotes);
    if (!parsed.ok()) return outcome_.fatal(parsed.error().message);
    remote_count_ = parsed->size();
    remote_text_ = remotes;
    ovsdb::SessionOptions so;
    so.remotes = remotes;
    // Like ovsdb-client: one remote is used as it is; among several, the
    // database (and by default its raft leader) is looked for.
    so.database = remote_count_ > 1 ? database : std::string();
    so.leader_only = o_.leader_only.value_or(true);
    if (!o_.tls.private_key.empty() || !o_.tls.certificate.empty() || !o_.tls.ca_cert.empty()) so.tls = o_.tls;
    so.name = "ovsdb-cli";
    ovsdb::SessionHooks hooks;
    hooks.on_connect_failed = [this](const std::string& remote, const Error& e) {
      last_connect_error_ = e;
      last_failed_remote_ = remote;
      if (++connect_failures_ >= remote_count_ && !started_command_) {
        outcome_.fail(remote_count_ == 1 ? "failed to connect to \"" + remote + "\" (" + e.to_string() + ")"
                                : "no servers were available (last: " + remote + ": " + e.to_string() + ")");
      }
    };
    hooks.on_ready = [this, command](const ovsdb::ReadyInfo&) {
      if (started_command_) return;  // a reconnection: the command runs once
      started_command_ = true;
      command();
    };
    hooks.on_disconnected = [this](const Error& e) {
      if (started_command_) outcome_.fail(remote_text_ + ": receive failed (" + e.to_string() + ")");
    };
    hooks.on_notification = [this](const ovsdb::Message& m) { on_notification(m); };
    auto session = ovsdb::Session::create(loop_, so, hooks);
    if (!session.ok()) return outcome_.fatal(session.error().to_string());
    session_ = std::move(session).value();
    std::unique_ptr<reactor::Timer> timer;
    if (o_.timeout) {
      timer = loop_.make_timer([this] { outcome_.fail("timeout after " + std::to_string(static_cast<long>(*o_.timeout)) + " seconds"); });
      timer->start(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*o_.timeout)));
    }
    session_->start();
    loop_.run_until([this] { return outcome_.done(); }, std::chrono::hours(24 * 365 * 10));
    timer.reset();
    session_.reset();
    return outcome_.code();
  }

  // The result of a reply, or the message of an error reply / lost connection.
  std::optional<ovsdb::Message> expect_reply(Result<ovsdb::Message>& r, std::string_view what) {
    if (!r.ok()) {
      outcome_.fail(std::string(what) + " failed: " + r.error().to_string());
      return std::nullopt;
    }
    return std::move(*r);
  }

  void list_dbs() {
    session_->request("list_dbs", ovsdb::params::list_dbs(), [this](Result<ovsdb::Message> r) {
      auto m = expect_reply(r, "list_dbs");
      if (!m) return;
      if (m->is_error_reply()) {
        outcome_.fail("transaction returned error: " + ovs_json(m->error().text()).value_or(std::string(m->error().text())));
        return;
      }
      std::string_view result = m->result().text();
      simdjson::dom::array array;
      if (json_parser(kReplyParser).parse(result.data(), result.size(), true).get_array().get(array)) {
        outcome_.fail("list_dbs response is not array");
        return;
      }
      std::vector<std::string> names;
      size_t i = 0;
      for (simdjson::dom::element e : array) {
        std::string_view name;
        if (e.get_string().get(name)) {
          outcome_.fail("list_dbs response " + std::to_string(i) + " is not string");
          return;
        }
        names.emplace_back(name);
        ++i;
      }
      std::sort(names.begin(), names.end());
      std::string out;
      for (const auto& n : names) out.append(n).push_back('\n');
      print_out(out);
      outcome_.succeed();
    });
  }

  void get_schema() {
    session_->request("get_schema", ovsdb::params::get_schema(db_), [this](Result<ovsdb::Message> r) {
      auto m = expect_reply(r, "get_schema");
      if (!m) return;
      if (m->is_error_reply()) {
        outcome_.fail("transaction returned error: " + ovs_json(m->error().text()).value_or(std::string(m->error().text())));
        return;
      }
      // Checked like ovsdb-client, which parses the schema before printing it.
      auto schema = ovsdb::DatabaseSchema::parse(m->result());
      if (!schema.ok()) {
        outcome_.fail(schema.error().message);
        return;
      }
      auto text = ovs_json(m->result().text());
      if (!text.ok()) {
        outcome_.fail(text.error().message);
        return;
      }
      print_out(*text + "\n");
      outcome_.succeed();
    });
  }

  void transact() {
    session_->request("transact", o_.args[2], [this](Result<ovsdb::Message> r) {
      auto m = expect_reply(r, "transaction");
      if (!m) return;
      if (m->is_error_reply()) {
        outcome_.fail("transaction returned error: " + ovs_json(m->error().text()).value_or(std::string(m->error().text())));
        return;
      }
      auto text = ovs_json(m->result().text());
      if (!text.ok()) {
        outcome_.fail(text.error().message);
        return;
      }
      print_out(*text + "\n");
      outcome_.succeed();
    });
  }

  void monitor() {
    session_->request("get_schema", ovsdb::params::get_schema(db_), [this](Result<ovsdb::Message> r) {
      auto m = expect_reply(r, "get_schema");
      if (!m) return;
      if (m->is_error_reply()) {
        outcome_.fail("transaction returned error: " + ovs_json(m->error().text()).value_or(std::string(m->error().text())));
        return;
      }
      auto schema = ovsdb::DatabaseSchema::parse(m->result());
      if (!schema.ok()) {
        outcome_.fail(schema.error().message);
        return;
      }
      schema_ = std::make_unique<ovsdb::DatabaseSchema>(std::move(schema).value());
      std::vector<std::string> column_args(o_.args.begin() + 4, o_.args.end());
      auto spec = make_monitor_spec(*schema_, remote_text_, db_, o_.args[3], column_args);
      if (!spec.ok()) {
        outcome_.fail(spec.error().message);
        return;
      }
      spec_ = std::move(spec).value();
      std::string params = "[" + ovs_json_string(db_) + ",null," + spec_.requests_json + "]";
      session_->request("monitor", params, [this](Result<ovsdb::Message> reply) {
        auto mr = expect_reply(reply, "monitor");
        if (!mr) return;
        if (mr->is_error_reply()) {
          outcome_.fail("transaction returned error: " +
               ovs_json(mr->error().text()).value_or(std::string(mr->error().text())));
          return;
        }
        print_updates(mr->result().text(), true);
      });
    });
  }

  void on_notification(const ovsdb::Message& m) {
    if (!spec_.table || m.method() != "update") return;
    std::string_view text = m.params().text();
    simdjson::dom::array params;
    if (json_parser(kNotificationParser).parse(text.data(), text.size(), true).get_array().get(params)) return;
    simdjson::dom::element id;
    simdjson::dom::element updates;
    if (params.size() != 2 || params.at(0).get(id) || !id.is_null() || params.at(1).get(updates)) return;
    print_updates(simdjson::to_string(updates), false);
  }

  std::string cell(simdjson::dom::object row, const ovsdb::ColumnSchema& column) {
    simdjson::dom::element value;
    if (row[column.name].get(value)) return {};
    std::string json = simdjson::to_string(value);
    auto datum = ovsdb::Datum::from_json(std::string_view(json), &column.type);
    if (!datum.ok()) return json;
    return ovs_datum_string(*datum, column.type);
  }

  void add_row(OvsTable& t, simdjson::dom::element row, std::string_view action, const std::string& uuid) {
    simdjson::dom::object object;
    if (row.get_object().get(object)) {
      std::fprintf(stderr, "ovsdb-cli: <row> is not object\n");
      return;
    }
    std::vector<std::string> cells{uuid, std::string(action)};
    for (const ovsdb::ColumnSchema* c : spec_.columns) cells.push_back(cell(object, *c));
    t.add_row(std::move(cells));
  }

  // <table-updates> of a "monitor" reply (initial) or "update" notification.
  void print_updates(std::string_view json, bool initial) {
    simdjson::dom::object updates;
    if (json_parser(kUpdateParser).parse(json.data(), json.size(), true).get_object().get(updates)) {
      std::fprintf(stderr, "ovsdb-cli: <table-updates> is not object\n");
      return;
    }
    simdjson::dom::object table_update;
    if (updates[spec_.table->name].get_object().get(table_update)) return;
    std::vector<std::string> headings{"row", "action"};
    for (const ovsdb::ColumnSchema* c : spec_.columns) headings.push_back(c->name);
    OvsTable t(std::move(headings));
    std::map<std::string, simdjson::dom::object> rows;  // by uuid: a stable order
    for (auto field : table_update) {
      simdjson::dom::object row_update;
      if (field.value.get_object().get(row_update)) {
        std::fprintf(stderr, "ovsdb-cli: <row-update> is not object\n");
        continue;
      }
      rows.emplace(std::string(field.key), row_update);
    }
    for (auto& [uuid, row_update] : rows) {
      simdjson::dom::element old_row;
      simdjson::dom::element new_row;
      bool has_old = !row_update["old"].get(old_row);
      bool has_new = !row_update["new"].get(new_row);
      if (initial) {
        if (has_new) add_row(t, new_row, "initial", uuid);
      } else if (!has_old) {
        if (has_new) add_row(t, new_row, "insert", uuid);
      } else if (!has_new) {
        add_row(t, old_row, "delete", uuid);
      } else {
        add_row(t, old_row, "old", uuid);
        add_row(t, new_row, "new", "");
      }
    }
    print_out(t.render(!printed_table_));
    printed_table_ = true;
  }

  reactor::Loop& loop_;
  CliOptions o_;
  std::unique_ptr<ovsdb::Session> session_;
  std::string db_;
  std::string remote_text_;
  size_t remote_count_ = 0;
  size_t connect_failures_ = 0;
  std::optional<Error> last_connect_error_;
  std::string last_failed_remote_;
  bool started_command_ = false;
  tools::OneShotOutcome outcome_{"ovsdb-cli"};
  bool printed_table_ = false;
  std::unique_ptr<ovsdb::DatabaseSchema> schema_;
  MonitorSpec spec_;
};

}  // namespace
}  // namespace ovnk::tools

int main(int argc, char** argv) {
  ovnk::tools::CliOptions options;
  if (auto status = ovnk::tools::parse_options(argc, argv, options)) return *status;
  if (options.args.empty()) return ovnk::tools::usage_error("missing command name");
  const bool verbose = options.verbose;
  return ovnk::tools::run_one_shot<ovnk::tools::Cli>("ovsdb-cli", std::move(options), verbose);
}
