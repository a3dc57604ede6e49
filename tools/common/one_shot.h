// OneShotOutcome: how a one-shot command-line tool that runs on the event loop
// (ovsdb-cli, ovnk-ctl) ends. The first fail() or succeed() decides the exit
// status and later ones are ignored (a timeout firing after the answer, an
// error after a failure); fail() and fatal() print "<tool>: <message>" on
// stderr. The tool runs its loop until done().
#pragma once

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "base/log.h"
#include "reactor/loop.h"

namespace ovnk::tools {

class OneShotOutcome {
 public:
  explicit OneShotOutcome(std::string tool) : tool_(std::move(tool)) {}

  // Prints the message; the exit status of a failure, for `return fatal(...)`
  // before the loop runs.
  int fatal(std::string_view message) const {
    std::fprintf(stderr, "%s: %.*s\n", tool_.c_str(), static_cast<int>(message.size()),
                 message.data());
    return 1;
  }
  void fail(std::string_view message) {
    if (done_) return;
    fatal(message);
    code_ = 1;
    done_ = true;
  }
  void succeed() {
    if (done_) return;
    code_ = 0;
    done_ = true;
  }
  bool done() const { return done_; }
  int code() const { return code_; }

 private:
  std::string tool_;
  bool done_ = false;
  int code_ = 1;
};

// The rest of a one-shot tool's main() once its options are parsed: SIGPIPE
// ignored (a closed pipe is a write error, not a death), logs only with
// --verbose, a libuv loop, then Tool(loop, options).run() as the exit status.
// The tool is destroyed before the loop.
template <class Tool, class Options>
int run_one_shot(const std::string& tool_name, Options options, bool verbose) {
  std::signal(SIGPIPE, SIG_IGN);
  log::set_level(verbose ? log::Level::kDebug : log::Level::kError);
  auto loop = reactor::Loop::create(reactor::Backend::kLibuv);
  if (!loop.ok()) return OneShotOutcome(tool_name).fatal(loop.error().to_string());
  Tool tool(**loop, std::move(options));
  return tool.run();
}

}  // namespace ovnk::tools
