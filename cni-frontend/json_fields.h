// Internal to cni-frontend: typed field access on JSON values (json_value.h)
// with errors that name the field ("prevResult.ips[1].address must be a
// string").
//
// Absent fields read as nullopt/nullptr; a field of the wrong type is an error
// (code 7, invalid network config). A JSON null reads as absent, as Go's
// encoding/json (and so every runtime) treats it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/json_value.h"

namespace ovnk::cni::json {

// The members of `value`, or code 7 "<what> must be a JSON object".
Result<const Value::Members*> as_object(const Value& value, std::string_view what);

Result<std::optional<std::string_view>> opt_string(const Value& obj, std::string_view key,
                                                  std::string_view ctx);
Result<std::optional<int64_t>> opt_int(const Value& obj, std::string_view key,
                                       std::string_view ctx);
Result<std::optional<double>> opt_number(const Value& obj, std::string_view key,
                                         std::string_view ctx);
Result<std::optional<bool>> opt_bool(const Value& obj, std::string_view key, std::string_view ctx);
// nullptr when absent.
Result<const Value*> opt_object(const Value& obj, std::string_view key, std::string_view ctx);
Result<const std::vector<Value>*> opt_array(const Value& obj, std::string_view key,
                                            std::string_view ctx);

// "ctx.key" (or "key" when ctx is empty), and "ctx[i]".
std::string field_path(std::string_view ctx, std::string_view key);
std::string index_path(std::string_view ctx, size_t index);

// Code 7 with "invalid network config; <path> <problem>".
Error field_error(std::string_view path, std::string_view problem);

}  // namespace ovnk::cni::json
