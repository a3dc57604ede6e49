#include "cni-frontend/server_connection.h"

#include <algorithm>

#include "base/log.h"
#include "cni-frontend/config.h"
#include "cni-frontend/request.h"
#include "cni-frontend/request_codec.h"
#include "cni-frontend/result.h"

namespace ovnk::cni {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr Duration kLingerPoll = std::chrono::milliseconds(20);

std::string_view path_label(std::string_view path) {
  if (path == "/cni" || path == "/healthz" || path == "/metrics") return path;
  return "other";
}

std::string describe(const CniRequest& r) {
  std::string out(command_name(r.command));
  if (!r.container_id.empty()) out.append(" ").append(r.container_id);
  if (r.args.has_pod()) out.append(" ").append(r.args.pod_namespace).append("/").append(r.args.pod_name);
  return out;
}

std::string seconds_text(Duration d) {
  return std::to_string(to_whole_millis(d) / 1000) + "." +
         std::to_string((to_whole_millis(d) % 1000) / 100) + " s";
}

}  // namespace

ServerConnection::ServerConnection(ServerContext& context, std::unique_ptr<reactor::Stream> stream)
    : ctx_(context),
      stream_(std::move(stream)),
      parser_(http::Parser::Type::kRequest, context.options().max_request_bytes) {
  reactor::Loop& loop = ctx_.loop();
  deadline_ = loop.make_timer([this] { on_deadline(); });
  idle_ = loop.make_timer([this] {
    LOG_DEBUG("cni_connection_idle", log::kv("peer", stream_->peer_name()));
    release();
  });
  resume_ = loop.make_timer([this] { process_input(); });
  linger_ = loop.make_timer([this] { check_closing(); });
  stream_->set_handler(this);
  arm_idle();
}

ServerConnection::~ServerConnection() {
  // Normally released first (no pending call). A connection destroyed some
  // other way still honours the handler contract: cancel before destroying.
  if (pending_ && pending_->call) pending_->call->cancel(CancelReason::kShutdown);
}

void ServerConnection::arm_idle() {
  if (state_ == State::kReading) idle_->start(ctx_.options().idle_timeout);
}

void ServerConnection::on_data(std::string_view data) {
  if (state_ != State::kReading && state_ != State::kHandling) return;  // closing: discard
  input_.append(data);
  if (state_ == State::kReading) {
    process_input();
  } else if (input_.size() > ctx_.options().max_request_bytes) {
    // A client pipelining a lot while its request is handled: stop reading
    // until we get to it (we then no longer notice it leaving; its problem).
    stream_->pause_reading();
  }
}

void ServerConnection::on_eof() {
  peer_eof_ = true;
  switch (state_) {
    case State::kReading:
      process_input();
      return;
    case State::kHandling:
      LOG_INFO("cni_client_gone", log::kv("peer", stream_->peer_name()),
               log::kv("request", pending_ ? pending_->who : std::string()));
      shut(CancelReason::kClientGone);
      return;
    case State::kClosing:
      check_closing();
      return;
    case State::kReleased:
      return;
  }
}

void ServerConnection::on_error(const Error& error) {
  if (state_ == State::kReleased) return;
  LOG_DEBUG("cni_connection_error", log::kv("peer", stream_->peer_name()), log::kv("error", error));
  shut(CancelReason::kClientGone);
}

void ServerConnection::shut(CancelReason reason) {
  cancel_pending(reason);
  release();
}

void ServerConnection::process_input() {
  while (state_ == State::kReading && !input_.empty()) {
    const auto fed = parser_.feed(input_.readable());
    input_.consume(fed.consumed);
    if (parser_.take_expect_continue()) stream_->write(http::continue_response());
    if (fed.status == http::Parser::Status::kError) {
      LOG_INFO("cni_bad_http", log::kv("peer", stream_->peer_name()),
               log::kv("status", parser_.error_status()), log::kv("error", parser_.error()));
      // An error object even here, so that the shim (and curl) read a CNI
      // code: a body over the limit is an oversized network config (7).
      head_only_ = false;
      const CniError error = CniError::make(
          parser_.error_status() == 413 ? Code::kInvalidConfig : Code::kDecodeFailure,
          "request refused by the ovnk daemon", parser_.error());
      answer("other", parser_.error_status(), kJson,
             encode_error(error, version_string(kLatestVersion)), false);
      return;
    }
    if (fed.status == http::Parser::Status::kMessage) {
      dispatch(parser_.take());
      continue;
    }
    break;  // a partial request: wait for more
  }
  if (state_ != State::kReading) return;
  stream_->resume_reading();
  if (peer_eof_) {
    if (parser_.in_message()) {
      head_only_ = false;
      answer("other", 400, kText, "connection closed in the middle of a request\n", false);
    } else {
      close_gracefully();  // lets an answer still queued reach the peer
    }
    return;
  }
  arm_idle();
}

void ServerConnection::dispatch(http::Message message) {
  keep_alive_ = message.keep_alive;
  head_only_ = message.method == "HEAD";
  const std::string_view path = message.path();
  const bool get = message.method == "GET" || message.method == "HEAD";
  if (path == "/cni") {
    if (message.method != "POST") {
      answer(path, 405, kText, "use POST for /cni\n", keep_alive_);
      return;
    }
    start_cni(message);
  } else if (path == "/healthz") {
    if (!get) {
      answer(path, 405, kText, "use GET for /healthz\n", keep_alive_);
      return;
    }
    answer(path, 200, kText, "ok\n", keep_alive_);
  } else if (path == "/metrics") {
    if (!get) {
      answer(path, 405, kText, "use GET for /metrics\n", keep_alive_);
      return;
    }
    answer(path, 200, kMetricsType, ctx_.registry().render(), keep_alive_);
  } else {
    answer("other", 404, kText, "not found: the CNI server serves /cni, /healthz, /metrics\n",
           keep_alive_);
  }
}

void ServerConnection::answer_cni_error(const CniError& error, std::string_view version,
                                        std::string_view command) {
  LOG_INFO("cni_request_invalid", log::kv("peer", stream_->peer_name()),
           log::kv("command", command), log::kv("code", error.code), log::kv("msg", error.msg),
           log::kv("details", error.details));
  ctx_.request_answered(command, error.code, Duration::zero());
  answer("/cni", http_status_for(error.code), kJson, encode_error(error, version), keep_alive_);
}

void ServerConnection::start_cni(const http::Message& message) {
  auto body = decode_request_body(message.body);
  if (!body.ok()) {
    answer_cni_error(CniError::from_error(body.error()), version_string(kLatestVersion), "invalid");
    return;
  }
  auto request = make_request(body->env, body->config_json);
  if (!request.ok()) {
    auto command = parse_command(body->env.command);
    answer_cni_error(CniError::from_error(request.error()), reply_version(body->config_json),
                     command.ok() ? command_name(*command) : "invalid");
    return;
  }

  Pending p;
  p.kind = request->command;
  p.command = std::string(command_name(request->command));
  p.cni_version = request->config.cni_version;
  p.version = request->config.version;
  p.who = describe(*request);
  p.started = ctx_.loop().now();
  p.seq = next_seq_++;
  const uint64_t seq = p.seq;
  pending_ = std::move(p);
  state_ = State::kHandling;
  idle_->stop();
  deadline_->start(std::min(ctx_.options().request_timeout, request->config.timeout));
  ctx_.request_started();
  LOG_DEBUG("cni_request_started", log::kv("request", pending_->who));

  starting_ = true;
  std::unique_ptr<CniCall> call =
      ctx_.handler().start(*request, [this, seq](CniReply reply) { on_handler_done(seq, std::move(reply)); });
  starting_ = false;
  if (early_reply_) {
    // Answered from inside start(): the handler's frames are gone now.
    call.reset();
    CniReply reply = std::move(*early_reply_);
    early_reply_.reset();
    complete(std::move(reply));
    return;
  }
  if (pending_ && pending_->seq == seq) pending_->call = std::move(call);
}

void ServerConnection::on_handler_done(uint64_t seq, CniReply reply) {
  if (!pending_ || pending_->seq != seq || state_ != State::kHandling) {
    // The handler broke its contract (answered after a cancel): drop it.
    LOG_WARN("cni_late_answer_dropped", log::kv("seq", seq));
    return;
  }
  if (starting_) {
    early_reply_ = std::move(reply);
    return;
  }
  // We are on the handler's stack: its call object may be too.
  if (pending_->call) ctx_.loop().delete_later(std::move(pending_->call));
  complete(std::move(reply));
  // Pipelined input waits for the next iteration, off the handler's stack.
  if (state_ == State::kReading) resume_->start(Duration::zero());
}

void ServerConnection::complete(CniReply reply) {
  deadline_->stop();
  Pending p = std::move(*pending_);
  pending_.reset();
  ctx_.request_ended();
  const Duration took = ctx_.loop().now() - p.started;

  int status = 200;
  int code = 0;
  std::string body;
  if (!reply.error && p.kind == Command::kAdd && !reply.result) {
    reply.error = CniError::make(Code::kInternal, "the pod pipeline answered ADD without a result");
  }
  if (reply.error) {
    code = reply.error->code;
    status = http_status_for(code);
    body = encode_error(*reply.error, p.cni_version);
    LOG_INFO("cni_request_failed", log::kv("request", p.who), log::kv("code", code),
             log::kv("msg", reply.error->msg), log::kv("details", reply.error->details),
             log::kv("ms", to_millis(took)));
  } else {
    // Only ADD prints a result; DEL, CHECK, GC and STATUS print nothing.
    if (p.kind == Command::kAdd) body = encode_result(*reply.result, p.version);
    LOG_INFO("cni_request_done", log::kv("request", p.who), log::kv("ms", to_millis(took)));
  }
  ctx_.request_answered(p.command, code, took);
  state_ = State::kReading;
  answer("/cni", status, body.empty() ? std::string_view() : kJson, body, keep_alive_);
}

void ServerConnection::on_deadline() {
  if (!pending_ || state_ != State::kHandling) return;
  const Duration took = ctx_.loop().now() - pending_->started;
  LOG_WARN("cni_request_timeout", log::kv("request", pending_->who), log::kv("ms", to_millis(took)));
  if (pending_->call) {
    pending_->call->cancel(CancelReason::kDeadline);
    ctx_.loop().delete_later(std::move(pending_->call));
  }
  ctx_.request_cancelled(CancelReason::kDeadline);
  const std::string who = pending_->who;
  complete(CniReply::failure(CniError::make(
      Code::kTimeout, "timed out in the ovnk daemon",
      who + " was cancelled after " + seconds_text(took) +
          " (timeoutSeconds in the network config, or the daemon's request timeout)")));
  if (state_ == State::kReading) process_input();
}

void ServerConnection::cancel_pending(CancelReason reason) {
  if (!pending_) return;
  deadline_->stop();
  Pending p = std::move(*pending_);
  pending_.reset();
  early_reply_.reset();
  if (p.call) {
    p.call->cancel(reason);
    ctx_.loop().delete_later(std::move(p.call));
  }
  ctx_.request_ended();
  ctx_.request_cancelled(reason);
  ctx_.request_answered(p.command, -1, ctx_.loop().now() - p.started);
  LOG_INFO("cni_request_cancelled", log::kv("request", p.who),
           log::kv("reason", cancel_reason_name(reason)));
}

void ServerConnection::answer(std::string_view path, int status, std::string_view content_type,
                              std::string_view body, bool keep_alive) {
  ctx_.http_answered(path_label(path), status);
  std::string response = http::format_response(status, content_type, body, keep_alive);
  if (head_only_) response.resize(response.size() - body.size());  // HEAD: headers only
  stream_->write(response);
  if (!keep_alive) close_gracefully();
}

void ServerConnection::close_gracefully() {
  if (state_ == State::kClosing || state_ == State::kReleased) return;
  state_ = State::kClosing;
  idle_->stop();
  stream_->shutdown_write();
  closing_since_ = ctx_.loop().now();
  linger_->start(kLingerPoll, kLingerPoll);
  check_closing();
}

void ServerConnection::check_closing() {
  if (state_ != State::kClosing) return;
  const bool flushed = stream_->queued_bytes() == 0;
  const bool expired = ctx_.loop().now() - closing_since_ >= ctx_.options().linger_timeout;
  if ((peer_eof_ && flushed) || !stream_->is_open() || expired) release();
}

void ServerConnection::release() {
  if (state_ == State::kReleased) return;
  state_ = State::kReleased;
  deadline_->stop();
  idle_->stop();
  resume_->stop();
  linger_->stop();
  stream_->set_handler(nullptr);
  stream_->close();
  ctx_.release(this);
}

}  // namespace ovnk::cni
