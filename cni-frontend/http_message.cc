#include "cni-frontend/http_message.h"

namespace ovnk::cni::http {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Parser* self(http_parser* p) { return static_cast<Parser*>(p->data); }

}  // namespace

std::string_view Message::path() const {
  std::string_view t = target;
  const size_t end = t.find_first_of("?#");
  return end == std::string_view::npos ? t : t.substr(0, end);
}

std::string_view Message::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

Parser::Parser(Type type, size_t max_body) : type_(type), max_body_(max_body) {
  http_parser_init(&parser_, type == Type::kRequest ? HTTP_REQUEST : HTTP_RESPONSE);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &Parser::on_message_begin;
  settings_.on_url = &Parser::on_url;
  settings_.on_header_field = &Parser::on_header_field;
  settings_.on_header_value = &Parser::on_header_value;
  settings_.on_headers_complete = &Parser::on_headers_complete;
  settings_.on_body = &Parser::on_body;
  settings_.on_message_complete = &Parser::on_message_complete;
}

void Parser::set_error(int status, std::string message) {
  if (error_status_ == 0) {
    error_status_ = status;
    error_ = std::move(message);
  }
  dead_ = true;
}

Parser::Feed Parser::feed(std::string_view data) {
  if (dead_) return {Status::kError, 0};
  if (complete_) return {Status::kMessage, 0};  // take() the previous one first
  const size_t n = http_parser_execute(&parser_, &settings_, data.data(), data.size());
  if (complete_) return {Status::kMessage, n};
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err != HPE_OK) {
    if (err == HPE_HEADER_OVERFLOW) {
      set_error(431, "request headers too large");
    } else {
      set_error(400, std::string("malformed HTTP message: ") + http_errno_description(err));
    }
    return {Status::kError, n};
  }
  return {Status::kNeedMore, n};
}

Parser::Status Parser::finish() {
  if (dead_) return Status::kError;
  if (complete_) return Status::kMessage;
  http_parser_execute(&parser_, &settings_, nullptr, 0);
  if (complete_) return Status::kMessage;
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || in_message_) {
    set_error(400, "connection closed in the middle of a message");
    return Status::kError;
  }
  return Status::kNeedMore;
}

Message Parser::take() {
  complete_ = false;
  in_message_ = false;
  Message out = std::move(current_);
  current_ = Message{};
  // on_message_complete paused the parser so that it stops at the message's
  // end; the next feed() carries on.
  http_parser_pause(&parser_, 0);
  return out;
}

bool Parser::take_expect_continue() {
  const bool out = expect_continue_;
  expect_continue_ = false;
  return out;
}

int Parser::on_message_begin(http_parser* p) noexcept {
  Parser* s = self(p);
  s->current_ = Message{};
  s->in_message_ = true;
  s->in_value_ = false;
  s->expect_continue_ = false;
  return 0;
}

int Parser::on_url(http_parser* p, const char* at, size_t len) noexcept {
  self(p)->current_.target.append(at, len);
  return 0;
}

int Parser::on_header_field(http_parser* p, const char* at, size_t len) noexcept {
  Parser* s = self(p);
  auto& headers = s->current_.headers;
  // http-parser may split a name across calls; a new name starts after a value.
  if (s->in_value_ || headers.empty()) headers.emplace_back();
  s->in_value_ = false;
  for (size_t i = 0; i < len; ++i) headers.back().first.push_back(lower(at[i]));
  return 0;
}

int Parser::on_header_value(http_parser* p, const char* at, size_t len) noexcept {
  Parser* s = self(p);
  if (s->current_.headers.empty()) s->current_.headers.emplace_back();
  s->in_value_ = true;
  s->current_.headers.back().second.append(at, len);
  return 0;
}

int Parser::on_headers_complete(http_parser* p) noexcept {
  Parser* s = self(p);
  if (p->http_major != 1) {
    s->set_error(400, "only HTTP/1.x is spoken here");
    return -1;
  }
  if (s->type_ == Type::kRequest) {
    s->current_.method = http_method_str(static_cast<http_method>(p->method));
  } else {
    s->current_.status = static_cast<int>(p->status_code);
  }
  if ((p->flags & F_CONTENTLENGTH) != 0 && p->content_length > s->max_body_) {
    s->set_error(413, "body of " + std::to_string(p->content_length) + " bytes is over the " +
                          std::to_string(s->max_body_) + " byte limit");
    return -1;  // anything but 0, 1, 2 makes http-parser stop with an error
  }
  if (s->type_ == Type::kRequest && iequals(s->current_.header("expect"), "100-continue")) {
    s->expect_continue_ = true;
  }
  return 0;
}

int Parser::on_body(http_parser* p, const char* at, size_t len) noexcept {
  Parser* s = self(p);
  if (s->current_.body.size() + len > s->max_body_) {
    s->set_error(413, "body is over the " + std::to_string(s->max_body_) + " byte limit");
    return -1;
  }
  s->current_.body.append(at, len);
  return 0;
}

int Parser::on_message_complete(http_parser* p) noexcept {
  Parser* s = self(p);
  s->complete_ = true;
  s->expect_continue_ = false;  // the body is already here: no 100 needed
  s->current_.keep_alive = http_should_keep_alive(p) != 0 && p->upgrade == 0;
  if (s->type_ == Type::kResponse) s->current_.status = static_cast<int>(p->status_code);
  http_parser_pause(p, 1);
  return 0;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string format_response(int status, std::string_view content_type, std::string_view body,
                            bool keep_alive) {
  std::string out;
  out.reserve(128 + body.size());
  out.append("HTTP/1.1 ").append(std::to_string(status)).push_back(' ');
  out.append(reason_phrase(status)).append("\r\n");
  if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(body);
  return out;
}

std::string_view continue_response() { return "HTTP/1.1 100 Continue\r\n\r\n"; }

std::string format_post(std::string_view target, std::string_view body) {
  std::string out;
  out.reserve(160 + body.size());
  out.append("POST ").append(target).append(" HTTP/1.1\r\n");
  out.append("Host: ovnk-reactor\r\nContent-Type: application/json\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("Connection: close\r\n\r\n").append(body);
  return out;
}

}  // namespace ovnk::cni::http
