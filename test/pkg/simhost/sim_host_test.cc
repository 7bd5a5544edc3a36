#include "pkg/simhost/sim_host.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::simhost {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

constexpr char kGpuDir[] = "sys/devices/pci0000:40/0000:40:03.1/0000:42:00.0";

FunctionSpec RootPort(const std::string& bdf, int group) {
  FunctionSpec s;
  s.bdf = bdf;
  s.vendor = 0x1022;
  s.device = 0x1483;
  s.subsystem_vendor = 0x1022;
  s.subsystem_device = 0x1453;
  s.class_code = 0x060400;
  s.revision = 0x00;
  s.driver = "pcieport";
  s.iommu_group = group;
  return s;
}

FunctionSpec Gpu(const std::string& bdf, const std::string& driver, int group,
                 std::vector<std::string> bridges) {
  FunctionSpec s;
  s.bdf = bdf;
  s.vendor = 0x10de;
  s.device = 0x2230;
  s.subsystem_vendor = 0x10de;
  s.subsystem_device = 0x1459;
  s.class_code = 0x030000;
  s.driver = driver;
  s.iommu_group = group;
  s.parent_bridges = std::move(bridges);
  return s;
}

class SimHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto host = SimHost::Create(tmp_.path() + "/host");
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    auto sysfs = sysfs::NewHostSysfs(host_->root());
    ASSERT_THAT(sysfs, IsOk());
    sysfs_ = *std::move(sysfs);
  }

  // Root port 40:03.1 (group 17) with GPU 42:00.0 + audio 42:00.1 below it.
  void AddWorkstationPair(const std::string& audio_driver) {
    ASSERT_THAT(host_->AddFunction(RootPort("0000:40:03.1", 17)), IsOk());
    ASSERT_THAT(host_->AddFunction(
                    Gpu("0000:42:00.0", "vfio-pci", 25, {"0000:40:03.1"})),
                IsOk());
    FunctionSpec audio =
        Gpu("0000:42:00.1", audio_driver, 25, {"0000:40:03.1"});
    audio.device = 0x1aef;
    audio.class_code = 0x040300;
    ASSERT_THAT(host_->AddFunction(audio), IsOk());
  }

  bool Present(const std::string& path) { return sysfs_->Lstat(path).ok(); }

  uint32_t Mode(const std::string& path) {
    auto info = sysfs_->Lstat(path);
    return info.ok() ? info->mode : 07777;
  }

  ::vgpu::testing::TempDir tmp_;
  std::unique_ptr<SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

TEST_F(SimHostTest, CreateWritesSkeleton) {
  for (const char* dir : {"sys/bus/pci/devices", "sys/bus/pci/drivers",
                          "sys/kernel/iommu_groups", "sys/devices", "dev"}) {
    SCOPED_TRACE(dir);
    EXPECT_THAT(sysfs_->ListDir(dir), IsOkAndHolds(ElementsAre()));
  }
  EXPECT_FALSE(Present("sys/class/mdev_bus"));
  EXPECT_FALSE(Present("sys/bus/mdev"));
  EXPECT_FALSE(Present("dev/vfio"));
}

TEST_F(SimHostTest, CreateRefusesNonEmptyRoot) {
  EXPECT_THAT(
      SimHost::Create(host_->root()),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not empty")));
}

TEST_F(SimHostTest, AttributesUseKernelFormats) {
  AddWorkstationPair("vfio-pci");
  const std::string d = "sys/bus/pci/devices/0000:42:00.0/";
  EXPECT_THAT(sysfs_->ReadFile(d + "vendor"), IsOkAndHolds("0x10de\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "device"), IsOkAndHolds("0x2230\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "subsystem_device"),
              IsOkAndHolds("0x1459\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "class"), IsOkAndHolds("0x030000\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "revision"), IsOkAndHolds("0xa1\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "numa_node"), IsOkAndHolds("-1\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "local_cpulist"), IsOkAndHolds("0-127\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "driver_override"),
              IsOkAndHolds("(null)\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "boot_vga"), IsOkAndHolds("0\n"));
  // vfio-pci enables the device only when a VMM opens it.
  EXPECT_THAT(sysfs_->ReadFile(d + "enable"), IsOkAndHolds("0\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "power_state"), IsOkAndHolds("D0\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "max_link_speed"),
              IsOkAndHolds("16.0 GT/s PCIe\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "modalias"),
              IsOkAndHolds("pci:v000010DEd00002230sv000010DEsd00001459bc03sc00"
                           "i00\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "uevent"),
              IsOkAndHolds("DRIVER=vfio-pci\n"
                           "PCI_CLASS=30000\n"
                           "PCI_ID=10DE:2230\n"
                           "PCI_SUBSYS_ID=10DE:1459\n"
                           "PCI_SLOT_NAME=0000:42:00.0\n"
                           "MODALIAS=pci:v000010DEd00002230sv000010DEsd0000"
                           "1459bc03sc00i00\n"));
  // Audio is not VGA: no boot_vga; no reset_method unless asked for.
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:42:00.1/boot_vga"));
  EXPECT_FALSE(Present(d + "reset_method"));
}

TEST_F(SimHostTest, LinksHaveKernelRelativeTargets) {
  AddWorkstationPair("vfio-pci");
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/0000:42:00.0"),
              IsOkAndHolds(std::string("../../../devices/pci0000:40/"
                                       "0000:40:03.1/0000:42:00.0")));
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:42:00.0"),
              IsOkAndHolds(std::string(kGpuDir)));
  const std::string d = std::string(kGpuDir) + "/";
  EXPECT_THAT(sysfs_->ReadLink(d + "driver"),
              IsOkAndHolds("../../../../bus/pci/drivers/vfio-pci"));
  EXPECT_THAT(sysfs_->ReadLink(d + "subsystem"),
              IsOkAndHolds("../../../../bus/pci"));
  EXPECT_THAT(sysfs_->ReadLink(d + "iommu_group"),
              IsOkAndHolds("../../../../kernel/iommu_groups/25"));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/drivers/vfio-pci/0000:42:00.0"),
              IsOkAndHolds("../../../../devices/pci0000:40/0000:40:03.1/"
                           "0000:42:00.0"));
  EXPECT_THAT(
      sysfs_->ReadLink("sys/kernel/iommu_groups/25/devices/0000:42:00.0"),
      IsOkAndHolds("../../../../devices/pci0000:40/0000:40:03.1/0000:42:00.0"));
  EXPECT_THAT(sysfs_->ListDir("sys/kernel/iommu_groups/25/devices"),
              IsOkAndHolds(ElementsAre("0000:42:00.0", "0000:42:00.1")));
  // The bridge is a real device dir one level up, in its own group.
  EXPECT_THAT(sysfs_->ReadLink("sys/devices/pci0000:40/0000:40:03.1/"
                               "iommu_group"),
              IsOkAndHolds("../../../kernel/iommu_groups/17"));
  EXPECT_THAT(sysfs_->ReadFile("sys/devices/pci0000:40/0000:40:03.1/class"),
              IsOkAndHolds("0x060400\n"));
  EXPECT_THAT(sysfs_->ReadFile("sys/kernel/iommu_groups/25/type"),
              IsOkAndHolds("DMA\n"));
}

TEST_F(SimHostTest, WriteOnlyAttributesAreMode0200) {
  AddWorkstationPair("vfio-pci");
  // PCI `remove` is 0220 on every kernel; `reset` exists only with a
  // reset method (none asked for here).
  EXPECT_EQ(Mode(std::string(kGpuDir) + "/remove"), 0220u);
  EXPECT_FALSE(Present(std::string(kGpuDir) + "/reset"));
  for (const std::string& path :
       {std::string(kGpuDir) + "/rescan",
        std::string("sys/bus/pci/drivers/vfio-pci/bind"),
        std::string("sys/bus/pci/drivers/vfio-pci/unbind"),
        std::string("sys/bus/pci/drivers/pcieport/new_id"),
        std::string("sys/bus/pci/drivers_probe")}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(Mode(path), 0200u);
  }
  EXPECT_EQ(Mode(std::string(kGpuDir) + "/vendor"), 0644u);
}

TEST_F(SimHostTest, GroupNodeNeedsAVfioMember) {
  AddWorkstationPair("snd_hda_intel");
  EXPECT_TRUE(Present("dev/vfio/25"));
  EXPECT_FALSE(Present("dev/vfio/17"));  // pcieport is not VFIO.

  ASSERT_THAT(host_->UnbindDriver("0000:42:00.0"), IsOk());
  EXPECT_FALSE(Present("dev/vfio/25"));
  EXPECT_FALSE(Present(std::string(kGpuDir) + "/driver"));
  EXPECT_FALSE(Present("sys/bus/pci/drivers/vfio-pci/0000:42:00.0"));
  EXPECT_THAT(sysfs_->ReadFile(std::string(kGpuDir) + "/uevent"),
              IsOkAndHolds(::testing::StartsWith("PCI_CLASS=30000\n")));
  EXPECT_THAT(sysfs_->ReadFile(std::string(kGpuDir) + "/enable"),
              IsOkAndHolds("0\n"));
  EXPECT_THAT(sysfs_->ReadFile("sys/bus/pci/devices/0000:42:00.1/enable"),
              IsOkAndHolds("1\n"));  // On snd_hda_intel.

  ASSERT_THAT(host_->UnbindDriver("0000:42:00.1"), IsOk());
  ASSERT_THAT(host_->BindDriver("0000:42:00.1", "vfio-pci"), IsOk());
  EXPECT_TRUE(Present("dev/vfio/25"));
  EXPECT_THAT(sysfs_->ReadFile("sys/bus/pci/devices/0000:42:00.1/uevent"),
              IsOkAndHolds(
                  ::testing::StartsWith("DRIVER=vfio-pci\nPCI_CLASS=40300\n")));
  ASSERT_THAT(host_->BindDriver("0000:42:00.0", "vfio-pci"), IsOk());
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.1"), IsOk());
  EXPECT_TRUE(Present("dev/vfio/25"));  // The GPU still holds it.
}

TEST_F(SimHostTest, VariantDriverCountsAsVfio) {
  ASSERT_THAT(
      host_->AddFunction(Gpu("0000:07:00.0", "nvgrace_gpu_vfio_pci", 7, {})),
      IsOk());
  EXPECT_TRUE(Present("dev/vfio/7"));
  EXPECT_THAT(
      sysfs_->ReadLink("sys/devices/pci0000:07/0000:07:00.0/iommu_group"),
      IsOkAndHolds("../../../kernel/iommu_groups/7"));
}

TEST_F(SimHostTest, BindRejectsBoundAndUnknown) {
  AddWorkstationPair("vfio-pci");
  EXPECT_THAT(host_->BindDriver("0000:42:00.0", "nvidia"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("already bound to vfio-pci")));
  EXPECT_THAT(host_->BindDriver("0000:99:00.0", "nvidia"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("0000:99:00.0")));
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.0"), IsOk());
  EXPECT_THAT(host_->UnbindDriver("0000:42:00.0"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(SimHostTest, RemoveAndRestoreGroupNode) {
  AddWorkstationPair("vfio-pci");
  ASSERT_THAT(host_->RemoveVfioGroupNode(25), IsOk());
  EXPECT_FALSE(Present("dev/vfio/25"));
  EXPECT_THAT(host_->RemoveVfioGroupNode(25),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("dev/vfio/25")));
  ASSERT_THAT(host_->RestoreVfioGroupNode(25), IsOk());
  EXPECT_TRUE(Present("dev/vfio/25"));
}

TEST_F(SimHostTest, HotUnplugRemovesEverythingBelowTheBridge) {
  AddWorkstationPair("vfio-pci");
  ASSERT_THAT(host_->RemoveFunction("0000:40:03.1"), IsOk());
  EXPECT_FALSE(Present("sys/devices/pci0000:40/0000:40:03.1"));
  EXPECT_THAT(sysfs_->ListDir("sys/bus/pci/devices"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(
      sysfs_->ListDir("sys/bus/pci/drivers/vfio-pci"),
      IsOkAndHolds(ElementsAre("bind", "new_id", "remove_id", "unbind")));
  EXPECT_THAT(sysfs_->ListDir("sys/kernel/iommu_groups"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_FALSE(Present("dev/vfio/25"));
  EXPECT_EQ(host_->FindFunction("0000:42:00.1"), nullptr);
}

TEST_F(SimHostTest, HotUnplugOfOneGroupMemberKeepsTheGroup) {
  AddWorkstationPair("vfio-pci");
  ASSERT_THAT(host_->RemoveFunction("0000:42:00.0"), IsOk());
  EXPECT_THAT(sysfs_->ListDir("sys/kernel/iommu_groups/25/devices"),
              IsOkAndHolds(ElementsAre("0000:42:00.1")));
  EXPECT_TRUE(Present("dev/vfio/25"));
  EXPECT_THAT(host_->RemoveFunction("0000:42:00.0"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SimHostTest, RejectsBadFunctions) {
  EXPECT_THAT(
      host_->AddFunction(Gpu("42:00.0", "", 1, {})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"42:00.0\"")));
  EXPECT_THAT(host_->AddFunction(Gpu("0000:42:00.8", "", 1, {})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(host_->AddFunction(Gpu("0000:4A:00.0", "", 1, {})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(host_->AddFunction(Gpu("0000:42:00.0", "", 1, {"0000:40:03.1"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bridge 0000:40:03.1")));
  ASSERT_THAT(host_->AddFunction(Gpu("0000:42:00.0", "", 1, {})), IsOk());
  EXPECT_THAT(host_->AddFunction(Gpu("0000:42:00.0", "", 1, {})),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(SimHostTest, UnboundAndNumaLessFunction) {
  FunctionSpec gpu = Gpu("0000:42:00.0", "", 3, {});
  gpu.numa_node.reset();
  gpu.iommu_group.reset();
  ASSERT_THAT(host_->AddFunction(gpu), IsOk());
  const std::string d = "sys/devices/pci0000:42/0000:42:00.0/";
  EXPECT_THAT(sysfs_->ReadFile(d + "numa_node"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(Present(d + "driver"));
  EXPECT_FALSE(Present(d + "iommu_group"));
  EXPECT_THAT(sysfs_->ReadFile(d + "uevent"),
              IsOkAndHolds(::testing::StartsWith("PCI_CLASS=30000\n")));
}

TEST_F(SimHostTest, WideDomainBehindVmd) {
  FunctionSpec vmd = Gpu("0000:00:0e.0", "vmd", 9, {});
  vmd.vendor = 0x8086;
  vmd.device = 0x467f;
  vmd.class_code = 0x010400;
  ASSERT_THAT(host_->AddFunction(vmd), IsOk());
  FunctionSpec port = RootPort("10000:e0:06.0", 9);
  port.root_bus_parent = "0000:00:0e.0";
  ASSERT_THAT(host_->AddFunction(port), IsOk());
  ASSERT_THAT(host_->AddFunction(
                  Gpu("10000:e1:00.0", "vfio-pci", 9, {"10000:e0:06.0"})),
              IsOk());
  EXPECT_THAT(host_->DevicePath("10000:e1:00.0"),
              IsOkAndHolds("sys/devices/pci0000:00/0000:00:0e.0/pci10000:e0/"
                           "10000:e0:06.0/10000:e1:00.0"));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/10000:e1:00.0"),
              IsOkAndHolds("../../../devices/pci0000:00/0000:00:0e.0/"
                           "pci10000:e0/10000:e0:06.0/10000:e1:00.0"));
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/pci/devices/10000:e1:00.0/iommu_group"),
              IsOkAndHolds("../../../../../../kernel/iommu_groups/9"));
}

TEST_F(SimHostTest, RawEscapeHatches) {
  ASSERT_THAT(host_->WriteRaw("sys/x/garbage", "10de"), IsOk());
  EXPECT_THAT(sysfs_->ReadFile("sys/x/garbage"), IsOkAndHolds("10de"));
  ASSERT_THAT(host_->SymlinkRaw("sys/x/loop", "loop"), IsOk());
  EXPECT_FALSE(sysfs_->ReadFile("sys/x/loop/anything").ok());
  ASSERT_THAT(host_->ChmodRaw("sys/x/garbage", 0), IsOk());
  EXPECT_EQ(Mode("sys/x/garbage"), 0u);
  ASSERT_THAT(host_->RemoveRaw("sys/x"), IsOk());
  EXPECT_THAT(host_->RemoveRaw("sys/x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sys/x")));
  EXPECT_THAT(host_->WriteRaw("../escape", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(host_->WriteRaw("/etc/passwd", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SimHostTest, HostWideVfioNodes) {
  ASSERT_THAT(host_->SetLegacyVfioContainer(true), IsOk());
  ASSERT_THAT(host_->SetIommufd(true), IsOk());
  EXPECT_EQ(Mode("dev/vfio/vfio"), 0666u);
  EXPECT_EQ(Mode("dev/iommu"), 0660u);
  ASSERT_THAT(host_->SetLegacyVfioContainer(false), IsOk());
  ASSERT_THAT(host_->SetIommufd(false), IsOk());
  EXPECT_FALSE(Present("dev/vfio/vfio"));
  EXPECT_FALSE(Present("dev/iommu"));
}

TEST_F(SimHostTest, ResetOnlyWithAResetMethod) {
  ASSERT_THAT(host_->AddFunction(RootPort("0000:40:03.1", 17)), IsOk());
  FunctionSpec gpu = Gpu("0000:42:00.0", "vfio-pci", 25, {"0000:40:03.1"});
  gpu.reset_method = "bus";
  ASSERT_THAT(host_->AddFunction(gpu), IsOk());
  EXPECT_THAT(sysfs_->ReadFile(std::string(kGpuDir) + "/reset_method"),
              IsOkAndHolds("bus\n"));
  EXPECT_EQ(Mode(std::string(kGpuDir) + "/reset"), 0200u);
}

TEST_F(SimHostTest, DriverOverrideKeptAcrossBindAndUnbind) {
  ASSERT_THAT(host_->AddFunction(RootPort("0000:40:03.1", 17)), IsOk());
  FunctionSpec gpu = Gpu("0000:42:00.0", "", 25, {"0000:40:03.1"});
  gpu.driver_override = "vfio-pci";
  gpu.pm_capable = false;
  ASSERT_THAT(host_->AddFunction(gpu), IsOk());
  const std::string d = std::string(kGpuDir) + "/";
  // No PM capability: "unknown" while unbound, D0 once a driver binds.
  EXPECT_THAT(sysfs_->ReadFile(d + "power_state"), IsOkAndHolds("unknown\n"));
  ASSERT_THAT(host_->BindDriver("0000:42:00.0", "vfio-pci"), IsOk());
  EXPECT_THAT(sysfs_->ReadFile(d + "driver_override"),
              IsOkAndHolds("vfio-pci\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "power_state"), IsOkAndHolds("D0\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "enable"), IsOkAndHolds("0\n"));
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.0"), IsOk());
  EXPECT_THAT(sysfs_->ReadFile(d + "driver_override"),
              IsOkAndHolds("vfio-pci\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "power_state"), IsOkAndHolds("unknown\n"));
}

TEST_F(SimHostTest, VfioDevWithoutDevWhenKernelHasNoCdev) {
  host_->SetVfioCdevSupport(false);
  ASSERT_THAT(host_->AddFunction(RootPort("0000:40:03.1", 17)), IsOk());
  FunctionSpec gpu = Gpu("0000:42:00.0", "vfio-pci", 25, {"0000:40:03.1"});
  gpu.vfio_cdev = 0;
  ASSERT_THAT(host_->AddFunction(gpu), IsOk());
  const std::string d = std::string(kGpuDir) + "/vfio-dev/vfio0";
  EXPECT_TRUE(Present(d));
  EXPECT_FALSE(Present(d + "/dev"));
  EXPECT_TRUE(Present("sys/class/vfio-dev/vfio0"));
  EXPECT_FALSE(Present("dev/vfio/devices"));
  EXPECT_TRUE(Present("dev/vfio/25"));
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.0"), IsOk());
  EXPECT_FALSE(Present(std::string(kGpuDir) + "/vfio-dev"));
  EXPECT_FALSE(Present("sys/class/vfio-dev/vfio0"));
}

TEST_F(SimHostTest, MdevCoreLoadedWithoutParent) {
  ASSERT_THAT(host_->LoadMdevCore(), IsOk());
  for (const char* dir :
       {"sys/class/mdev_bus", "sys/bus/mdev/devices", "sys/bus/mdev/drivers"}) {
    SCOPED_TRACE(dir);
    EXPECT_THAT(sysfs_->ListDir(dir), IsOkAndHolds(IsEmpty()));
  }
}

}  // namespace
}  // namespace vgpu::simhost
