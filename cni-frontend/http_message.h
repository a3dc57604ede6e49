// HTTP/1.1 messages for the CNI socket, sans I/O: a parser (Debian's
// http-parser underneath) fed with whatever bytes arrived, and the formatting
// of the few requests and responses we send.
//
// The parser stops after each complete message, so a server answers pipelined
// requests one by one, in order: feed() returns how many bytes it consumed,
// and the caller keeps the rest for the next feed(). Limits are enforced while
// parsing, before anything is buffered: a declared Content-Length (or a chunked
// body) over max_body is refused with 413 as soon as it is seen; headers over
// http-parser's 80 KiB give 431; anything malformed 400. After an error the
// parser is dead (the connection must be closed).
// "Expect: 100-continue" (curl sends it for bodies over 1 KiB) is reported by
// expects_continue() once the headers are in, so the server can answer
// "100 Continue" before the body arrives.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ovnk::cni::http {

struct Message {
  // Requests:
  std::string method;  // "GET", "POST", ...
  std::string target;  // the request target as sent: "/cni", "/metrics?x=1"
  // Responses:
  int status = 0;
  // Both:
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;  // http_should_keep_alive(): answer with Connection: close if false

  // The path of `target` without query or fragment.
  std::string_view path() const;
  // The first header named `name` (lower-case), or empty.
  std::string_view header(std::string_view name) const;
};

class Parser {
 public:
  enum class Type { kRequest, kResponse };
  enum class Status {
    kNeedMore,  // consumed everything; no complete message yet
    kMessage,   // a message is complete: take() it, then feed the rest
    kError,     // the stream is broken: error_status()/error() say why
  };
  struct Feed {
    Status status;
    size_t consumed;
  };

  Parser(Type type, size_t max_body);
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  Feed feed(std::string_view data);
  // The peer closed: completes a response whose body runs to EOF; kError when
  // a message was cut short, kNeedMore when nothing was pending.
  Status finish();

  Message take();
  // True once per message whose headers asked for "100-continue" (and were
  // accepted); reading it clears it.
  bool take_expect_continue();
  // True while a message has started but is not complete.
  bool in_message() const { return in_message_; }

  int error_status() const { return error_status_; }  // 400, 413 or 431
  const std::string& error() const { return error_; }

 private:
  static int on_message_begin(http_parser* p) noexcept;
  static int on_url(http_parser* p, const char* at, size_t len) noexcept;
  static int on_header_field(http_parser* p, const char* at, size_t len) noexcept;
  static int on_header_value(http_parser* p, const char* at, size_t len) noexcept;
  static int on_headers_complete(http_parser* p) noexcept;
  static int on_body(http_parser* p, const char* at, size_t len) noexcept;
  static int on_message_complete(http_parser* p) noexcept;
  void set_error(int status, std::string message);

  http_parser parser_;
  http_parser_settings settings_;
  Type type_;
  size_t max_body_;
  Message current_;
  bool in_value_ = false;  // the last header callback was a value
  bool in_message_ = false;
  bool complete_ = false;
  bool expect_continue_ = false;
  bool dead_ = false;
  int error_status_ = 0;
  std::string error_;
};

std::string_view reason_phrase(int status);

// A response with Content-Length; "Connection: close" unless keep_alive.
std::string format_response(int status, std::string_view content_type, std::string_view body,
                            bool keep_alive);
// "HTTP/1.1 100 Continue\r\n\r\n".
std::string_view continue_response();
// A POST with a JSON body, as the shim sends it (Connection: close: one
// request per process).
std::string format_post(std::string_view target, std::string_view body);

}  // namespace ovnk::cni::http
