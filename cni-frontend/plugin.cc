#include "cni-frontend/plugin.h"

#include "cni-frontend/config.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/request.h"
#include "cni-frontend/request_codec.h"
#include "cni-frontend/result.h"

namespace ovnk::cni {

namespace {

PluginOutput fail(const CniError& error, std::string_view version) {
  return PluginOutput{encode_error(error, version), 1};
}

PluginOutput fail(const Error& error, std::string_view version) {
  return fail(CniError::from_error(error), version);
}

// STATUS asks "can you serve ADD?"; an absent daemon is the spec's answer 50.
CniError status_unavailable(const Error& error) {
  CniError e = CniError::from_error(error);
  std::string details = e.msg;
  if (!e.details.empty()) details.append("; ").append(e.details);
  return CniError::make(Code::kPluginNotAvailable, "ovnk daemon not available", details);
}

}  // namespace

PluginOutput run_plugin(const PluginInput& input, DaemonTransport& transport) {
  const std::string_view config_json = input.stdin_data;
  if (input.stdin_error) {
    return fail(CniError::make(Code::kIoFailure, "failed to read the network config from stdin",
                               input.stdin_error->to_string()),
                version_string(kLatestVersion));
  }
  auto command = parse_command(input.env.command);
  if (!command.ok()) return fail(command.error(), reply_version(config_json));

  if (*command == Command::kVersion) {
    auto version = version_request(config_json);
    if (!version.ok()) return fail(version.error(), version_string(kLatestVersion));
    return PluginOutput{encode_version_reply(*version), 0};
  }

  auto request = make_request(input.env, config_json);
  if (!request.ok()) return fail(request.error(), reply_version(config_json));
  const NetConfig& config = request->config;
  const std::string_view version = config.cni_version;

  auto body = encode_request_body(input.env, config.json);
  if (!body.ok()) return fail(body.error(), version);

  auto reply = transport.post(config.daemon_socket, *body, config.timeout + kTimeoutGrace);
  if (!reply.ok()) {
    if (*command == Command::kStatus) return fail(status_unavailable(reply.error()), version);
    return fail(reply.error(), version);
  }
  if (reply->status == 200) {
    if (*command == Command::kAdd && reply->body.empty()) {
      return fail(CniError::make(Code::kInternal, "the ovnk daemon answered ADD with no result"),
                  version);
    }
    return PluginOutput{reply->body, 0};
  }
  auto error = decode_error(reply->body);
  if (!error.ok()) {
    return fail(CniError::make(Code::kInternal,
                               "unexpected answer from the ovnk daemon: HTTP " +
                                   std::to_string(reply->status),
                               "body: " + quote_value(reply->body)),
                version);
  }
  return fail(*error, version);
}

}  // namespace ovnk::cni
