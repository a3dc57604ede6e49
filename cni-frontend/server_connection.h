// Internal to the CNI server: one accepted HTTP/1.1 connection.
//
// It parses requests from the stream one at a time, answers /healthz and
// /metrics at once, and hands POST /cni to the CniHandler under a deadline.
// While a CNI request is with the handler it keeps reading, only to notice a
// client that goes away (which cancels the request); bytes of a pipelined next
// request wait in the input buffer. When it is finished (peer closed, error,
// idle, or after a final "Connection: close" answer) it cancels whatever is
// pending, closes the stream and tells its owner, which deletes it later: a
// released connection has no pending call, no stream, no timer, and touches
// nothing but its own memory when destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/byte_queue.h"
#include "base/time.h"
#include "cni-frontend/handler.h"
#include "cni-frontend/http_message.h"
#include "cni-frontend/metrics.h"
#include "cni-frontend/server.h"
#include "reactor/loop.h"
#include "reactor/stream.h"

namespace ovnk::cni {

class ServerConnection;

// What a connection needs from the server that owns it.
class ServerContext {
 public:
  virtual ~ServerContext() = default;
  virtual reactor::Loop& loop() = 0;
  virtual CniHandler& handler() = 0;
  virtual const CniServerOptions& options() const = 0;
  virtual metrics::Registry& registry() = 0;
  // Request accounting, kept by the server so that its gauges stay right:
  // started/ended bracket the time a request is with the handler; answered
  // counts every CNI answer (code 0 = success, -1 = cancelled, no answer).
  virtual void request_started() = 0;
  virtual void request_ended() = 0;
  virtual void request_answered(std::string_view command, int code, Duration took) = 0;
  virtual void request_cancelled(CancelReason reason) = 0;
  virtual void http_answered(std::string_view path, int status) = 0;
  // The connection is finished: the owner drops it (with delete_later).
  virtual void release(ServerConnection* connection) = 0;
};

class ServerConnection final : public reactor::StreamHandler {
 public:
  ServerConnection(ServerContext& context, std::unique_ptr<reactor::Stream> stream);
  ~ServerConnection() override;
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Cancels a pending request with `reason` and releases the connection.
  void shut(CancelReason reason);
  bool handling() const { return state_ == State::kHandling; }

  void on_data(std::string_view data) override;
  void on_eof() override;
  void on_error(const Error& error) override;

 private:
  enum class State {
    kReading,   // parsing input for the next request; the idle timer runs when nothing is buffered
    kHandling,  // a CNI request is with the handler: the deadline timer runs, input is only buffered
    kClosing,   // the last answer is queued and the write side shut: waits for the peer to
                // close or the linger timer, then releases
    kReleased,  // handed back to the owner; inert until deleted
  };

  struct Pending {
    std::string command;      // for metrics and logs
    std::string cni_version;  // answers are written in it
    SpecVersion version = kLatestVersion;
    Command kind = Command::kAdd;
    std::string who;          // "ADD <container id> <ns>/<pod>" for logs
    MonoTime started;
    std::unique_ptr<CniCall> call;
    uint64_t seq = 0;
  };

  void process_input();
  void dispatch(http::Message message);
  void start_cni(const http::Message& message);
  void on_handler_done(uint64_t seq, CniReply reply);
  void complete(CniReply reply);
  void on_deadline();
  void cancel_pending(CancelReason reason);
  void answer(std::string_view path, int status, std::string_view content_type,
              std::string_view body, bool keep_alive);
  void answer_cni_error(const CniError& error, std::string_view version, std::string_view command);
  void close_gracefully();
  void check_closing();
  void release();
  void arm_idle();

  ServerContext& ctx_;
  std::unique_ptr<reactor::Stream> stream_;
  State state_ = State::kReading;
  http::Parser parser_;
  ByteQueue input_;
  bool keep_alive_ = true;  // of the request being answered
  bool head_only_ = false;  // the request being answered is a HEAD
  bool peer_eof_ = false;
  std::optional<Pending> pending_;
  uint64_t next_seq_ = 1;
  bool starting_ = false;               // inside handler().start()
  std::optional<CniReply> early_reply_;  // done() called from inside start()
  std::unique_ptr<reactor::Timer> deadline_;
  std::unique_ptr<reactor::Timer> idle_;
  std::unique_ptr<reactor::Timer> resume_;  // parses buffered input outside the handler's stack
  std::unique_ptr<reactor::Timer> linger_;
  MonoTime closing_since_;
};

}  // namespace ovnk::cni
