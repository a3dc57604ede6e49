// End to end: the OVSDB servers the agent talks to are restarted (SIGKILL and
// start again on the same database file, `ovn-lab restart-db`) while a burst
// of pod ADDs is in flight. The agent's sessions reconnect; each ADD either
// succeeds (the pod is then plugged, ready and reachable) or fails with a CNI
// error that says what happened, and the runtime's retried ADD succeeds. In
// the end DEL removes everything: NB, OVS and the kernel hold nothing of the
// pods, and no address was given twice.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "cni-frontend/result.h"
#include "tests/e2e/pod_e2e_fixture.h"

namespace ovnk::testing {
namespace {

class DbRestartE2e : public PodE2eTest {
 protected:
  // Starts `command` (ADD or DEL) for every pod at once and, `delay` later
  // (zero: once a first transaction on `db` committed during the burst),
  // freezes database server `db` of the stack for `frozen` (zero: not frozen,
  // killed at once, maybe in the middle of a commit), then kills it and
  // starts it again. Pods whose ADD succeeded get their IP; the pods whose
  // call failed are returned, after checking that their failure is a proper
  // CNI error.
  std::vector<Pod*> burst_with_restart(const std::vector<Pod*>& pods, const std::string& db,
                                       std::chrono::milliseconds delay,
                                       std::chrono::milliseconds frozen = std::chrono::milliseconds(300),
                                       const std::string& command = "ADD") {
    std::vector<CniInvocation> calls;
    for (Pod* p : pods) calls.push_back(call(command, *p));
    std::optional<Error> restart_error;
    std::thread restarter([&] {
      if (delay.count() > 0) {
        std::this_thread::sleep_for(delay);
      } else {
        // As soon as a first transaction of the burst committed: the next
        // ones are being sent or committed.
        const std::string ok_batches = "ovnk_ovsdb_batches_total{db=\"" + db + "\",result=\"ok\"}";
        const double before = metric(ok_batches).value_or(0);
        for (int i = 0; i < 2000 && metric(ok_batches).value_or(0) <= before; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      }
      // Frozen first, so that the transactions sent from now on are in flight
      // (sent, never answered) when it dies, whatever the machine's speed.
      if (frozen.count() > 0) {
        auto pid = lab_->pid_of(db == "ovs" ? "ovsdb-server" : db);
        if (pid.ok()) ::kill(*pid, SIGSTOP);
        std::this_thread::sleep_for(frozen);
      }
      auto r = lab_->restart_db(db);
      if (!r.ok()) restart_error = r.error();
    });
    auto outcomes = run_cni_many(kPaths, calls);
    restarter.join();
    EXPECT_FALSE(restart_error) << restart_error->to_string();
    // The restart did hit transactions in flight (their outcome unknown):
    // what this test is about. Certain only when the server was frozen first.
    auto failed_batches = metric("ovnk_ovsdb_batches_total{db=\"" + db + "\",result=\"failed\"}");
    if (frozen.count() > 0) {
      EXPECT_TRUE(failed_batches && *failed_batches > 0) << "no " << db << " transaction was in flight at the restart";
    }
    in_flight_hit_ = failed_batches && *failed_batches > 0;
    std::vector<Pod*> failed;
    for (size_t i = 0; i < pods.size(); ++i) {
      if (!outcomes[i].ok()) {
        ADD_FAILURE() << pods[i]->name << ": the plugin did not run: " << outcomes[i].error().to_string();
        failed.push_back(pods[i]);
        continue;
      }
      if (outcomes[i]->exit_code == 0) {
        if (command == "ADD") {
          pods[i]->ip = ip_of(outcomes[i]->out);
          EXPECT_FALSE(pods[i]->ip.empty()) << outcomes[i]->out;
        }
        continue;
      }
      // A failure is a CNI error object with a code and a message.
      auto e = cni::decode_error(outcomes[i]->out);
      EXPECT_TRUE(e.ok()) << pods[i]->name << ": not a CNI error: " << outcomes[i]->out;
      if (e.ok()) {
        EXPECT_NE(e->code, 0) << outcomes[i]->out;
        EXPECT_FALSE(e->msg.empty()) << outcomes[i]->out;
        ++error_codes_[e->code];
      }
      failed.push_back(pods[i]);
    }
    return failed;
  }

  // Every pod has an address, no two the same; NB has one LSP per pod and
  // ovn-controller installed every Interface; a sample of pairs ping.
  void expect_all_plugged(const std::vector<Pod*>& pods) {
    std::set<std::string> ips;
    for (Pod* p : pods) {
      EXPECT_FALSE(p->ip.empty()) << p->name;
      ips.insert(p->ip);
    }
    EXPECT_EQ(ips.size(), pods.size()) << "an address was given twice";
    auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "external_ids:pod=true"});
    ASSERT_TRUE(lsps.ok()) << lsps.error().to_string();
    EXPECT_EQ(count_lines(*lsps), pods.size());
    auto ports = pod_ports();
    ASSERT_TRUE(ports.ok()) << ports.error().to_string();
    EXPECT_EQ(count_lines(*ports), pods.size());
    // Readiness is pushed by ovn-controller; right after a restart of its
    // database it may still be rewriting the column: poll a little.
    size_t installed_count = 0;
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto installed = installed_pod_interfaces();
      ASSERT_TRUE(installed.ok()) << installed.error().to_string();
      installed_count = count_lines(*installed);
      if (installed_count == pods.size()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(installed_count, pods.size());
    for (size_t i = 0; i < 6 && pods.size() > 1; ++i) {
      const Pod& a = *pods[(i * 37) % pods.size()];
      const Pod& b = *pods[(i * 53 + 11) % pods.size()];
      if (&a == &b) continue;
      auto r = ping(a, b.ip);
      EXPECT_TRUE(r.ok()) << a.name << " -> " << b.name << " " << b.ip << ": " << r.error().to_string();
    }
  }

  std::string error_summary() const {
    std::string s;
    for (const auto& [code, n] : error_codes_) s += " code " + std::to_string(code) + " x" + std::to_string(n);
    return s.empty() ? " none" : s;
  }

  std::map<int, size_t> error_codes_;
  bool in_flight_hit_ = false;  // a transaction was in flight at the last restart
};

TEST_F(DbRestartE2e, NbRestartedDuring200AddsThenRetriedAddsSucceed) {
  const size_t kPods = 200;
  auto pods = make_pods(kPods, "nbrst");
  ASSERT_EQ(pods.size(), kPods);
  // Frozen as the burst starts, so that its NB transactions are in flight
  // whatever the machine's speed (a fixed delay let a quiet machine finish
  // every NB transaction first), killed and restarted 300 ms later.
  auto failed = burst_with_restart(pods, "nb", std::chrono::milliseconds(1));
  if (HasFatalFailure()) return;
  // The daemon lived through it and is connected again.
  auto ready = daemon_->wait_ready(std::chrono::seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.error().to_string();
  add_all(failed);  // the runtime retries the ADDs that failed
  if (HasFatalFailure()) return;
  expect_all_plugged(pods);
  std::printf("[ figures ] NB restarted during %zu ADDs: %zu failed and were retried; errors:%s\n", kPods,
              failed.size(), error_summary().c_str());
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(DbRestartE2e, NbKilledUnfrozenDuringABurstThenRetriedAddsSucceed) {
  // The same without freezing it first: killed while it may be committing or
  // replying, so a transaction may have committed without its reply arriving
  // (the agent must find its rows in the replica, not add them twice).
  const size_t kPods = 150;
  auto pods = make_pods(kPods, "nbkill");
  ASSERT_EQ(pods.size(), kPods);
  auto failed = burst_with_restart(pods, "nb", std::chrono::milliseconds(0), std::chrono::milliseconds(0));
  if (HasFatalFailure()) return;
  auto ready = daemon_->wait_ready(std::chrono::seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.error().to_string();
  add_all(failed);
  if (HasFatalFailure()) return;
  expect_all_plugged(pods);
  std::printf("[ figures ] NB killed during %zu ADDs (%s): %zu failed and were retried; errors:%s\n", kPods,
              in_flight_hit_ ? "with transactions in flight" : "after the NB work was done", failed.size(),
              error_summary().c_str());
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(DbRestartE2e, OvsDbRestartedDuringABurstPluggedPodsKeepWorking) {
  // Pods plugged before the restart.
  auto before = make_pods(6, "ovsold");
  ASSERT_EQ(before.size(), 6u);
  add_all(before);
  if (HasFatalFailure()) return;
  const size_t kPods = 100;
  auto burst = make_pods(kPods, "ovsrst");
  ASSERT_EQ(burst.size(), kPods);
  // Frozen as the burst starts (its OVS transactions are then surely in flight).
  auto failed = burst_with_restart(burst, "ovs", std::chrono::milliseconds(1));
  if (HasFatalFailure()) return;
  auto ready = daemon_->wait_ready(std::chrono::seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.error().to_string();
  add_all(failed);
  if (HasFatalFailure()) return;
  // The old pods still reach each other and the new ones.
  for (size_t i = 0; i + 1 < before.size(); ++i) {
    auto r = ping(*before[i], before[i + 1]->ip);
    EXPECT_TRUE(r.ok()) << before[i]->name << " -> " << before[i + 1]->ip << ": " << r.error().to_string();
  }
  auto cross = ping(*before[0], burst[kPods - 1]->ip);
  EXPECT_TRUE(cross.ok()) << cross.error().to_string();
  std::vector<Pod*> all = before;
  all.insert(all.end(), burst.begin(), burst.end());
  expect_all_plugged(all);
  std::printf("[ figures ] OVS db restarted during %zu ADDs: %zu failed and were retried; errors:%s\n", kPods,
              failed.size(), error_summary().c_str());
  // The old pods are DELeted like the others.
  del_all(before);
  auto lsps = lab_->nbctl({"--bare", "--columns=name", "find", "Logical_Switch_Port", "external_ids:pod=true"});
  ASSERT_TRUE(lsps.ok());
  EXPECT_EQ(count_lines(*lsps), kPods);
  del_all(burst);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(DbRestartE2e, NbDownPastTheAddDeadlineAddsFailCleanlyThenRetriesSucceed) {
  // NB answers nothing for longer than an ADD may take: the ADDs in flight
  // fail with a timeout (CNI 101) and undo what they did once NB is back; the
  // retried ADDs then succeed and nothing is left behind after DEL.
  start_daemon({"--ready-timeout", "3"});
  const size_t kPods = 60;
  auto pods = make_pods(kPods, "nbdown");
  ASSERT_EQ(pods.size(), kPods);
  // Frozen as the burst starts (see above), for longer than the deadline.
  auto failed = burst_with_restart(pods, "nb", std::chrono::milliseconds(1), std::chrono::milliseconds(4000));
  if (HasFatalFailure()) return;
  EXPECT_GT(failed.size(), 0u) << "NB was frozen past the deadline, yet every ADD succeeded";
  EXPECT_GT(error_codes_[101], 0u) << "errors:" << error_summary();
  auto ready = daemon_->wait_ready(std::chrono::seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.error().to_string();
  add_all(failed);
  if (HasFatalFailure()) return;
  expect_all_plugged(pods);
  std::printf("[ figures ] NB down past the deadline during %zu ADDs: %zu failed and were retried; errors:%s\n", kPods,
              failed.size(), error_summary().c_str());
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

TEST_F(DbRestartE2e, NbRestartedWhileIdleThenAddAndDelWork) {
  // The simple case, that the burst tests rely on: a restart with nothing in
  // flight; the next ADD and DEL go through the reconnected session.
  auto pods = make_pods(2, "nbidle");
  add_all({pods[0]});
  ASSERT_TRUE(lab_->restart_db("nb").ok());
  ASSERT_TRUE(daemon_->wait_ready(std::chrono::seconds(30)).ok());
  add_all({pods[1]});
  if (HasFatalFailure()) return;
  EXPECT_NE(pods[0]->ip, pods[1]->ip);
  auto r = ping(*pods[1], pods[0]->ip);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

// The same during a burst of DELs, for each database: a DEL whose transaction
// was lost with the server either succeeds after the reconnection or fails
// with a CNI error, and the runtime's retried DEL succeeds; nothing is left
// and every address is free again.
TEST_F(DbRestartE2e, DatabasesRestartedDuringBurstsOfDelsThenRetriedDelsLeaveNothing) {
  for (const std::string db : {"nb", "ovs"}) {
    SCOPED_TRACE(db);
    const size_t kPods = 80;
    auto pods = make_pods(kPods, "del" + db);
    ASSERT_EQ(pods.size(), kPods);
    add_all(pods);
    if (HasFatalFailure()) return;
    // Frozen as the burst starts (a DEL burst needs few transactions: waiting
    // for the first commit could leave none in flight), killed 300 ms later.
    auto failed = burst_with_restart(pods, db, std::chrono::milliseconds(1), std::chrono::milliseconds(300), "DEL");
    if (HasFatalFailure()) return;
    auto ready = daemon_->wait_ready(std::chrono::seconds(30));
    ASSERT_TRUE(ready.ok()) << ready.error().to_string();
    del_all(failed);  // the runtime retries the DELs that failed
    std::printf("[ figures ] %s restarted during %zu DELs: %zu failed and were retried; errors:%s\n", db.c_str(),
                kPods, failed.size(), error_summary().c_str());
    EXPECT_EQ(leftovers(), "");
  }
}

// The Southbound database is not the daemon's, but readiness goes through it
// (ovn-northd and ovn-controller): restarted during a burst, the ADDs wait
// for ovn-installed a little longer and all succeed, with nothing duplicated.
TEST_F(DbRestartE2e, SbRestartedDuringABurstAddsStillBecomeReady) {
  const size_t kPods = 100;
  auto pods = make_pods(kPods, "sbrst");
  ASSERT_EQ(pods.size(), kPods);
  // Not frozen (the daemon has no SB transaction to catch in flight).
  auto failed = burst_with_restart(pods, "sb", std::chrono::milliseconds(150), std::chrono::milliseconds(0));
  if (HasFatalFailure()) return;
  EXPECT_TRUE(failed.empty()) << failed.size() << " ADDs failed; errors:" << error_summary();
  add_all(failed);
  if (HasFatalFailure()) return;
  expect_all_plugged(pods);
  del_all(pods);
  EXPECT_EQ(leftovers(), "");
}

}  // namespace
}  // namespace ovnk::testing
