#include "base/result.h"

#include <cstring>

namespace ovnk {

namespace {
bool carries_errno(std::string_view domain) {
  return domain == "io" || domain == "netlink" || domain == "sys";
}
}  // namespace

std::string Error::to_string() const {
  std::string out;
  out.reserve(domain.size() + message.size() + 16);
  out.append(domain).append(": ").append(message);
  if (code != 0 && !carries_errno(domain)) out.append(" (code ").append(std::to_string(code)).append(")");
  return out;
}

Error Error::with_context(std::string_view context) const& {
  Error copy = *this;
  return std::move(copy).with_context(context);
}

Error Error::with_context(std::string_view context) && {
  std::string m;
  m.reserve(context.size() + 2 + message.size());
  m.append(context).append(": ").append(message);
  message = std::move(m);
  return std::move(*this);
}

Error make_error(std::string_view domain, int code, std::string_view message) {
  return Error{std::string(domain), code, std::string(message)};
}

Error errno_error(std::string_view domain, int err, std::string_view what) {
  std::string m(what);
  m.append(": ").append(std::strerror(err));
  return Error{std::string(domain), err, std::move(m)};
}

}  // namespace ovnk
