// A per-test temporary directory, removed (recursively) on destruction: under
// $TMPDIR (else /tmp), or under a given parent (a tmpfs such as /dev/shm).
#ifndef VGPU_TEST_TESTING_TEMP_DIR_H_
#define VGPU_TEST_TESTING_TEMP_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace vgpu::testing {

class TempDir {
 public:
  TempDir() : TempDir(DefaultParent()) {}
  explicit TempDir(const std::string& parent) {
    std::string tmpl = parent + "/vgpu-test-XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    if (made != nullptr) path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  static std::string DefaultParent() {
    const char* base = std::getenv("TMPDIR");
    return base != nullptr && *base != '\0' ? base : "/tmp";
  }

  std::string path_;
};

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_TEMP_DIR_H_
