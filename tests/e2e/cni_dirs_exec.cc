// cni_dirs_exec PLUGIN_DIR CONF_DIR COMMAND [ARG...]
//
// Runs COMMAND (a container runtime's CLI, e.g. `ctr run --cni`) with the
// standard CNI locations replaced by a test's own: /opt/cni/bin shows
// PLUGIN_DIR and /etc/cni/net.d shows CONF_DIR. containerd's ctr has no flags
// for them (it reads /opt/cni/bin, /usr/lib/cni and the first file of
// /etc/cni/net.d), and a test must not install its plugin or config on the
// host, so the replacement happens in a private mount namespace that dies
// with COMMAND:
//   - "/" is made private, so nothing mounted here propagates to the host;
//   - a tmpfs covers /opt (in this namespace only) and /opt/cni/bin on it
//     is bound to PLUGIN_DIR; /usr/lib/cni (Debian's plugins: loopback,
//     which ctr always runs) stays visible;
//   - /etc/cni/net.d is bound to CONF_DIR. It must exist as a mount point:
//     when it does not, it is created (an empty directory, as the runtime's
//     own package would ship it); that is the only change on the host.
// Root only. Exits 125 with a message on stderr when the set-up fails, else
// becomes COMMAND (its exit status is the tool's).
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace {

constexpr int kSetupFailed = 125;

int fail(const char* what, const std::string& path) {
  std::fprintf(stderr, "cni_dirs_exec: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  return kSetupFailed;
}

bool make_dir(const std::string& path) { return ::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: cni_dirs_exec PLUGIN_DIR CONF_DIR COMMAND [ARG...]\n");
    return 2;
  }
  const std::string plugin_dir = argv[1];
  const std::string conf_dir = argv[2];
  if (!make_dir("/etc/cni") || !make_dir("/etc/cni/net.d")) return fail("mkdir", "/etc/cni/net.d");
  if (::unshare(CLONE_NEWNS) != 0) return fail("unshare", "(mount namespace)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return fail("make private", "/");
  if (::mount("ovnk-cni-test", "/opt", "tmpfs", 0, "size=1m,mode=0755") != 0) return fail("mount tmpfs on", "/opt");
  if (!make_dir("/opt/cni") || !make_dir("/opt/cni/bin")) return fail("mkdir", "/opt/cni/bin");
  if (::mount(plugin_dir.c_str(), "/opt/cni/bin", nullptr, MS_BIND, nullptr) != 0) return fail("bind", plugin_dir);
  if (::mount(conf_dir.c_str(), "/etc/cni/net.d", nullptr, MS_BIND, nullptr) != 0) return fail("bind", conf_dir);
  ::execvp(argv[3], argv + 3);
  return fail("exec", argv[3]);
}
