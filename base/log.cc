#include "base/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

namespace ovnk::log {

namespace {

Level g_level = Level::kInfo;
Sink g_sink;

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || c == '\n' || c == '\t') return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\t': out.append("\\t"); break;
      default: out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_timestamp(std::string& out) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(tv.tv_usec / 1000));
  out.append(buf);
}

}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kTrace: return "trace";
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
    case Level::kOff: return "off";
  }
  return "?";
}

Result<Level> parse_level(std::string_view name) {
  for (Level l : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError,
                  Level::kOff}) {
    if (name == level_name(l)) return l;
  }
  if (name == "warning") return Level::kWarn;
  return make_error("config", 0,
                    std::string("unknown log level '") + std::string(name) +
                        "' (expected trace, debug, info, warn, error or off)");
}

std::string format_line(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(96);
  append_timestamp(line);
  line.append(" level=").append(level_name(level));
  line.append(" event=");
  append_value(line, event);
  for (const Field& f : fields) {
    line.push_back(' ');
    line.append(f.key).push_back('=');
    append_value(line, f.value);
  }
  return line;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  std::string line = format_line(level, event, fields);
  if (g_sink) {
    g_sink(line);
    return;
  }
  line.push_back('\n');
  // One write(2) per line so that lines from several processes do not interleave.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void set_sink(Sink sink) { g_sink = std::move(sink); }

}  // namespace ovnk::log
