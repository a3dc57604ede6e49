// TempDir: a private directory under /tmp for one test (short paths: unix
// socket paths must fit in 107 bytes), removed with everything in it when
// destroyed. A test cannot run without one: failing to make it aborts.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace ovnk::testing {

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/ovnk-test-XXXXXX";
    if (::mkdtemp(templ) == nullptr) std::abort();
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace ovnk::testing
