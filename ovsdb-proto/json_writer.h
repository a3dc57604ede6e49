// JsonWriter: compact JSON output for every encoder of the OVSDB client.
//
// A thin, allocation-light facade over RapidJSON's Writer (kept out of public
// headers). Output is appended to an internal std::string that take() hands over.
// raw() splices an already-encoded JSON value (a cached params fragment, a
// Datum encoded earlier) without re-parsing it; the caller vouches that it is one
// valid JSON value. Misuse (a key outside an object, unbalanced ends) is a
// programming error caught by RapidJSON's assertions in debug builds.
// Reals are written so that they read back as reals ("1.0", never "1").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ovnk::ovsdb {

class JsonWriter {
 public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& start_object();
  JsonWriter& end_object();
  JsonWriter& start_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& string(std::string_view s);
  JsonWriter& integer(int64_t v);
  JsonWriter& uinteger(uint64_t v);
  JsonWriter& real(double v);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // One complete JSON value, already encoded.
  JsonWriter& raw(std::string_view json);

  // The text so far (complete once every container is closed).
  std::string_view view() const;
  // Hands the text over and resets the writer for reuse.
  std::string take();
  bool complete() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Encodes a string as a JSON string literal (with quotes and escapes).
std::string json_quote(std::string_view s);

}  // namespace ovnk::ovsdb
