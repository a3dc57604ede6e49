// Shared fixture of the session loop tests: starts real ovsdb-servers with the
// OVN NB schema, makes sessions that monitor Logical_Switch(name) and count
// their hooks, and waits on the loop with generous (never asserted) timeouts.
// `Base` is a loop fixture (reactor::testing::LoopTest<B>): sessions are
// destroyed in release_handles(), before its leak check.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ovsdb-proto/session.h"
#include "tests/support/ovsdb_server.h"

namespace ovnk::ovsdb::testing_support {

inline constexpr const char* kNbSchema = "/usr/share/ovn/ovn-nb.ovsschema";
inline constexpr const char* kNb = "OVN_Northbound";

template <class Base>
class SessionFixture : public Base {
 protected:
  using Server = ovnk::testing::OvsdbServer;

  void TearDown() override {
    Base::TearDown();
    for (const auto& dir : dirs_) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  void release_handles() override { sessions_.clear(); }

  std::unique_ptr<Server> start_server(ovnk::testing::OvsdbServerOptions options = {}) {
    options.schema_path = kNbSchema;
    auto s = Server::start(options);
    if (!s.ok()) {
      ADD_FAILURE() << s.error().to_string();
      return nullptr;
    }
    return std::move(s).value();
  }

  std::optional<ovnk::testing::SslFiles> make_pki() {
    std::string templ = "/tmp/ovnk-pki-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp";
      return std::nullopt;
    }
    dirs_.push_back(templ);
    auto pki = ovnk::testing::make_test_pki(templ);
    if (!pki.ok()) {
      ADD_FAILURE() << pki.error().to_string();
      return std::nullopt;
    }
    return *pki;
  }

  SessionOptions default_options(const std::string& remotes) {
    SessionOptions so;
    so.remotes = remotes;
    so.database = kNb;
    MonitorRequest ls;
    ls.table = "Logical_Switch";
    ls.columns = {"name"};
    so.monitor.push_back(ls);
    return so;
  }

  Session& make_session(const std::string& remotes, const std::function<void(SessionOptions&)>& customize = nullptr,
                        bool start = true) {
    SessionOptions so = default_options(remotes);
    if (customize) customize(so);
    SessionHooks hooks;
    hooks.on_ready = [this](const ReadyInfo& info) {
      ++ready_count;
      last_ready = info;
    };
    hooks.on_disconnected = [this](const Error& e) {
      ++disconnected;
      last_disconnect = e;
    };
    hooks.on_update = [this] { ++updates; };
    auto s = Session::create(this->loop(), so, hooks);
    if (!s.ok()) {
      ADD_FAILURE() << s.error().to_string();
      std::abort();
    }
    sessions_.push_back(std::move(s).value());
    if (start) sessions_.back()->start();
    return *sessions_.back();
  }

  void drop_sessions() {
    for (const auto& s : sessions_) dropped_ready_ += s->stats().ready;
    sessions_.clear();
  }

  // Ready, and the on_ready hooks already ran (they are called from the loop,
  // after the state changed).
  bool wait_ready(Session& s, Duration timeout = seconds(30)) {
    return this->loop().run_until([&] { return s.is_ready() && hooks_caught_up(); }, timeout);
  }
  bool hooks_caught_up() const {
    uint64_t ready = dropped_ready_;
    for (const auto& s : sessions_) ready += s->stats().ready;
    return static_cast<uint64_t>(ready_count) == ready;
  }

  static TransactionBuilder insert_switch(const std::string& name) {
    TransactionBuilder txn(kNb);
    txn.insert("Logical_Switch", {{"name", Datum::string(name)}});
    return txn;
  }

  std::optional<TransactResult> transact_and_wait(Session& s, TransactionBuilder txn,
                                                  Duration timeout = seconds(30)) {
    std::optional<TransactResult> result;
    s.transact(std::move(txn), [&](TransactResult r) { result = std::move(r); });
    this->loop().run_until([&] { return result.has_value(); }, timeout);
    return result;
  }

  static size_t count_rows(const Session& s, std::string_view table) {
    if (s.replica() == nullptr) return 0;
    const ReplicaTable* t = s.replica()->table(table);
    return t == nullptr ? 0 : t->size();
  }

  static size_t switch_count(const Session& s) {
    if (s.replica() == nullptr) return 0;
    const ReplicaTable* t = s.replica()->table("Logical_Switch");
    return t == nullptr ? 0 : t->size();
  }

  std::vector<std::unique_ptr<Session>> sessions_;
  std::vector<std::string> dirs_;
  uint64_t dropped_ready_ = 0;
  int ready_count = 0;
  int disconnected = 0;
  int updates = 0;
  ReadyInfo last_ready;
  std::optional<Error> last_disconnect;
};

}  // namespace ovnk::ovsdb::testing_support
