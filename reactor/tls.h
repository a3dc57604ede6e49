// TLS over any Stream (OpenSSL 3 with memory BIOs): TlsContext holds the
// certificates and the verification policy, TlsStream is a Stream layered on a
// transport Stream (normally a SocketStream).
//
// OpenSSL never touches a socket here: ciphertext from the transport is written
// into a memory BIO, the SSL object is driven, and whatever it produced
// (handshake records, application data, alerts, close_notify) is read out of
// the other memory BIO and written to the transport. No OpenSSL callback is
// installed, so no C callback can throw.
//
// Policy: TLS 1.2 minimum; the peer's certificate is always verified against
// the context's CA file (clients always; servers when they have a CA, and
// require_peer_cert refuses clients without one). A client given a name checks
// it against the server certificate: an IP literal with
// X509_VERIFY_PARAM_set1_ip_asc, a DNS name with SSL_set1_host (and SNI).
// Errors are domain "tls" and say what failed, with OpenSSL's reason and, for a
// verification failure, the verify error string ("certificate verify failed:
// unable to get local issuer certificate").
//
// Stream contract (reactor/stream.h) with TLS specifics:
//   - write() before the handshake completes queues the plaintext; it is sent
//     once the handshake is done. Backpressure counts both layers: write()
//     returns false when the transport is over its high-water mark or the
//     plaintext not yet encrypted exceeds high_water; on_drained() comes when
//     all pending plaintext is encrypted and the transport has drained.
//   - shutdown_write() sends close_notify (after the queued plaintext) and then
//     half-closes the transport; close() sends close_notify if it can, then
//     closes the transport at once.
//   - on_eof: the peer's close_notify, or the transport's eof after the
//     handshake (truncation is not told apart: the protocols on top delimit
//     their own messages). An eof during the handshake is an error.
//   - Handshake failure (including verification) is reported with on_error.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/byte_queue.h"
#include "base/result.h"
#include "base/time.h"
#include "reactor/loop.h"
#include "reactor/socket_address.h"
#include "reactor/socket_stream.h"
#include "reactor/stream.h"

struct ssl_ctx_st;  // SSL_CTX
struct ssl_st;      // SSL

namespace ovnk::reactor {

struct TlsConfig {
  std::string cert_file;   // PEM certificate (chain) we present; optional for a client
  std::string key_file;    // PEM private key of cert_file
  std::string ca_file;     // PEM CA bundle the peer must chain to; required for a client
  bool require_peer_cert = false;  // server: refuse clients that present no certificate
};

// Holds a reference on an SSL_CTX; copies share it (OpenSSL counts references).
// Streams keep their own reference, so a context may be destroyed, or replaced
// by a reloaded one, while streams made from it are still open.
class TlsContext {
 public:
  static Result<TlsContext> client(const TlsConfig& config);
  static Result<TlsContext> server(const TlsConfig& config);

  TlsContext(TlsContext&& other) noexcept;
  TlsContext& operator=(TlsContext&& other) noexcept;
  TlsContext(const TlsContext& other);
  TlsContext& operator=(const TlsContext& other);
  ~TlsContext();

  bool is_server() const { return server_; }
  ssl_ctx_st* native() const { return ctx_; }

 private:
  TlsContext(ssl_ctx_st* ctx, bool server) : ctx_(ctx), server_(server) {}
  ssl_ctx_st* ctx_ = nullptr;
  bool server_ = false;
};

struct TlsOptions {
  StreamOptions stream;          // water marks of the plaintext side
  Duration handshake_timeout{};  // > 0: fail a handshake that takes longer
};

class TlsStream final : public Stream, private StreamHandler {
 public:
  // `verify_name`: the host name or IP the server certificate must match; empty
  // checks only the chain (for callers that pin the CA to one server).
  static std::unique_ptr<TlsStream> client(Loop& loop, const TlsContext& context,
                                           std::unique_ptr<Stream> transport,
                                           std::string verify_name, TlsOptions options = {});
  static std::unique_ptr<TlsStream> server(Loop& loop, const TlsContext& context,
                                           std::unique_ptr<Stream> transport,
                                           TlsOptions options = {});
  ~TlsStream() override;

  // Called once, from the loop, when the handshake succeeds (a failure goes to
  // the handler's on_error). Optional: writing before it is fine.
  void set_handshake_callback(std::function<void()> callback) {
    on_handshake_ = std::move(callback);
  }
  bool handshake_done() const { return state_ == State::kOpen; }
  // After the handshake: "TLSv1.3", the cipher and the peer certificate subject.
  std::string protocol() const;
  std::string cipher() const;
  std::string peer_subject() const;  // "" without a peer certificate

  void set_handler(StreamHandler* handler) override;
  bool write(std::string_view data) override;
  size_t queued_bytes() const override;
  void shutdown_write() override;
  void pause_reading() override;
  void resume_reading() override;
  void close() override;
  bool is_open() const override {
    return state_ == State::kHandshaking || state_ == State::kOpen;
  }
  const std::string& peer_name() const override { return peer_name_; }
  const std::string& local_name() const override { return local_name_; }

 private:
  enum class State {
    kHandshaking,  // exchanging handshake records; plaintext writes wait in pending_
    kOpen,         // application data both ways
    kFailed,       // error recorded, transport closed; on_error due on the next iteration
    kClosed,       // close() called or on_error delivered: inert until destroyed
  };

  TlsStream(Loop& loop, const TlsContext& context, std::unique_ptr<Stream> transport,
            bool server, std::string verify_name, TlsOptions options);

  // Transport events (StreamHandler).
  void on_data(std::string_view data) override;
  void on_eof() override;
  void on_error(const Error& error) override;
  void on_drained() override;

  void on_kick() noexcept;
  // Drives the handshake and delivers plaintext; false when `this` was destroyed.
  bool drive_input();
  bool read_plaintext();
  // Encrypts pending plaintext while the transport has room; false on failure.
  bool pump_output();
  // Moves what OpenSSL produced to the transport.
  void flush_ciphertext();
  void maybe_finish_write_side();
  bool maybe_signal_drained();
  void update_transport_reading();
  void schedule_kick();
  void fail(Error error);
  Error ssl_error(std::string_view what, int rc);

  Loop& loop_;
  std::unique_ptr<Stream> transport_;
  ssl_st* ssl_ = nullptr;
  bool server_;
  std::string verify_name_;
  TlsOptions options_;
  State state_ = State::kHandshaking;
  StreamHandler* handler_ = nullptr;
  std::function<void()> on_handshake_;
  ByteQueue pending_;  // plaintext not yet handed to SSL_write
  Error pending_error_;
  std::unique_ptr<Timer> kick_;       // deferred input processing / error delivery
  std::unique_ptr<Timer> handshake_timer_;
  bool paused_ = false;
  bool transport_full_ = false;      // the transport's write() said false; on_drained owed
  bool transport_eof_ = false;
  bool eof_delivered_ = false;
  bool shutdown_requested_ = false;
  bool close_notify_sent_ = false;
  bool want_drained_ = false;
  std::string peer_name_;
  std::string local_name_;
  DestructionGuard guard_;
};

// Connects a socket, runs the client handshake on it and calls back with the
// TlsStream once the handshake has succeeded; `timeout` covers both.
std::unique_ptr<ConnectAttempt> connect_tls(Loop& loop, const SocketAddress& address,
                                            const TlsContext& context, std::string verify_name,
                                            Duration timeout, ConnectCallback callback,
                                            TlsOptions options = {});

}  // namespace ovnk::reactor
