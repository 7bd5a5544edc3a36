// `vgpuctl apply` end to end with a vGPU in use (layout_e2e_fixture.h): this
// test process opens the vGPU's /dev/vfio/<group> through the served host
// root, with the real /proc bound at <root>/proc (as a node's root mounted
// elsewhere sees its processes); a layout that no longer wants the vGPU
// leaves it `blocked` (exit 3) and removes the rest.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cmd/vgpuctl/layout_e2e_fixture.h"

namespace vgpu::vgpuctl {
namespace {

using ::testing::HasSubstr;

class LayoutInUseE2eTest : public LayoutE2eTest {
 protected:
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    if (proc_mounted_) ::umount2((host_ + "/proc").c_str(), MNT_DETACH);
  }

  // Binds the real /proc at host_/proc; false (and the reason) if it
  // cannot.
  bool BindProc(std::string& why) {
    const std::string proc = host_ + "/proc";
    if (::mkdir(proc.c_str(), 0755) != 0 ||
        ::mount("/proc", proc.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      why = std::strerror(errno);
      return false;
    }
    proc_mounted_ = true;
    return true;
  }

  // The IOMMU group of mdev `uuid`, read through the served host.
  std::string GroupOf(const std::string& uuid) {
    char link[PATH_MAX] = {};
    const std::string path =
        host_ + "/sys/bus/mdev/devices/" + uuid + "/iommu_group";
    if (::readlink(path.c_str(), link, sizeof(link) - 1) <= 0) return "";
    return std::strrchr(link, '/') + 1;
  }

  int fd_ = -1;
  bool proc_mounted_ = false;
};

TEST_F(LayoutInUseE2eTest, VgpuHeldOpenThroughTheHostRootIsBlocked) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_EQ(Vgpuctl("apply", "t4-4q").exit_code, 0);
  std::string why;
  if (!BindProc(why)) GTEST_SKIP() << "cannot bind /proc: " << why;
  std::set<std::string> gpu0;
  for (const std::string& uuid :
       ListDir(host_ + "/sys/bus/pci/devices/0000:3b:00.0/mdev_supported_types/"
                       "nvidia-232/devices")) {
    gpu0.insert(uuid);
  }
  ASSERT_EQ(gpu0.size(), 4u);
  const std::string held = *gpu0.begin();
  const std::string group = GroupOf(held);
  ASSERT_FALSE(group.empty());
  fd_ = ::open((host_ + "/dev/vfio/" + group).c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd_, 0) << std::strerror(errno);

  CommandResult apply = Vgpuctl("apply", "t4-gpu0-none");
  EXPECT_EQ(apply.exit_code, 3) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("blocked (3 writes)"));
  // This process holds it (vgpu-simhost too: the file under the mount).
  EXPECT_THAT(apply.output, HasSubstr("(open by pid "));
  EXPECT_EQ(Mdevs().count(held), 1u);
  EXPECT_EQ(Mdevs().size(), 5u);  // The held one and GPU 1's four.

  ::close(fd_);
  fd_ = -1;
  CommandResult freed = Vgpuctl("apply", "t4-gpu0-none");
  EXPECT_EQ(freed.exit_code, 0) << freed.output;
  EXPECT_EQ(Mdevs().count(held), 0u);
  ::umount2((host_ + "/proc").c_str(), MNT_DETACH);
  proc_mounted_ = false;
  EXPECT_TRUE(Stop());
}

}  // namespace
}  // namespace vgpu::vgpuctl
