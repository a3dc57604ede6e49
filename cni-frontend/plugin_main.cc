// ovnk-cni: the CNI plugin binary. The runtime executes it once per CNI call
// with CNI_* variables and the network config on stdin; it validates, forwards
// the call to the ovnk-reactor daemon over its unix socket, and prints the
// answer (see cni-frontend/plugin.h). Start-up cost matters (a pod ADD pays it),
// so: raw read()/write(), no iostreams, no threads.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cni-frontend/plugin.h"
#include "cni-frontend/unix_client.h"

namespace {

constexpr size_t kMaxConfigBytes = 1u << 20;  // the daemon's request limit

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// Reads stdin to EOF; fails past kMaxConfigBytes.
std::optional<ovnk::Error> read_stdin(std::string& out) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > kMaxConfigBytes) {
        return ovnk::make_error("io", 0, "the network config on stdin is over 1 MiB");
      }
      continue;
    }
    if (n == 0) return std::nullopt;
    if (errno == EINTR) continue;
    if (errno == EBADF) return std::nullopt;  // no stdin at all: an empty config
    return ovnk::errno_error("io", errno, "read stdin");
  }
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nobody to tell: stdout/stderr is gone
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

int main() {
  ovnk::cni::PluginInput input;
  input.env.command = env_or_empty("CNI_COMMAND");
  input.env.container_id = env_or_empty("CNI_CONTAINERID");
  input.env.netns = env_or_empty("CNI_NETNS");
  input.env.ifname = env_or_empty("CNI_IFNAME");
  input.env.args = env_or_empty("CNI_ARGS");
  input.env.path = env_or_empty("CNI_PATH");
  input.stdin_error = read_stdin(input.stdin_data);

  ovnk::cni::UnixHttpTransport transport;
  const ovnk::cni::PluginOutput out = ovnk::cni::run_plugin(input, transport);
  write_all(STDOUT_FILENO, out.stdout_data);
  if (out.exit_code != 0) {
    // The runtime logs stderr; one line that names the call helps when the
    // JSON on stdout is swallowed.
    std::string line = "ovnk-cni: " + input.env.command + " " + input.env.container_id + ": " +
                       out.stdout_data;
    if (line.empty() || line.back() != '\n') line.push_back('\n');
    write_all(STDERR_FILENO, line);
  }
  return out.exit_code;
}
