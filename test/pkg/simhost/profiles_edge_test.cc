// Profiles ada-vf-vgpu, intel-gvt, amd-sriov and broken, checked through
// the HostSysfs boundary.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/simhost/profile_fixture.h"
#include "test/testing/status_matchers.h"

namespace vgpu::simhost {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

TEST_F(ProfileTest, AdaVfVgpu) {
  ASSERT_THAT(Build("ada-vf-vgpu"), IsOk());
  EXPECT_FALSE(Present("sys/bus/mdev"));
  EXPECT_FALSE(Present("sys/class/mdev_bus"));
  const std::string pf = "0000:01:00.0";
  EXPECT_EQ(Attr(pf, "device"), "0x26b9\n");
  EXPECT_EQ(Attr(pf, "sriov_numvfs"), "8\n");
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:01:00.0/nvidia"));
  EXPECT_EQ(LinkName(pf, "virtfn7"), "0000:01:01.3");
  EXPECT_EQ(LinkName("0000:01:00.4", "driver"), "nvidia");
  EXPECT_EQ(Attr("0000:01:00.4", "nvidia/creatable_vgpu_types"),
            "ID    : vGPU Name\n");
  EXPECT_EQ(Attr("0000:01:00.4", "nvidia/current_vgpu_type"), "1148\n");
  EXPECT_EQ(Attr("0000:01:00.6", "nvidia/creatable_vgpu_types"),
            "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n");
  EXPECT_EQ(Attr("0000:01:00.6", "nvidia/current_vgpu_type"), "0\n");
  EXPECT_EQ(Attr("0000:01:00.6", "vfio-dev/vfio2/dev"), "511:2\n");
  EXPECT_EQ(LinkName("0000:01:00.6", "iommu_group"), "17");
  EXPECT_TRUE(Present("dev/vfio/17"));
  EXPECT_TRUE(Present("dev/vfio/devices/vfio7"));
  EXPECT_FALSE(Present("dev/vfio/14"));  // The PF is not a VFIO device.
  EXPECT_TRUE(Present("dev/iommu"));
  EXPECT_EQ(Attr("0000:81:00.0", "sriov_numvfs"), "0\n");
  EXPECT_EQ(Attr("0000:81:00.0", "sriov_totalvfs"), "32\n");
  EXPECT_EQ(Attr("0000:81:00.0", "numa_node"), "1\n");
}

TEST_F(ProfileTest, IntelGvt) {
  ASSERT_THAT(Build("intel-gvt"), IsOk());
  const std::string gpu = "0000:00:02.0";
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/0000:00:02.0/iommu_group"),
              IsOkAndHolds("../../../kernel/iommu_groups/2"));
  EXPECT_EQ(Attr(gpu, "device"), "0x3e92\n");
  EXPECT_EQ(Attr(gpu, "numa_node"), "-1\n");
  EXPECT_EQ(LinkName(gpu, "driver"), "i915");
  EXPECT_EQ(Attr(gpu, "current_link_speed"), "<error>");  // Integrated.
  const std::string t = "mdev_supported_types/";
  EXPECT_EQ(Attr(gpu, t + "i915-GVTg_V5_4/name"), "GVTg_V5_4\n");
  EXPECT_EQ(Attr(gpu, t + "i915-GVTg_V5_8/description"),
            "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\n"
            "resolution: 1024x768\nweight: 2\n");
  EXPECT_EQ(Attr(gpu, t + "i915-GVTg_V5_4/available_instances"), "0\n");
  EXPECT_EQ(Attr(gpu, t + "i915-GVTg_V5_8/available_instances"), "1\n");
  const std::string mdev =
      "sys/bus/mdev/devices/f1c3a6e2-5d4b-4c8e-9a7f-0b2d3e4f5a61";
  EXPECT_THAT(sysfs_->ReadLink(mdev + "/mdev_type"),
              IsOkAndHolds("../mdev_supported_types/i915-GVTg_V5_8"));
  EXPECT_THAT(sysfs_->ReadLink(mdev + "/driver"),
              IsOkAndHolds("../../../../bus/mdev/drivers/intel_vgpu_mdev"));
  EXPECT_THAT(sysfs_->ReadLink(mdev + "/iommu_group"),
              IsOkAndHolds("../../../../kernel/iommu_groups/4"));
  EXPECT_TRUE(Present(mdev + "/intel_vgpu"));
  EXPECT_THAT(List("dev/vfio"), ElementsAre("4", "vfio"));
}

TEST_F(ProfileTest, AmdSriov) {
  ASSERT_THAT(Build("amd-sriov"), IsOk());
  const std::string pf = "0000:4c:00.0";
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:4c:00.0"),
              IsOkAndHolds("sys/devices/pci0000:40/0000:40:01.1/0000:4a:00.0/"
                           "0000:4b:00.0/0000:4c:00.0"));
  EXPECT_EQ(Attr("0000:4a:00.0", "device"), "0x14c7\n");
  EXPECT_EQ(Attr("0000:4b:00.0", "vendor"), "0x1002\n");
  EXPECT_EQ(Attr(pf, "device"), "0x740f\n");
  EXPECT_EQ(Attr(pf, "class"), "0x038000\n");
  EXPECT_EQ(Attr(pf, "revision"), "0x02\n");
  EXPECT_EQ(LinkName(pf, "driver"), "gim");
  EXPECT_EQ(Attr(pf, "sriov_vf_device"), "7410\n");
  EXPECT_EQ(LinkName(pf, "virtfn0"), "0000:4c:00.1");
  EXPECT_EQ(Attr("0000:4c:00.1", "device"), "0x7410\n");
  EXPECT_EQ(LinkName("0000:4c:00.1", "driver"), "vfio-pci");
  EXPECT_EQ(LinkName("0000:4c:00.1", "physfn"), pf);
  EXPECT_EQ(LinkName("0000:4c:00.1", "iommu_group"), "52");
  EXPECT_EQ(LinkName("0000:8c:00.0", "driver"), "vfio-pci");
  EXPECT_EQ(Attr("0000:8c:00.0", "numa_node"), "1\n");
  EXPECT_EQ(Attr("0000:8c:00.0", "sriov_totalvfs"), "<error>");
  EXPECT_FALSE(Present("sys/bus/mdev"));
  EXPECT_THAT(List("dev/vfio"), ElementsAre("52", "83", "vfio"));
}

TEST_F(ProfileTest, BrokenHasEveryEdgeCase) {
  ASSERT_THAT(Build("broken"), IsOk());
  EXPECT_EQ(Attr("0000:01:00.0", "numa_node"), "-1\n");
  EXPECT_THAT(sysfs_->ReadFile("sys/bus/pci/devices/0000:02:00.0/numa_node"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:03:00.0/iommu_group"));
  EXPECT_EQ(LinkName("0000:03:00.0", "driver"), "nouveau");
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:04:00.0/driver"));
  EXPECT_EQ(LinkName("0000:05:00.1", "driver"), "snd_hda_intel");
  EXPECT_THAT(List("sys/kernel/iommu_groups/6/devices"),
              ElementsAre("0000:00:06.0", "0000:06:00.0", "0000:06:00.1"));
  EXPECT_EQ(LinkName("0000:07:00.0", "driver"), "nvgrace_gpu_vfio_pci");
  EXPECT_EQ(Attr("0000:08:00.0", "vendor"), "10de\n");
  EXPECT_EQ(Attr("0000:09:00.0", "class"), "");
  EXPECT_EQ(Attr("0000:0a:00.0", "device"), "0x2230\r\n");
  EXPECT_THAT(sysfs_->ReadFile("sys/bus/pci/devices/0000:0b:00.0/vendor"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:0c:00.0/iommu_group"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(
      sysfs_->RealPath("sys/bus/pci/devices/0000:0d:00.0/iommu_group").ok());
  EXPECT_THAT(sysfs_->Lstat("sys/bus/pci/devices/0000:0e:00.0/device"),
              IsOkAndHolds(::testing::Field(&sysfs::FileInfo::mode, 0u)));
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/10000:e1:00.0"),
              IsOkAndHolds("sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/"
                           "10000:e0:06.0/10000:e1:00.0"));
  EXPECT_EQ(Attr("0000:10:00.0",
                 "mdev_supported_types/nvidia-999/available_instances"),
            "0\n");
  EXPECT_EQ(Attr("0000:10:00.0", "mdev_supported_types/nvidia-999/name"),
            "<error>");
  EXPECT_EQ(Attr("0000:10:00.0", "mdev_supported_types/nvidia-999/description"),
            "<error>");
  EXPECT_THAT(List("sys/bus/mdev/devices"),
              ElementsAre("c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff"));
  EXPECT_EQ(Attr("0000:11:00.0", "vendor"), "0x10DE\n");
  EXPECT_EQ(Attr("0000:12:00.0", "vendor"), "0x10d\n");
  EXPECT_EQ(Attr("0000:13:00.0", "device"), "0x2230");
  EXPECT_EQ(LinkName("0000:14:00.0", "iommu_group"), "20");
  EXPECT_FALSE(Present("dev/vfio/20"));
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:15:00.0"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(Present("dev/vfio/vfio"));
  EXPECT_FALSE(Present("dev/iommu"));
  // Viability inputs: group 5 node exists (first VFIO member made it).
  EXPECT_TRUE(Present("dev/vfio/5"));
  EXPECT_TRUE(Present("dev/vfio/22"));
  EXPECT_THAT(List("sys/bus/pci/devices"), SizeIs(26));
}

}  // namespace
}  // namespace vgpu::simhost
