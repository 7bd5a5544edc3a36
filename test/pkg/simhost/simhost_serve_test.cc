// `vgpu-simhost --serve` end to end: the real binary serves t4-empty over
// FUSE, this test writes with real write(2) calls and checks what appears
// and the errnos, then SIGTERM must unmount and exit 0. Needs /dev/fuse and
// root (CI has both); where the mount fails the test fails saying so.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/served_host.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::simhost {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::ReadWholeFile;

constexpr char kTypes[] =
    "sys/bus/pci/devices/0000:3b:00.0/mdev_supported_types";
constexpr char kUuid[] = "5b0d3c5e-9d7e-4a51-8f0c-2a4e6f8a1b3c";

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// One write(2) of `data`; 0 or the errno it failed with.
int WriteOnce(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, data.data(), data.size());
  int err = n < 0 ? errno : 0;
  ::close(fd);
  return err;
}

bool Mounted(const std::string& dir) {
  return ReadWholeFile("/proc/self/mountinfo").find(" " + dir + " ") !=
         std::string::npos;
}

class SimhostServeTest : public ::testing::Test {
 protected:
  void Start() { ASSERT_THAT(served_.Start("t4-empty", host_), IsOk()); }
  int Stop() { return served_.Stop(); }

  ::vgpu::testing::TempDir tmp_;
  const std::string host_ = tmp_.path() + "/host";
  ::vgpu::testing::ServedHost served_{VGPU_SIMHOST_BIN, tmp_.path()};
};

TEST_F(SimhostServeTest, WritesActAsTheKernelsUntilSigterm) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(Mounted(host_)) << "no FUSE mount on " << host_;
  const std::string t1q = host_ + "/" + kTypes + "/nvidia-230";
  EXPECT_EQ(ReadWholeFile(t1q + "/available_instances"), "16\n");

  EXPECT_EQ(WriteOnce(t1q + "/create", std::string(kUuid) + "\n"), 0);
  const std::string mdev = host_ + "/sys/bus/mdev/devices/" + kUuid;
  EXPECT_TRUE(Exists(mdev + "/remove"));
  EXPECT_TRUE(Exists(t1q + "/devices/" + kUuid));
  char group[256] = {};
  ASSERT_GT(::readlink((mdev + "/iommu_group").c_str(), group, 255), 0);
  const std::string group_id = std::strrchr(group, '/') + 1;
  EXPECT_TRUE(Exists(host_ + "/sys/kernel/iommu_groups/" + group_id +
                     "/devices/" + kUuid));
  EXPECT_TRUE(Exists(host_ + "/dev/vfio/" + group_id));
  EXPECT_EQ(ReadWholeFile(t1q + "/available_instances"), "15\n");
  EXPECT_EQ(
      ReadWholeFile(host_ + "/" + kTypes + "/nvidia-231/available_instances"),
      "0\n");

  EXPECT_EQ(WriteOnce(t1q + "/create", "not-a-uuid\n"), EINVAL);
  EXPECT_EQ(WriteOnce(t1q + "/create", kUuid), EEXIST);
  EXPECT_EQ(WriteOnce(host_ + "/" + kTypes + "/nvidia-234/create",
                      "5b0d3c5e-9d7e-4a51-8f0c-2a4e6f8a1b3d"),
            ENOSPC);

  EXPECT_EQ(WriteOnce(mdev + "/remove", "1\n"), 0);
  EXPECT_FALSE(Exists(mdev));
  EXPECT_FALSE(Exists(host_ + "/dev/vfio/" + group_id));
  EXPECT_EQ(ReadWholeFile(t1q + "/available_instances"), "16\n");

  EXPECT_EQ(Stop(), 0) << served_.Stderr();
  EXPECT_FALSE(Mounted(host_));
  // The tree underneath holds what the writes left.
  EXPECT_EQ(ReadWholeFile(t1q + "/available_instances"), "16\n");
  EXPECT_THAT(served_.Stdout(), HasSubstr("serving " + host_));
}

}  // namespace
}  // namespace vgpu::simhost
