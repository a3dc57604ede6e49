#include "cni-frontend/json_fields.h"

namespace ovnk::cni::json {

namespace {

// Absent and null both read as "not there".
const Value* lookup(const Value& obj, std::string_view key) {
  const Value* v = obj.find(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

}  // namespace

std::string field_path(std::string_view ctx, std::string_view key) {
  std::string out(ctx);
  if (!out.empty()) out.push_back('.');
  out.append(key);
  return out;
}

std::string index_path(std::string_view ctx, size_t index) {
  std::string out(ctx);
  out.append("[").append(std::to_string(index)).append("]");
  return out;
}

Error field_error(std::string_view path, std::string_view problem) {
  std::string m = "invalid network config; ";
  m.append(path).append(" ").append(problem);
  return cni_error(Code::kInvalidConfig, m);
}

Result<const Value::Members*> as_object(const Value& value, std::string_view what) {
  const Value::Members* members = value.as_object();
  if (members == nullptr) return field_error(what, "must be a JSON object");
  return members;
}

Result<std::optional<std::string_view>> opt_string(const Value& obj, std::string_view key,
                                                  std::string_view ctx) {
  const Value* v = lookup(obj, key);
  if (v == nullptr) return std::optional<std::string_view>();
  const std::string* s = v->as_string();
  if (s == nullptr) return field_error(field_path(ctx, key), "must be a string");
  return std::optional<std::string_view>(*s);
}

Result<std::optional<int64_t>> opt_int(const Value& obj, std::string_view key,
                                       std::string_view ctx) {
  const Value* v = lookup(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  auto i = v->as_int();
  if (!i) return field_error(field_path(ctx, key), "must be an integer");
  return i;
}

Result<std::optional<double>> opt_number(const Value& obj, std::string_view key,
                                         std::string_view ctx) {
  const Value* v = lookup(obj, key);
  if (v == nullptr) return std::optional<double>();
  auto d = v->as_double();
  if (!d) return field_error(field_path(ctx, key), "must be a number");
  return d;
}

Result<std::optional<bool>> opt_bool(const Value& obj, std::string_view key, std::string_view ctx) {
  const Value* v = lookup(obj, key);
  if (v == nullptr) return std::optional<bool>();
  auto b = v->as_bool();
  if (!b) return field_error(field_path(ctx, key), "must be true or false");
  return b;
}

Result<const Value*> opt_object(const Value& obj, std::string_view key, std::string_view ctx) {
  const Value* v = lookup(obj, key);
  if (v == nullptr) return static_cast<const Value*>(nullptr);
  if (v->as_object() == nullptr) return field_error(field_path(ctx, key), "must be a JSON object");
  return v;
}

Result<const std::vector<Value>*> opt_array(const Value& obj, std::string_view key,
                                            std::string_view ctx) {
  const Value* v = lookup(obj, key);
  if (v == nullptr) return static_cast<const std::vector<Value>*>(nullptr);
  const std::vector<Value>* a = v->as_array();
  if (a == nullptr) return field_error(field_path(ctx, key), "must be a JSON array");
  return a;
}

}  // namespace ovnk::cni::json
