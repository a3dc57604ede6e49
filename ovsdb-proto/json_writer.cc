#include "ovsdb-proto/json_writer.h"

#include <rapidjson/writer.h>

#include <cmath>
#include <limits>

namespace ovnk::ovsdb {

namespace {

// RapidJSON output stream appending to a std::string.
struct StringOut {
  using Ch = char;
  std::string* out;
  void Put(char c) { out->push_back(c); }
  void Flush() {}
};

rapidjson::SizeType checked_size(size_t n) {
  // A 4 GiB string is far beyond any message limit: a broken invariant.
  if (n > std::numeric_limits<rapidjson::SizeType>::max()) std::abort();
  return static_cast<rapidjson::SizeType>(n);
}

}  // namespace

struct JsonWriter::Impl {
  std::string text;
  StringOut stream{&text};
  rapidjson::Writer<StringOut> writer{stream};
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::start_object() {
  impl_->writer.StartObject();
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  impl_->writer.EndObject();
  return *this;
}
JsonWriter& JsonWriter::start_array() {
  impl_->writer.StartArray();
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  impl_->writer.EndArray();
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
  impl_->writer.Key(k.data(), checked_size(k.size()));
  return *this;
}
JsonWriter& JsonWriter::string(std::string_view s) {
  impl_->writer.String(s.data(), checked_size(s.size()));
  return *this;
}
JsonWriter& JsonWriter::integer(int64_t v) {
  impl_->writer.Int64(v);
  return *this;
}
JsonWriter& JsonWriter::uinteger(uint64_t v) {
  impl_->writer.Uint64(v);
  return *this;
}
JsonWriter& JsonWriter::real(double v) {
  // JSON has no NaN/infinity and OVSDB rejects them: a caller bug, written as
  // null so the server reports it instead of the writer emitting invalid JSON.
  if (!std::isfinite(v)) {
    impl_->writer.Null();
  } else {
    impl_->writer.Double(v);
  }
  return *this;
}
JsonWriter& JsonWriter::boolean(bool v) {
  impl_->writer.Bool(v);
  return *this;
}
JsonWriter& JsonWriter::null() {
  impl_->writer.Null();
  return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
  impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}

std::string_view JsonWriter::view() const { return impl_->text; }

std::string JsonWriter::take() {
  std::string out = std::move(impl_->text);
  impl_->text.clear();
  impl_->writer.Reset(impl_->stream);
  return out;
}

bool JsonWriter::complete() const { return impl_->writer.IsComplete(); }

std::string json_quote(std::string_view s) {
  JsonWriter w;
  w.string(s);
  return w.take();
}

}  // namespace ovnk::ovsdb
