// Test-only helpers for the priv tests: named network namespaces created and
// removed with `ip netns` (tests may exec ip; the product never does), a
// shell runner, and a sweep of namespaces left by crashed runs.
//
// Every namespace is named ovnkt-<pid>-<tag>, so that parallel runs never
// collide and leftovers can be told from live ones. TestNetns/TestNetnsSet
// delete their namespaces in their destructors, which run when an ASSERT
// returns early too. Nothing here touches the host's root namespace: veths
// and addresses live in a test "host" namespace and in pod namespaces.
#pragma once

#include <signal.h>
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ovnk::netlink::testing {

struct CommandResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  r.status = ::pclose(p);
  return r;
}

inline bool is_root() { return ::geteuid() == 0; }

inline std::string netns_prefix() { return "ovnkt-" + std::to_string(::getpid()) + "-"; }

// Removes ovnkt-<pid>-* namespaces whose process is gone (a crashed run).
inline void sweep_stale_netns() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns", ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("ovnkt-", 0) != 0) continue;
    size_t dash = name.find('-', 6);
    if (dash == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(name.substr(6, dash - 6).c_str()));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    (void)run_command("ip netns del " + name);
  }
}

// One namespace, created now and deleted with this object.
class TestNetns {
 public:
  explicit TestNetns(std::string_view tag) : name_(netns_prefix() + std::string(tag)) {
    CommandResult r = run_command("ip netns add " + name_);
    ok_ = r.status == 0;
    error_ = r.output;
  }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;
  ~TestNetns() {
    if (ok_) (void)run_command("ip netns del " + name_);
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }
  // "ip -n NAME <args>"
  CommandResult ip(const std::string& args) const { return run_command("ip -n " + name_ + " " + args); }
  CommandResult exec(const std::string& cmd) const { return run_command("ip netns exec " + name_ + " " + cmd); }

 private:
  std::string name_;
  bool ok_ = false;
  std::string error_;
};

// Many namespaces at once (one `ip -batch` each way): <tag>-0 .. <tag>-(n-1).
class TestNetnsSet {
 public:
  TestNetnsSet(std::string_view tag, int n) {
    std::string batch;
    for (int i = 0; i < n; ++i) {
      names_.push_back(netns_prefix() + std::string(tag) + "-" + std::to_string(i));
      batch += "netns add " + names_.back() + "\n";
    }
    ok_ = run_batch(batch);
  }
  TestNetnsSet(const TestNetnsSet&) = delete;
  TestNetnsSet& operator=(const TestNetnsSet&) = delete;
  ~TestNetnsSet() {
    std::string batch;
    for (const std::string& n : names_) {
      if (std::filesystem::exists("/var/run/netns/" + n)) batch += "netns del " + n + "\n";
    }
    if (!batch.empty()) (void)run_batch(batch);
  }
  bool ok() const { return ok_; }
  size_t size() const { return names_.size(); }
  const std::string& name(size_t i) const { return names_[i]; }
  std::string path(size_t i) const { return "/var/run/netns/" + names_[i]; }

 private:
  static bool run_batch(const std::string& lines) {
    std::string file = "/tmp/" + netns_prefix() + "batch-" + std::to_string(::rand());
    FILE* f = std::fopen(file.c_str(), "w");
    if (f == nullptr) return false;
    std::fwrite(lines.data(), 1, lines.size(), f);
    std::fclose(f);
    CommandResult r = run_command("ip -force -batch " + file);
    std::remove(file.c_str());
    return r.status == 0;
  }
  std::vector<std::string> names_;
  bool ok_ = false;
};

}  // namespace ovnk::netlink::testing
