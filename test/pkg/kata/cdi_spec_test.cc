#include "pkg/kata/cdi_spec.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::kata {
namespace {

using ::vgpu::coldplug::CdiSpecFile;
using ::vgpu::coldplug::ParseCdiSpecFile;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;
namespace fs = std::filesystem;

resources::PoolDevice Dev(std::string id, std::vector<std::string> nodes,
                          bool healthy = true) {
  resources::PoolDevice d;
  d.id = std::move(id);
  d.healthy = healthy;
  d.vfio_nodes = std::move(nodes);
  return d;
}

resources::Pool Pool(std::string name,
                     std::vector<resources::PoolDevice> devices) {
  resources::Pool p;
  p.resource_name = std::move(name);
  p.devices = std::move(devices);
  return p;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> DirNames(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

TEST(CdiSpecTest, RendersExactSpec) {
  const resources::Pool pool =
      Pool("nvidia.com/pgpu",
           {Dev("0000:1b:00.0", {"/dev/vfio/devices/vfio0"}),
            Dev("0000:42:00.0", {"/dev/vfio/25", "/dev/vfio/25"}, false)});
  EXPECT_EQ(RenderCdiSpec(pool), R"({
  "cdiVersion": "0.5.0",
  "kind": "nvidia.com/pgpu",
  "devices": [
    {
      "name": "0000:1b:00.0",
      "containerEdits": {
        "deviceNodes": [
          {
            "path": "/dev/vfio/devices/vfio0"
          }
        ]
      }
    },
    {
      "name": "0000:42:00.0",
      "containerEdits": {
        "deviceNodes": [
          {
            "path": "/dev/vfio/25"
          }
        ]
      }
    }
  ]
}
)");
}

TEST(CdiSpecTest, SkipsDevicesTheCdiLibraryWouldReject) {
  const resources::Pool pool =
      Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {}),       // no handle
                               Dev("-bad", {"/dev/vfio/3"}),  // bad name
                               Dev("0000:61:00.0", {"/dev/vfio/10"}, false)});
  absl::StatusOr<CdiSpecFile> parsed =
      ParseCdiSpecFile(RenderCdiSpec(pool), "/x/spec.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->devices.size(), 1u);
  EXPECT_EQ(parsed->devices[0].qualified_name, "nvidia.com/pgpu=0000:61:00.0");
  EXPECT_FALSE(CdiListsDevice(pool.devices[0]));
  EXPECT_FALSE(CdiListsDevice(pool.devices[1]));
  EXPECT_TRUE(CdiListsDevice(pool.devices[2]));
}

TEST(CdiSpecTest, FileNamesCannotCollideWithOtherVendors) {
  EXPECT_EQ(CdiSpecFileName("nvidia.com/pgpu"),
            "vgpu-device-plugin_nvidia.com_pgpu.json");
  EXPECT_EQ(CdiSpecFileName("nvidia.com/GRID_T4-1Q"),
            "vgpu-device-plugin_nvidia.com_GRID_T4-1Q.json");
}

TEST(CdiSpecTest, ValidatesNamesLikeTheCdiLibrary) {
  EXPECT_THAT(ValidateCdiKind("nvidia.com/pgpu"), IsOk());
  EXPECT_THAT(ValidateCdiKind("nvidia.com/GH100_H100-SXM5"), IsOk());
  EXPECT_THAT(ValidateCdiKind("nvidia.com"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid CDI kind \"nvidia.com\": want vendor/class"));
  EXPECT_THAT(ValidateCdiKind("nvidia.com/a.b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid CDI kind \"nvidia.com/a.b\": class \"a.b\" has "
                       "invalid character '.'"));
  EXPECT_THAT(ValidateCdiKind("1vendor/x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must start with a letter")));
  EXPECT_THAT(ValidateCdiDeviceName("0000:42:00.0"), IsOk());
  EXPECT_THAT(ValidateCdiDeviceName("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"),
              IsOk());
  EXPECT_THAT(ValidateCdiDeviceName("7"), IsOk());
  EXPECT_THAT(ValidateCdiDeviceName("a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid CDI device name \"a/b\": has invalid "
                       "character '/'"));
  EXPECT_THAT(ValidateCdiDeviceName("x-"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must end with a letter or digit")));
  EXPECT_THAT(ValidateCdiDeviceName(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

class CdiWriterTest : public ::testing::Test {
 protected:
  std::string Dir() const { return tmp_.path() + "/cdi"; }
  std::string Path(const std::string& resource) const {
    return Dir() + "/" + CdiSpecFileName(resource);
  }
  vgpu::testing::TempDir tmp_;
};

TEST_F(CdiWriterTest, WritesOneFilePerPoolAndCreatesTheDir) {
  resources::PoolSet set;
  set.pools = {Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})}),
               Pool("nvidia.com/nvswitch",
                    {Dev("0000:07:00.0", {"/dev/vfio/devices/vfio8"})})};
  CdiWriter writer(Dir());
  ASSERT_THAT(writer.Sync(set), IsOk());
  EXPECT_THAT(DirNames(Dir()),
              ElementsAre("vgpu-device-plugin_nvidia.com_nvswitch.json",
                          "vgpu-device-plugin_nvidia.com_pgpu.json"));
  EXPECT_EQ(Slurp(Path("nvidia.com/pgpu")), RenderCdiSpec(set.pools[0]));
  struct stat st {};
  ASSERT_EQ(::stat(Path("nvidia.com/pgpu").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(CdiWriterTest, RewritesOnlyChangedFiles) {
  resources::PoolSet set;
  set.pools = {Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})}),
               Pool("nvidia.com/nvswitch",
                    {Dev("0000:07:00.0", {"/dev/vfio/devices/vfio8"})})};
  CdiWriter writer(Dir());
  ASSERT_THAT(writer.Sync(set), IsOk());
  const ino_t pgpu = Inode(Path("nvidia.com/pgpu"));
  const ino_t nvswitch = Inode(Path("nvidia.com/nvswitch"));
  ASSERT_THAT(writer.Sync(set), IsOk());
  EXPECT_EQ(Inode(Path("nvidia.com/pgpu")), pgpu);
  set.pools[1].devices.push_back(
      Dev("0000:08:00.0", {"/dev/vfio/devices/vfio9"}));
  ASSERT_THAT(writer.Sync(set), IsOk());
  EXPECT_EQ(Inode(Path("nvidia.com/pgpu")), pgpu);
  EXPECT_NE(Inode(Path("nvidia.com/nvswitch")), nvswitch);
  EXPECT_EQ(Slurp(Path("nvidia.com/nvswitch")), RenderCdiSpec(set.pools[1]));
}

TEST_F(CdiWriterTest, RemovesOwnedFilesOfVanishedPoolsOnly) {
  fs::create_directories(Dir());
  std::ofstream(Dir() + "/nvidia.com-pgpu.yaml") << "cdiVersion: 0.5.0\n";
  // What an earlier run, or one that crashed mid-write, left behind.
  std::ofstream(Path("example.com/gone")) << "{}";
  std::ofstream(Dir() + "/.vgpu-device-plugin_Ab12Cd.tmp") << "{";
  resources::PoolSet set;
  set.pools = {Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})}),
               Pool("nvidia.com/empty", {Dev("0000:43:00.0", {})})};
  CdiWriter writer(Dir());
  ASSERT_THAT(writer.Sync(set), IsOk());
  EXPECT_THAT(DirNames(Dir()),
              ElementsAre("nvidia.com-pgpu.yaml",
                          "vgpu-device-plugin_nvidia.com_pgpu.json"));
  set.pools.clear();
  ASSERT_THAT(writer.Sync(set), IsOk());
  EXPECT_THAT(DirNames(Dir()), ElementsAre("nvidia.com-pgpu.yaml"));
}

TEST_F(CdiWriterTest, InvalidKindIsReportedAfterTheOthersAreWritten) {
  resources::PoolSet set;
  set.pools = {
      Pool("bad_kind", {Dev("0000:42:00.0", {"/dev/vfio/25"})}),
      Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})})};
  CdiWriter writer(Dir());
  EXPECT_THAT(writer.Sync(set),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid CDI kind \"bad_kind\"")));
  EXPECT_THAT(DirNames(Dir()),
              ElementsAre("vgpu-device-plugin_nvidia.com_pgpu.json"));
}

TEST_F(CdiWriterTest, OneUnwritableSpecDoesNotStopTheOthers) {
  resources::PoolSet set;
  set.pools = {
      Pool("nvidia.com/nvswitch", {Dev("0000:07:00.0", {"/dev/vfio/20"})}),
      Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})})};
  const std::string blocker =
      Dir() + "/vgpu-device-plugin_nvidia.com_nvswitch.json";
  fs::create_directories(blocker + "/x");
  CdiWriter writer(Dir());
  absl::Status s = writer.Sync(set);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(blocker));
  ASSERT_EQ(writer.failed().size(), 1u);
  EXPECT_THAT(writer.failed().at("nvidia.com/nvswitch"), HasSubstr(blocker));
  EXPECT_TRUE(
      fs::is_regular_file(Dir() + "/vgpu-device-plugin_nvidia.com_pgpu.json"));
  fs::remove_all(blocker);
  ASSERT_THAT(writer.Sync(set), IsOk());
  EXPECT_TRUE(writer.failed().empty());
  EXPECT_TRUE(fs::is_regular_file(blocker));
}

TEST_F(CdiWriterTest, RemoveAllLeavesForeignFiles) {
  fs::create_directories(Dir());
  std::ofstream(Dir() + "/other.json") << "{}";
  resources::PoolSet set;
  set.pools = {
      Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})})};
  CdiWriter writer(Dir());
  ASSERT_THAT(writer.Sync(set), IsOk());
  ASSERT_THAT(writer.RemoveAll(), IsOk());
  EXPECT_THAT(DirNames(Dir()), ElementsAre("other.json"));
}

TEST_F(CdiWriterTest, UnwritableDirIsAnErrorNamingThePath) {
  std::ofstream(tmp_.path() + "/file") << "x";
  CdiWriter writer(tmp_.path() + "/file/cdi");
  resources::PoolSet set;
  set.pools = {
      Pool("nvidia.com/pgpu", {Dev("0000:42:00.0", {"/dev/vfio/25"})})};
  absl::Status s = writer.Sync(set);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(tmp_.path() + "/file/cdi"));
}

}  // namespace
}  // namespace vgpu::kata
