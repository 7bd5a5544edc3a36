// Profiles workstation, t4-vgpu, a100-sriov, h100-hgx, large, passthrough,
// and the
// profile registry, checked through the HostSysfs boundary.
#include <algorithm>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/simhost/profile_fixture.h"
#include "test/testing/status_matchers.h"

namespace vgpu::simhost {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

TEST_F(ProfileTest, EveryProfileBuilds) {
  for (const std::string& name : ProfileNames()) {
    SCOPED_TRACE(name);
    ::vgpu::testing::TempDir tmp;
    auto host = SimHost::Create(tmp.path() + "/host");
    ASSERT_THAT(host, IsOk());
    ProfileOptions small;
    small.gpus = 2;
    small.vfs_per_gpu = 3;
    EXPECT_THAT(BuildProfile(**host, name, small), IsOk());
  }
  EXPECT_THAT(ProfileNames(),
              ElementsAre("workstation", "t4-vgpu", "a100-sriov", "h100-hgx",
                          "ada-vf-vgpu", "intel-gvt", "amd-sriov", "broken",
                          "large", "t4-empty", "large-empty", "stock-debian",
                          "mdev-no-parent", "mdev-virtual", "passthrough"));
}

TEST_F(ProfileTest, StockDebianHasVfioDevWithoutDev) {
  ASSERT_THAT(Build("stock-debian"), IsOk());
  EXPECT_THAT(List("sys/kernel/iommu_groups/6/devices"),
              ElementsAre("0000:01:00.0", "0000:01:00.1"));
  EXPECT_THAT(List("sys/kernel/iommu_groups/8/devices"),
              ElementsAre("0000:41:00.0", "0000:41:00.1"));
  EXPECT_THAT(List("sys/bus/pci/devices/0000:01:00.1/vfio-dev"),
              ElementsAre("vfio1"));
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:01:00.1/vfio-dev/vfio1/dev"));
  // Without a node the uevent names none (lab §9 #2).
  EXPECT_EQ(Attr("0000:01:00.1", "vfio-dev/vfio1/uevent"), "");
  EXPECT_THAT(List("sys/class/vfio-dev"),
              ElementsAre("vfio0", "vfio1", "vfio2", "vfio3"));
  EXPECT_FALSE(Present("dev/vfio/devices"));
  EXPECT_FALSE(Present("dev/iommu"));
  EXPECT_FALSE(Present("sys/class/mdev_bus"));
  EXPECT_THAT(List("dev/vfio"), ElementsAre("6", "8", "vfio"));
  EXPECT_EQ(Attr("0000:41:00.0", "numa_node"), "1\n");
  EXPECT_EQ(Attr("0000:41:00.0", "class"), "0x038000\n");
  EXPECT_EQ(Attr("0000:01:00.0", "driver_override"), "vfio-pci\n");
  EXPECT_EQ(Attr("0000:01:00.0", "enable"), "0\n");
  EXPECT_EQ(Attr("0000:01:00.0", "reset_method"), "bus\n");
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:01:00.1/reset"));
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:01:00.1/reset_method"));
  EXPECT_EQ(Attr("0000:00:05.0", "power_state"), "unknown\n");
}

TEST_F(ProfileTest, MdevNoParentHasAnEmptyMdevBus) {
  ASSERT_THAT(Build("mdev-no-parent"), IsOk());
  EXPECT_THAT(List("sys/class/mdev_bus"), IsEmpty());
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  EXPECT_THAT(List("sys/bus/mdev/drivers"), IsEmpty());
}

TEST_F(ProfileTest, MdevVirtualHasSampleParents) {
  ASSERT_THAT(Build("mdev-virtual"), IsOk());
  EXPECT_THAT(List("sys/class/mdev_bus"), ElementsAre("mbochs", "mtty"));
  EXPECT_THAT(sysfs_->ReadLink("sys/class/mdev_bus/mtty"),
              IsOkAndHolds("../../devices/virtual/mtty/mtty"));
  const std::string types =
      "sys/devices/virtual/mbochs/mbochs/mdev_supported_types/";
  EXPECT_THAT(List(types),
              ElementsAre("mbochs-large", "mbochs-medium", "mbochs-small"));
  EXPECT_THAT(sysfs_->ReadFile(types + "mbochs-medium/available_instances"),
              IsOkAndHolds("3\n"));
  EXPECT_FALSE(
      Present("sys/devices/virtual/mtty/mtty/mdev_supported_types/mtty-1/"
              "description"));
  const std::string uuid = "5b1a4f3e-8c2d-4e6f-9a7b-0c1d2e3f4a5b";
  EXPECT_THAT(List("sys/bus/mdev/devices"), ElementsAre(uuid));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/mdev/devices/" + uuid + "/driver"),
              IsOkAndHolds("../../../../../bus/mdev/drivers/mbochs"));
  // The lowest free group: the PCI functions use 3, 6, 7 and 8.
  EXPECT_THAT(sysfs_->ReadFile("sys/kernel/iommu_groups/0/name"),
              IsOkAndHolds("vfio-noiommu\n"));
  EXPECT_TRUE(Present("dev/vfio/0"));
}

TEST_F(ProfileTest, UnknownProfileIsNotFoundNamingKnownOnes) {
  EXPECT_THAT(Build("nope"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("unknown profile \"nope\"; known profiles: "
                                 "workstation, t4-vgpu, a100-sriov")));
  EXPECT_THAT(CheckProfile("large", ProfileOptions{0, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 x 1")));
  EXPECT_THAT(CheckProfile("large", ProfileOptions{1, 253}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckProfile("workstation", ProfileOptions{0, 0}), IsOk());
}

TEST_F(ProfileTest, Workstation) {
  ASSERT_THAT(Build("workstation"), IsOk());
  EXPECT_THAT(List("sys/kernel/iommu_groups/25/devices"),
              ElementsAre("0000:42:00.0", "0000:42:00.1"));
  EXPECT_THAT(List("sys/kernel/iommu_groups/10/devices"),
              ElementsAre("0000:61:00.0", "0000:61:00.1"));
  EXPECT_THAT(List("sys/kernel/iommu_groups/24/devices"),
              ElementsAre("0000:41:00.0", "0000:41:00.1"));
  EXPECT_EQ(LinkName("0000:42:00.1", "driver"), "vfio-pci");
  EXPECT_EQ(LinkName("0000:61:00.1", "driver"), "snd_hda_intel");
  EXPECT_EQ(LinkName("0000:41:00.0", "driver"), "nvidia");
  EXPECT_EQ(LinkName("0000:40:03.1", "driver"), "pcieport");
  EXPECT_EQ(LinkName("0000:40:03.1", "iommu_group"), "17");
  EXPECT_EQ(LinkName("0000:60:03.1", "iommu_group"), "3");
  EXPECT_EQ(Attr("0000:42:00.0", "device"), "0x2230\n");
  EXPECT_EQ(Attr("0000:42:00.1", "device"), "0x1aef\n");
  EXPECT_EQ(Attr("0000:42:00.1", "class"), "0x040300\n");
  EXPECT_EQ(Attr("0000:40:03.1", "class"), "0x060400\n");
  EXPECT_EQ(Attr("0000:40:03.1", "device"), "0x1483\n");
  EXPECT_EQ(Attr("0000:41:00.0", "device"), "0x0ff3\n");
  EXPECT_EQ(Attr("0000:41:00.1", "device"), "0x0e1b\n");
  EXPECT_EQ(Attr("0000:61:00.0", "numa_node"), "-1\n");
  EXPECT_EQ(Attr("0000:41:00.0", "boot_vga"), "1\n");
  EXPECT_EQ(Attr("0000:61:00.0", "boot_vga"), "0\n");
  // Function 0 of the slot has a reset; function 1 neither file.
  EXPECT_EQ(Attr("0000:42:00.0", "reset_method"), "flr bus\n");
  EXPECT_EQ(Attr("0000:42:00.1", "reset_method"), "<error>");
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:42:00.1/reset"));
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:61:00.1"),
              IsOkAndHolds("sys/devices/pci0000:60/0000:60:03.1/0000:61:00.1"));
  EXPECT_THAT(List("dev/vfio"), ElementsAre("10", "25", "vfio"));
  EXPECT_FALSE(Present("dev/iommu"));
  EXPECT_FALSE(Present("sys/bus/mdev"));
}

TEST_F(ProfileTest, T4Vgpu) {
  ASSERT_THAT(Build("t4-vgpu"), IsOk());
  EXPECT_THAT(List("sys/class/mdev_bus"),
              ElementsAre("0000:3b:00.0", "0000:d8:00.0"));
  const std::string t0 = "sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types";
  const std::string t1 = "sys/class/mdev_bus/0000:d8:00.0/mdev_supported_types";
  EXPECT_THAT(List(t0), SizeIs(13));
  EXPECT_THAT(List(t0), Contains("nvidia-222"));
  EXPECT_THAT(sysfs_->ReadFile(t0 + "/nvidia-230/name"),
              IsOkAndHolds("GRID T4-1Q\n"));
  EXPECT_THAT(sysfs_->ReadFile(t0 + "/nvidia-230/description"),
              IsOkAndHolds("num_heads=4, frl_config=60, framebuffer=1024M, "
                           "max_resolution=5120x2880, max_instance=16\n"));
  EXPECT_THAT(sysfs_->ReadFile(t0 + "/nvidia-234/name"),
              IsOkAndHolds("GRID T4-16Q\n"));
  EXPECT_THAT(sysfs_->ReadFile(t0 + "/nvidia-230/available_instances"),
              IsOkAndHolds("14\n"));
  EXPECT_THAT(sysfs_->ReadFile(t0 + "/nvidia-231/available_instances"),
              IsOkAndHolds("0\n"));
  EXPECT_THAT(sysfs_->ReadFile(t1 + "/nvidia-230/available_instances"),
              IsOkAndHolds("16\n"));
  EXPECT_THAT(sysfs_->ReadFile(t1 + "/nvidia-232/available_instances"),
              IsOkAndHolds("4\n"));
  EXPECT_THAT(sysfs_->ReadFile(t1 + "/nvidia-234/available_instances"),
              IsOkAndHolds("1\n"));
  EXPECT_THAT(List(t0 + "/nvidia-230/devices"),
              ElementsAre("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01",
                          "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02"));
  EXPECT_THAT(List("sys/bus/mdev/devices"), SizeIs(2));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/mdev/devices/"
                               "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02/"
                               "iommu_group"),
              IsOkAndHolds("../../../../../kernel/iommu_groups/101"));
  EXPECT_EQ(Attr("0000:3b:00.0", "numa_node"), "0\n");
  EXPECT_EQ(Attr("0000:d8:00.0", "numa_node"), "1\n");
  EXPECT_EQ(LinkName("0000:d8:00.0", "iommu_group"), "91");
  EXPECT_EQ(Attr("0000:3b:00.0", "class"), "0x030200\n");
  EXPECT_THAT(List("dev/vfio"), ElementsAre("100", "101", "vfio"));
}

TEST_F(ProfileTest, T4EmptyHasEveryTypeAtMaxAndNoInstances) {
  ASSERT_THAT(Build("t4-empty"), IsOk());
  EXPECT_THAT(List("sys/class/mdev_bus"),
              ElementsAre("0000:3b:00.0", "0000:d8:00.0"));
  for (const char* gpu : {"0000:3b:00.0", "0000:d8:00.0"}) {
    const std::string types =
        std::string("sys/class/mdev_bus/") + gpu + "/mdev_supported_types";
    EXPECT_THAT(List(types), SizeIs(13));
    EXPECT_THAT(sysfs_->ReadFile(types + "/nvidia-230/available_instances"),
                IsOkAndHolds("16\n"));
    EXPECT_THAT(sysfs_->ReadFile(types + "/nvidia-234/available_instances"),
                IsOkAndHolds("1\n"));
    EXPECT_THAT(List(types + "/nvidia-230/devices"), IsEmpty());
  }
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  EXPECT_THAT(List("dev/vfio"), ElementsAre("vfio"));
}

TEST_F(ProfileTest, A100Sriov) {
  ASSERT_THAT(Build("a100-sriov"), IsOk());
  const std::string pf = "0000:41:00.0";
  EXPECT_EQ(Attr(pf, "sriov_totalvfs"), "16\n");
  EXPECT_EQ(Attr(pf, "sriov_numvfs"), "16\n");
  EXPECT_EQ(Attr(pf, "device"), "0x20f1\n");
  EXPECT_EQ(LinkName(pf, "virtfn0"), "0000:41:00.4");
  EXPECT_EQ(LinkName(pf, "virtfn3"), "0000:41:00.7");
  EXPECT_EQ(LinkName(pf, "virtfn4"), "0000:41:01.0");
  EXPECT_EQ(LinkName(pf, "virtfn15"), "0000:41:02.3");
  EXPECT_FALSE(
      Present("sys/bus/pci/devices/0000:41:00.0/"
              "mdev_supported_types"));
  EXPECT_EQ(LinkName("0000:41:01.0", "physfn"), pf);
  EXPECT_EQ(LinkName("0000:41:00.4", "iommu_group"), "41");
  EXPECT_EQ(LinkName("0000:41:02.3", "iommu_group"), "56");
  EXPECT_EQ(LinkName("0000:41:02.3", "driver"), "nvidia");
  EXPECT_EQ(Attr("0000:41:02.3", "numa_node"), "0\n");
  EXPECT_THAT(List("sys/class/mdev_bus"), SizeIs(20));
  auto avail = [&](const std::string& vf, const std::string& type) {
    return Attr(vf, "mdev_supported_types/" + type + "/available_instances");
  };
  EXPECT_EQ(avail("0000:41:00.4", "nvidia-468"), "0\n");
  EXPECT_EQ(avail("0000:41:00.6", "nvidia-468"), "1\n");
  EXPECT_EQ(avail("0000:41:00.6", "nvidia-469"), "0\n");
  EXPECT_EQ(avail("0000:41:00.6", "nvidia-474"), "0\n");
  EXPECT_EQ(Attr("0000:41:00.6", "mdev_supported_types/nvidia-478/name"),
            "GRID A100-7-40C\n");
  EXPECT_THAT(List("sys/bus/pci/devices/0000:41:00.4/mdev_supported_types/"
                   "nvidia-468/devices"),
              ElementsAre("3f8e5c1a-7b2d-4e6f-8a9b-1c2d3e4f5a01"));
  EXPECT_THAT(List("sys/bus/pci/devices/0000:41:00.5/mdev_supported_types/"
                   "nvidia-468/devices"),
              ElementsAre("3f8e5c1a-7b2d-4e6f-8a9b-1c2d3e4f5a02"));
  EXPECT_EQ(Attr("0000:c1:00.0", "device"), "0x2236\n");
  EXPECT_EQ(Attr("0000:c1:00.0", "sriov_numvfs"), "4\n");
  EXPECT_EQ(Attr("0000:c1:00.7", "numa_node"), "1\n");
  EXPECT_EQ(avail("0000:c1:00.7", "nvidia-590"), "1\n");
  EXPECT_THAT(List("dev/vfio"), ElementsAre("200", "201", "vfio"));
}

TEST_F(ProfileTest, H100Hgx) {
  ASSERT_THAT(Build("h100-hgx"), IsOk());
  const char* const kGpus[] = {"0000:1b:00.0", "0000:43:00.0", "0000:52:00.0",
                               "0000:61:00.0", "0000:9d:00.0", "0000:c3:00.0",
                               "0000:d1:00.0", "0000:df:00.0"};
  const char* const kGroups[] = {"30", "31", "32", "33",
                                 "60", "61", "62", "63"};
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(kGpus[i]);
    EXPECT_EQ(Attr(kGpus[i], "device"), "0x2330\n");
    EXPECT_EQ(Attr(kGpus[i], "class"), "0x030200\n");
    EXPECT_EQ(LinkName(kGpus[i], "driver"), "vfio-pci");
    EXPECT_EQ(LinkName(kGpus[i], "iommu_group"), kGroups[i]);
    EXPECT_EQ(Attr(kGpus[i], "numa_node"), i < 4 ? "0\n" : "1\n");
    EXPECT_EQ(Attr(kGpus[i], "vfio-dev/vfio" + std::to_string(i) + "/dev"),
              "511:" + std::to_string(i) + "\n");
    auto real =
        sysfs_->RealPath(std::string("sys/bus/pci/devices/") + kGpus[i]);
    ASSERT_THAT(real, IsOk());
    // sys/devices/pciDDDD:BB/<3 bridges>/<gpu>.
    EXPECT_EQ(std::count(real->begin(), real->end(), '/'), 6);
  }
  // Pairs of GPUs share a PEX switch (same upstream port).
  auto up = [&](const char* bdf) {
    auto real = sysfs_->RealPath(std::string("sys/bus/pci/devices/") + bdf);
    return real.ok() ? std::string(sysfs::Dirname(sysfs::Dirname(*real))) : "";
  };
  EXPECT_EQ(up("0000:1b:00.0"), up("0000:43:00.0"));
  EXPECT_NE(up("0000:1b:00.0"), up("0000:52:00.0"));
  EXPECT_EQ(Attr("0000:16:00.0", "device"), "0xc030\n");
  EXPECT_EQ(Attr("0000:16:00.0", "vendor"), "0x1000\n");
  for (int i = 0; i < 4; ++i) {
    std::string sw = "0000:0" + std::string(1, "789a"[i]) + ":00.0";
    SCOPED_TRACE(sw);
    EXPECT_EQ(Attr(sw, "class"), "0x068000\n");
    EXPECT_EQ(Attr(sw, "device"), "0x22a3\n");
    EXPECT_EQ(LinkName(sw, "iommu_group"), std::to_string(20 + i));
  }
  EXPECT_EQ(LinkName("0000:2a:00.0", "driver"), "mlx5_core");
  EXPECT_EQ(Attr("0000:2a:00.0", "vendor"), "0x15b3\n");
  EXPECT_TRUE(Present("dev/iommu"));
  EXPECT_TRUE(Present("dev/vfio/vfio"));
  EXPECT_THAT(List("dev/vfio/devices"), SizeIs(12));
  EXPECT_THAT(List("dev/vfio"), SizeIs(14));  // 12 groups + devices + vfio.
}

TEST_F(ProfileTest, LargeDefaultIs16x32) {
  absl::Time start = absl::Now();
  ASSERT_THAT(Build("large"), IsOk());
  absl::Duration took = absl::Now() - start;
  RecordProperty("build_ms", std::to_string(absl::ToInt64Milliseconds(took)));
  // ~33k entries: under a second on an idle disk, tens of seconds on a busy
  // shared one. The bound only catches pathological slowdowns.
  EXPECT_LT(took, absl::Seconds(300));
  EXPECT_THAT(List("sys/bus/pci/devices"), SizeIs(16 + 16 + 16 * 32));
  EXPECT_THAT(List("sys/bus/mdev/devices"), SizeIs(16 * 32));
  EXPECT_THAT(List("sys/class/mdev_bus"), SizeIs(16 * 32));
  EXPECT_EQ(Attr("0000:10:00.0", "sriov_numvfs"), "32\n");
  EXPECT_EQ(Attr("0000:10:00.0", "numa_node"), "1\n");
  EXPECT_EQ(Attr("0000:01:00.0", "numa_node"), "0\n");
  EXPECT_EQ(LinkName("0000:01:00.0", "virtfn31"), "0000:01:04.3");
  EXPECT_EQ(Attr("0000:01:04.3",
                 "mdev_supported_types/nvidia-468/available_instances"),
            "0\n");
  EXPECT_THAT(List("sys/bus/pci/devices/0000:01:04.3/mdev_supported_types/"
                   "nvidia-468/devices"),
              SizeIs(1));
}

TEST_F(ProfileTest, LargeTakesOptions) {
  ASSERT_THAT(Build("large", ProfileOptions{3, 2}), IsOk());
  EXPECT_THAT(List("sys/bus/pci/devices"),
              ElementsAre("0000:00:01.0", "0000:00:01.1", "0000:00:01.2",
                          "0000:01:00.0", "0000:01:00.4", "0000:01:00.5",
                          "0000:02:00.0", "0000:02:00.4", "0000:02:00.5",
                          "0000:03:00.0", "0000:03:00.4", "0000:03:00.5"));
  EXPECT_THAT(List("sys/bus/mdev/devices"), SizeIs(6));
}

// The same host as `large`, with every VF free: one A100-4C each.
TEST_F(ProfileTest, LargeEmptyHasTheParentsAndNoInstances) {
  ASSERT_THAT(Build("large-empty", ProfileOptions{3, 2}), IsOk());
  EXPECT_THAT(List("sys/bus/pci/devices"), SizeIs(3 + 3 + 3 * 2));
  EXPECT_THAT(List("sys/class/mdev_bus"), SizeIs(3 * 2));
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  EXPECT_EQ(Attr("0000:03:00.5",
                 "mdev_supported_types/nvidia-468/available_instances"),
            "1\n");
  EXPECT_THAT(CheckProfile("large-empty", ProfileOptions{0, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("profile large-empty wants 1..248 gpus")));
}

// G whole GPUs, each with its HDMI audio function in its own group, both on
// vfio-pci: the passthrough host of the scaling benchmark.
TEST_F(ProfileTest, PassthroughTakesGpus) {
  ASSERT_THAT(Build("passthrough", ProfileOptions{3, 7}), IsOk());
  EXPECT_THAT(List("sys/bus/pci/devices"),
              ElementsAre("0000:00:01.0", "0000:00:01.1", "0000:00:01.2",
                          "0000:01:00.0", "0000:01:00.1", "0000:02:00.0",
                          "0000:02:00.1", "0000:03:00.0", "0000:03:00.1"));
  EXPECT_EQ(Attr("0000:03:00.0", "vendor"), "0x10de\n");
  EXPECT_EQ(Attr("0000:03:00.0", "device"), "0x26b1\n");
  EXPECT_EQ(Attr("0000:03:00.1", "device"), "0x22ba\n");
  EXPECT_EQ(Attr("0000:03:00.0", "numa_node"), "1\n");
  EXPECT_EQ(Attr("0000:01:00.0", "numa_node"), "0\n");
  EXPECT_EQ(LinkName("0000:02:00.1", "driver"), "vfio-pci");
  EXPECT_EQ(LinkName("0000:02:00.0", "iommu_group"), "3");
  EXPECT_THAT(List("sys/kernel/iommu_groups/3/devices"),
              ElementsAre("0000:02:00.0", "0000:02:00.1"));
  EXPECT_THAT(List("sys/bus/pci/devices/0000:02:00.0/vfio-dev"),
              ElementsAre("vfio2"));
  EXPECT_TRUE(Present("dev/vfio/5"));
  EXPECT_FALSE(Present("sys/class/mdev_bus"));  // mdev.ko not loaded.
}

TEST_F(ProfileTest, PassthroughScalesTo128Gpus) {
  ASSERT_THAT(Build("passthrough", ProfileOptions{128, 0}), IsOk());
  EXPECT_THAT(List("sys/bus/pci/devices"), SizeIs(128 * 3));
  EXPECT_THAT(List("dev/vfio"), Contains("255"));
  EXPECT_THAT(CheckProfile("passthrough", ProfileOptions{249, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("profile passthrough wants 1..248 gpus")));
}

}  // namespace
}  // namespace vgpu::simhost
