// The shared test-support library (header-only; every test area has tests/
// on its include path): a temporary directory that removes itself.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace ops_test {

// A fresh directory under $TMPDIR, or under `parent` (named <prefix>XXXXXX),
// removed with everything in it when the object goes. A test that puts unix
// sockets deep inside passes parent "/tmp" to stay within their path limit.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "ops-test-",
                   const std::filesystem::path& parent = std::filesystem::temp_directory_path()) {
    std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace ops_test
