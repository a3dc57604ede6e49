// The reconnect FSM driven by a fake clock through every transition.
#include "ovsdb-proto/reconnect.h"

#include <gtest/gtest.h>

namespace ovnk::ovsdb {
namespace {

using State = Reconnect::State;
using Action = Reconnect::Action;
using std::chrono::milliseconds;

class ReconnectTest : public ::testing::Test {
 protected:
  MonoTime t0 = MonoTime{} + seconds(1000);
  MonoTime now = t0;

  void advance(Duration d) { now += d; }

  // Runs at `now` and checks the action (and the remote for kConnect).
  static Reconnect::Step expect_action(Reconnect& r, MonoTime at, Action action,
                                       size_t remote = 0) {
    Reconnect::Step step = r.run(at);
    EXPECT_EQ(reconnect_action_name(step.action), reconnect_action_name(action));
    if (action == Action::kConnect) {
      EXPECT_EQ(step.remote, remote);
    }
    return step;
  }

  static ReconnectOptions tcp_options() { return ReconnectOptions{}; }
};

TEST_F(ReconnectTest, DefaultProbeIntervalByRemoteKind) {
  EXPECT_EQ(default_probe_interval("tcp:127.0.0.1:6641"), seconds(5));
  EXPECT_EQ(default_probe_interval("ssl:10.0.0.1:6641"), seconds(5));
  EXPECT_EQ(default_probe_interval("unix:/var/run/openvswitch/db.sock"), Duration{0});
  EXPECT_EQ(default_probe_interval("punix:/x"), Duration{0});
}

TEST_F(ReconnectTest, StartsVoidAndDoesNothingUntilEnabled) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  EXPECT_EQ(r.state(), State::kVoid);
  Reconnect::Step step = r.run(now + seconds(100));
  EXPECT_EQ(step.action, Action::kNone);
  EXPECT_FALSE(step.wake_at.has_value());
  EXPECT_FALSE(r.deadline().has_value());
}

TEST_F(ReconnectTest, EmptyRemoteListStaysVoid) {
  Reconnect r({}, tcp_options(), now);
  r.enable(now);
  EXPECT_EQ(r.state(), State::kVoid);
  EXPECT_EQ(r.run(now).action, Action::kNone);
}

TEST_F(ReconnectTest, EnableConnectsAtOnceAndConnectedGoesActive) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  EXPECT_EQ(r.state(), State::kBackoff);
  ASSERT_TRUE(r.deadline().has_value());
  EXPECT_EQ(*r.deadline(), now);  // no delay for the first attempt

  Reconnect::Step step = expect_action(r, now, Action::kConnect, 0);
  EXPECT_EQ(r.state(), State::kConnectInProgress);
  ASSERT_TRUE(step.wake_at.has_value());
  EXPECT_EQ(*step.wake_at, now + seconds(2));  // connect timeout
  EXPECT_EQ(r.attempts(), 1u);

  advance(milliseconds(30));
  r.connected(now);
  EXPECT_EQ(r.state(), State::kActive);
  EXPECT_TRUE(r.is_connected());
  EXPECT_EQ(r.connections(), 1u);
  ASSERT_TRUE(r.deadline().has_value());
  EXPECT_EQ(*r.deadline(), now + seconds(5));  // probe timer
}

TEST_F(ReconnectTest, ConnectTimeoutDisconnectsAndBacksOff) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);

  EXPECT_EQ(r.run(now + milliseconds(1999)).action, Action::kNone);
  advance(seconds(2));
  Reconnect::Step step = expect_action(r, now, Action::kDisconnect);
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.backoff(), seconds(1));
  ASSERT_TRUE(step.wake_at.has_value());
  EXPECT_EQ(*step.wake_at, now + seconds(1));

  // The caller's report of the close it made itself is ignored.
  r.disconnected(now);
  r.connect_failed(now);
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.backoff(), seconds(1));
}

TEST_F(ReconnectTest, BackoffDoublesFromOneToEightSeconds) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  const Duration expected[] = {seconds(1), seconds(2), seconds(4),
                               seconds(8), seconds(8), seconds(8)};
  for (Duration want : expected) {
    r.connect_failed(now);
    EXPECT_EQ(r.state(), State::kBackoff);
    EXPECT_EQ(r.backoff(), want);
    EXPECT_EQ(r.run(now + want - milliseconds(1)).action, Action::kNone);
    advance(want);
    expect_action(r, now, Action::kConnect, 0);
  }
}

TEST_F(ReconnectTest, ConnectTimeoutGrowsWithTheBackoff) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  for (int i = 0; i < 3; ++i) {  // backoff 1, 2, 4 s
    r.connect_failed(now);
    advance(r.backoff());
    expect_action(r, now, Action::kConnect, 0);
  }
  ASSERT_EQ(r.backoff(), seconds(4));
  ASSERT_TRUE(r.deadline().has_value());
  EXPECT_EQ(*r.deadline(), now + seconds(4));  // max(2 s, backoff)
}

TEST_F(ReconnectTest, ProbeThenDisconnectWhenUnanswered) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  const MonoTime up = now;

  // Data received pushes the probe back.
  r.received(up + seconds(3));
  EXPECT_EQ(r.run(up + seconds(5)).action, Action::kNone);
  ASSERT_TRUE(r.deadline().has_value());
  EXPECT_EQ(*r.deadline(), up + seconds(8));

  Reconnect::Step step = expect_action(r, up + seconds(8), Action::kProbe);
  EXPECT_EQ(r.state(), State::kIdle);
  ASSERT_TRUE(step.wake_at.has_value());
  EXPECT_EQ(*step.wake_at, up + seconds(13));
  // The probe is returned once, not on every run.
  EXPECT_EQ(r.run(up + seconds(9)).action, Action::kNone);

  // The echo reply: Idle -> Active, next probe 5 s after it.
  r.received(up + seconds(10));
  EXPECT_EQ(r.state(), State::kActive);
  EXPECT_EQ(*r.deadline(), up + seconds(15));

  expect_action(r, up + seconds(15), Action::kProbe);
  EXPECT_EQ(r.run(up + seconds(19)).action, Action::kNone);
  expect_action(r, up + seconds(20), Action::kDisconnect);
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_FALSE(r.is_connected());
}

TEST_F(ReconnectTest, UnixRemotesAreNotProbed) {
  Reconnect r({"unix:/run/db.sock"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  EXPECT_EQ(r.probe_interval(), Duration{0});
  Reconnect::Step step = r.run(now + seconds(3600));
  EXPECT_EQ(step.action, Action::kNone);
  EXPECT_FALSE(step.wake_at.has_value());
  EXPECT_EQ(r.state(), State::kActive);
}

TEST_F(ReconnectTest, ExplicitProbeIntervalOverridesTheDefault) {
  ReconnectOptions options;
  options.probe_interval = seconds(0);
  Reconnect off({"tcp:a:1"}, options, now);
  EXPECT_EQ(off.probe_interval(), Duration{0});

  options.probe_interval = seconds(30);
  Reconnect unix_probed({"unix:/x"}, options, now);
  unix_probed.enable(now);
  expect_action(unix_probed, now, Action::kConnect, 0);
  unix_probed.connected(now);
  EXPECT_EQ(*unix_probed.deadline(), now + seconds(30));
}

TEST_F(ReconnectTest, RoundRobinWithOneBackoffFreeRound) {
  Reconnect r({"tcp:a:1", "tcp:b:1", "tcp:c:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  // One free round: b and c are tried at once after a fails, b fails.
  r.connect_failed(now);
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now, Action::kConnect, 1);
  r.connect_failed(now);
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now, Action::kConnect, 2);
  // Every remote failed once: back off, still round robin.
  const Duration expected[] = {seconds(1), seconds(2), seconds(4), seconds(8), seconds(8)};
  size_t remote = 0;
  for (Duration want : expected) {
    r.connect_failed(now);
    EXPECT_EQ(r.backoff(), want);
    EXPECT_EQ(r.run(now).action, Action::kNone);
    advance(want);
    expect_action(r, now, Action::kConnect, remote);
    EXPECT_EQ(r.current_remote(), remote);
    remote = (remote + 1) % 3;
  }
}

TEST_F(ReconnectTest, ShortLivedConnectionKeepsBackingOff) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connect_failed(now);
  ASSERT_EQ(r.backoff(), seconds(1));
  advance(seconds(1));
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  r.received(now + milliseconds(500));
  r.disconnected(now + milliseconds(600));  // up, but not for long: doubles
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.backoff(), seconds(2));
}

TEST_F(ReconnectTest, StableConnectionResetsTheBackoff) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  for (int i = 0; i < 4; ++i) {  // up to 8 s
    r.connect_failed(now);
    advance(r.backoff());
    expect_action(r, now, Action::kConnect, 0);
  }
  ASSERT_EQ(r.backoff(), seconds(8));
  r.connected(now);
  // Stable means data received at least max(stable_after, backoff) = 8 s after connecting.
  r.received(now + seconds(7));
  r.received(now + seconds(9));
  r.disconnected(now + seconds(60));
  EXPECT_EQ(r.backoff(), seconds(1));
}

TEST_F(ReconnectTest, ConnectionUpButSilentIsNotStable) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connect_failed(now);
  advance(seconds(1));
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  // No data at all: the probe times out after 10 s, which is long, but nothing was
  // ever received, so the backoff keeps growing.
  expect_action(r, now + seconds(5), Action::kProbe);
  expect_action(r, now + seconds(10), Action::kDisconnect);
  EXPECT_EQ(r.backoff(), seconds(2));
}

TEST_F(ReconnectTest, StableDropWithSeveralRemotesStartsAFreeRound) {
  Reconnect r({"tcp:a:1", "tcp:b:1", "tcp:c:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  for (int i = 0; i < 3; ++i) {  // exhaust the free round, then back off
    r.connect_failed(now);
    advance(r.backoff());
    r.run(now);
  }
  ASSERT_EQ(r.backoff(), seconds(1));
  ASSERT_EQ(r.current_remote(), 0u);
  ASSERT_EQ(r.state(), State::kConnectInProgress);
  r.connected(now);
  r.received(now + seconds(3600));
  r.disconnected(now + seconds(3601));
  // The server went away after an hour: the two others at once, then backoff.
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now + seconds(3601), Action::kConnect, 1);
  r.connect_failed(now + seconds(3601));
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now + seconds(3601), Action::kConnect, 2);
  r.connect_failed(now + seconds(3601));
  EXPECT_EQ(r.backoff(), seconds(1));
  EXPECT_EQ(r.current_remote(), 0u);
}

TEST_F(ReconnectTest, LeaderLostMovesToTheNextRemoteAtOnce) {
  Reconnect r({"tcp:a:1", "tcp:b:1", "tcp:c:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  r.received(now + milliseconds(2));  // the _Server reply: not the leader
  r.leader_lost(now + milliseconds(2));
  EXPECT_EQ(r.state(), State::kReconnect);
  ASSERT_TRUE(r.deadline().has_value());
  EXPECT_EQ(*r.deadline(), now + milliseconds(2));
  // Data that follows does not cancel the drop.
  r.received(now + milliseconds(3));
  EXPECT_EQ(r.state(), State::kReconnect);

  Reconnect::Step step = expect_action(r, now + milliseconds(3), Action::kDisconnect);
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.backoff(), Duration{0});
  ASSERT_TRUE(step.wake_at.has_value());
  expect_action(r, *step.wake_at, Action::kConnect, 1);
  r.connected(now + milliseconds(4));
  r.leader_lost(now + milliseconds(5));
  expect_action(r, now + milliseconds(5), Action::kDisconnect);
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now + milliseconds(5), Action::kConnect, 2);
  // No leader anywhere (an election): the round is used up, so back off instead
  // of looping.
  r.connected(now + milliseconds(6));
  r.leader_lost(now + milliseconds(7));
  expect_action(r, now + milliseconds(7), Action::kDisconnect);
  EXPECT_EQ(r.backoff(), seconds(1));
  EXPECT_EQ(r.current_remote(), 0u);
}

TEST_F(ReconnectTest, LeaderLostAfterALongLeadershipStartsAFreeRound) {
  Reconnect r({"tcp:a:1", "tcp:b:1", "tcp:c:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connect_failed(now);
  expect_action(r, now, Action::kConnect, 1);
  r.connect_failed(now);
  expect_action(r, now, Action::kConnect, 2);
  r.connected(now);  // the round is used up, but this one is the leader for an hour
  r.received(now + seconds(3600));
  r.leader_lost(now + seconds(3600));
  expect_action(r, now + seconds(3600), Action::kDisconnect);
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now + seconds(3600), Action::kConnect, 0);
  r.connect_failed(now + seconds(3600));
  EXPECT_EQ(r.backoff(), Duration{0});
  expect_action(r, now + seconds(3600), Action::kConnect, 1);
}

TEST_F(ReconnectTest, SingleRemoteLeaderLostBacksOff) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  r.leader_lost(now);
  expect_action(r, now, Action::kDisconnect);
  EXPECT_EQ(r.backoff(), seconds(1));  // never a busy loop on one follower
}

TEST_F(ReconnectTest, ForceReconnectWhileConnecting) {
  Reconnect r({"tcp:a:1", "tcp:b:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.force_reconnect(now);
  EXPECT_EQ(r.state(), State::kReconnect);
  r.connected(now);  // too late: ignored, the attempt is being dropped
  EXPECT_EQ(r.state(), State::kReconnect);
  expect_action(r, now, Action::kDisconnect);
  expect_action(r, now, Action::kConnect, 1);
}

TEST_F(ReconnectTest, ForceReconnectReportedAsDisconnectedBeforeRun) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  r.force_reconnect(now);
  r.disconnected(now);  // the caller closed it itself: same outcome, no action left
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.run(now).action, Action::kNone);
}

TEST_F(ReconnectTest, ForceReconnectAndLeaderLostIgnoredWhenDown) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.force_reconnect(now);
  EXPECT_EQ(r.state(), State::kVoid);
  r.enable(now);
  r.leader_lost(now);
  EXPECT_EQ(r.state(), State::kBackoff);
}

TEST_F(ReconnectTest, IgnoresReportsThatDoNotFitTheState) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  r.connected(now);  // never asked to connect
  EXPECT_EQ(r.state(), State::kBackoff);
  r.received(now);
  EXPECT_EQ(r.state(), State::kBackoff);
  r.disconnected(now);
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.backoff(), Duration{0});
  EXPECT_EQ(r.connections(), 0u);
}

TEST_F(ReconnectTest, DisconnectedWhileConnectingCountsAsAFailure) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.disconnected(now);
  EXPECT_EQ(r.state(), State::kBackoff);
  EXPECT_EQ(r.backoff(), seconds(1));
}

TEST_F(ReconnectTest, DisconnectFromIdle) {
  Reconnect r({"tcp:a:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  expect_action(r, now + seconds(5), Action::kProbe);
  r.disconnected(now + seconds(6));
  EXPECT_EQ(r.state(), State::kBackoff);
}

TEST_F(ReconnectTest, DisableAndEnableAgain) {
  Reconnect r({"tcp:a:1", "tcp:b:1"}, tcp_options(), now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connected(now);
  r.disable(now);
  EXPECT_EQ(r.state(), State::kVoid);
  EXPECT_EQ(r.run(now + seconds(60)).action, Action::kNone);
  r.enable(now + seconds(60));
  expect_action(r, now + seconds(60), Action::kConnect, 0);
  r.enable(now + seconds(60));  // no effect when already enabled
  EXPECT_EQ(r.state(), State::kConnectInProgress);
}

TEST_F(ReconnectTest, OptionsWithMaxBelowMinAreRaised) {
  ReconnectOptions options;
  options.min_backoff = seconds(4);
  options.max_backoff = seconds(2);
  Reconnect r({"tcp:a:1"}, options, now);
  r.enable(now);
  expect_action(r, now, Action::kConnect, 0);
  r.connect_failed(now);
  EXPECT_EQ(r.backoff(), seconds(4));
  advance(seconds(4));
  expect_action(r, now, Action::kConnect, 0);
  r.connect_failed(now);
  EXPECT_EQ(r.backoff(), seconds(4));
}

TEST_F(ReconnectTest, StateAndActionNames) {
  EXPECT_EQ(reconnect_state_name(State::kVoid), "void");
  EXPECT_EQ(reconnect_state_name(State::kConnectInProgress), "connect_in_progress");
  EXPECT_EQ(reconnect_state_name(State::kReconnect), "reconnect");
  EXPECT_EQ(reconnect_action_name(Action::kProbe), "probe");
}

}  // namespace
}  // namespace ovnk::ovsdb
