// Reconnect policy for an OVSDB client: a pure state machine in the style of Open
// vSwitch's lib/reconnect.c. It never touches a socket or the clock: the caller
// reports what happened (connected, failed, data received, leader lost) with a
// `now`, calls run(now), performs the returned action and sleeps until the
// returned deadline.
//
// Policy:
//   - Several remotes (e.g. the three members of a raft cluster) are tried round
//     robin: every failed attempt or lost connection moves on to the next one. The
//     list order is the caller's (shuffle it to spread clients; no randomness here).
//   - One round over the remotes is "backoff free": after a failure, the next remote
//     is tried at once, until each remote failed once. Then the backoff starts at
//     min_backoff (1 s) and doubles up to max_backoff (8 s) per failure.
//   - A connection attempt that has not been reported connected after
//     max(connect_timeout, backoff) is abandoned.
//   - Inactivity probe: a connected session that received nothing for
//     probe_interval sends a probe (an "echo" request); if still nothing is received
//     for another interval it disconnects. The interval defaults per remote to 5 s
//     for tcp:/ssl: and is disabled for unix: (what ovsdb-client does: the server
//     does not probe unix sockets either).
//   - A connection that stayed up (measured to the last data received) at least
//     max(stable_after, backoff) was "good": losing it restarts with a fresh
//     backoff-free round, so a server restart costs no backoff.
//   - "Leader lost / not leader" (raft, leader-only clients): the connection is
//     dropped now and the next remote is tried at once; it counts as a failed
//     attempt of the current round, so a cluster without a leader (election under
//     way) still gets the backoff rather than a busy loop.
//
// Invariants: every action run() returns has already been applied to the state
// (Connect enters ConnectInProgress, Probe enters Idle, Disconnect enters Backoff
// or Void); each action is returned once. Reports that do not fit the state (a
// disconnect while already backing off, data while not connected) are ignored, so a
// caller may report a close it caused itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace ovnk::ovsdb {

struct ReconnectOptions {
  Duration min_backoff = seconds(1);
  Duration max_backoff = seconds(8);
  // Lower bound of the time an attempt may take (the backoff raises it, as in OVS:
  // a remote that is slow to accept gets more time once we are backing off anyway).
  // 2 s rather than OVS's 1 s: the attempt includes a TLS handshake on edge links.
  Duration connect_timeout = seconds(2);
  // nullopt: per remote, default_probe_interval(remote). Zero disables probing.
  std::optional<Duration> probe_interval;
  // A connection that lived this long (and at least the current backoff) resets the
  // backoff when it drops.
  Duration stable_after = seconds(2);
};

// 5 s for "tcp:" and "ssl:" remotes, zero (disabled) for "unix:" and anything else
// local.
Duration default_probe_interval(std::string_view remote);

class Reconnect {
 public:
  enum class State {
    kVoid,               // disabled (initially, after disable(), or no remotes):
                         // run() does nothing until enable()
    kBackoff,            // waiting until state_entered + backoff, then Connect to
                         // the current remote (backoff 0 = at once)
    kConnectInProgress,  // the caller is connecting to the current remote; waits
                         // for connected()/connect_failed() or the connect timeout
                         // (-> Disconnect, Backoff)
    kActive,             // connected, data seen recently; when nothing arrived for
                         // probe_interval -> Probe, Idle
    kIdle,               // probe sent, waiting for any data (-> Active); after
                         // another probe_interval -> Disconnect, Backoff
    kReconnect,          // the connection must be dropped (force_reconnect(),
                         // leader_lost()): the next run() -> Disconnect, Backoff
  };

  enum class Action {
    kNone,        // nothing to do before the deadline
    kConnect,     // start connecting to remotes()[remote]; report the outcome
    kDisconnect,  // close the connection or abandon the attempt (no report needed)
    kProbe,       // send an echo request: any reply (any data) counts
  };

  struct Step {
    Action action = Action::kNone;
    size_t remote = 0;                // for kConnect: index into remotes()
    std::optional<MonoTime> wake_at;  // call run() again then; nullopt: only on a report
  };

  // Starts disabled (kVoid); call enable(). An empty remote list stays disabled.
  Reconnect(std::vector<std::string> remotes, ReconnectOptions options, MonoTime now);

  // Void -> Backoff with no delay (a fresh backoff-free round). No effect otherwise.
  void enable(MonoTime now);
  // Any state -> Void. The caller closes whatever connection it has.
  void disable(MonoTime now);

  // The attempt to remotes()[current_remote()] succeeded (transport up; for TLS,
  // after the handshake). ConnectInProgress -> Active; ignored otherwise.
  void connected(MonoTime now);
  // The attempt failed (refused, DNS, TLS error). ConnectInProgress -> Backoff.
  void connect_failed(MonoTime now);
  // The established connection was closed or broke. Active/Idle/Reconnect ->
  // Backoff. Also accepted in ConnectInProgress (same as connect_failed).
  void disconnected(MonoTime now);
  // Any data arrived (a reply, a notification, an echo): resets the probe timer.
  // Idle -> Active.
  void received(MonoTime now);
  // The server is not (or no longer) the raft leader and the client needs the
  // leader. Connected or connecting -> Reconnect; the drop then goes to the next
  // remote without backoff while the round has free tries left.
  void leader_lost(MonoTime now);
  // Drop the connection and reconnect (e.g. a protocol error from the peer).
  // Connected or connecting -> Reconnect.
  void force_reconnect(MonoTime now);

  // Applies the timers: returns the action due at `now` (already applied) and when
  // to call again.
  Step run(MonoTime now);
  // The next deadline without running anything (nullopt: none).
  std::optional<MonoTime> deadline() const;

  State state() const { return state_; }
  bool is_connected() const { return state_ == State::kActive || state_ == State::kIdle; }
  size_t current_remote() const { return current_; }
  const std::vector<std::string>& remotes() const { return remotes_; }
  // The delay used by the current or last Backoff state.
  Duration backoff() const { return backoff_; }
  // The probe interval that applies to the current remote (zero: disabled).
  Duration probe_interval() const;
  // Counters: attempts started, attempts that connected.
  uint64_t attempts() const { return attempts_; }
  uint64_t connections() const { return connections_; }

 private:
  void transition(State state, MonoTime now);
  // Common path of every way down: picks the next remote and the next backoff.
  void go_down(MonoTime now, bool stable);
  bool is_stable() const;

  std::vector<std::string> remotes_;
  ReconnectOptions options_;

  State state_ = State::kVoid;
  MonoTime state_entered_;
  size_t current_ = 0;
  Duration backoff_{0};
  // Attempts left in the current round that start without backoff (OVS's
  // backoff_free_tries: 0 and 1 both mean "this is the last one").
  size_t free_tries_ = 0;
  MonoTime last_received_;
  MonoTime last_connected_;
  // Whether the connection being dropped in kReconnect was good, judged when the
  // drop was requested (the data that follows a "not leader" reply must not make a
  // doomed connection look stable).
  bool reconnect_stable_ = false;
  uint64_t attempts_ = 0;
  uint64_t connections_ = 0;
};

std::string_view reconnect_state_name(Reconnect::State state);
std::string_view reconnect_action_name(Reconnect::Action action);

}  // namespace ovnk::ovsdb
