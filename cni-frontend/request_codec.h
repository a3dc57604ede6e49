// The body of the shim's POST /cni: the CNI environment and the network config,
//
//   {"env":{"CNI_COMMAND":"ADD","CNI_CONTAINERID":"..","CNI_NETNS":"..",
//           "CNI_IFNAME":"eth0","CNI_ARGS":"..","CNI_PATH":".."},
//    "config":{ ...the plugin configuration object, verbatim... }}
//
// The config travels as a JSON object (not a base64 string as in ovn-kubernetes)
// so that the request can be read and typed by hand with curl. Absent variables
// are absent or empty strings. Unknown keys are ignored, so that a newer shim
// can talk to an older daemon.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "cni-frontend/types.h"

namespace ovnk::cni {

struct RequestBody {
  CniEnv env;
  std::string config_json;  // minified
};

// `config_json` must be one JSON object (parse_config accepted it). Fails with 4
// when an environment value is not valid UTF-8 (JSON cannot carry it).
Result<std::string> encode_request_body(const CniEnv& env, std::string_view config_json);

// Code 6 if the body is not JSON, 7 when env/config are missing or mistyped.
Result<RequestBody> decode_request_body(std::string_view body);

}  // namespace ovnk::cni
