#include "reactor/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/log.h"

namespace ovnk::reactor {
namespace {

// Largest plaintext handed to one SSL_write (several records) and read into one
// on_data chunk.
constexpr size_t kCryptoChunk = 64u << 10;

// Two buffers, never one: on_data's view points into the plaintext buffer while
// the owner may write from inside on_data, which flushes ciphertext.
char* plaintext_buffer() {
  thread_local std::vector<char> buffer(kCryptoChunk);
  return buffer.data();
}
char* ciphertext_buffer() {
  thread_local std::vector<char> buffer(kCryptoChunk);
  return buffer.data();
}

// Empties OpenSSL's per-thread error queue into one readable line:
// "certificate verify failed; ...". Returns the reason code of the first error.
std::string drain_openssl_errors(int* first_reason = nullptr) {
  std::string out;
  const char* data = nullptr;
  int flags = 0;
  unsigned long e;
  while ((e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) != 0) {
    if (first_reason != nullptr && out.empty()) *first_reason = ERR_GET_REASON(e);
    if (!out.empty()) out.append("; ");
    const char* reason = ERR_reason_error_string(e);
    if (reason != nullptr) {
      out.append(reason);
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      out.append(buf);
    }
    if (data != nullptr && (flags & ERR_TXT_STRING) != 0 && *data != '\0') {
      out.append(" (").append(data).append(")");
    }
  }
  return out;
}

Error context_error(std::string_view what) {
  int reason = 0;
  std::string detail = drain_openssl_errors(&reason);
  std::string m(what);
  if (!detail.empty()) m.append(": ").append(detail);
  return make_error("tls", reason, m);
}

bool is_ip_literal(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// Loads what both sides share; on error the caller frees ctx.
Result<void> load_common(SSL_CTX* ctx, const TlsConfig& config, bool need_cert) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return context_error("tls: setting the minimum protocol version");
  }
  // Idle connections give their record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (config.cert_file.empty() != config.key_file.empty()) {
    return make_error("tls", 0, "tls: cert_file and key_file go together");
  }
  if (need_cert && config.cert_file.empty()) {
    return make_error("tls", 0, "tls: a server needs cert_file and key_file");
  }
  if (!config.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
      return context_error("tls: loading certificate " + config.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return context_error("tls: loading private key " + config.key_file);
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return context_error("tls: private key " + config.key_file + " does not match " +
                           config.cert_file);
    }
  }
  if (!config.ca_file.empty() &&
      SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
    return context_error("tls: loading CA file " + config.ca_file);
  }
  return {};
}

}  // namespace

// ---------------------------------------------------------------------------
// TlsContext

Result<TlsContext> TlsContext::client(const TlsConfig& config) {
  ERR_clear_error();
  if (config.ca_file.empty()) {
    return make_error("tls", 0, "tls: a client needs ca_file to verify the server");
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return context_error("tls: SSL_CTX_new");
  TlsContext context(ctx, false);
  OVNK_TRY(load_common(ctx, config, false));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return context;
}

Result<TlsContext> TlsContext::server(const TlsConfig& config) {
  ERR_clear_error();
  if (config.require_peer_cert && config.ca_file.empty()) {
    return make_error("tls", 0, "tls: require_peer_cert needs ca_file to verify clients");
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return context_error("tls: SSL_CTX_new");
  TlsContext context(ctx, true);
  OVNK_TRY(load_common(ctx, config, true));
  // Resumed sessions with client certificates need an id context.
  static const unsigned char kSessionContext[] = "ovnk";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (!config.ca_file.empty()) {
    // Tell clients which CA we accept, and verify what they present.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
    int mode = SSL_VERIFY_PEER;
    if (config.require_peer_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  ERR_clear_error();
  return context;
}

TlsContext::TlsContext(TlsContext&& other) noexcept : ctx_(other.ctx_), server_(other.server_) {
  other.ctx_ = nullptr;
}

TlsContext::TlsContext(const TlsContext& other) : ctx_(other.ctx_), server_(other.server_) {
  if (ctx_ != nullptr) SSL_CTX_up_ref(ctx_);
}

TlsContext& TlsContext::operator=(const TlsContext& other) {
  if (this != &other) {
    if (other.ctx_ != nullptr) SSL_CTX_up_ref(other.ctx_);
    SSL_CTX_free(ctx_);
    ctx_ = other.ctx_;
    server_ = other.server_;
  }
  return *this;
}

TlsContext& TlsContext::operator=(TlsContext&& other) noexcept {
  if (this != &other) {
    SSL_CTX_free(ctx_);
    ctx_ = other.ctx_;
    server_ = other.server_;
    other.ctx_ = nullptr;
  }
  return *this;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

// ---------------------------------------------------------------------------
// TlsStream

std::unique_ptr<TlsStream> TlsStream::client(Loop& loop, const TlsContext& context,
                                             std::unique_ptr<Stream> transport,
                                             std::string verify_name, TlsOptions options) {
  return std::unique_ptr<TlsStream>(new TlsStream(loop, context, std::move(transport), false,
                                                  std::move(verify_name), options));
}

std::unique_ptr<TlsStream> TlsStream::server(Loop& loop, const TlsContext& context,
                                             std::unique_ptr<Stream> transport,
                                             TlsOptions options) {
  return std::unique_ptr<TlsStream>(
      new TlsStream(loop, context, std::move(transport), true, std::string(), options));
}

TlsStream::TlsStream(Loop& loop, const TlsContext& context, std::unique_ptr<Stream> transport,
                     bool server, std::string verify_name, TlsOptions options)
    : loop_(loop),
      transport_(std::move(transport)),
      server_(server),
      verify_name_(std::move(verify_name)),
      options_(options) {
  if (options_.stream.low_water > options_.stream.high_water) {
    options_.stream.low_water = options_.stream.high_water;
  }
  peer_name_ = "tls+" + transport_->peer_name();
  local_name_ = "tls+" + transport_->local_name();
  // The body is a member function: it may destroy this very timer, and with it
  // the lambda's captures.
  kick_ = loop_.make_timer([this]() noexcept { on_kick(); });
  transport_->set_handler(this);

  ERR_clear_error();
  if (context.native() == nullptr || context.is_server() != server) {
    fail(make_error("tls", 0, "tls: context does not fit this side of the connection"));
    return;
  }
  ssl_ = SSL_new(context.native());
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || rbio == nullptr || wbio == nullptr) {
    BIO_free(rbio);
    BIO_free(wbio);
    fail(context_error("tls: SSL_new"));
    return;
  }
  SSL_set_bio(ssl_, rbio, wbio);  // the SSL owns both BIOs now
  if (server_) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    if (!verify_name_.empty()) {
      bool ok;
      if (is_ip_literal(verify_name_)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), verify_name_.c_str()) == 1;
      } else {
        SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set1_host(ssl_, verify_name_.c_str()) == 1 &&
             // SSL_set_tlsext_host_name() is a macro with a C cast.
             SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                      const_cast<char*>(verify_name_.c_str())) == 1;
      }
      if (!ok) {
        fail(context_error("tls: cannot verify against name '" + verify_name_ + "'"));
        return;
      }
    }
  }
  if (options_.handshake_timeout > Duration::zero()) {
    handshake_timer_ = loop_.make_timer([this]() noexcept {
      fail(make_error("tls", ETIMEDOUT,
                      "tls handshake with " + transport_->peer_name() + ": timed out after " +
                          std::to_string(to_whole_millis(options_.handshake_timeout)) + " ms"));
    });
    handshake_timer_->start(options_.handshake_timeout);
  }
  // The client speaks first; start from the loop, not from inside this call.
  schedule_kick();
}

TlsStream::~TlsStream() {
  kick_.reset();
  handshake_timer_.reset();
  transport_.reset();  // it points at us as its handler
  SSL_free(ssl_);
}

std::string TlsStream::protocol() const {
  return ssl_ != nullptr && state_ == State::kOpen ? SSL_get_version(ssl_) : "";
}

std::string TlsStream::cipher() const {
  if (ssl_ == nullptr || state_ != State::kOpen) return "";
  const char* name = SSL_get_cipher_name(ssl_);
  return name != nullptr ? name : "";
}

std::string TlsStream::peer_subject() const {
  if (ssl_ == nullptr) return "";
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

void TlsStream::on_kick() noexcept {
  if (state_ == State::kFailed) {
    state_ = State::kClosed;
    kick_.reset();  // our own timer; the loop allows it
    handshake_timer_.reset();
    Error error = std::move(pending_error_);
    if (handler_ != nullptr) handler_->on_error(error);
    return;
  }
  (void)drive_input();
}

void TlsStream::set_handler(StreamHandler* handler) {
  handler_ = handler;
  update_transport_reading();
  if (handler_ != nullptr && state_ == State::kOpen) schedule_kick();  // buffered plaintext
}

bool TlsStream::write(std::string_view data) {
  if (!is_open() || shutdown_requested_) return false;
  if (state_ == State::kOpen && pending_.empty()) {
    // Encrypt straight from the caller's buffer while the transport has room.
    while (!data.empty() && !transport_full_ && state_ == State::kOpen) {
      size_t n = std::min(data.size(), kCryptoChunk);
      ERR_clear_error();
      int rc = SSL_write(ssl_, data.data(), static_cast<int>(n));
      if (rc <= 0) {
        fail(ssl_error("tls write to " + transport_->peer_name(), rc));
        return false;
      }
      data.remove_prefix(static_cast<size_t>(rc));
      flush_ciphertext();
    }
    if (state_ != State::kOpen) return false;
  }
  if (!data.empty()) {
    size_t cap = options_.stream.max_queued;
    if (cap != 0 && pending_.size() + data.size() > cap) {
      fail(make_error("tls", ENOBUFS,
                      "tls write to " + transport_->peer_name() + ": output queue over " +
                          std::to_string(cap) + " bytes (peer not reading)"));
      return false;
    }
    pending_.append(data);
  }
  bool full = transport_full_ || pending_.size() > options_.stream.high_water;
  if (full) want_drained_ = true;
  return !full;
}

size_t TlsStream::queued_bytes() const {
  return pending_.size() + (transport_ ? transport_->queued_bytes() : 0);
}

void TlsStream::shutdown_write() {
  if (!is_open() || shutdown_requested_) return;
  shutdown_requested_ = true;
  maybe_finish_write_side();
}

void TlsStream::pause_reading() {
  paused_ = true;
  update_transport_reading();
}

void TlsStream::resume_reading() {
  paused_ = false;
  update_transport_reading();
  if (state_ == State::kOpen) schedule_kick();  // plaintext may wait in the BIO
}

void TlsStream::close() {
  if (state_ == State::kClosed) return;
  if (state_ == State::kOpen && !close_notify_sent_) {
    // Best effort: a small alert that the transport usually sends at once.
    close_notify_sent_ = true;
    ERR_clear_error();
    (void)SSL_shutdown(ssl_);
    flush_ciphertext();
    ERR_clear_error();
  }
  state_ = State::kClosed;
  kick_.reset();
  handshake_timer_.reset();
  pending_.clear();
  if (transport_) transport_->close();
}

void TlsStream::update_transport_reading() {
  if (!transport_ || !is_open()) return;
  // The handshake needs input whatever the owner wants.
  if (state_ == State::kOpen && (paused_ || handler_ == nullptr)) {
    transport_->pause_reading();
  } else {
    transport_->resume_reading();
  }
}

void TlsStream::schedule_kick() {
  if (kick_ && !kick_->active()) kick_->start(Duration::zero());
}

// --- transport events -------------------------------------------------------

void TlsStream::on_data(std::string_view data) {
  if (!is_open()) return;
  while (!data.empty()) {
    size_t n = std::min(data.size(), kCryptoChunk);
    int rc = BIO_write(SSL_get_rbio(ssl_), data.data(), static_cast<int>(n));
    if (rc <= 0) {
      fail(context_error("tls: buffering input"));
      return;
    }
    data.remove_prefix(static_cast<size_t>(rc));
  }
  (void)drive_input();
}

void TlsStream::on_eof() {
  if (!is_open()) return;
  transport_eof_ = true;
  (void)drive_input();
}

void TlsStream::on_error(const Error& error) {
  if (!is_open()) return;
  if (state_ == State::kHandshaking) {
    fail(error.with_context("tls handshake with " + transport_->peer_name()));
  } else {
    fail(error);
  }
}

void TlsStream::on_drained() {
  transport_full_ = false;
  if (!pump_output()) return;
  maybe_finish_write_side();
  (void)maybe_signal_drained();
}

// --- the engine ----------------------------------------------------------------

bool TlsStream::drive_input() {
  if (state_ == State::kHandshaking) {
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ && !transport_eof_) {
        flush_ciphertext();
        return true;  // more handshake records to come
      }
      Error error = err == SSL_ERROR_WANT_READ
                        ? make_error("tls", ECONNRESET,
                                     "tls handshake with " + transport_->peer_name() +
                                         ": connection closed by the peer")
                        : ssl_error("tls handshake with " + transport_->peer_name() + " failed",
                                    rc);
      fail(std::move(error));  // flushes the alert OpenSSL queued for the peer
      return true;
    }
    flush_ciphertext();
    state_ = State::kOpen;
    handshake_timer_.reset();
    LOG_DEBUG("tls_handshake_done", log::kv("peer", transport_->peer_name()),
              log::kv("protocol", protocol()), log::kv("cipher", cipher()));
    update_transport_reading();
    if (!pump_output()) return true;
    maybe_finish_write_side();
    if (on_handshake_) {
      std::function<void()> callback = std::move(on_handshake_);
      on_handshake_ = nullptr;
      if (!guard_.call([&] { callback(); })) return false;
      if (state_ != State::kOpen) return true;
    }
    if (!maybe_signal_drained()) return false;
  }
  if (state_ == State::kOpen) return read_plaintext();
  return true;
}

bool TlsStream::read_plaintext() {
  char* buf = plaintext_buffer();
  size_t chunk = std::clamp<size_t>(options_.stream.read_chunk, 1, kCryptoChunk);
  while (state_ == State::kOpen && handler_ != nullptr && !paused_ && !eof_delivered_) {
    // Gather several records into one chunk: fewer, larger on_data calls.
    size_t have = 0;
    int err = SSL_ERROR_NONE;
    Error fatal;  // built at once: a callback may clear OpenSSL's error queue
    while (have < chunk) {
      ERR_clear_error();
      int rc = SSL_read(ssl_, buf + have, static_cast<int>(chunk - have));
      if (rc <= 0) {
        err = SSL_get_error(ssl_, rc);
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_ZERO_RETURN) {
          fatal = ssl_error("tls read from " + transport_->peer_name(), rc);
        }
        break;
      }
      have += static_cast<size_t>(rc);
    }
    // Reading can produce output (TLS 1.3 key updates, session tickets).
    flush_ciphertext();
    const bool fatal_error =
        err != SSL_ERROR_NONE && err != SSL_ERROR_WANT_READ && err != SSL_ERROR_ZERO_RETURN;
    if (have > 0) {
      if (!guard_.call([&] { handler_->on_data(std::string_view(buf, have)); })) return false;
      if (err == SSL_ERROR_NONE) continue;  // the chunk filled up: read on
      if (state_ != State::kOpen) return true;
      // A pause holds back the eof (OpenSSL reports it again on the next read),
      // never an error: that is final and its details are only in `fatal`.
      if (!fatal_error && (handler_ == nullptr || paused_)) return true;
    }
    if (err == SSL_ERROR_WANT_READ && !transport_eof_) return true;
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_ZERO_RETURN) {
      if (err == SSL_ERROR_WANT_READ) {
        // The transport ended without close_notify: see the header on truncation.
        LOG_DEBUG("tls_eof_without_close_notify", log::kv("peer", transport_->peer_name()));
      }
      eof_delivered_ = true;
      return guard_.call([&] { handler_->on_eof(); });
    }
    if (fatal_error) {
      fail(std::move(fatal));
      return true;
    }
  }
  return true;
}

bool TlsStream::pump_output() {
  while (state_ == State::kOpen && !pending_.empty() && !transport_full_) {
    std::string_view data = pending_.readable();
    size_t n = std::min(data.size(), kCryptoChunk);
    ERR_clear_error();
    int rc = SSL_write(ssl_, data.data(), static_cast<int>(n));
    if (rc <= 0) {
      fail(ssl_error("tls write to " + transport_->peer_name(), rc));
      return false;
    }
    pending_.consume(static_cast<size_t>(rc));
    flush_ciphertext();
  }
  return state_ == State::kOpen;
}

void TlsStream::flush_ciphertext() {
  if (ssl_ == nullptr || !transport_) return;
  BIO* wbio = SSL_get_wbio(ssl_);
  char* buf = ciphertext_buffer();
  while (BIO_ctrl_pending(wbio) > 0) {
    int n = BIO_read(wbio, buf, static_cast<int>(kCryptoChunk));
    if (n <= 0) break;
    if (!transport_->write(std::string_view(buf, static_cast<size_t>(n)))) transport_full_ = true;
  }
}

void TlsStream::maybe_finish_write_side() {
  if (!shutdown_requested_ || close_notify_sent_ || state_ != State::kOpen || !pending_.empty()) {
    return;
  }
  close_notify_sent_ = true;
  ERR_clear_error();
  (void)SSL_shutdown(ssl_);  // 0: close_notify sent, the peer's not yet seen; fine
  flush_ciphertext();
  ERR_clear_error();
  transport_->shutdown_write();
}

bool TlsStream::maybe_signal_drained() {
  if (!want_drained_ || state_ != State::kOpen || transport_full_ ||
      pending_.size() > options_.stream.low_water) {
    return true;
  }
  want_drained_ = false;
  if (handler_ == nullptr) return true;
  return guard_.call([&] { handler_->on_drained(); });
}

void TlsStream::fail(Error error) {
  if (!is_open()) return;
  LOG_DEBUG("tls_failed", log::kv("peer", peer_name_), log::kv("error", error));
  state_ = State::kFailed;
  pending_error_ = std::move(error);
  pending_.clear();
  handshake_timer_.reset();
  // Let an alert OpenSSL queued (unknown CA, certificate required...) reach
  // the peer so that its error says why.
  flush_ciphertext();
  if (transport_) transport_->close();
  if (kick_) {
    kick_->stop();
    kick_->start(Duration::zero());
  }
}

Error TlsStream::ssl_error(std::string_view what, int rc) {
  int err = SSL_get_error(ssl_, rc);
  int reason = 0;
  std::string detail = drain_openssl_errors(&reason);
  std::string m(what);
  m.append(": ");
  if (!detail.empty()) {
    m.append(detail);
  } else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN) {
    m.append("connection closed by the peer");
  } else {
    m.append("SSL error ").append(std::to_string(err));
  }
  long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    m.append(": ").append(X509_verify_cert_error_string(verify));
    reason = static_cast<int>(verify);
  }
  return make_error("tls", reason, m);
}

// ---------------------------------------------------------------------------
// connect_tls

namespace {

class TlsConnector final : public ConnectAttempt, private StreamHandler {
 public:
  TlsConnector(Loop& loop, const SocketAddress& address, const TlsContext& context,
               std::string verify_name, Duration timeout, ConnectCallback callback,
               TlsOptions options)
      : loop_(loop),
        address_(address),
        context_(context),
        verify_name_(std::move(verify_name)),
        timeout_(timeout),
        callback_(std::move(callback)),
        options_(options) {}

  ~TlsConnector() override {
    deadline_.reset();
    socket_.reset();
    tls_.reset();
  }

  void start() {
    if (timeout_ > Duration::zero()) {
      deadline_ = loop_.make_timer([this]() noexcept {
        finish(make_error("io", ETIMEDOUT,
                          "connect " + address_.to_string() + " (tls): timed out after " +
                              std::to_string(to_whole_millis(timeout_)) + " ms"));
      });
      deadline_->start(timeout_);
    }
    socket_ = SocketStream::connect(
        loop_, address_, Duration::zero(),
        [this](Result<std::unique_ptr<Stream>> result) noexcept { on_connected(std::move(result)); },
        options_.stream);
  }

 private:
  void on_connected(Result<std::unique_ptr<Stream>> result) {
    if (!result.ok()) {
      finish(std::move(result).error());
      return;
    }
    tls_ = TlsStream::client(loop_, context_, std::move(result).value(), verify_name_, options_);
    tls_->set_handler(this);
    tls_->set_handshake_callback([this]() noexcept {
      tls_->set_handler(nullptr);
      std::unique_ptr<Stream> stream = std::move(tls_);
      finish(std::move(stream));
    });
  }

  // Only on_error can come before the handshake completes.
  void on_data(std::string_view) override {}
  void on_eof() override {}
  void on_error(const Error& error) override { finish(error); }

  void finish(Result<std::unique_ptr<Stream>> result) {
    if (done_) return;
    done_ = true;
    deadline_.reset();
    if (!result.ok() && tls_) loop_.delete_later(std::move(tls_));  // may be on the stack
    ConnectCallback callback = std::move(callback_);
    if (callback) callback(std::move(result));
  }

  Loop& loop_;
  SocketAddress address_;
  TlsContext context_;  // a reference on the SSL_CTX for the attempt's lifetime
  std::string verify_name_;
  Duration timeout_;
  ConnectCallback callback_;
  TlsOptions options_;
  bool done_ = false;
  std::unique_ptr<Timer> deadline_;
  std::unique_ptr<ConnectAttempt> socket_;
  std::unique_ptr<TlsStream> tls_;
};

}  // namespace

std::unique_ptr<ConnectAttempt> connect_tls(Loop& loop, const SocketAddress& address,
                                            const TlsContext& context, std::string verify_name,
                                            Duration timeout, ConnectCallback callback,
                                            TlsOptions options) {
  auto attempt = std::make_unique<TlsConnector>(loop, address, context, std::move(verify_name),
                                                timeout, std::move(callback), options);
  attempt->start();
  return attempt;
}

}  // namespace ovnk::reactor
