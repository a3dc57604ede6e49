#include "reactor/resolver.h"

#include <arpa/inet.h>
#include <ares.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "base/log.h"

namespace ovnk::reactor {

static_assert(dns_code::kNoData == ARES_ENODATA);
static_assert(dns_code::kServerFailure == ARES_ESERVFAIL);
static_assert(dns_code::kNotFound == ARES_ENOTFOUND);
static_assert(dns_code::kRefused == ARES_EREFUSED);
static_assert(dns_code::kBadName == ARES_EBADNAME);
static_assert(dns_code::kConnRefused == ARES_ECONNREFUSED);
static_assert(dns_code::kTimeout == ARES_ETIMEOUT);
static_assert(dns_code::kBadConfig == ARES_EBADSTR);
static_assert(std::is_same_v<ares_socket_t, int>, "on_sock_state takes the fd as an int");

namespace {

using Addresses = std::vector<ResolvedAddress>;

// What c-ares gets as the `arg` of one ares_getaddrinfo: enough to find the
// query again, which may have been cancelled meanwhile. c-ares calls back exactly
// once per call (answer, failure, ares_cancel or ares_destroy), and that call
// frees it.
struct CaresCall {
  Resolver* resolver;
  uint64_t id;
};

std::string_view family_name(AddressFamily family) {
  switch (family) {
    case AddressFamily::kAny: return "any";
    case AddressFamily::kIPv4: return "IPv4";
    case AddressFamily::kIPv6: return "IPv6";
  }
  return "?";
}

// Fills `out.ip` from the sockaddr already in `out.storage`.
void set_text(ResolvedAddress& out) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (out.storage.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&out.storage);
    inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
    out.ip = buf;
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&out.storage);
    inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
    out.ip = buf;
    if (sin6->sin6_scope_id != 0) out.ip += "%" + std::to_string(sin6->sin6_scope_id);
  }
}

ResolvedAddress from_sockaddr(const sockaddr* addr, size_t len, uint16_t port) {
  ResolvedAddress out;
  std::memcpy(&out.storage, addr, std::min(len, sizeof out.storage));
  if (addr->sa_family == AF_INET) {
    out.length = sizeof(sockaddr_in);
    reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
  } else {
    out.length = sizeof(sockaddr_in6);
    reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
  }
  set_text(out);
  return out;
}

bool same_address(const ResolvedAddress& a, const ResolvedAddress& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

// A numeric host: returns the address, nullopt when `host` is a name, or an
// error when it is a literal that cannot be used (bad scope, wrong family).
Result<std::optional<ResolvedAddress>> parse_literal(std::string_view host, uint16_t port,
                                                     AddressFamily family) {
  std::string text(host);
  bool bracketed = text.size() >= 2 && text.front() == '[' && text.back() == ']';
  if (bracketed) text = text.substr(1, text.size() - 2);

  sockaddr_in sin{};
  if (!bracketed && inet_pton(AF_INET, text.c_str(), &sin.sin_addr) == 1) {
    if (family == AddressFamily::kIPv6) {
      return make_error("dns", dns_code::kNoData, "an IPv4 address, but IPv6 was asked for");
    }
    sin.sin_family = AF_INET;
    return std::optional<ResolvedAddress>(
        from_sockaddr(reinterpret_cast<const sockaddr*>(&sin), sizeof sin, port));
  }

  std::string scope;
  if (size_t pct = text.find('%'); pct != std::string::npos) {
    scope = text.substr(pct + 1);
    text.resize(pct);
  }
  sockaddr_in6 sin6{};
  if (inet_pton(AF_INET6, text.c_str(), &sin6.sin6_addr) != 1) {
    if (bracketed) return make_error("dns", dns_code::kBadName, "not an IPv6 address");
    return std::optional<ResolvedAddress>();  // a name
  }
  if (family == AddressFamily::kIPv4) {
    return make_error("dns", dns_code::kNoData, "an IPv6 address, but IPv4 was asked for");
  }
  sin6.sin6_family = AF_INET6;
  if (!scope.empty()) {
    bool numeric = std::all_of(scope.begin(), scope.end(), [](char c) { return c >= '0' && c <= '9'; });
    unsigned long index = numeric && scope.size() <= 9 ? std::stoul(scope) : if_nametoindex(scope.c_str());
    if (index == 0) {
      return make_error("dns", dns_code::kBadName, "unknown interface '" + scope + "' in scope");
    }
    sin6.sin6_scope_id = static_cast<uint32_t>(index);
  }
  return std::optional<ResolvedAddress>(
      from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6), sizeof sin6, port));
}

std::string describe_servers(ares_channel channel) {
  ares_addr_port_node* list = nullptr;
  if (ares_get_servers_ports(channel, &list) != ARES_SUCCESS) return "?";
  std::string out;
  for (ares_addr_port_node* n = list; n != nullptr; n = n->next) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(n->family, &n->addr, buf, sizeof buf);
    int port = n->udp_port != 0 ? n->udp_port : 53;
    if (!out.empty()) out += ", ";
    if (n->family == AF_INET6) {
      out.append("[").append(buf).append("]");
    } else {
      out.append(buf);
    }
    out.append(":").append(std::to_string(port));
  }
  ares_free_data(list);
  return out.empty() ? "no server" : out;
}

}  // namespace

uint16_t ResolvedAddress::port() const {
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

std::string ResolvedAddress::to_string() const {
  std::string port_text = std::to_string(port());
  if (family() == AF_INET6) return "[" + ip + "]:" + port_text;
  return ip + ":" + port_text;
}

ResolveRequest::~ResolveRequest() {
  if (resolver_ != nullptr) resolver_->cancel(id_);
}

Result<std::unique_ptr<Resolver>> Resolver::create(Loop& loop, ResolverOptions options) {
  std::unique_ptr<Resolver> resolver(new Resolver(loop, std::move(options)));
  OVNK_TRY(resolver->init());
  return resolver;
}

Resolver::Resolver(Loop& loop, ResolverOptions options) : loop_(loop), options_(std::move(options)) {}

Result<void> Resolver::init() {
  if (!options_.use_dns && !options_.use_hosts_file) {
    return make_error("dns", dns_code::kBadConfig, "resolver options: neither DNS nor /etc/hosts enabled");
  }
  if (options_.tries < 1 || options_.timeout <= Duration::zero()) {
    return make_error("dns", dns_code::kBadConfig, "resolver options: tries and timeout must be positive");
  }
  int rc = ares_library_init(ARES_LIB_INIT_ALL);
  if (rc != ARES_SUCCESS) {
    return make_error("dns", rc, std::string("ares_library_init: ") + ares_strerror(rc));
  }
  library_initialised_ = true;

  std::string lookups;
  if (options_.use_hosts_file) lookups += 'f';
  if (options_.use_dns) lookups += 'b';
  std::vector<char*> domains;
  for (std::string& d : options_.search_domains) domains.push_back(d.data());

  ares_options opts{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  opts.sock_state_cb = &Resolver::on_sock_state;
  opts.sock_state_cb_data = this;
  auto timeout_ms = std::max<int64_t>(1, to_whole_millis(options_.timeout));
  opts.timeout = static_cast<int>(std::min<int64_t>(timeout_ms, 3'600'000));
  opts.tries = options_.tries;
  opts.lookups = lookups.data();
  if (!options_.servers.empty()) {
    // Every setting c-ares would otherwise take from /etc/resolv.conf is given,
    // so that it does not read the file at all (its ARES_CONFIG_CHECK). The
    // servers themselves come just below (this option takes no ports).
    mask |= ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_NDOTS | ARES_OPT_SORTLIST;
    opts.nservers = 0;
    opts.domains = domains.empty() ? nullptr : domains.data();
    opts.ndomains = static_cast<int>(domains.size());
    opts.ndots = 1;
    opts.nsort = 0;
  }
  ares_channel channel = nullptr;
  rc = ares_init_options(&channel, &opts, mask);
  if (rc != ARES_SUCCESS) {
    return make_error("dns", rc, std::string("ares_init_options: ") + ares_strerror(rc));
  }
  channel_ = channel;

  if (!options_.servers.empty()) {
    std::string csv;
    for (const std::string& s : options_.servers) {
      if (!csv.empty()) csv += ',';
      csv += s;
    }
    rc = ares_set_servers_ports_csv(channel_, csv.c_str());
    if (rc != ARES_SUCCESS) {
      return make_error("dns", rc,
                        "invalid DNS server list '" + csv + "': " + ares_strerror(rc));
    }
  }
  servers_text_ = describe_servers(channel_);
  timeout_timer_ = loop_.make_timer([this] { on_timer(); });
  return {};
}

Resolver::~Resolver() {
  if (destroyed_flag_ != nullptr) *destroyed_flag_ = true;
  for (auto& [id, query] : queries_) {
    if (query.handle != nullptr) query.handle->resolver_ = nullptr;
  }
  queries_.clear();
  ready_.clear();
  if (channel_ != nullptr) {
    // Calls back every query in flight with ARES_EDESTRUCTION (on_addrinfo only
    // frees its CaresCall) and closes c-ares' sockets, which comes back through
    // on_sock_state and destroys their watches.
    ares_destroy(channel_);
    channel_ = nullptr;
  }
  watches_.clear();
  timeout_timer_.reset();
  if (library_initialised_) ares_library_cleanup();
}

std::unique_ptr<ResolveRequest> Resolver::resolve(std::string_view host, uint16_t port,
                                                  AddressFamily family, ResolveCallback callback) {
  uint64_t id = next_id_++;
  Query& query = queries_[id];
  query.host = std::string(host);
  query.port = port;
  query.family = family;
  query.callback = std::move(callback);
  std::unique_ptr<ResolveRequest> handle(new ResolveRequest(this, id));
  query.handle = handle.get();

  if (host.empty()) {
    finish(id, make_error("dns", dns_code::kBadName, "resolve: empty host name"));
    return handle;
  }
  auto literal = parse_literal(host, port, family);
  if (!literal.ok()) {
    finish(id, std::move(literal).error().with_context("resolve " + query.host));
    return handle;
  }
  if (literal->has_value()) {
    finish(id, Addresses{std::move(**literal)});
    return handle;
  }

  ares_addrinfo_hints hints{};
  hints.ai_family = family == AddressFamily::kIPv4   ? AF_INET
                    : family == AddressFamily::kIPv6 ? AF_INET6
                                                     : AF_UNSPEC;
  // The port is set on each address afterwards: no service lookup in c-ares.
  // c-ares may call on_addrinfo before returning (/etc/hosts, bad name): that
  // only parks the outcome, delivery is from the loop.
  ares_getaddrinfo(channel_, query.host.c_str(), nullptr, &hints, &Resolver::on_addrinfo,
                   new CaresCall{this, id});
  rearm_timer();
  LOG_DEBUG("dns_query", log::kv("host", host), log::kv("family", family_name(family)));
  return handle;
}

void Resolver::cancel(uint64_t id) {
  // The c-ares query, if any, runs to its end (c-ares cancels only all queries
  // at once); its answer then finds no Query and is dropped.
  queries_.erase(id);
}

void Resolver::on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<CaresCall> call(static_cast<CaresCall*>(arg));
  struct FreeAddrinfo {
    void operator()(ares_addrinfo* ai) const { ares_freeaddrinfo(ai); }
  };
  std::unique_ptr<ares_addrinfo, FreeAddrinfo> owned(result);
  // The resolver is being destroyed: it has already forgotten its queries.
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  Resolver& self = *call->resolver;
  auto it = self.queries_.find(call->id);
  if (it == self.queries_.end()) return;  // cancelled by its handle
  const Query& query = it->second;

  if (status != ARES_SUCCESS) {
    self.finish(call->id, self.dns_error(query, status));
    return;
  }
  Addresses out;
  for (const ares_addrinfo_node* n = owned ? owned->nodes : nullptr; n != nullptr; n = n->ai_next) {
    if (n->ai_addr == nullptr) continue;
    if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
    ResolvedAddress addr = from_sockaddr(n->ai_addr, n->ai_addrlen, query.port);
    bool duplicate = std::any_of(out.begin(), out.end(),
                                 [&](const ResolvedAddress& seen) { return same_address(seen, addr); });
    if (!duplicate) out.push_back(std::move(addr));
  }
  if (out.empty()) {
    self.finish(call->id, self.dns_error(query, ARES_ENODATA));
    return;
  }
  LOG_DEBUG("dns_resolved", log::kv("host", query.host), log::kv("addresses", out.size()));
  self.finish(call->id, std::move(out));
}

void Resolver::finish(uint64_t id, Result<Addresses> outcome) {
  auto it = queries_.find(id);
  if (it == queries_.end() || it->second.outcome.has_value()) return;
  it->second.outcome = std::move(outcome);
  ready_.push_back(id);
  schedule_delivery();
}

void Resolver::schedule_delivery() {
  if (delivery_scheduled_) return;
  delivery_scheduled_ = true;
  // The loop cannot cancel deferred work: the token tells it whether this
  // resolver still exists when it runs.
  loop_.defer([this, alive = std::weak_ptr<const bool>(alive_)] {
    if (alive.expired()) return;
    deliver_ready();  // may destroy this resolver: nothing after it
  });
}

void Resolver::deliver_ready() {
  delivery_scheduled_ = false;
  bool destroyed = false;
  destroyed_flag_ = &destroyed;
  // Take the batch: results parked by the callbacks of this batch (a literal
  // resolved from a callback) go to a next round, scheduled by finish().
  std::vector<uint64_t> batch;
  batch.swap(ready_);
  for (uint64_t id : batch) {
    auto it = queries_.find(id);
    if (it == queries_.end()) continue;  // cancelled after its answer arrived
    Query query = std::move(it->second);
    queries_.erase(it);
    if (query.handle != nullptr) query.handle->resolver_ = nullptr;
    query.callback(std::move(*query.outcome));
    if (destroyed) return;  // the callback destroyed this resolver
  }
  destroyed_flag_ = nullptr;
}

void Resolver::on_sock_state(void* data, int fd, int readable, int writable) {
  static_cast<Resolver*>(data)->update_watch(fd, readable != 0, writable != 0);
}

void Resolver::update_watch(int fd, bool readable, bool writable) {
  unsigned interest = (readable ? kReadable : kNone) | (writable ? kWritable : kNone);
  auto it = watches_.find(fd);
  if (interest == kNone) {
    // c-ares closes the socket right after this call: stop watching first.
    if (it != watches_.end()) watches_.erase(it);
    return;
  }
  if (it != watches_.end()) {
    it->second->set_interest(interest);
    return;
  }
  // The watch may be destroyed from inside its own callback (c-ares closing the
  // socket once its last query is answered): the lambda does nothing after the
  // call.
  watches_.emplace(fd, loop_.watch_fd(fd, interest, [this, fd](FdEvents ev) { on_socket_ready(fd, ev); }));
}

void Resolver::on_socket_ready(int fd, FdEvents events) {
  unsigned interest = kNone;
  if (auto it = watches_.find(fd); it != watches_.end()) interest = it->second->interest();
  // An error or hang-up is handed to c-ares as readiness: its read or write then
  // fails with the errno and it moves on to the next server or try.
  bool trouble = events.error || events.hangup;
  bool read = events.readable || (trouble && (interest & kReadable) != 0);
  bool write = events.writable || (trouble && (interest & kWritable) != 0);
  ares_process_fd(channel_, read ? fd : ARES_SOCKET_BAD, write ? fd : ARES_SOCKET_BAD);
  rearm_timer();
}

void Resolver::on_timer() {
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  rearm_timer();
}

void Resolver::rearm_timer() {
  timeval tv{};
  timeval* next = ares_timeout(channel_, nullptr, &tv);
  if (next == nullptr) {  // no query in flight
    timeout_timer_->stop();
    return;
  }
  timeout_timer_->start(seconds(next->tv_sec) + microseconds(next->tv_usec));
}

Error Resolver::dns_error(const Query& query, int status) const {
  // With DNS off, c-ares ends a name missing from /etc/hosts with its initial
  // status, ECONNREFUSED, though no server was asked.
  if (!options_.use_dns && status == ARES_ECONNREFUSED) status = ARES_ENOTFOUND;
  // c-ares doubles the timeout at each round through the servers.
  std::string ms = std::to_string(to_whole_millis(options_.timeout)) + " ms";
  std::string tries = options_.tries == 1
                          ? "1 try of " + ms
                          : std::to_string(options_.tries) + " tries from " + ms + ", doubling";
  std::string message;
  switch (status) {
    case ARES_ENOTFOUND:
      message = options_.use_dns ? "no such host (NXDOMAIN)" : "no such host in /etc/hosts";
      break;
    case ARES_ENODATA:
      message = query.family == AddressFamily::kIPv4   ? "no IPv4 address (NODATA)"
                : query.family == AddressFamily::kIPv6 ? "no IPv6 address (NODATA)"
                                                       : "no address (NODATA)";
      break;
    case ARES_ETIMEOUT:
      message = "no answer from " + servers_text_ + " (timed out, " + tries + ")";
      break;
    case ARES_ECONNREFUSED:
      message = "connection refused by " + servers_text_ + " (" + tries + ")";
      break;
    case ARES_ESERVFAIL:
      message = "server failure (SERVFAIL) from " + servers_text_;
      break;
    case ARES_EREFUSED:
      message = "query refused (REFUSED) by " + servers_text_;
      break;
    case ARES_EFORMERR:
    case ARES_ENOTIMP:
      message = std::string("query rejected by ") + servers_text_ + " (" +
                (status == ARES_EFORMERR ? "FORMERR" : "NOTIMP") + ")";
      break;
    case ARES_EBADRESP:
      message = "malformed answer from " + servers_text_;
      break;
    case ARES_EBADNAME:
      message = "invalid host name";
      break;
    case ARES_EFILE:
      message = "cannot read /etc/hosts";
      break;
    default:
      message = ares_strerror(status);
      break;
  }
  return make_error("dns", status, "resolve " + query.host + ": " + message);
}

}  // namespace ovnk::reactor
