#include "ovsdb-proto/reconnect.h"

#include <algorithm>
#include <utility>

namespace ovnk::ovsdb {

Duration default_probe_interval(std::string_view remote) {
  if (remote.starts_with("tcp:") || remote.starts_with("ssl:")) return seconds(5);
  return Duration{0};
}

Reconnect::Reconnect(std::vector<std::string> remotes, ReconnectOptions options, MonoTime now)
    : remotes_(std::move(remotes)),
      options_(options),
      state_entered_(now),
      last_received_(now),
      last_connected_(now) {
  if (options_.max_backoff < options_.min_backoff) options_.max_backoff = options_.min_backoff;
}

void Reconnect::transition(State state, MonoTime now) {
  state_ = state;
  state_entered_ = now;
}

Duration Reconnect::probe_interval() const {
  if (options_.probe_interval) return *options_.probe_interval;
  if (remotes_.empty()) return Duration{0};
  return default_probe_interval(remotes_[current_]);
}

void Reconnect::enable(MonoTime now) {
  if (state_ != State::kVoid || remotes_.empty()) return;
  free_tries_ = remotes_.size();
  backoff_ = Duration{0};
  transition(State::kBackoff, now);
}

void Reconnect::disable(MonoTime now) {
  if (state_ != State::kVoid) transition(State::kVoid, now);
}

// Measured to the last data received, not to the drop: a peer that went silent
// long before the probe timed it out was not useful for that long.
bool Reconnect::is_stable() const {
  if (!is_connected()) return false;
  return last_received_ - last_connected_ >= std::max(options_.stable_after, backoff_);
}

void Reconnect::go_down(MonoTime now, bool stable) {
  current_ = (current_ + 1) % remotes_.size();
  if (stable) free_tries_ = remotes_.size();
  if (free_tries_ > 1) {
    --free_tries_;
    backoff_ = Duration{0};
  } else if (stable) {
    backoff_ = options_.min_backoff;
  } else if (backoff_ < options_.min_backoff) {
    backoff_ = options_.min_backoff;
  } else {
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
  }
  transition(State::kBackoff, now);
}

void Reconnect::connected(MonoTime now) {
  if (state_ != State::kConnectInProgress) return;
  ++connections_;
  last_connected_ = now;
  last_received_ = now;
  transition(State::kActive, now);
}

void Reconnect::connect_failed(MonoTime now) {
  if (state_ != State::kConnectInProgress) return;
  go_down(now, false);
}

void Reconnect::disconnected(MonoTime now) {
  switch (state_) {
    case State::kVoid:
    case State::kBackoff:
      return;  // nothing up (or the drop was our own Disconnect action)
    case State::kConnectInProgress:
      go_down(now, false);
      return;
    case State::kActive:
    case State::kIdle:
      go_down(now, is_stable());
      return;
    case State::kReconnect:
      go_down(now, reconnect_stable_);
      return;
  }
}

void Reconnect::received(MonoTime now) {
  if (!is_connected()) return;
  last_received_ = now;
  if (state_ == State::kIdle) transition(State::kActive, now);
}

void Reconnect::leader_lost(MonoTime now) { force_reconnect(now); }

void Reconnect::force_reconnect(MonoTime now) {
  switch (state_) {
    case State::kConnectInProgress:
      reconnect_stable_ = false;
      transition(State::kReconnect, now);
      return;
    case State::kActive:
    case State::kIdle:
      reconnect_stable_ = is_stable();
      transition(State::kReconnect, now);
      return;
    case State::kVoid:
    case State::kBackoff:
    case State::kReconnect:
      return;
  }
}

std::optional<MonoTime> Reconnect::deadline() const {
  switch (state_) {
    case State::kVoid:
      return std::nullopt;
    case State::kBackoff:
      return state_entered_ + backoff_;
    case State::kConnectInProgress:
      return state_entered_ + std::max(options_.connect_timeout, backoff_);
    case State::kActive: {
      Duration probe = probe_interval();
      if (probe <= Duration{0}) return std::nullopt;
      return std::max(last_received_, state_entered_) + probe;
    }
    case State::kIdle: {
      Duration probe = probe_interval();
      if (probe <= Duration{0}) return std::nullopt;
      return state_entered_ + probe;
    }
    case State::kReconnect:
      return state_entered_;
  }
  return std::nullopt;
}

Reconnect::Step Reconnect::run(MonoTime now) {
  Step step;
  std::optional<MonoTime> due = deadline();
  if (due && now >= *due) {
    switch (state_) {
      case State::kVoid:
        break;
      case State::kBackoff:
        ++attempts_;
        step.action = Action::kConnect;
        step.remote = current_;
        transition(State::kConnectInProgress, now);
        break;
      case State::kConnectInProgress:
        step.action = Action::kDisconnect;
        go_down(now, false);
        break;
      case State::kActive:
        step.action = Action::kProbe;
        transition(State::kIdle, now);
        break;
      case State::kIdle:
        step.action = Action::kDisconnect;
        go_down(now, is_stable());
        break;
      case State::kReconnect:
        step.action = Action::kDisconnect;
        go_down(now, reconnect_stable_);
        break;
    }
  }
  step.wake_at = deadline();
  return step;
}

std::string_view reconnect_state_name(Reconnect::State state) {
  switch (state) {
    case Reconnect::State::kVoid:
      return "void";
    case Reconnect::State::kBackoff:
      return "backoff";
    case Reconnect::State::kConnectInProgress:
      return "connect_in_progress";
    case Reconnect::State::kActive:
      return "active";
    case Reconnect::State::kIdle:
      return "idle";
    case Reconnect::State::kReconnect:
      return "reconnect";
  }
  return "unknown";
}

std::string_view reconnect_action_name(Reconnect::Action action) {
  switch (action) {
    case Reconnect::Action::kNone:
      return "none";
    case Reconnect::Action::kConnect:
      return "connect";
    case Reconnect::Action::kDisconnect:
      return "disconnect";
    case Reconnect::Action::kProbe:
      return "probe";
  }
  return "unknown";
}

}  // namespace ovnk::ovsdb
