// DNS resolution on the loop, with c-ares: turns "ovn-nb.example" + a port into
// socket addresses that a connecting socket can use, without blocking the loop
// and without a thread.
//
// c-ares owns its UDP/TCP sockets; the Resolver watches them for it (one FdWatch
// per socket, created, changed and destroyed from c-ares' socket-state callback)
// and drives its retransmissions with one Timer armed from ares_timeout() after
// every step. Nothing polls.
//
// Invariants:
//   - A result is always delivered from the loop, never from inside resolve():
//     numeric addresses ("192.0.2.1", "2001:db8::1", "[::1]") resolve without a
//     query but are still delivered on the next iteration, so callers have one
//     contract.
//   - Each callback is called at most once. Destroying the ResolveRequest handle
//     cancels it: its callback is then never called, even if the answer has
//     already arrived. The handle may be destroyed from its own callback and may
//     outlive the Resolver.
//   - Destroying the Resolver cancels every query in flight (no callback is
//     called) and closes every socket, watch and timer it opened. It may be
//     destroyed from one of its own callbacks.
//   - No user callback ever runs inside c-ares: answers are parked and handed out
//     from deferred work (Loop::defer), so a callback may destroy the Resolver.
//
// Errors are in the "dns" domain, with c-ares' status as the code (named in
// DnsCode below) and a message that says what went wrong and where:
//   "resolve ovn-nb.example: no such host (NXDOMAIN)"
//   "resolve ovn-nb.example: no answer from 127.0.0.1:5353 (timed out, 1 try of 200 ms)"
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "reactor/loop.h"

// c-ares types, kept out of this header.
struct ares_channeldata;
struct ares_addrinfo;

namespace ovnk::reactor {

// Codes of the "dns" domain: c-ares' ARES_E* status values (checked against
// ares.h in resolver.cc), named here so that callers need not include ares.h.
namespace dns_code {
inline constexpr int kNoData = 1;         // the name exists, without an address of that family
inline constexpr int kServerFailure = 3;  // SERVFAIL
inline constexpr int kNotFound = 4;       // NXDOMAIN (or not in /etc/hosts)
inline constexpr int kRefused = 6;        // the server refused the query
inline constexpr int kBadName = 8;        // not a valid host name or literal
inline constexpr int kConnRefused = 11;   // no server listening
inline constexpr int kTimeout = 12;       // no answer after every try
inline constexpr int kBadConfig = 17;     // invalid ResolverOptions (c-ares' EBADSTR)
}  // namespace dns_code

enum class AddressFamily {
  kAny,   // IPv4 and IPv6 (A and AAAA queries)
  kIPv4,  // A only
  kIPv6,  // AAAA only
};

// One address to connect to: a ready sockaddr (port included) and its text.
struct ResolvedAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;  // sizeof(sockaddr_in) or sizeof(sockaddr_in6)
  std::string ip;        // "192.0.2.10", "2001:db8::1", "fe80::1%2"

  int family() const { return storage.ss_family; }
  uint16_t port() const;  // host byte order
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage); }
  // "192.0.2.10:6641", "[2001:db8::1]:6641": for logs and error messages.
  std::string to_string() const;
};

struct ResolverOptions {
  // Servers to ask instead of /etc/resolv.conf's, as "ip", "ip:port" or
  // "[ipv6]:port". When set, /etc/resolv.conf is not read at all (no search
  // domains, ndots 1, no sortlist): the configuration is entirely this one.
  std::vector<std::string> servers;
  // Search domains; only used with `servers` (otherwise resolv.conf's apply).
  std::vector<std::string> search_domains;
  // Each server is asked up to `tries` times; the first try waits `timeout`,
  // and c-ares doubles it at each new round through the servers.
  Duration timeout = seconds(2);
  int tries = 2;
  bool use_hosts_file = true;  // consult /etc/hosts before DNS ("f" lookup)
  bool use_dns = true;         // ask the DNS servers ("b" lookup)
};

using ResolveCallback = std::function<void(Result<std::vector<ResolvedAddress>>)>;

class Resolver;

// The handle of one resolution: destroying it cancels the resolution.
class ResolveRequest {
 public:
  ResolveRequest(const ResolveRequest&) = delete;
  ResolveRequest& operator=(const ResolveRequest&) = delete;
  ~ResolveRequest();

 private:
  friend class Resolver;
  ResolveRequest(Resolver* resolver, uint64_t id) : resolver_(resolver), id_(id) {}
  Resolver* resolver_;  // null once delivered, or when the resolver died first
  uint64_t id_;
};

class Resolver {
 public:
  static Result<std::unique_ptr<Resolver>> create(Loop& loop, ResolverOptions options = {});
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  // Resolves `host` (a name or a numeric address) to addresses carrying `port`.
  // `callback` is called once, from the loop, unless the handle is destroyed
  // first. A success holds at least one address, without duplicates.
  [[nodiscard]] std::unique_ptr<ResolveRequest> resolve(std::string_view host, uint16_t port,
                                                        AddressFamily family,
                                                        ResolveCallback callback);

  // Resolutions neither delivered nor cancelled yet.
  size_t pending() const { return queries_.size(); }
  // The DNS servers in use, "127.0.0.1:5353, 10.0.0.2:53": what error messages name.
  const std::string& servers() const { return servers_text_; }

 private:
  // One resolution, from resolve() until its callback is called or cancelled.
  struct Query {
    std::string host;
    uint16_t port = 0;
    AddressFamily family = AddressFamily::kAny;
    ResolveCallback callback;
    ResolveRequest* handle = nullptr;
    // Set once c-ares answered (or at once for a literal); handed to the
    // callback by deliver_ready(), deferred on the loop.
    std::optional<Result<std::vector<ResolvedAddress>>> outcome;
  };

  Resolver(Loop& loop, ResolverOptions options);
  Result<void> init();

  friend class ResolveRequest;
  void cancel(uint64_t id);

  // c-ares callbacks (C linkage-compatible static trampolines).
  static void on_sock_state(void* data, int fd, int readable, int writable);
  static void on_addrinfo(void* arg, int status, int timeouts, ares_addrinfo* result);

  void update_watch(int fd, bool readable, bool writable);
  void on_socket_ready(int fd, FdEvents events);
  void on_timer();
  void rearm_timer();
  void finish(uint64_t id, Result<std::vector<ResolvedAddress>> outcome);
  void schedule_delivery();
  void deliver_ready();
  Error dns_error(const Query& query, int status) const;

  Loop& loop_;
  ResolverOptions options_;
  ares_channeldata* channel_ = nullptr;
  bool library_initialised_ = false;
  std::string servers_text_;

  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Query> queries_;
  std::vector<uint64_t> ready_;  // answered, in answer order, not yet delivered

  std::unordered_map<int, std::unique_ptr<FdWatch>> watches_;  // by c-ares socket
  std::unique_ptr<Timer> timeout_timer_;  // ares_timeout(): retransmits and give-ups
  bool delivery_scheduled_ = false;       // deliver_ready() is deferred on the loop
  // Expires with this resolver: what deferred work checks before touching it.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  // Points at a flag on deliver_ready()'s stack while it runs, so that a callback
  // destroying this resolver stops the delivery loop.
  bool* destroyed_flag_ = nullptr;
};

}  // namespace ovnk::reactor
