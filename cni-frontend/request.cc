#include "cni-frontend/request.h"

#include <string>

#include "cni-frontend/config.h"
#include "cni-frontend/errors.h"
#include "cni-frontend/validate.h"

namespace ovnk::cni {

namespace {

Result<void> check_command_version(Command command, const NetConfig& config) {
  std::string_view needed;
  if (command == Command::kCheck && !has_check(config.version)) needed = "0.4.0";
  if ((command == Command::kGc || command == Command::kStatus) &&
      !has_gc_and_status(config.version)) {
    needed = "1.1.0";
  }
  if (needed.empty()) return ok_result();
  std::string m = std::string(command_name(command)) + " needs cniVersion " + std::string(needed) +
                  " or later; the network config says " + quote_value(config.cni_version);
  return cni_error(Code::kIncompatibleVersion, m);
}

}  // namespace

Result<CniRequest> make_request(const CniEnv& env, std::string_view config_json) {
  OVNK_ASSIGN_OR_RETURN(Command command, parse_command(env.command));
  if (command == Command::kVersion) {
    return cni_error(Code::kInvalidEnvironment,
                     "invalid environment variable CNI_COMMAND; VERSION is answered by the "
                     "plugin binary, not forwarded");
  }
  OVNK_ASSIGN_OR_RETURN(NetConfig config, parse_config(config_json));
  OVNK_TRY(check_command_version(command, config));
  OVNK_TRY(validate_env(env, command));

  CniRequest out;
  out.command = command;
  if (command == Command::kAdd || command == Command::kDel || command == Command::kCheck) {
    out.container_id = env.container_id;
    out.netns = env.netns;
    out.ifname = env.ifname;
    OVNK_ASSIGN_OR_RETURN(out.args, parse_cni_args(env.args));
  }
  out.path = env.path;

  if (command == Command::kCheck && !config.prev_result) {
    return cni_error(Code::kInvalidConfig,
                     "invalid network config; CHECK needs prevResult (the result of the ADD)");
  }
  if (command == Command::kGc && !config.valid_attachments) {
    // Refusing is safer than reading a missing list as "nothing is valid",
    // which would tear down every pod on the node.
    return cni_error(Code::kInvalidConfig,
                     "invalid network config; GC needs cni.dev/valid-attachments");
  }
  out.config = std::move(config);
  return out;
}

}  // namespace ovnk::cni
