// RpcConnection: JSON-RPC 1.0, the OVSDB way, over one connected Stream.
//
// It frames the incoming byte stream into messages (Framer), parses them
// (parse_message), answers the server's "echo" requests itself (a tcp/ssl
// server drops clients that do not), and hands everything else to its Handler:
// replies and error replies (the owner matches them to its requests by id),
// notifications, and the rare request other than echo. Outgoing messages are
// written to the stream as they come; the stream queues what the kernel does
// not take, and congested() tells the owner to hold back bulk writes until
// on_writable(). Reading never stops: ovsdb-server stops reading from a client
// whose output it cannot flush, so a client that stopped reading while it had
// things to send would deadlock with the server.
//
// Invariants: callbacks come only from the loop (stream events), never from
// inside send()/close(). on_closed() is the last callback and comes once; after
// it, or after close(), nothing is sent and nothing is delivered. A handler may
// destroy the connection from any callback (the house rule is
// loop.delete_later()); the connection notices and stops touching itself.
// Untrusted input (garbage, a message over the size limit, JSON that is not a
// JSON-RPC message) closes the connection with an "ovsdb" error; it never
// crashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ovsdb-proto/framing.h"
#include "ovsdb-proto/jsonrpc.h"
#include "reactor/loop.h"
#include "reactor/stream.h"

namespace ovnk::ovsdb {

struct RpcStats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t echo_requests_answered = 0;
};

class RpcConnection final : private reactor::StreamHandler {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A reply or an error reply (Message::kind() says which).
    virtual void on_reply(const Message& reply) = 0;
    virtual void on_notification(const Message& notification) = 0;
    // A request other than "echo". Default: answered with the error "unknown method".
    virtual bool on_request(const Message& request) {
      (void)request;
      return false;
    }
    // Bytes arrived (before they are parsed): what the inactivity probe counts.
    virtual void on_activity() {}
    // The stream has room again after congested() was true.
    virtual void on_writable() {}
    // The connection is gone: peer closed, I/O error, or a protocol error.
    virtual void on_closed(const Error& reason) = 0;
  };

  // `name` is the remote for logs ("tcp:127.0.0.1:6641").
  RpcConnection(std::unique_ptr<reactor::Stream> stream, Handler& handler, std::string name,
                size_t max_message_size = Framer::kDefaultMaxMessageSize);
  ~RpcConnection() override;
  RpcConnection(const RpcConnection&) = delete;
  RpcConnection& operator=(const RpcConnection&) = delete;

  // Ids for requests: increasing, never reused on this connection.
  uint64_t next_id() { return next_id_++; }
  // Sends {"id":id,"method":..,"params":..}; returns false when closed.
  bool send_request(std::string_view method, std::string_view params_json, uint64_t id);
  // Sends a complete message already encoded (e.g. TransactionBuilder::request_json).
  // `what` names it in debug logs.
  bool send_raw(std::string_view json, std::string_view what);
  bool send_notification(std::string_view method, std::string_view params_json);

  // The stream's queue is over its high-water mark: hold back what can wait.
  bool congested() const { return congested_; }
  size_t queued_bytes() const;
  bool is_open() const { return open_; }
  const std::string& name() const { return name_; }
  const RpcStats& stats() const { return stats_; }

  // Closes now; queued output is dropped, no callback afterwards.
  void close();

 private:
  void on_data(std::string_view data) override;
  void on_eof() override;
  void on_error(const Error& error) override;
  void on_drained() override;

  bool write(std::string_view json);
  // Parses and dispatches what the framer holds; false when `this` was destroyed
  // or the connection closed.
  bool dispatch_messages();
  // Closes and reports; false when `this` was destroyed by the handler.
  bool fail(Error reason);

  std::unique_ptr<reactor::Stream> stream_;
  Handler& handler_;
  std::string name_;
  Framer framer_;
  RpcStats stats_;
  uint64_t next_id_ = 1;
  bool open_ = true;
  bool congested_ = false;
  reactor::DestructionGuard guard_;
};

}  // namespace ovnk::ovsdb
