#include "cni-frontend/validate.h"

#include <string>

#include "cni-frontend/errors.h"

namespace ovnk::cni {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// isspace() in the C locale, as the kernel's dev_valid_name uses.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

Error env_error(std::string_view variable, std::string_view details) {
  std::string m = "invalid environment variable ";
  m.append(variable).append("; ").append(details);
  return cni_error(Code::kInvalidEnvironment, m);
}

}  // namespace

Result<void> validate_container_id(std::string_view id) {
  if (id.empty()) return env_error("CNI_CONTAINERID", "it is required and must not be empty");
  if (!is_alnum(id.front())) {
    return env_error("CNI_CONTAINERID",
                     quote_value(id) + " must start with a letter or a digit");
  }
  for (char c : id) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') {
      return env_error("CNI_CONTAINERID",
                       quote_value(id) + " may hold only letters, digits, '_', '.' and '-'");
    }
  }
  return ok_result();
}

Result<void> validate_ifname(std::string_view ifname) {
  constexpr size_t kMaxIfname = 15;  // IFNAMSIZ (16) minus the NUL
  if (ifname.empty()) return env_error("CNI_IFNAME", "it is required and must not be empty");
  if (ifname.size() > kMaxIfname) {
    return env_error("CNI_IFNAME", quote_value(ifname) + " is " + std::to_string(ifname.size()) +
                                       " bytes long; the limit is 15");
  }
  if (ifname == "." || ifname == "..") {
    return env_error("CNI_IFNAME", quote_value(ifname) + " is not a valid interface name");
  }
  for (char c : ifname) {
    if (c == '/' || c == ':' || is_space(c) || c == '\0') {
      return env_error("CNI_IFNAME",
                       quote_value(ifname) + " must not contain '/', ':', NUL or whitespace");
    }
  }
  return ok_result();
}

Result<void> validate_netns(std::string_view netns, Command command) {
  if (netns.empty()) {
    if (command == Command::kAdd || command == Command::kCheck) {
      return env_error("CNI_NETNS", std::string("it is required for ") +
                                        std::string(command_name(command)));
    }
    return ok_result();
  }
  if (netns.front() != '/') {
    return env_error("CNI_NETNS", quote_value(netns) + " must be an absolute path");
  }
  if (netns.find('\0') != std::string_view::npos) {
    return env_error("CNI_NETNS", quote_value(netns) + " must not contain NUL");
  }
  return ok_result();
}

Result<void> validate_env(const CniEnv& env, Command command) {
  switch (command) {
    case Command::kAdd:
    case Command::kCheck:
    case Command::kDel:
      OVNK_TRY(validate_container_id(env.container_id));
      OVNK_TRY(validate_ifname(env.ifname));
      OVNK_TRY(validate_netns(env.netns, command));
      return ok_result();
    case Command::kVersion:
    case Command::kGc:
    case Command::kStatus:
      return ok_result();
  }
  return ok_result();
}

}  // namespace ovnk::cni
