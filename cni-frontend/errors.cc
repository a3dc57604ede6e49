#include "cni-frontend/errors.h"

namespace ovnk::cni {

std::string_view code_description(int code) {
  switch (code) {
    case 1: return "Incompatible CNI version";
    case 2: return "Unsupported field in network configuration";
    case 3: return "Container unknown or does not exist";
    case 4: return "Invalid necessary environment variables";
    case 5: return "I/O failure";
    case 6: return "Failed to decode content";
    case 7: return "Invalid network config";
    case 11: return "Try again later";
    case 50: return "Plugin not available";
    case 51: return "Plugin not available, existing containers may have limited connectivity";
    case 100: return "ovnk daemon not reachable";
    case 101: return "Timeout waiting for the ovnk daemon";
    case 102: return "OVN/OVSDB error";
    case 103: return "Netlink error";
    case 104: return "Not implemented";
    case 105: return "Internal error";
    default: return "Unknown error";
  }
}

// libcni renders an error as "msg; details", so the same separator splits an
// Error's message back into the two fields.
CniError CniError::from_error(const Error& error) {
  if (error.domain != kErrorDomain || error.code <= 0) {
    return CniError::make(Code::kInternal, "internal error", error.to_string());
  }
  CniError out;
  out.code = error.code;
  const size_t sep = error.message.find("; ");
  if (sep == std::string::npos) {
    out.msg = error.message;
  } else {
    out.msg = error.message.substr(0, sep);
    out.details = error.message.substr(sep + 2);
  }
  if (out.msg.empty()) out.msg = std::string(code_description(out.code));
  return out;
}

Error CniError::to_error() const {
  std::string message = msg;
  if (!details.empty()) message.append("; ").append(details);
  return make_error(kErrorDomain, code, message);
}

std::string quote_value(std::string_view value) {
  constexpr size_t kMax = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out.append("\\x").push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (value.size() > kMax) out.append("...");
  out.push_back('"');
  return out;
}

int http_status_for(int code) {
  switch (code) {
    case 1:
    case 2:
    case 4:
    case 6:
    case 7:
      return 400;
    case 3:
      return 404;
    case 11:
    case 50:
    case 51:
    case 100:
      return 503;
    case 101:
      return 504;
    case 104:
      return 501;
    default:
      return 500;
  }
}

}  // namespace ovnk::cni
