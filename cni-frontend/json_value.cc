#include "cni-frontend/json_value.h"

#include <charconv>
#include <cmath>

#include "cni-frontend/errors.h"

namespace ovnk::cni::json {

std::optional<bool> Value::as_bool() const {
  if (type_ != Type::kBool) return std::nullopt;
  return bool_;
}

std::optional<int64_t> Value::as_int() const {
  if (type_ != Type::kNumber || !is_int_) return std::nullopt;
  return int_;
}

std::optional<double> Value::as_double() const {
  if (type_ != Type::kNumber) return std::nullopt;
  return double_;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);  // valid UTF-8 by construction: it was read that way
        }
    }
  }
  out.push_back('"');
}

}  // namespace

void Value::write(std::string& out) const {
  switch (type_) {
    case Type::kNull: out.append("null"); return;
    case Type::kBool: out.append(bool_ ? "true" : "false"); return;
    case Type::kNumber: out.append(text_); return;
    case Type::kString: write_string(out, text_); return;
    case Type::kArray: {
      out.push_back('[');
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i > 0) out.push_back(',');
        items_[i].write(out);
      }
      out.push_back(']');
      return;
    }
    case Type::kObject: {
      out.push_back('{');
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i > 0) out.push_back(',');
        write_string(out, members_[i].first);
        out.push_back(':');
        members_[i].second.write(out);
      }
      out.push_back('}');
      return;
    }
  }
}

std::string Value::minify() const {
  std::string out;
  write(out);
  return out;
}

// Recursive descent over the bytes; the depth cap bounds the recursion.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool parse_document(Value& out) {
    skip_ws();
    if (!parse_value(out, 0)) return false;
    skip_ws();
    if (pos_ != text_.size()) return fail("unexpected bytes after the JSON value");
    return true;
  }
  const std::string& error() const { return error_; }
  size_t offset() const { return pos_; }

 private:
  bool fail(std::string_view why) {
    if (error_.empty()) error_ = std::string(why);
    return false;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }

  void skip_ws() {
    while (!at_end()) {
      const char c = peek();
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool parse_value(Value& out, int depth) {
    if (at_end()) return fail("unexpected end of input");
    switch (peek()) {
      case '{': return parse_object(out, depth + 1);
      case '[': return parse_array(out, depth + 1);
      case '"':
        out.type_ = Value::Type::kString;
        return parse_string(out.text_);
      case 't':
        out.type_ = Value::Type::kBool;
        out.bool_ = true;
        return literal("true");
      case 'f':
        out.type_ = Value::Type::kBool;
        out.bool_ = false;
        return literal("false");
      case 'n':
        out.type_ = Value::Type::kNull;
        return literal("null");
      default: return parse_number(out);
    }
  }

  bool parse_object(Value& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    out.type_ = Value::Type::kObject;
    ++pos_;  // '{'
    skip_ws();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      if (at_end() || peek() != '"') return fail("expected a string key");
      std::string key;
      if (!parse_string(key)) return false;
      skip_ws();
      if (at_end() || peek() != ':') return fail("expected ':' after a key");
      ++pos_;
      skip_ws();
      out.members_.emplace_back(std::move(key), Value());
      if (!parse_value(out.members_.back().second, depth)) return false;
      skip_ws();
      if (at_end()) return fail("unexpected end of input in an object");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or '}' in an object");
    }
  }

  bool parse_array(Value& out, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    out.type_ = Value::Type::kArray;
    ++pos_;  // '['
    skip_ws();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      skip_ws();
      out.items_.emplace_back();
      if (!parse_value(out.items_.back(), depth)) return false;
      skip_ws();
      if (at_end()) return fail("unexpected end of input in an array");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return true;
      }
      return fail("expected ',' or ']' in an array");
    }
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }

  bool hex4(uint32_t& out) {
    if (text_.size() - pos_ < 4) return fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        d = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        d = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return fail("invalid hex digit in a \\u escape");
      }
      out = out * 16 + d;
    }
    return true;
  }

  // One UTF-8 sequence starting at pos_ (its first byte >= 0x80), validated
  // per RFC 3629: shortest form, no surrogates, at most U+10FFFF.
  bool utf8_sequence(std::string& out) {
    const auto b0 = static_cast<unsigned char>(text_[pos_]);
    size_t len;
    uint32_t cp;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      len = 2;
      cp = b0 & 0x1fu;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      len = 3;
      cp = b0 & 0x0fu;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return fail("invalid UTF-8");
    }
    if (text_.size() - pos_ < len) return fail("truncated UTF-8");
    for (size_t i = 1; i < len; ++i) {
      const auto b = static_cast<unsigned char>(text_[pos_ + i]);
      if ((b & 0xc0) != 0x80) return fail("invalid UTF-8");
      cp = (cp << 6) | (b & 0x3fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return fail("invalid UTF-8");
    }
    out.append(text_.substr(pos_, len));
    pos_ += len;
    return true;
  }

  bool parse_string(std::string& out) {
    ++pos_;  // opening quote
    for (;;) {
      if (at_end()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return fail("unescaped control character in a string");
      if (c >= 0x80) {
        if (!utf8_sequence(out)) return false;
        continue;
      }
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (at_end()) return fail("unterminated escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return fail("lone low surrogate in a \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low = 0;
            if (text_.substr(pos_, 2) != "\\u") return fail("lone high surrogate in a \\u escape");
            pos_ += 2;
            if (!hex4(low)) return false;
            if (low < 0xdc00 || low > 0xdfff) return fail("invalid surrogate pair");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default: return fail("invalid escape in a string");
      }
    }
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  bool parse_number(Value& out) {
    const size_t start = pos_;
    if (!at_end() && peek() == '-') ++pos_;
    if (at_end() || !digit(peek())) return fail("invalid value");
    if (peek() == '0') {
      ++pos_;
    } else {
      while (!at_end() && digit(peek())) ++pos_;
    }
    bool integral = true;
    if (!at_end() && peek() == '.') {
      integral = false;
      ++pos_;
      if (at_end() || !digit(peek())) return fail("invalid number");
      while (!at_end() && digit(peek())) ++pos_;
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (at_end() || !digit(peek())) return fail("invalid number");
      while (!at_end() && digit(peek())) ++pos_;
    }
    const std::string_view lit = text_.substr(start, pos_ - start);
    out.type_ = Value::Type::kNumber;
    out.text_ = std::string(lit);
    const char* first = lit.data();
    const char* last = lit.data() + lit.size();
    if (integral) {
      auto [p, ec] = std::from_chars(first, last, out.int_);
      out.is_int_ = ec == std::errc() && p == last;
    }
    auto [p, ec] = std::from_chars(first, last, out.double_);
    if (ec != std::errc() || p != last || !std::isfinite(out.double_)) {
      return fail("number out of range");
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

Result<Value> parse(std::string_view text, std::string_view what) {
  Value out;
  Reader reader(text);
  if (!reader.parse_document(out)) {
    std::string m = "failed to decode ";
    m.append(what).append("; ");
    if (text.empty()) {
      m.append("empty input");
    } else {
      m.append(reader.error()).append(" at byte ").append(std::to_string(reader.offset()));
    }
    return cni_error(Code::kDecodeFailure, m);
  }
  return out;
}

}  // namespace ovnk::cni::json
