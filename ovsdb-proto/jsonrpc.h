// JSON-RPC 1.0 as OVSDB speaks it (RFC 7047 section 4, ovs lib/jsonrpc.c).
//
// Four message shapes, told apart as ovs does:
//   request       {"method": m, "params": [...], "id": <non-null>}
//   notification  {"method": m, "params": [...], "id": null}   (id may be absent)
//   reply         {"result": r, "error": null, "id": i}        (error may be absent)
//   error reply   {"error": <non-null>, "id": i}               ("result" absent,
//                 null, or anything: the C server omits it)
// The server's keepalive is the request {"method":"echo","params":[],"id":"echo"}:
// answer with encode_echo_reply() or a tcp/ssl connection is dropped.
//
// A parsed Message owns its text; params/result/error are PaddedViews into it,
// kept raw so that the typed decoder (schema, transaction result, update)
// parses them only when and how it needs. Ids are kept as raw JSON ("1",
// "\"echo\"", "null"); our requests use unsigned integer ids (id_number()).
//
// Encoders write compact JSON with members in a fixed order. The *_params
// functions build the "params" array of each client method.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ovsdb-proto/json_value.h"
#include "ovsdb-proto/transaction.h"
#include "ovsdb-proto/uuid.h"

namespace ovnk::ovsdb {

enum class MessageKind : uint8_t { kRequest, kNotification, kReply, kErrorReply };
std::string_view message_kind_name(MessageKind k);

class Message {
 public:
  MessageKind kind() const { return kind_; }
  bool is_request() const { return kind_ == MessageKind::kRequest; }
  bool is_notification() const { return kind_ == MessageKind::kNotification; }
  bool is_reply() const { return kind_ == MessageKind::kReply; }
  bool is_error_reply() const { return kind_ == MessageKind::kErrorReply; }
  bool is_echo_request() const { return kind_ == MessageKind::kRequest && method_ == "echo"; }

  // Requests and notifications.
  const std::string& method() const { return method_; }
  PaddedView params() const { return part(params_); }
  // Replies: the result ("null" text for an error reply without one).
  PaddedView result() const { return part(result_); }
  // Error replies: the error value (typically {"error":..,"details":..} or a string).
  PaddedView error() const { return part(error_); }
  // Raw JSON of the id ("null" for notifications).
  std::string_view id() const { return part(id_).text(); }
  // The id when it is a non-negative integer (our requests' ids).
  std::optional<uint64_t> id_number() const;
  // For error replies, for logs and Error messages: "<error>: <details>" when
  // the error is an object {"error":..,"details":..}, the string when it is a
  // string, else the raw JSON.
  std::string error_text() const;

  // The whole message as received.
  std::string_view text() const { return text_.text(); }

 private:
  friend Result<Message> parse_message(PaddedView json);
  struct Span {
    size_t pos = 0;
    size_t len = 0;
    bool absent = true;  // reads as "null"
  };
  PaddedView part(Span s) const;

  MessageKind kind_ = MessageKind::kNotification;
  std::string method_;
  PaddedString text_;
  Span params_, result_, error_, id_;
};

// Parses one framed message (Framer::next()); the text is copied into the Message.
Result<Message> parse_message(PaddedView json);
Result<Message> parse_message(std::string_view json);

// ---- Encoders --------------------------------------------------------------

// {"id":id,"method":method,"params":params}
std::string encode_request(std::string_view method, std::string_view params_json, uint64_t id);
// {"id":null,"method":method,"params":params}
std::string encode_notification(std::string_view method, std::string_view params_json);
// {"id":id,"result":result,"error":null}; id_json is raw JSON (Message::id()).
std::string encode_reply(std::string_view id_json, std::string_view result_json);
// {"id":id,"result":null,"error":error}
std::string encode_error_reply(std::string_view id_json, std::string_view error_json);
// The reply to a server's echo request: same id, result = its params.
std::string encode_echo_reply(const Message& echo_request);

// ---- Params of the client methods -----------------------------------------

// What a monitor request asks for (RFC 7047 4.1.5 <monitor-select>).
struct MonitorSelect {
  bool initial = true;
  bool insert = true;
  bool remove = true;  // "delete"
  bool modify = true;
};

// One <monitor-request> (or <monitor-cond-request> when `where` is set).
struct MonitorRequest {
  std::string table;
  std::vector<std::string> columns;  // empty = every column
  std::optional<std::vector<Condition>> where;  // monitor_cond / monitor_cond_since only
  MonitorSelect select;
};
// {"Table":[{"columns":[...],"where":[...],"select":{...}}], ...}; several
// requests for one table are grouped into its array, in the order given.
std::string encode_monitor_requests(const std::vector<MonitorRequest>& requests);

namespace params {
std::string list_dbs();                                     // []
std::string get_schema(std::string_view db);                // ["db"]
std::string echo();                                         // []
// monitor / monitor_cond: [db, monitor_id, requests]; monitor_id and requests raw JSON.
std::string monitor(std::string_view db, std::string_view monitor_id_json, std::string_view requests_json);
// monitor_cond_since: [db, monitor_id, requests, last_txn_id]; no last id ->
// the all-zero uuid, which asks for the full snapshot.
std::string monitor_cond_since(std::string_view db, std::string_view monitor_id_json,
                               std::string_view requests_json, const std::optional<Uuid>& last_txn_id);
std::string monitor_cancel(std::string_view monitor_id_json);  // [monitor_id]
std::string set_db_change_aware(bool aware);                    // [true]
std::string lock(std::string_view lock_name);                   // lock/steal/unlock: ["name"]
std::string cancel(std::string_view request_id_json);           // the "cancel" notification: [id]
}  // namespace params

}  // namespace ovnk::ovsdb
