// ovnk-reactor: the node agent. Parses its configuration, builds the daemon
// (daemon.h) and runs it until SIGTERM/SIGINT.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "daemon/config.h"
#include "daemon/daemon.h"

namespace {

ovnk::Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ovnk::errno_error("io", errno, "open " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = ovnk::daemon::parse_config(args, read_file);
  if (!config.ok()) {
    std::fprintf(stderr, "ovnk-reactor: %s\n", config.error().message.c_str());
    return 2;
  }
  if (config->help) {
    std::fputs(ovnk::daemon::usage().c_str(), stdout);
    return 0;
  }
  ovnk::log::set_level(config->log_level);
  auto daemon = ovnk::daemon::Daemon::create(*config);
  if (!daemon.ok()) {
    LOG_ERROR("daemon_failed", ovnk::log::kv("error", daemon.error()));
    return 1;
  }
  auto r = (*daemon)->run();
  if (!r.ok()) {
    LOG_ERROR("daemon_failed", ovnk::log::kv("error", r.error()));
    return 1;
  }
  return 0;
}
