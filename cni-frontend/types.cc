#include "cni-frontend/types.h"

#include <array>
#include <string>

#include "cni-frontend/errors.h"

namespace ovnk::cni {

namespace {
constexpr std::array<std::string_view, 6> kCommandNames = {"ADD", "DEL",  "CHECK",
                                                           "VERSION", "GC", "STATUS"};
}  // namespace

std::string_view command_name(Command command) {
  return kCommandNames[static_cast<size_t>(command)];
}

Result<Command> parse_command(std::string_view text) {
  for (size_t i = 0; i < kCommandNames.size(); ++i) {
    if (kCommandNames[i] == text) return static_cast<Command>(i);
  }
  if (text.empty()) {
    return cni_error(Code::kInvalidEnvironment,
                     "invalid environment variable CNI_COMMAND; it is required "
                     "(ADD, DEL, CHECK, VERSION, GC or STATUS)");
  }
  return cni_error(Code::kInvalidEnvironment,
                   "invalid environment variable CNI_COMMAND; " + quote_value(text) +
                       " is not one of ADD, DEL, CHECK, VERSION, GC, STATUS");
}

}  // namespace ovnk::cni
