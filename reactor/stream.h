// Stream: a connected byte stream on the loop (a unix or tcp socket, or TLS over
// one), so that the OVSDB client and the HTTP server never care which it is.
//
// Contract, the same for every implementation:
//   - Callbacks go to one StreamHandler and are only ever made from the loop,
//     never from inside a call the owner makes (write(), close(), set_handler()
//     ...), so the owner's state is never re-entered.
//   - Reading starts once a handler is set and is not paused. Each wake-up reads
//     at most StreamOptions::read_budget bytes (one busy peer cannot starve the
//     others; the rest is read on the next iteration) and hands them over in
//     chunks of at most read_chunk bytes.
//   - on_eof: the peer half-closed; no more on_data, but writing still works.
//   - on_error: the connection is dead; it is the last callback. The stream is
//     then closed (is_open() == false) and only waits to be destroyed.
//   - write() never drops bytes of an open stream and never blocks: the bytes
//     are queued (or sent at once). It returns false when, after queuing, the
//     outbound queue is above its high-water mark: the caller should stop
//     writing until on_drained(), which comes once the queue is back below the
//     low-water mark. That is the backpressure contract. A caller that ignores
//     it and pushes the queue over max_queued gets the connection failed
//     (on_error), so a peer that never reads cannot make us buffer without
//     bound. write() on a stream that is closed, failed or shut down for
//     writing queues nothing and returns false.
//   - shutdown_write(): half-close once everything queued is flushed.
//   - close(): immediate; queued bytes are dropped; no callback afterwards.
//     Destroying the stream is the same. A handler may destroy the stream from
//     inside a callback (the implementations detect it), but the house rule is
//     loop.delete_later() for objects on the call stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ovnk::reactor {

struct StreamOptions {
  size_t high_water = 1u << 20;   // write() returns false above this many queued bytes
  size_t low_water = 256u << 10;  // on_drained() when the queue is back at or below this
  size_t max_queued = 64u << 20;  // hard cap: beyond it the connection fails; 0 = none
  size_t read_chunk = 64u << 10;  // largest on_data() chunk
  size_t read_budget = 256u << 10;  // bytes read per wake-up before yielding
};

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void on_data(std::string_view data) = 0;
  virtual void on_eof() = 0;
  virtual void on_error(const Error& error) = 0;
  virtual void on_drained() {}
};

class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  virtual ~Stream() = default;

  // Non-owning; the handler must outlive the stream or be replaced first.
  // nullptr stops callbacks (and reading).
  virtual void set_handler(StreamHandler* handler) = 0;

  virtual bool write(std::string_view data) = 0;
  virtual size_t queued_bytes() const = 0;
  virtual void shutdown_write() = 0;
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  virtual void close() = 0;
  // False after close() or once the connection failed.
  virtual bool is_open() const = 0;

  // For logs: "tcp:127.0.0.1:6641", "unix:/run/x.sock", "tls+tcp:...".
  virtual const std::string& peer_name() const = 0;
  virtual const std::string& local_name() const = 0;
};

// Lets an object learn that a callback it made destroyed it, so it can stop
// touching its members. Nesting-safe: an outer call also sees the destruction.
//
//   if (!guard_.call([&] { handler_->on_data(d); })) return;  // `this` is gone
class DestructionGuard {
 public:
  DestructionGuard() = default;
  DestructionGuard(const DestructionGuard&) = delete;
  DestructionGuard& operator=(const DestructionGuard&) = delete;
  ~DestructionGuard() {
    if (destroyed_ != nullptr) *destroyed_ = true;
  }

  // Runs fn; returns false when the owner was destroyed during it.
  template <class F>
  bool call(F&& fn) {
    bool destroyed = false;
    bool* outer = destroyed_;
    destroyed_ = &destroyed;
    fn();
    if (destroyed) {
      if (outer != nullptr) *outer = true;
      return false;
    }
    destroyed_ = outer;
    return true;
  }

 private:
  bool* destroyed_ = nullptr;
};

}  // namespace ovnk::reactor
