#include "tests/reactor/fake_dns_server.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <optional>
#include <utility>

namespace ovnk::reactor::testing {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAAAA = 28;
constexpr uint16_t kClassIN = 1;
constexpr uint8_t kRcodeNoError = 0;
constexpr uint8_t kRcodeNxDomain = 3;
constexpr uint8_t kRcodeNotImp = 4;
// Datagrams read per readiness callback: answering in small batches lets the
// client drain its socket between batches, so that a burst of queries does not
// overflow its receive buffer.
constexpr int kReadBatch = 32;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

uint16_t get16(const std::string& p, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(p[at]) << 8) | static_cast<uint8_t>(p[at + 1]));
}
void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

struct Question {
  std::string name;  // lower case, no trailing dot
  uint16_t type = 0;
  uint16_t klass = 0;
  size_t end = 0;  // offset just past the question
};

std::optional<Question> parse_question(const std::string& p) {
  if (p.size() < 12) return std::nullopt;
  if ((static_cast<uint8_t>(p[2]) & 0x80) != 0) return std::nullopt;  // a response, not a query
  if (get16(p, 4) != 1) return std::nullopt;                           // one question only
  Question q;
  size_t at = 12;
  for (;;) {
    if (at >= p.size()) return std::nullopt;
    auto len = static_cast<uint8_t>(p[at++]);
    if (len == 0) break;
    if ((len & 0xc0) != 0 || at + len > p.size()) return std::nullopt;  // no compression in questions
    if (!q.name.empty()) q.name.push_back('.');
    q.name.append(p, at, len);
    at += len;
    if (q.name.size() > 255) return std::nullopt;
  }
  if (at + 4 > p.size()) return std::nullopt;
  q.type = get16(p, at);
  q.klass = get16(p, at + 2);
  q.end = at + 4;
  q.name = lower(q.name);
  return q;
}

}  // namespace

Result<std::unique_ptr<FakeDnsServer>> FakeDnsServer::start(Loop& loop) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("io", errno, "fake dns: socket");
  // Room for a burst of queries sent before the loop gets to read any.
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return errno_error("io", err, "fake dns: bind 127.0.0.1:0");
  }
  return std::unique_ptr<FakeDnsServer>(new FakeDnsServer(loop, fd, ntohs(addr.sin_port)));
}

FakeDnsServer::FakeDnsServer(Loop& loop, int fd, uint16_t port) : loop_(loop), fd_(fd), port_(port) {
  watch_ = loop_.watch_fd(fd_, kReadable, [this](FdEvents) { on_readable(); });
}

FakeDnsServer::~FakeDnsServer() {
  watch_.reset();
  close(fd_);
}

void FakeDnsServer::add_host(std::string_view name, std::vector<std::string> ipv4,
                             std::vector<std::string> ipv6) {
  Records& r = table_[lower(name)];
  for (const std::string& ip : ipv4) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) == 1) r.ipv4.push_back(a);
  }
  for (const std::string& ip : ipv6) {
    in6_addr a{};
    if (inet_pton(AF_INET6, ip.c_str(), &a) == 1) r.ipv6.push_back(a);
  }
}

void FakeDnsServer::on_readable() {
  for (int i = 0; i < kReadBatch; ++i) {
    char buf[1500];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;  // EAGAIN: drained (other errors: nothing to do for a UDP server)
    ++received_;
    std::string packet(buf, static_cast<size_t>(n));
    switch (mode_) {
      case Mode::kAnswer: answer(packet, from); break;
      case Mode::kSilent: break;
      case Mode::kHold: held_.push_back(Held{std::move(packet), from}); break;
    }
  }
}

void FakeDnsServer::release_held() {
  std::vector<Held> held;
  held.swap(held_);
  for (const Held& h : held) answer(h.packet, h.from);
}

void FakeDnsServer::answer(const std::string& query, const sockaddr_in& from) {
  std::optional<Question> q = parse_question(query);
  if (!q) {
    ++malformed_;
    return;
  }
  auto opcode = static_cast<uint8_t>((static_cast<uint8_t>(query[2]) >> 3) & 0x0f);
  uint8_t rcode = kRcodeNoError;
  const Records* records = nullptr;
  if (opcode != 0 || q->klass != kClassIN) {
    rcode = kRcodeNotImp;
  } else if (auto it = table_.find(q->name); it != table_.end()) {
    records = &it->second;
  } else {
    rcode = kRcodeNxDomain;
  }

  std::string out;
  out.append(query, 0, 2);  // id
  // QR, the query's opcode and RD, AA; then RA and the rcode.
  out.push_back(static_cast<char>(0x80 | (static_cast<uint8_t>(query[2]) & 0x79) | 0x04));
  out.push_back(static_cast<char>(0x80 | rcode));
  size_t count = 0;
  if (records != nullptr) {
    if (q->type == kTypeA) count = records->ipv4.size();
    if (q->type == kTypeAAAA) count = records->ipv6.size();
  }
  put16(out, 1);                             // qdcount
  put16(out, static_cast<uint16_t>(count));  // ancount
  put16(out, 0);                             // nscount
  put16(out, 0);                             // arcount
  out.append(query, 12, q->end - 12);        // the question, as asked
  for (size_t i = 0; i < count; ++i) {
    put16(out, 0xc00c);  // the name: a pointer to the question's
    put16(out, q->type);
    put16(out, kClassIN);
    put32(out, 60);  // ttl
    if (q->type == kTypeA) {
      put16(out, 4);
      out.append(reinterpret_cast<const char*>(&records->ipv4[i]), 4);
    } else {
      put16(out, 16);
      out.append(reinterpret_cast<const char*>(&records->ipv6[i]), 16);
    }
  }
  ssize_t sent = sendto(fd_, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&from),
                        sizeof from);
  if (sent == static_cast<ssize_t>(out.size())) ++answered_;
}

}  // namespace ovnk::reactor::testing
