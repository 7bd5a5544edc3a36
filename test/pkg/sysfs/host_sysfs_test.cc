#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/errno_status.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::sysfs {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

class HostSysfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(tmp_.path()) / "host";
    fs::create_directories(root_ /
                           "sys/devices/pci0000:40/0000:40:03.1/"
                           "0000:42:00.0");
    fs::create_directories(root_ / "sys/bus/pci/devices");
    fs::create_directories(root_ / "sys/kernel/iommu_groups/25");
    Write("sys/devices/pci0000:40/0000:40:03.1/0000:42:00.0/vendor",
          "0x10de\n");
    fs::create_directory_symlink(
        "../../../devices/pci0000:40/0000:40:03.1/0000:42:00.0",
        root_ / "sys/bus/pci/devices/0000:42:00.0");
    fs::create_directory_symlink(
        "../../../../kernel/iommu_groups/25",
        root_ / "sys/devices/pci0000:40/0000:40:03.1/0000:42:00.0/iommu_group");
    Write("outside_secret", "x");  // Inside tmp, outside the root.
    fs::rename(fs::path(tmp_.path()) / "host/outside_secret",
               fs::path(tmp_.path()) / "secret");
    auto s = NewHostSysfs(root_.string());
    ASSERT_THAT(s, IsOk());
    sysfs_ = *std::move(s);
  }

  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(root_ / rel) << content;
  }

  ::vgpu::testing::TempDir tmp_;
  fs::path root_;
  std::unique_ptr<Sysfs> sysfs_;
};

TEST_F(HostSysfsTest, ReadsThroughRelativeBusSymlink) {
  EXPECT_THAT(sysfs_->ReadFile("sys/bus/pci/devices/0000:42:00.0/vendor"),
              IsOkAndHolds("0x10de\n"));
}

TEST_F(HostSysfsTest, ReadsLongFileUntilEof) {
  std::string big(10000, 'a');
  Write("sys/big", big);
  EXPECT_THAT(sysfs_->ReadFile("sys/big"), IsOkAndHolds(big));
}

TEST_F(HostSysfsTest, MissingFileIsNotFoundNamingPath) {
  EXPECT_THAT(sysfs_->ReadFile("sys/bus/pci/devices/0000:42:00.0/nope"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("sys/bus/pci/devices/0000:42:00.0/nope")));
}

TEST_F(HostSysfsTest, ListsSorted) {
  fs::create_directories(root_ / "sys/d/b");
  fs::create_directories(root_ / "sys/d/a");
  Write("sys/d/c", "");
  EXPECT_THAT(sysfs_->ListDir("sys/d"),
              IsOkAndHolds(ElementsAre("a", "b", "c")));
}

TEST_F(HostSysfsTest, ReadLinkReturnsStoredTarget) {
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/0000:42:00.0/iommu_group"),
              IsOkAndHolds("../../../../kernel/iommu_groups/25"));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/0000:42:00.0/vendor"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/0000:42:00.0/gone"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("gone")));
}

TEST_F(HostSysfsTest, RealPathResolvesToRootRelative) {
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:42:00.0"),
              IsOkAndHolds("sys/devices/pci0000:40/0000:40:03.1/0000:42:00.0"));
  EXPECT_THAT(sysfs_->RealPath(""), IsOkAndHolds(""));
}

TEST_F(HostSysfsTest, DotDotOutOfRootIsRejected) {
  EXPECT_THAT(sysfs_->ReadFile("../secret"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("escapes host root")));
}

TEST_F(HostSysfsTest, SymlinkOutOfRootIsRejected) {
  fs::create_symlink("../../secret", root_ / "sys/evil");
  fs::create_symlink("/etc/passwd", root_ / "sys/abs");
  EXPECT_THAT(sysfs_->ReadFile("sys/evil"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(sysfs_->ReadFile("sys/abs"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(HostSysfsTest, AbsolutePathIsInvalid) {
  EXPECT_THAT(sysfs_->ReadFile("/etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HostSysfsTest, SymlinkLoopFailsCleanly) {
  fs::create_symlink("loop", root_ / "sys/loop");
  absl::StatusOr<std::string> r = sysfs_->ReadFile("sys/loop");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(StatusErrno(r.status()), ELOOP);
}

TEST_F(HostSysfsTest, WriteIsOneStoreAndTruncates) {
  Write("sys/attr", "longer old value\n");
  EXPECT_THAT(sysfs_->WriteFile("sys/attr", "new"), IsOk());
  EXPECT_THAT(sysfs_->ReadFile("sys/attr"), IsOkAndHolds("new"));
  EXPECT_THAT(sysfs_->WriteFile("sys/missing_dir/x", "1"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(HostSysfsTest, WriteOnlyAttributeIsNotReadableByNonRoot) {
  Write("sys/create", "");
  ::chmod((root_ / "sys/create").c_str(), 0200);
  absl::StatusOr<FileInfo> info = sysfs_->Lstat("sys/create");
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->mode, 0200u);
  EXPECT_EQ(info->type, FileType::kRegular);
}

TEST_F(HostSysfsTest, LstatSeesSymlinkStatFollowsIt) {
  EXPECT_THAT(sysfs_->Lstat("sys/bus/pci/devices/0000:42:00.0"), IsOk());
  EXPECT_EQ(sysfs_->Lstat("sys/bus/pci/devices/0000:42:00.0")->type,
            FileType::kSymlink);
  EXPECT_EQ(sysfs_->Stat("sys/bus/pci/devices/0000:42:00.0")->type,
            FileType::kDirectory);
}

TEST_F(HostSysfsTest, HostPathJoinsRoot) {
  EXPECT_EQ(sysfs_->HostPath("dev/vfio"), sysfs_->root() + "/dev/vfio");
}

TEST_F(HostSysfsTest, MissingRootIsNotFound) {
  EXPECT_THAT(NewHostSysfs(tmp_.path() + "/nope"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(PathTest, ResolveRelative) {
  EXPECT_THAT(ResolveRelative("sys/bus/pci/devices",
                              "../../../devices/pci0000:00/0000:00:02.0"),
              IsOkAndHolds("sys/devices/pci0000:00/0000:00:02.0"));
  EXPECT_THAT(ResolveRelative("sys", "../../x"),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(ResolveRelative("sys", "/x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PathTest, BasenameDirnameJoin) {
  EXPECT_EQ(Basename("../../kernel/iommu_groups/25"), "25");
  EXPECT_EQ(Basename("a"), "a");
  EXPECT_EQ(Dirname("a/b/c"), "a/b");
  EXPECT_EQ(Dirname("a"), "");
  EXPECT_EQ(JoinPath("", "b"), "b");
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
}

class CountingSysfs : public SysfsWrapper {
 public:
  using SysfsWrapper::SysfsWrapper;
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    ++reads;
    return SysfsWrapper::ReadFile(path);
  }
  int reads = 0;
};

TEST_F(HostSysfsTest, WrapperForwardsAndCanOverride) {
  CountingSysfs counting(*sysfs_);
  EXPECT_THAT(counting.ReadFile("sys/bus/pci/devices/0000:42:00.0/vendor"),
              IsOkAndHolds("0x10de\n"));
  EXPECT_EQ(counting.reads, 1);
  EXPECT_EQ(counting.root(), sysfs_->root());
}

}  // namespace
}  // namespace vgpu::sysfs
