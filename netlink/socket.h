// NetlinkSocket: one netlink socket (NETLINK_ROUTE or NETLINK_GENERIC) on the
// reactor, driving a Session (session.h) with real I/O.
//
// Batching: callers queue requests at any time; the socket asks the loop for
// writability and, on the next iteration, sends everything queued meanwhile in
// as few sendmsg() calls as the session's limits allow. The kernel processes
// a whole datagram synchronously inside sendmsg(), so after each send the
// socket drains its receive queue before sending the next datagram: the
// replies of one datagram can never pile up beyond the receive buffer.
//
// Replies: every request completes with Ok or the kernel's errno plus its
// extended-ack message (NETLINK_EXT_ACK; NETLINK_CAP_ACK keeps error ACKs
// small). ENOBUFS and truncated datagrams (MSG_TRUNC: the receive buffer then
// grows) are overruns the session recovers from (see session.h). Datagrams
// not sent by the kernel (nl_pid != 0) are ignored.
//
// Namespaces: a netlink socket belongs to the namespace it was created in,
// for its whole life. open_in() creates it inside another namespace through
// in_netns() (netns.h) and returns to the host namespace immediately.
//
// Lifetime: destroying the socket drops every pending callback (never called).
// It must not be destroyed from inside one of its own callbacks (that aborts,
// a broken invariant): use loop.delete_later().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"
#include "netlink/netns.h"
#include "netlink/session.h"
#include "reactor/loop.h"

namespace ovnk::netlink {

struct SocketOptions {
  // SO_RCVBUFFORCE (needs CAP_NET_ADMIN), else SO_RCVBUF; 0 keeps the default.
  int rcvbuf = 4 << 20;
  size_t recv_buffer = 64 * 1024;  // initial; grows when a datagram is truncated
  size_t max_datagrams_per_wakeup = 512;
  // Datagrams sent (each with its replies read) per writable event. A burst
  // of pods is worked through over several loop iterations, so that OVSDB
  // replies and new CNI requests are handled between its datagrams instead
  // of after all of them; the rest stays queued and the writable interest
  // brings the socket back on the next iteration.
  size_t max_datagrams_per_flush = 4;
  Session::Limits limits;
};

class NetlinkSocket {
 public:
  using Callback = std::function<void()>;
  using DoneFn = std::function<void(Result<void>)>;
  using RowFn = std::function<void(const Message&)>;

  // In the calling thread's namespace.
  static Result<std::unique_ptr<NetlinkSocket>> open(reactor::Loop& loop, int protocol,
                                                     SocketOptions options = {});
  // Inside `ns` (the thread returns to the host namespace before this returns).
  static Result<std::unique_ptr<NetlinkSocket>> open_in(reactor::Loop& loop, int protocol,
                                                        const NetnsHandle& ns,
                                                        SocketOptions options = {});
  // For callers that already are inside a namespace (in_netns): only the fd.
  static Result<int> create_fd(int protocol);
  // Takes ownership of a fd from create_fd().
  static Result<std::unique_ptr<NetlinkSocket>> adopt(reactor::Loop& loop, int fd, int protocol,
                                                      SocketOptions options = {});

  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket();

  // Queues a request (an ACK, maybe preceded by rows); see Session::request.
  Result<uint32_t> request(const Session::BuildFn& build, DoneFn done, RowFn on_row = {});
  // Queues a dump; see Session::dump.
  Result<uint32_t> dump(const Session::BuildFn& build, Session::Handler handler);
  void cancel(uint32_t id) { session_.cancel(id); }
  // Runs `hook` once, right before the next batch is sent (after everything
  // queued in this iteration): for a request that must follow a batch, such
  // as one group deletion after many group moves. Returns an id for
  // cancel_hook() (an owner that dies first must cancel).
  uint64_t before_flush(Callback hook);
  void cancel_hook(uint64_t id);

  int fd() const { return fd_; }
  int protocol() const { return protocol_; }
  uint32_t port_id() const { return port_id_; }
  size_t pending() const { return session_.pending(); }
  const Session::Stats& stats() const { return session_.stats(); }
  reactor::Loop& loop() { return *loop_; }

 private:
  NetlinkSocket(reactor::Loop& loop, int fd, int protocol, SocketOptions options);
  Result<void> setup();
  void on_events(reactor::FdEvents events);
  void flush();
  void drain(size_t budget);
  void update_interest(bool rearm = false);

  reactor::Loop* loop_;
  int fd_;
  int protocol_;
  uint32_t port_id_ = 0;
  SocketOptions options_;
  Session session_;
  std::unique_ptr<reactor::FdWatch> watch_;
  size_t recv_size_;  // receive buffer size for the next drain; grows when a datagram is cut
  std::vector<std::pair<uint64_t, Callback>> hooks_;
  uint64_t last_hook_id_ = 0;
  int dispatch_depth_ = 0;  // >0 while our callbacks run: destruction would be a use-after-free
};

}  // namespace ovnk::netlink
