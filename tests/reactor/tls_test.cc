// TLS over loop streams, on every backend: handshake and data both ways, 10 MB
// with backpressure, verification failures (wrong CA, host name, IP, missing
// client certificate), garbage from a non-TLS peer, half-close with
// close_notify, handshake timeout, context loading errors.
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "reactor/listener.h"
#include "reactor/socket_stream.h"
#include "reactor/tls.h"
#include "tests/reactor/backends.h"
#include "tests/reactor/test_certs.h"

namespace ovnk::reactor::testing {
namespace {

// One PKI for the whole binary, removed at exit.
const TestCerts& certs() {
  static TempDir dir;
  static TestCerts made = [] {
    auto c = make_test_certs(dir.path());
    if (!c.ok()) {
      ADD_FAILURE() << c.error().to_string();
      std::abort();
    }
    return *c;
  }();
  return made;
}

TlsContext server_context(bool require_client_cert = false) {
  TlsConfig config;
  config.cert_file = certs().server_cert;
  config.key_file = certs().server_key;
  config.ca_file = certs().ca_cert;
  config.require_peer_cert = require_client_cert;
  auto ctx = TlsContext::server(config);
  if (!ctx.ok()) {
    ADD_FAILURE() << ctx.error().to_string();
    std::abort();
  }
  return std::move(ctx).value();
}

TlsContext client_context(bool with_cert = true, bool trust_other_ca = false) {
  TlsConfig config;
  if (with_cert) {
    config.cert_file = certs().client_cert;
    config.key_file = certs().client_key;
  }
  config.ca_file = trust_other_ca ? certs().other_ca_cert : certs().ca_cert;
  auto ctx = TlsContext::client(config);
  if (!ctx.ok()) {
    ADD_FAILURE() << ctx.error().to_string();
    std::abort();
  }
  return std::move(ctx).value();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

template <class B>
class TlsTest : public LoopTest<B> {
 protected:
  using ConnectResult = Result<std::unique_ptr<Stream>>;

  void release_handles() override {
    for (auto& p : peers_) p->stream.reset();
    for (auto& p : bulk_) p->stream.reset();
    listener_.reset();
    plain_accepted_.clear();
    attempts_.clear();
  }

  Loop& L() { return this->loop(); }

  // A TLS server on 127.0.0.1: each connection becomes a Peer over a TlsStream.
  void listen_tls(const TlsContext& context, TlsOptions options = {},
                  std::function<void(Peer&)> setup = nullptr) {
    auto l = Listener::listen(
        L(), *SocketAddress::parse("tcp:127.0.0.1:0"),
        [this, context, options, setup](std::unique_ptr<Stream> s) {
          auto tls = TlsStream::server(L(), context, std::move(s), options);
          server_tls_.push_back(tls.get());
          servers_.push_back(&peer(std::move(tls)));
          if (setup) setup(*servers_.back());
        },
        ListenOptions{.stream = options.stream});
    ASSERT_TRUE(l.ok()) << l.error().to_string();
    listener_ = std::move(l).value();
  }

  // A plain tcp server whose accepted streams are kept raw.
  void listen_plain() {
    auto l = Listener::listen(
        L(), *SocketAddress::parse("tcp:127.0.0.1:0"),
        [this](std::unique_ptr<Stream> s) { plain_accepted_.push_back(std::move(s)); });
    ASSERT_TRUE(l.ok());
    listener_ = std::move(l).value();
  }

  ConnectResult connect(const TlsContext& context, std::string verify_name,
                        TlsOptions options = {}, std::optional<SocketAddress> to = {}) {
    std::optional<ConnectResult> got;
    attempts_.push_back(connect_tls(
        L(), to ? *to : listener_->address(), context, std::move(verify_name), seconds(10),
        [&](ConnectResult r) { got.emplace(std::move(r)); }, options));
    if (!L().run_until([&] { return got.has_value(); }, seconds(20))) {
      return make_error("test", 0, "connect_tls never called back");
    }
    return std::move(*got);
  }

  Peer& peer(std::unique_ptr<Stream> s) {
    peers_.push_back(std::make_unique<Peer>(std::move(s)));
    return *peers_.back();
  }

  Peer* wait_server() {
    if (!L().run_until([&] { return !servers_.empty(); }, seconds(10))) return nullptr;
    return servers_.front();
  }

  std::unique_ptr<Listener> listener_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<std::unique_ptr<BulkPeer>> bulk_;
  std::vector<Peer*> servers_;
  std::vector<TlsStream*> server_tls_;
  std::vector<std::unique_ptr<Stream>> plain_accepted_;
  std::vector<std::unique_ptr<ConnectAttempt>> attempts_;
};
TYPED_TEST_SUITE(TlsTest, AllBackends, BackendNames);

TYPED_TEST(TlsTest, HandshakeThenDataBothWays) {
  this->listen_tls(server_context(), {}, [](Peer& server) {
    server.on_data_hook = [&server](std::string_view d) { server.stream->write(d); };
    server.stream->write("hello from the server");
  });
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto* tls = dynamic_cast<TlsStream*>(c->get());
  ASSERT_NE(tls, nullptr);
  EXPECT_TRUE(tls->handshake_done());
  EXPECT_EQ(tls->protocol(), "TLSv1.3");
  EXPECT_FALSE(tls->cipher().empty());
  EXPECT_TRUE(contains(tls->peer_subject(), "CN=localhost")) << tls->peer_subject();
  EXPECT_TRUE(contains(tls->peer_name(), "tls+tcp:127.0.0.1:"));
  Peer& client = this->peer(std::move(c).value());
  client.stream->write("ping");
  ASSERT_TRUE(this->L().run_until(
      [&] { return client.received == "hello from the serverping"; }, seconds(10)))
      << client.received;
  Peer* server = this->servers_.front();
  EXPECT_EQ(server->received, "ping");
  EXPECT_TRUE(contains(this->server_tls_.front()->peer_subject(), "CN=ovnk-test-client"));
  EXPECT_FALSE(client.done());
  EXPECT_FALSE(server->done());
}

TYPED_TEST(TlsTest, DataViewSurvivesAWriteFromInsideOnData) {
  // The server echoes, then looks at the view again: writing (which encrypts
  // and flushes) must not have touched the bytes it was handed.
  std::string seen_after_write;
  this->listen_tls(server_context(), {}, [&seen_after_write](Peer& server) {
    server.on_data_hook = [&server, &seen_after_write](std::string_view d) {
      server.stream->write(d);
      seen_after_write.append(d);
    };
  });
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  Peer& client = this->peer(std::move(c).value());
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload += std::to_string(i) + ",";
  client.stream->write(payload);
  ASSERT_TRUE(this->L().run_until([&] { return client.received.size() >= payload.size(); },
                                  seconds(10)));
  EXPECT_EQ(client.received, payload);
  EXPECT_EQ(seen_after_write, payload);
}

TYPED_TEST(TlsTest, VerifiesAnIpAddressAgainstTheSan) {
  this->listen_tls(server_context());
  auto ok = this->connect(client_context(), "127.0.0.1");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  ok->reset();
  auto wrong = this->connect(client_context(), "127.0.0.2");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().domain, "tls");
  EXPECT_TRUE(contains(wrong.error().message, "IP address mismatch")) << wrong.error().message;
}

TYPED_TEST(TlsTest, WrongHostNameFails) {
  this->listen_tls(server_context());
  auto r = this->connect(client_context(), "ovn-nb.example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().domain, "tls");
  EXPECT_TRUE(contains(r.error().message, "certificate verify failed")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "hostname mismatch")) << r.error().message;
}

TYPED_TEST(TlsTest, WrongCaFailsWithTheVerifyError) {
  this->listen_tls(server_context());
  auto r = this->connect(client_context(true, /*trust_other_ca=*/true), "localhost");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().domain, "tls");
  EXPECT_TRUE(contains(r.error().message, "tls handshake with tcp:127.0.0.1:"))
      << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "certificate verify failed")) << r.error().message;
  // The server sends its chain with the root (OpenSSL builds it from its CA
  // store), so the client sees an untrusted self-signed root in the chain.
  EXPECT_TRUE(contains(r.error().message, "self-signed certificate in certificate chain") ||
              contains(r.error().message, "unable to get local issuer certificate"))
      << r.error().message;
  // The code is the X509 verify result: SELF_SIGNED_CERT_IN_CHAIN or
  // UNABLE_TO_GET_ISSUER_CERT_LOCALLY.
  EXPECT_TRUE(r.error().code == 19 || r.error().code == 20) << r.error().code;
  // The server hears why: our alert reached it before the connection closed.
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(this->L().run_until([&] { return server->done(); }, seconds(10)));
  ASSERT_TRUE(server->error.has_value());
  EXPECT_TRUE(contains(server->error->message, "unknown ca")) << server->error->message;
}

TYPED_TEST(TlsTest, ClientWithoutCertificateIsRejectedWhenRequired) {
  this->listen_tls(server_context(/*require_client_cert=*/true));
  auto r = this->connect(client_context(/*with_cert=*/false), "localhost");
  // TLS 1.3: the client's side of the handshake may complete before the server
  // checks for its certificate; the refusal then arrives as an alert.
  if (r.ok()) {
    Peer& client = this->peer(std::move(r).value());
    ASSERT_TRUE(this->L().run_until([&] { return client.done(); }, seconds(10)));
    ASSERT_TRUE(client.error.has_value());
    EXPECT_TRUE(contains(client.error->message, "certificate required")) << client.error->message;
  } else {
    EXPECT_EQ(r.error().domain, "tls");
  }
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(this->L().run_until([&] { return server->done(); }, seconds(10)));
  ASSERT_TRUE(server->error.has_value());
  EXPECT_TRUE(contains(server->error->message, "peer did not return a certificate"))
      << server->error->message;
}

TYPED_TEST(TlsTest, ClientCertificateAcceptedWhenRequired) {
  this->listen_tls(server_context(/*require_client_cert=*/true),
                   {}, [](Peer& s) { s.on_data_hook = [&s](std::string_view d) { s.stream->write(d); }; });
  auto r = this->connect(client_context(), "localhost");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  Peer& client = this->peer(std::move(r).value());
  client.stream->write("authenticated");
  ASSERT_TRUE(this->L().run_until([&] { return client.received == "authenticated"; }, seconds(10)));
  EXPECT_TRUE(contains(this->server_tls_.front()->peer_subject(), "CN=ovnk-test-client"));
}

TYPED_TEST(TlsTest, TenMegabytesBothWays) {
  constexpr size_t kBytes = 10u << 20;
  TlsOptions options;
  options.stream.high_water = 256u << 10;
  options.stream.low_water = 64u << 10;
  this->listen_tls(server_context(), options, [this, kBytes](Peer& server) {
    // Hand the server stream to a BulkPeer (it replaces the recording handler).
    this->bulk_.push_back(std::make_unique<BulkPeer>(std::move(server.stream), kBytes, 22));
  });
  auto c = this->connect(client_context(), "localhost", options);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  this->bulk_.push_back(std::make_unique<BulkPeer>(std::move(c).value(), kBytes, 11));
  ASSERT_TRUE(this->L().run_until([&] { return this->bulk_.size() == 2; }, seconds(10)));
  BulkPeer& client = *this->bulk_[1];
  BulkPeer& server = *this->bulk_[0];
  client.start();
  server.start();
  ASSERT_TRUE(this->L().run_until(
      [&] { return (client.eof && server.eof) || client.error || server.error; }, seconds(120)));
  ASSERT_FALSE(client.error) << client.error->to_string();
  ASSERT_FALSE(server.error) << server.error->to_string();
  EXPECT_EQ(client.received, kBytes);
  EXPECT_EQ(server.received, kBytes);
  EXPECT_EQ(client.received_hash, BulkPeer::expected_hash(kBytes, 22));
  EXPECT_EQ(server.received_hash, BulkPeer::expected_hash(kBytes, 11));
  EXPECT_GT(client.refusals, 0);
  EXPECT_GT(server.refusals, 0);
  EXPECT_EQ(client.drains, client.refusals);
  EXPECT_EQ(server.drains, server.refusals);
}

TYPED_TEST(TlsTest, HalfCloseSendsCloseNotifyAndTheReplyStillArrives) {
  this->listen_tls(server_context(), {}, [](Peer& server) {
    server.on_eof_hook = [&server] {
      server.stream->write("reply to " + server.received);
      server.stream->shutdown_write();
    };
  });
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  Peer& client = this->peer(std::move(c).value());
  client.stream->write("request");
  client.stream->shutdown_write();
  EXPECT_FALSE(client.stream->write("late"));
  ASSERT_TRUE(this->L().run_until([&] { return client.done(); }, seconds(10)));
  EXPECT_FALSE(client.error) << client.error->to_string();
  EXPECT_TRUE(client.eof);
  EXPECT_EQ(client.received, "reply to request");
  Peer* server = this->servers_.front();
  EXPECT_TRUE(server->eof);
  EXPECT_FALSE(server->error);
}

TYPED_TEST(TlsTest, WritesBeforeTheHandshakeAreDelivered) {
  this->listen_tls(server_context());
  std::optional<Result<std::unique_ptr<Stream>>> sock;
  this->attempts_.push_back(SocketStream::connect(
      this->L(), this->listener_->address(), seconds(5),
      [&](Result<std::unique_ptr<Stream>> r) { sock.emplace(std::move(r)); }));
  ASSERT_TRUE(this->L().run_until([&] { return sock.has_value(); }, seconds(10)));
  ASSERT_TRUE(sock->ok());
  auto tls = TlsStream::client(this->L(), client_context(), std::move(*sock).value(), "localhost");
  bool handshake = false;
  tls->set_handshake_callback([&] { handshake = true; });
  EXPECT_FALSE(tls->handshake_done());
  EXPECT_TRUE(tls->write("sent before the handshake"));
  EXPECT_EQ(tls->queued_bytes(), std::string_view("sent before the handshake").size());
  Peer& client = this->peer(std::move(tls));
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(this->L().run_until(
      [&] { return server->received == "sent before the handshake"; }, seconds(10)));
  EXPECT_TRUE(handshake);
  EXPECT_FALSE(client.done());
}

TYPED_TEST(TlsTest, CloseSendsCloseNotify) {
  this->listen_tls(server_context());
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  (*c)->close();
  EXPECT_FALSE((*c)->is_open());
  ASSERT_TRUE(this->L().run_until([&] { return server->done(); }, seconds(10)));
  EXPECT_TRUE(server->eof);
  EXPECT_FALSE(server->error) << server->error->to_string();
}

TYPED_TEST(TlsTest, GarbageFromAPlainPeerIsACleanError) {
  this->listen_tls(server_context());
  std::optional<Result<std::unique_ptr<Stream>>> sock;
  this->attempts_.push_back(SocketStream::connect(
      this->L(), this->listener_->address(), seconds(5),
      [&](Result<std::unique_ptr<Stream>> r) { sock.emplace(std::move(r)); }));
  ASSERT_TRUE(this->L().run_until([&] { return sock.has_value(); }, seconds(10)));
  ASSERT_TRUE(sock->ok());
  Peer& plain = this->peer(std::move(*sock).value());
  plain.stream->write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(this->L().run_until([&] { return server->done(); }, seconds(10)));
  ASSERT_TRUE(server->error.has_value());
  EXPECT_EQ(server->error->domain, "tls");
  EXPECT_TRUE(contains(server->error->message, "tls handshake with")) << server->error->message;
  ASSERT_TRUE(this->L().run_until([&] { return plain.done(); }, seconds(10)));
}

TYPED_TEST(TlsTest, TlsClientAgainstAPlainServerFailsCleanly) {
  this->listen_plain();
  auto r = [&] {
    std::optional<Result<std::unique_ptr<Stream>>> got;
    this->attempts_.push_back(connect_tls(
        this->L(), this->listener_->address(), client_context(), "localhost", seconds(10),
        [&](Result<std::unique_ptr<Stream>> res) { got.emplace(std::move(res)); }));
    // The plain server answers the ClientHello with junk.
    this->L().run_until([&] { return !this->plain_accepted_.empty(); }, seconds(10));
    if (!this->plain_accepted_.empty()) {
      this->plain_accepted_[0]->write("SSH-2.0-OpenSSH_9.2\r\n and some more bytes to be sure");
    }
    this->L().run_until([&] { return got.has_value(); }, seconds(10));
    return got;
  }();
  ASSERT_TRUE(r.has_value());
  ASSERT_FALSE(r->ok());
  EXPECT_EQ(r->error().domain, "tls");
  EXPECT_TRUE(contains(r->error().message, "failed")) << r->error().message;
}

TYPED_TEST(TlsTest, HandshakeTimesOut) {
  TlsOptions options;
  options.handshake_timeout = milliseconds(100);
  this->listen_tls(server_context(), options);
  std::optional<Result<std::unique_ptr<Stream>>> sock;
  this->attempts_.push_back(SocketStream::connect(
      this->L(), this->listener_->address(), seconds(5),
      [&](Result<std::unique_ptr<Stream>> r) { sock.emplace(std::move(r)); }));
  ASSERT_TRUE(this->L().run_until([&] { return sock.has_value(); }, seconds(10)));
  ASSERT_TRUE(sock->ok());
  Peer& silent = this->peer(std::move(*sock).value());  // never says hello
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(this->L().run_until([&] { return server->done(); }, seconds(10)));
  ASSERT_TRUE(server->error.has_value());
  EXPECT_EQ(server->error->code, ETIMEDOUT);
  EXPECT_TRUE(contains(server->error->message, "timed out after 100 ms"));
  ASSERT_TRUE(this->L().run_until([&] { return silent.done(); }, seconds(10)));
}

TYPED_TEST(TlsTest, EofWithoutCloseNotifyAfterTheHandshakeIsEof) {
  this->listen_tls(server_context());
  std::optional<Result<std::unique_ptr<Stream>>> sock;
  this->attempts_.push_back(SocketStream::connect(
      this->L(), this->listener_->address(), seconds(5),
      [&](Result<std::unique_ptr<Stream>> r) { sock.emplace(std::move(r)); }));
  ASSERT_TRUE(this->L().run_until([&] { return sock.has_value(); }, seconds(10)));
  ASSERT_TRUE(sock->ok());
  auto* raw = dynamic_cast<SocketStream*>(sock->value().get());
  ASSERT_NE(raw, nullptr);
  int fd = raw->fd();
  auto tls = TlsStream::client(this->L(), client_context(), std::move(*sock).value(), "localhost");
  bool handshake = false;
  tls->set_handshake_callback([&] { handshake = true; });
  Peer& client = this->peer(std::move(tls));
  client.stream->write("data, then a bare FIN");
  Peer* server = this->wait_server();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(this->L().run_until([&] { return !server->received.empty(); }, seconds(10)));
  ::shutdown(fd, SHUT_WR);  // below TLS: no close_notify
  ASSERT_TRUE(this->L().run_until([&] { return server->done(); }, seconds(10)));
  EXPECT_TRUE(server->eof);
  EXPECT_EQ(server->received, "data, then a bare FIN");
  EXPECT_TRUE(handshake);
}

TYPED_TEST(TlsTest, ConnectErrorsPassThrough) {
  int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto any = *SocketAddress::parse("tcp:127.0.0.1:0");
  ASSERT_EQ(::bind(holder, any.sockaddr(), any.length()), 0);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(holder, reinterpret_cast<sockaddr*>(&ss), &len);
  auto target = *SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  auto r = this->connect(client_context(), "localhost", {}, target);
  ::close(holder);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ECONNREFUSED);
  EXPECT_TRUE(contains(r.error().message, target.to_string()));
}

TYPED_TEST(TlsTest, DestroyFromInsideOnData) {
  this->listen_tls(server_context(), {}, [](Peer& server) {
    server.on_data_hook = [&server](std::string_view) { server.stream.reset(); };
  });
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  Peer& client = this->peer(std::move(c).value());
  client.stream->write(std::string(100u << 10, 'z'));
  ASSERT_TRUE(this->L().run_until([&] { return client.done(); }, seconds(10)));
  EXPECT_EQ(this->servers_.front()->stream, nullptr);
}

TYPED_TEST(TlsTest, Tls12PeerWorksIncludingHalfClose) {
  // A server that stops at TLS 1.2, as an older ovsdb-server may.
  TlsContext server = server_context();
  ASSERT_EQ(SSL_CTX_set_max_proto_version(server.native(), TLS1_2_VERSION), 1);
  this->listen_tls(server, {}, [](Peer& s) {
    s.on_eof_hook = [&s] {
      s.stream->write("1.2 reply to " + s.received);
      s.stream->shutdown_write();
    };
  });
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(dynamic_cast<TlsStream*>(c->get())->protocol(), "TLSv1.2");
  Peer& client = this->peer(std::move(c).value());
  client.stream->write("request");
  client.stream->shutdown_write();
  ASSERT_TRUE(this->L().run_until([&] { return client.done(); }, seconds(10)));
  EXPECT_FALSE(client.error) << client.error->to_string();
  EXPECT_EQ(client.received, "1.2 reply to request");
  EXPECT_TRUE(client.eof);
}

TYPED_TEST(TlsTest, PauseHoldsBackPlaintextAndEof) {
  this->listen_tls(server_context(), {}, [](Peer& s) {
    s.stream->write("first");
    s.stream->shutdown_write();  // data and close_notify arrive together
  });
  auto c = this->connect(client_context(), "localhost");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  Peer& client = this->peer(std::move(c).value());
  client.on_data_hook = [&client](std::string_view) { client.stream->pause_reading(); };
  ASSERT_TRUE(this->L().run_until([&] { return !client.received.empty(); }, seconds(10)));
  // Paused inside on_data: the eof that followed must wait (bounded wait).
  EXPECT_FALSE(this->L().run_until([&] { return client.eof; }, milliseconds(50)));
  EXPECT_EQ(client.received, "first");
  client.on_data_hook = nullptr;
  client.stream->resume_reading();
  ASSERT_TRUE(this->L().run_until([&] { return client.eof; }, seconds(10)));
  EXPECT_FALSE(client.error);
}

// --- contexts (no loop needed) -------------------------------------------------

TEST(TlsContextTest, LoadingErrorsNameTheFile) {
  TlsConfig none;
  auto no_ca = TlsContext::client(none);
  ASSERT_FALSE(no_ca.ok());
  EXPECT_TRUE(contains(no_ca.error().message, "ca_file"));

  TlsConfig missing;
  missing.ca_file = "/nonexistent/ca.pem";
  auto m = TlsContext::client(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().domain, "tls");
  EXPECT_TRUE(contains(m.error().message, "/nonexistent/ca.pem")) << m.error().message;

  TlsConfig server_without_cert;
  auto s = TlsContext::server(server_without_cert);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message, "cert_file"));

  TlsConfig mismatch;
  mismatch.cert_file = certs().server_cert;
  mismatch.key_file = certs().client_key;
  mismatch.ca_file = certs().ca_cert;
  auto k = TlsContext::server(mismatch);
  ASSERT_FALSE(k.ok());
  EXPECT_TRUE(contains(k.error().message, certs().client_key)) << k.error().message;
  EXPECT_TRUE(contains(k.error().message, "mismatch")) << k.error().message;

  TlsConfig require_without_ca;
  require_without_ca.cert_file = certs().server_cert;
  require_without_ca.key_file = certs().server_key;
  require_without_ca.require_peer_cert = true;
  EXPECT_FALSE(TlsContext::server(require_without_ca).ok());

  // Copies share the SSL_CTX.
  TlsContext a = client_context();
  TlsContext b = a;
  EXPECT_EQ(a.native(), b.native());
}

}  // namespace
}  // namespace ovnk::reactor::testing
