#include "cni-frontend/socket_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ovnk::cni {

namespace {

std::string parent_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

// mkdir -p for the parents, with 0755 (they are shared: /var/run).
Result<void> make_parents(const std::string& dir) {
  struct stat st{};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return make_error("io", ENOTDIR, dir + " is not a directory");
    return ok_result();
  }
  const std::string parent = parent_of(dir);
  if (parent != dir) OVNK_TRY(make_parents(parent));
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_error("io", errno, "mkdir " + dir);
  }
  return ok_result();
}

}  // namespace

Result<void> prepare_socket_dir(std::string_view socket_path) {
  const std::string dir = parent_of(socket_path);
  if (dir == "/" || dir == ".") {
    return make_error("config", EINVAL,
                      "the CNI socket " + std::string(socket_path) +
                          " needs a directory of its own (it is made 0700)");
  }
  struct stat st{};
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno_error("io", errno, "stat " + dir);
    OVNK_TRY(make_parents(parent_of(dir)));
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return errno_error("io", errno, "mkdir " + dir);
    }
    if (lstat(dir.c_str(), &st) != 0) return errno_error("io", errno, "stat " + dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return make_error("io", ENOTDIR,
                      dir + " (the CNI socket's directory) is not a directory or is a symlink");
  }
  if (st.st_uid != geteuid()) {
    return make_error("io", EPERM,
                      dir + " (the CNI socket's directory) is owned by uid " +
                          std::to_string(st.st_uid) + ", not by us (uid " +
                          std::to_string(geteuid()) + "); refusing to serve pods from it");
  }
  // The mode applies whatever the umask: chmod, not the mkdir mode.
  if ((st.st_mode & 07777) != 0700 && chmod(dir.c_str(), 0700) != 0) {
    return errno_error("io", errno, "chmod 0700 " + dir);
  }
  return ok_result();
}

Result<void> restrict_socket_file(std::string_view socket_path) {
  const std::string path(socket_path);
  if (chmod(path.c_str(), 0600) != 0) return errno_error("io", errno, "chmod 0600 " + path);
  return ok_result();
}

}  // namespace ovnk::cni
