// Listener: accepts stream connections on a unix or tcp socket and hands each
// one over as a Stream.
//
// On readability it accepts in a loop (accept4, non-blocking + close-on-exec)
// up to accept_batch connections per wake-up, so a connection storm cannot
// starve the rest of the loop. Running out of descriptors or memory (EMFILE,
// ENFILE, ENOBUFS, ENOMEM) must not spin on a listening socket that stays
// readable: the listener logs, stops watching, and retries after accept_pause.
//
// Unix sockets: an existing file at the path is removed only when
// remove_stale_socket is set, and only if it is a socket nobody answers on (a
// live server is never replaced, a regular file never deleted). The listener
// removes its own socket file when destroyed, if the file is still the one it
// created. The caller sets permissions on path() after listen() (chmod/chown).
//
// TCP: SO_REUSEADDR; port 0 picks an ephemeral port, reported by port() and
// address(). The callback runs from the loop and may destroy the listener.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "reactor/loop.h"
#include "reactor/socket_address.h"
#include "reactor/stream.h"

namespace ovnk::reactor {

struct ListenOptions {
  int backlog = 128;
  bool remove_stale_socket = false;  // unix: replace a dead socket file at the path
  int accept_batch = 64;             // accepts per wake-up
  Duration accept_pause = milliseconds(100);  // after EMFILE and friends
  StreamOptions stream;              // for the accepted streams
};

class Listener {
 public:
  using AcceptCallback = std::function<void(std::unique_ptr<Stream>)>;

  struct Stats {
    uint64_t accepted = 0;
    uint64_t accept_errors = 0;  // failed accept4 calls other than EAGAIN
    uint64_t pauses = 0;         // times accepting was paused for lack of resources
  };

  static Result<std::unique_ptr<Listener>> listen(Loop& loop, const SocketAddress& address,
                                                  AcceptCallback on_accept,
                                                  ListenOptions options = {});
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  // The bound address: the real port for tcp port 0.
  const SocketAddress& address() const { return address_; }
  uint16_t port() const { return address_.port(); }
  std::string path() const { return address_.path(); }  // unix socket file
  int fd() const { return fd_; }
  const Stats& stats() const { return stats_; }

 private:
  Listener(Loop& loop, int fd, SocketAddress address, AcceptCallback on_accept,
           ListenOptions options);
  void on_readable() noexcept;
  void pause();

  Loop& loop_;
  int fd_;
  SocketAddress address_;
  AcceptCallback on_accept_;
  ListenOptions options_;
  std::unique_ptr<FdWatch> watch_;
  std::unique_ptr<Timer> resume_;
  Stats stats_;
  dev_t socket_dev_ = 0;  // identity of the unix socket file we created
  ino_t socket_ino_ = 0;
  DestructionGuard guard_;
};

}  // namespace ovnk::reactor
