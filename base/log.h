// Structured logging: one line per event, "key=value" fields, to stderr.
//
//   2026-11-28T13:30:00.123Z level=info event=pod_ready pod=default/web-1 ms=4.2
//
// The event is a stable snake_case name that can be grepped; context goes into
// fields, never into the event. Values with spaces, quotes or '=' are quoted.
// Formatting happens only when the level is enabled (OVNK_LOG checks first).
// The sink is replaceable so that tests can read what was logged.
#pragma once

#include <concepts>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/result.h"

namespace ovnk::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

void set_level(Level level);
Level level();
inline bool enabled(Level l) { return l >= level(); }
Result<Level> parse_level(std::string_view name);
std::string_view level_name(Level level);

struct Field {
  std::string_view key;
  std::string value;
};

template <class V>
Field kv(std::string_view key, const V& value) {
  if constexpr (std::is_same_v<V, bool>) {
    return {key, value ? "true" : "false"};
  } else if constexpr (std::is_arithmetic_v<V>) {
    return {key, std::to_string(value)};
  } else if constexpr (std::is_same_v<V, Error>) {
    return {key, value.to_string()};
  } else {
    return {key, std::string(std::string_view(value))};
  }
}

// Formats one line (without the trailing newline); exposed for tests.
std::string format_line(Level level, std::string_view event, std::initializer_list<Field> fields);
void write(Level level, std::string_view event, std::initializer_list<Field> fields);

using Sink = std::function<void(std::string_view line)>;
// Replaces the stderr sink; an empty Sink restores it.
void set_sink(Sink sink);

}  // namespace ovnk::log

#define OVNK_LOG(lvl, event, ...)                                           \
  do {                                                                      \
    if (::ovnk::log::enabled(lvl)) ::ovnk::log::write(lvl, event, {__VA_ARGS__}); \
  } while (0)
#define LOG_TRACE(event, ...) OVNK_LOG(::ovnk::log::Level::kTrace, event, __VA_ARGS__)
#define LOG_DEBUG(event, ...) OVNK_LOG(::ovnk::log::Level::kDebug, event, __VA_ARGS__)
#define LOG_INFO(event, ...) OVNK_LOG(::ovnk::log::Level::kInfo, event, __VA_ARGS__)
#define LOG_WARN(event, ...) OVNK_LOG(::ovnk::log::Level::kWarn, event, __VA_ARGS__)
#define LOG_ERROR(event, ...) OVNK_LOG(::ovnk::log::Level::kError, event, __VA_ARGS__)
