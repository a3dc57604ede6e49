#include "cni-frontend/request_codec.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <utility>

#include "cni-frontend/errors.h"
#include "cni-frontend/json_fields.h"

namespace ovnk::cni {

namespace {

// Writing validates UTF-8: an environment value that is not UTF-8 cannot be
// carried in JSON, and the daemon's reader would refuse the body.
using Writer = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                 rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

using Field = std::pair<std::string_view, std::string CniEnv::*>;
constexpr std::array<Field, 6> kEnvFields = {{
    {"CNI_COMMAND", &CniEnv::command},
    {"CNI_CONTAINERID", &CniEnv::container_id},
    {"CNI_NETNS", &CniEnv::netns},
    {"CNI_IFNAME", &CniEnv::ifname},
    {"CNI_ARGS", &CniEnv::args},
    {"CNI_PATH", &CniEnv::path},
}};

Error body_error(std::string_view problem) {
  return cni_error(Code::kInvalidConfig, std::string("invalid request body; ") + std::string(problem));
}

}  // namespace

Result<std::string> encode_request_body(const CniEnv& env, std::string_view config_json) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("env");
  w.StartObject();
  for (const auto& [key, member] : kEnvFields) {
    const std::string& value = env.*member;
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    if (!w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()))) {
      return cni_error(Code::kInvalidEnvironment,
                       "invalid environment variable " + std::string(key) + "; " + quote_value(value) +
                           " is not valid UTF-8");
    }
  }
  w.EndObject();
  w.Key("config");
  w.RawValue(config_json.data(), config_json.size(), rapidjson::kObjectType);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<RequestBody> decode_request_body(std::string_view body) {
  OVNK_ASSIGN_OR_RETURN(const json::Value root, json::parse(body, "request body"));
  if (root.as_object() == nullptr) return body_error("it must be a JSON object");

  RequestBody out;
  const json::Value* env = root.find("env");
  if (env == nullptr || env->as_object() == nullptr) {
    return body_error("\"env\" must be a JSON object of CNI_* variables");
  }
  for (const auto& [key, member] : kEnvFields) {
    const json::Value* value = env->find(key);
    if (value == nullptr || value->is_null()) continue;
    const std::string* s = value->as_string();
    if (s == nullptr) return body_error("env." + std::string(key) + " must be a string");
    out.env.*member = *s;
  }

  const json::Value* config = root.find("config");
  if (config == nullptr || config->as_object() == nullptr) {
    return body_error("\"config\" must be the network config object");
  }
  out.config_json = config->minify();
  return out;
}

}  // namespace ovnk::cni
