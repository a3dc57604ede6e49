#include "ovsdb-proto/rpc_connection.h"

#include <cerrno>
#include <utility>

#include "base/log.h"

namespace ovnk::ovsdb {

RpcConnection::RpcConnection(std::unique_ptr<reactor::Stream> stream, Handler& handler, std::string name,
                             size_t max_message_size)
    : stream_(std::move(stream)), handler_(handler), name_(std::move(name)), framer_(max_message_size) {
  stream_->set_handler(this);
}

RpcConnection::~RpcConnection() {
  if (stream_) {
    stream_->set_handler(nullptr);
    stream_->close();
  }
}

size_t RpcConnection::queued_bytes() const { return stream_ ? stream_->queued_bytes() : 0; }

void RpcConnection::close() {
  if (!open_) return;
  open_ = false;
  stream_->set_handler(nullptr);
  stream_->close();
}

bool RpcConnection::write(std::string_view json) {
  if (!open_) return false;
  ++stats_.messages_out;
  stats_.bytes_out += json.size();
  if (!stream_->write(json)) congested_ = true;
  return true;
}

bool RpcConnection::send_request(std::string_view method, std::string_view params_json, uint64_t id) {
  std::string text = encode_request(method, params_json, id);
  LOG_DEBUG("ovsdb_rpc_send", log::kv("remote", name_), log::kv("method", method), log::kv("id", id),
            log::kv("bytes", text.size()));
  return write(text);
}

bool RpcConnection::send_raw(std::string_view json, std::string_view what) {
  LOG_DEBUG("ovsdb_rpc_send", log::kv("remote", name_), log::kv("method", what),
            log::kv("bytes", json.size()));
  return write(json);
}

bool RpcConnection::send_notification(std::string_view method, std::string_view params_json) {
  LOG_DEBUG("ovsdb_rpc_send", log::kv("remote", name_), log::kv("method", method));
  return write(encode_notification(method, params_json));
}

void RpcConnection::on_data(std::string_view data) {
  if (!open_) return;
  stats_.bytes_in += data.size();
  if (!guard_.call([&] { handler_.on_activity(); })) return;
  if (!open_) return;
  framer_.feed(data);
  dispatch_messages();
}

bool RpcConnection::dispatch_messages() {
  while (open_) {
    auto next = framer_.next();
    if (!next.ok()) return fail(std::move(next).error().with_context("from " + name_));
    if (!next->has_value()) return true;
    auto parsed = parse_message(**next);
    if (!parsed.ok()) return fail(std::move(parsed).error().with_context("from " + name_));
    const Message& m = *parsed;
    ++stats_.messages_in;
    if (log::enabled(log::Level::kDebug)) {
      LOG_DEBUG("ovsdb_rpc_recv", log::kv("remote", name_), log::kv("kind", message_kind_name(m.kind())),
                log::kv("method", m.method()), log::kv("id", m.id()), log::kv("bytes", m.text().size()));
    }
    bool alive = true;
    switch (m.kind()) {
      case MessageKind::kRequest:
        if (m.is_echo_request()) {
          ++stats_.echo_requests_answered;
          write(encode_echo_reply(m));
        } else {
          alive = guard_.call([&] {
            if (!handler_.on_request(m)) {
              write(encode_error_reply(m.id(), "\"unknown method\""));
            }
          });
        }
        break;
      case MessageKind::kNotification:
        alive = guard_.call([&] { handler_.on_notification(m); });
        break;
      case MessageKind::kReply:
      case MessageKind::kErrorReply:
        alive = guard_.call([&] { handler_.on_reply(m); });
        break;
    }
    if (!alive) return false;
  }
  return false;
}

void RpcConnection::on_eof() {
  if (!open_) return;
  fail(make_error("ovsdb", ECONNRESET, "connection closed by " + name_));
}

void RpcConnection::on_error(const Error& error) {
  if (!open_) return;
  fail(error);
}

void RpcConnection::on_drained() {
  if (!open_ || !congested_) return;
  congested_ = false;
  guard_.call([&] { handler_.on_writable(); });
}

bool RpcConnection::fail(Error reason) {
  if (!open_) return false;
  close();
  guard_.call([&] { handler_.on_closed(reason); });
  return false;
}

}  // namespace ovnk::ovsdb
