#include "ovsdb-proto/jsonrpc.h"

#include <charconv>
#include <map>

#include "ovsdb-proto/detail/simd.h"
#include "ovsdb-proto/json_writer.h"

namespace ovnk::ovsdb {

using detail::proto_error;

namespace {

// "null" followed by padding: what absent members read as.
constexpr char kNullPadded[4 + kJsonPadding] = {'n', 'u', 'l', 'l'};

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The raw text of any on-demand value (objects/arrays skipped, not parsed).
simdjson::error_code raw_of(simdjson::ondemand::value v, std::string_view& out) {
  simdjson::ondemand::json_type t;
  if (auto err = v.type().get(t)) return err;
  if (t == simdjson::ondemand::json_type::object) {
    simdjson::ondemand::object o;
    if (auto err = v.get_object().get(o)) return err;
    return o.raw_json().get(out);
  }
  if (t == simdjson::ondemand::json_type::array) {
    simdjson::ondemand::array a;
    if (auto err = v.get_array().get(a)) return err;
    return a.raw_json().get(out);
  }
  // Scalars are validated here (objects and arrays are validated by whoever
  // decodes them): "nulla" or "1x" must not pass as an id or a result.
  out = trim_right(v.raw_json_token());
  switch (t) {
    case simdjson::ondemand::json_type::number: {
      simdjson::ondemand::number n;
      return v.get_number().get(n);
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b = false;
      return v.get_bool().get(b);
    }
    case simdjson::ondemand::json_type::null: {
      bool is_null = false;
      if (auto err = v.is_null().get(is_null)) return err;
      return is_null ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
    }
    default: return simdjson::INCORRECT_TYPE;
  }
}

bool is_null_text(std::string_view raw) { return raw == "null"; }

}  // namespace

std::string_view message_kind_name(MessageKind k) {
  switch (k) {
    case MessageKind::kRequest: return "request";
    case MessageKind::kNotification: return "notification";
    case MessageKind::kReply: return "reply";
    case MessageKind::kErrorReply: return "error reply";
  }
  return "?";
}

PaddedView Message::part(Span s) const {
  if (s.absent) return PaddedView::assume_padded(std::string_view(kNullPadded, 4));
  return text_.view().sub(s.pos, s.len);
}

std::optional<uint64_t> Message::id_number() const {
  std::string_view raw = id();
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
  if (ec != std::errc() || ptr != raw.data() + raw.size() || raw.empty()) return std::nullopt;
  return v;
}

std::string Message::error_text() const {
  std::string_view raw = error().text();
  detail::ScratchParser parser(raw.size());
  auto e = detail::parse_dom(parser.get(), error());
  if (!e.ok()) return std::string(raw);
  std::string_view s;
  if (!e->get_string().get(s)) return std::string(s);
  simdjson::dom::object o;
  if (!e->get_object().get(o)) {
    std::string_view err;
    std::string_view details;
    if (!o["error"].get_string().get(err)) {
      std::string out(err);
      if (!o["details"].get_string().get(details) && !details.empty()) out.append(": ").append(details);
      return out;
    }
  }
  return std::string(raw);
}

Result<Message> parse_message(PaddedView json) {
  Message m;
  m.text_ = PaddedString(json.text());
  PaddedView text = m.text_.view();
  const char* base = text.data();

  static thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  auto bad = [](std::string_view what) { return proto_error(errc::kSyntax, std::string("JSON-RPC: ") + std::string(what)); };
  auto simd_bad = [&](simdjson::error_code err) {
    return bad(std::string("invalid JSON: ") + simdjson::error_message(err));
  };
  if (text.empty()) return bad("empty message");
  if (auto err = parser.iterate(simdjson::padded_string_view(text.data(), text.size(), text.size() + kJsonPadding))
                     .get(doc)) {
    return simd_bad(err);
  }
  simdjson::ondemand::object obj;
  if (auto err = doc.get_object().get(obj)) {
    return err == simdjson::INCORRECT_TYPE ? bad("message is not a JSON object") : simd_bad(err);
  }

  bool has_method = false;
  bool has_params = false;
  bool has_result = false;
  bool has_error = false;
  bool has_id = false;
  auto span_of = [&](std::string_view raw) {
    return Message::Span{static_cast<size_t>(raw.data() - base), raw.size(), false};
  };
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    if (auto err = std::move(field_result).get(field)) return simd_bad(err);
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return simd_bad(err);
    simdjson::ondemand::value v = field.value();
    if (key == "method") {
      std::string_view method;
      if (v.get_string().get(method)) return bad("\"method\" is not a string");
      m.method_ = std::string(method);
      has_method = true;
      continue;
    }
    std::string_view raw;
    if (auto err = raw_of(v, raw)) return simd_bad(err);
    raw = trim_right(raw);  // simdjson's raw spans include trailing whitespace
    if (raw.empty()) return bad("empty member value");
    if (key == "params") {
      if (raw.front() != '[') return bad("\"params\" is not an array");
      m.params_ = span_of(raw);
      has_params = true;
    } else if (key == "result") {
      m.result_ = span_of(raw);
      has_result = true;
    } else if (key == "error") {
      m.error_ = span_of(raw);
      has_error = !is_null_text(raw);
      if (!has_error) m.error_.absent = true;
    } else if (key == "id") {
      m.id_ = span_of(raw);
      has_id = !is_null_text(raw);
    }
    // Other members are ignored, as ovs does not send any.
  }
  // Anything but whitespace after the object (parse_message(string_view) on
  // unframed input): simdjson reports a location only while tokens remain.
  const char* rest = nullptr;
  if (!doc.current_location().get(rest)) {
    std::string_view tail(rest, static_cast<size_t>(text.data() + text.size() - rest));
    if (!trim_right(tail).empty()) return bad("trailing content after the message");
  }

  if (has_method) {
    if (has_result || has_error) return bad("message has both \"method\" and \"result\"/\"error\"");
    if (!has_params) return bad("request without \"params\"");
    m.kind_ = has_id ? MessageKind::kRequest : MessageKind::kNotification;
    if (!has_id) m.id_ = Message::Span{};
    return m;
  }
  if (!has_id) return bad("reply without \"id\"");
  if (has_error) {
    m.kind_ = MessageKind::kErrorReply;
    return m;
  }
  if (!has_result) return bad("message has neither \"method\", \"result\" nor \"error\"");
  m.kind_ = MessageKind::kReply;
  return m;
}

Result<Message> parse_message(std::string_view json) {
  PaddedString padded(json);
  return parse_message(padded.view());
}

// ---- Encoders ---------------------------------------------------------------

std::string encode_request(std::string_view method, std::string_view params_json, uint64_t id) {
  JsonWriter w;
  w.start_object().key("id").uinteger(id).key("method").string(method).key("params").raw(params_json).end_object();
  return w.take();
}

std::string encode_notification(std::string_view method, std::string_view params_json) {
  JsonWriter w;
  w.start_object().key("id").null().key("method").string(method).key("params").raw(params_json).end_object();
  return w.take();
}

std::string encode_reply(std::string_view id_json, std::string_view result_json) {
  JsonWriter w;
  w.start_object().key("id").raw(id_json).key("result").raw(result_json).key("error").null().end_object();
  return w.take();
}

std::string encode_error_reply(std::string_view id_json, std::string_view error_json) {
  JsonWriter w;
  w.start_object().key("id").raw(id_json).key("result").null().key("error").raw(error_json).end_object();
  return w.take();
}

std::string encode_echo_reply(const Message& echo_request) {
  return encode_reply(echo_request.id(), echo_request.params().text());
}

// ---- Params ---------------------------------------------------------------------

namespace {

void write_select(JsonWriter& w, const MonitorSelect& s) {
  w.start_object();
  w.key("initial").boolean(s.initial);
  w.key("insert").boolean(s.insert);
  w.key("delete").boolean(s.remove);
  w.key("modify").boolean(s.modify);
  w.end_object();
}

}  // namespace

std::string encode_monitor_requests(const std::vector<MonitorRequest>& requests) {
  // Group by table, keeping the first-seen order of tables.
  std::vector<std::string_view> order;
  std::map<std::string_view, std::vector<const MonitorRequest*>> by_table;
  for (const auto& r : requests) {
    auto& v = by_table[r.table];
    if (v.empty()) order.push_back(r.table);
    v.push_back(&r);
  }
  JsonWriter w;
  w.start_object();
  for (std::string_view table : order) {
    w.key(table).start_array();
    for (const MonitorRequest* r : by_table[table]) {
      w.start_object();
      if (!r->columns.empty()) {
        w.key("columns").start_array();
        for (const auto& c : r->columns) w.string(c);
        w.end_array();
      }
      if (r->where) {
        w.key("where");
        write_conditions(w, *r->where);
      }
      w.key("select");
      write_select(w, r->select);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  return w.take();
}

namespace params {

std::string list_dbs() { return "[]"; }
std::string echo() { return "[]"; }

std::string get_schema(std::string_view db) {
  JsonWriter w;
  w.start_array().string(db).end_array();
  return w.take();
}

std::string monitor(std::string_view db, std::string_view monitor_id_json, std::string_view requests_json) {
  JsonWriter w;
  w.start_array().string(db).raw(monitor_id_json).raw(requests_json).end_array();
  return w.take();
}

std::string monitor_cond_since(std::string_view db, std::string_view monitor_id_json,
                               std::string_view requests_json, const std::optional<Uuid>& last_txn_id) {
  JsonWriter w;
  w.start_array().string(db).raw(monitor_id_json).raw(requests_json);
  w.string(last_txn_id.value_or(Uuid{}).to_string());
  w.end_array();
  return w.take();
}

std::string monitor_cancel(std::string_view monitor_id_json) {
  JsonWriter w;
  w.start_array().raw(monitor_id_json).end_array();
  return w.take();
}

std::string set_db_change_aware(bool aware) { return aware ? "[true]" : "[false]"; }

std::string lock(std::string_view lock_name) {
  JsonWriter w;
  w.start_array().string(lock_name).end_array();
  return w.take();
}

std::string cancel(std::string_view request_id_json) {
  JsonWriter w;
  w.start_array().raw(request_id_json).end_array();
  return w.take();
}

}  // namespace params

}  // namespace ovnk::ovsdb
