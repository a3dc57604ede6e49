#include "cni-frontend/config.h"

#include <sys/un.h>

#include <cmath>

#include "cni-frontend/errors.h"
#include "cni-frontend/json_fields.h"
#include "cni-frontend/result.h"

namespace ovnk::cni {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool valid_network_name(std::string_view name) {
  if (name.empty() || !is_alnum(name.front())) return false;
  for (char c : name) {
    if (!is_alnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

Result<std::vector<Attachment>> read_attachments(const std::vector<json::Value>& arr,
                                                 std::string_view key) {
  std::vector<Attachment> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    const std::string ctx = json::index_path(key, i);
    const json::Value& obj = arr[i];
    OVNK_TRY(json::as_object(obj, ctx));
    OVNK_ASSIGN_OR_RETURN(auto id, json::opt_string(obj, "containerID", ctx));
    OVNK_ASSIGN_OR_RETURN(auto ifname, json::opt_string(obj, "ifname", ctx));
    if (!id || id->empty()) return json::field_error(ctx + ".containerID", "is required");
    out.push_back(Attachment{std::string(*id), ifname ? std::string(*ifname) : std::string()});
  }
  return out;
}

}  // namespace

Result<NetConfig> parse_config(std::string_view text) {
  OVNK_ASSIGN_OR_RETURN(const json::Value obj, json::parse(text, "network config"));
  OVNK_TRY(json::as_object(obj, "network config"));
  NetConfig out;

  OVNK_ASSIGN_OR_RETURN(auto version, json::opt_string(obj, "cniVersion", ""));
  if (!version) {
    return cni_error(Code::kIncompatibleVersion,
                     "network config has no cniVersion; this plugin supports 0.3.0, 0.3.1, "
                     "0.4.0, 1.0.0, 1.1.0");
  }
  OVNK_ASSIGN_OR_RETURN(out.version, parse_version(*version));
  out.cni_version = std::string(*version);

  OVNK_ASSIGN_OR_RETURN(auto name, json::opt_string(obj, "name", ""));
  if (!name || name->empty()) return json::field_error("name", "is required");
  if (!valid_network_name(*name)) {
    return json::field_error("name", quote_value(*name) +
                                         " must start with a letter or digit, then letters, "
                                         "digits, '_', '.' or '-'");
  }
  out.name = std::string(*name);

  OVNK_ASSIGN_OR_RETURN(auto type, json::opt_string(obj, "type", ""));
  if (!type || type->empty()) return json::field_error("type", "is required");
  out.type = std::string(*type);

  OVNK_ASSIGN_OR_RETURN(auto socket, json::opt_string(obj, "daemonSocket", ""));
  if (socket) {
    // sun_path holds 108 bytes including the NUL.
    if (socket->empty() || socket->front() != '/' || socket->size() >= sizeof(sockaddr_un{}.sun_path) ||
        socket->find('\0') != std::string_view::npos) {
      return json::field_error("daemonSocket", quote_value(*socket) +
                                                   " must be an absolute path shorter than 108 bytes");
    }
    out.daemon_socket = std::string(*socket);
  }

  OVNK_ASSIGN_OR_RETURN(auto timeout, json::opt_number(obj, "timeoutSeconds", ""));
  if (timeout) {
    if (!std::isfinite(*timeout) || *timeout <= 0 || *timeout > 3600) {
      return json::field_error("timeoutSeconds", "must be a number of seconds in (0, 3600]");
    }
    out.timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*timeout));
  }

  OVNK_ASSIGN_OR_RETURN(auto mtu, json::opt_int(obj, "mtu", ""));
  if (mtu) {
    if (*mtu < 68 || *mtu > 65535) return json::field_error("mtu", "must be in 68..65535");
    out.mtu = static_cast<uint32_t>(*mtu);
  }

  OVNK_ASSIGN_OR_RETURN(auto ipam_mode, json::opt_string(obj, "ipamMode", ""));
  if (ipam_mode) {
    if (*ipam_mode == "subnet") {
      out.ipam_mode = IpamMode::kSubnet;
    } else if (*ipam_mode == "ovn") {
      out.ipam_mode = IpamMode::kOvn;
    } else {
      return cni_error(Code::kUnsupportedField,
                       "unsupported field ipamMode=" + quote_value(*ipam_mode) +
                           "; supported values are \"subnet\" and \"ovn\"");
    }
  }

  OVNK_ASSIGN_OR_RETURN(auto prev, json::opt_object(obj, "prevResult", ""));
  if (prev != nullptr) {
    auto decoded = decode_result(prev->minify());
    if (!decoded.ok()) return std::move(decoded).error().with_context("prevResult");
    out.prev_result = std::move(decoded).value();
  }

  // libcni (issue #1101) sends both spellings with the same value.
  for (std::string_view key : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    OVNK_ASSIGN_OR_RETURN(auto arr, json::opt_array(obj, key, ""));
    if (arr == nullptr) continue;
    OVNK_ASSIGN_OR_RETURN(auto list, read_attachments(*arr, key));
    out.valid_attachments = std::move(list);
    break;
  }

  out.json = obj.minify();
  return out;
}

Result<std::string> version_request(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return std::string(version_string(kLatestVersion));
  }
  OVNK_ASSIGN_OR_RETURN(const json::Value obj, json::parse(text, "network config"));
  OVNK_TRY(json::as_object(obj, "network config"));
  OVNK_ASSIGN_OR_RETURN(auto version, json::opt_string(obj, "cniVersion", ""));
  if (!version) return std::string(version_string(kLatestVersion));
  return std::string(*version);
}

std::string_view reply_version(std::string_view text) {
  auto root = json::parse(text, "network config");
  if (!root.ok()) return version_string(kLatestVersion);
  const json::Value* v = root->find("cniVersion");
  const std::string* version = v != nullptr ? v->as_string() : nullptr;
  if (version == nullptr) return version_string(kLatestVersion);
  auto parsed = parse_version(*version);
  return version_string(parsed.ok() ? *parsed : kLatestVersion);
}

}  // namespace ovnk::cni
