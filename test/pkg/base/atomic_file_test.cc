#include "pkg/base/atomic_file.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/local_file.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

TEST(AtomicFileTest, ReplacesContentAndLeavesNoTempFile) {
  vgpu::testing::TempDir dir;
  const std::string path = dir.path() + "/state";
  ASSERT_THAT(WriteFileAtomically(path, "one\n"), IsOk());
  ASSERT_THAT(WriteFileAtomically(path, "two\n", 0600), IsOk());
  EXPECT_THAT(ReadLocalFile(path), IsOkAndHolds(std::string("two\n")));
  EXPECT_THAT(Names(dir.path()), ElementsAre("state"));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(AtomicFileTest, MissingDirectoryIsNotFoundNamingIt) {
  vgpu::testing::TempDir dir;
  EXPECT_THAT(WriteFileAtomically(dir.path() + "/no/such/file", "x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such")));
}

TEST(AtomicFileTest, FailedRenameRemovesTheTempFile) {
  vgpu::testing::TempDir dir;
  // A directory in the way: rename(2) of a file over it fails (EISDIR).
  std::filesystem::create_directory(dir.path() + "/target");
  EXPECT_FALSE(WriteFileAtomically(dir.path() + "/target", "x").ok());
  EXPECT_THAT(Names(dir.path()), ElementsAre("target"));
}

}  // namespace
}  // namespace vgpu
