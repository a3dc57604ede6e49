// The directory and file permissions of the daemon's CNI socket.
//
// The socket is the daemon's whole authentication: whoever can connect can
// plug and unplug pods. So the directory holding it is 0700 and owned by the
// daemon's user (root in production), and the socket itself 0600. The
// directory is created if missing (parents 0755); an existing one must be a
// real directory (not a symlink) owned by us, and is tightened to 0700.
// Stale/live socket files are the Listener's business (remove_stale_socket).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::cni {

Result<void> prepare_socket_dir(std::string_view socket_path);
// chmod 0600 after the listener created the socket.
Result<void> restrict_socket_file(std::string_view socket_path);

}  // namespace ovnk::cni
