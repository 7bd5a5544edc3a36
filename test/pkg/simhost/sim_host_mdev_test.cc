// SimHost SR-IOV, mdev and NVIDIA vendor-VFIO vGPU behaviour.
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::simhost {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

constexpr char kPf[] = "0000:41:00.0";
constexpr char kPfDir[] = "sys/devices/pci0000:41/0000:41:00.0";
constexpr char kUuid[] = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01";

FunctionSpec NvidiaFunction(const std::string& bdf, int group) {
  FunctionSpec s;
  s.bdf = bdf;
  s.vendor = 0x10de;
  s.device = 0x20f1;
  s.subsystem_vendor = 0x10de;
  s.subsystem_device = 0x145f;
  s.class_code = 0x030200;
  s.driver = "nvidia";
  s.iommu_group = group;
  s.numa_node = 0;
  return s;
}

class SimHostMdevTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto host = SimHost::Create(tmp_.path() + "/host");
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    auto sysfs = sysfs::NewHostSysfs(host_->root());
    ASSERT_THAT(sysfs, IsOk());
    sysfs_ = *std::move(sysfs);
  }

  // A100 PF 41:00.0 (group 40) with `vfs` VFs, groups 41...
  void AddPfWithVfs(int vfs) {
    FunctionSpec pf = NvidiaFunction(kPf, 40);
    pf.sriov_totalvfs = 16;
    ASSERT_THAT(host_->AddFunction(pf), IsOk());
    for (int i = 0; i < vfs; ++i) {
      auto bdf = VfBdf(kPf, 4, 1, i);
      ASSERT_THAT(bdf, IsOk());
      FunctionSpec vf = NvidiaFunction(*bdf, 41 + i);
      vf.physfn = kPf;
      ASSERT_THAT(host_->AddFunction(vf), IsOk());
    }
  }

  void AddT4WithType() {
    FunctionSpec t4 = NvidiaFunction("0000:3b:00.0", 27);
    t4.device = 0x1eb8;
    ASSERT_THAT(host_->AddFunction(t4), IsOk());
    MdevTypeSpec type;
    type.id = "nvidia-230";
    type.name = "GRID T4-1Q";
    type.description =
        "num_heads=4, frl_config=60, framebuffer=1024M, "
        "max_resolution=5120x2880, max_instance=16";
    type.available_instances = 16;
    ASSERT_THAT(host_->AddMdevType("0000:3b:00.0", type), IsOk());
  }

  bool Present(const std::string& path) { return sysfs_->Lstat(path).ok(); }

  ::vgpu::testing::TempDir tmp_;
  std::unique_ptr<SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

TEST(VfBdfTest, FollowsAriRoutingIds) {
  EXPECT_THAT(VfBdf("0000:41:00.0", 4, 1, 0), IsOkAndHolds("0000:41:00.4"));
  EXPECT_THAT(VfBdf("0000:41:00.0", 4, 1, 3), IsOkAndHolds("0000:41:00.7"));
  EXPECT_THAT(VfBdf("0000:41:00.0", 4, 1, 4), IsOkAndHolds("0000:41:01.0"));
  EXPECT_THAT(VfBdf("0000:41:00.0", 4, 1, 10), IsOkAndHolds("0000:41:01.6"));
  EXPECT_THAT(VfBdf("0000:41:00.0", 4, 1, 31), IsOkAndHolds("0000:41:04.3"));
  EXPECT_THAT(VfBdf("0001:04:00.0", 2, 1, 0), IsOkAndHolds("0001:04:00.2"));
  EXPECT_THAT(
      VfBdf("0000:ff:00.0", 4, 1, 252),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("past bus 0xff")));
  EXPECT_THAT(VfBdf("bogus", 4, 1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SimHostMdevTest, SriovLinksAndAttributes) {
  AddPfWithVfs(5);
  const std::string pf = std::string(kPfDir) + "/";
  EXPECT_THAT(sysfs_->ReadLink(pf + "virtfn0"),
              IsOkAndHolds("../0000:41:00.4"));
  EXPECT_THAT(sysfs_->ReadLink(pf + "virtfn4"),
              IsOkAndHolds("../0000:41:01.0"));
  EXPECT_FALSE(Present(pf + "virtfn5"));
  EXPECT_THAT(sysfs_->ReadFile(pf + "sriov_totalvfs"), IsOkAndHolds("16\n"));
  EXPECT_THAT(sysfs_->ReadFile(pf + "sriov_numvfs"), IsOkAndHolds("5\n"));
  EXPECT_THAT(sysfs_->ReadFile(pf + "sriov_offset"), IsOkAndHolds("4\n"));
  EXPECT_THAT(sysfs_->ReadFile(pf + "sriov_stride"), IsOkAndHolds("1\n"));
  EXPECT_THAT(sysfs_->ReadFile(pf + "sriov_vf_device"), IsOkAndHolds("20f1\n"));
  const std::string vf = "sys/bus/pci/devices/0000:41:01.0/";
  EXPECT_THAT(sysfs_->ReadLink(vf + "physfn"), IsOkAndHolds("../0000:41:00.0"));
  EXPECT_THAT(sysfs_->RealPath(vf + "physfn"),
              IsOkAndHolds(std::string(kPfDir)));
  EXPECT_THAT(sysfs_->RealPath("sys/bus/pci/devices/0000:41:01.0"),
              IsOkAndHolds("sys/devices/pci0000:41/0000:41:01.0"));
  EXPECT_THAT(sysfs_->ReadFile(vf + "current_link_speed"),
              IsOkAndHolds("Unknown\n"));
  EXPECT_THAT(sysfs_->ReadFile(vf + "max_link_width"), IsOkAndHolds("0\n"));
  EXPECT_FALSE(Present(vf + "sriov_totalvfs"));
}

TEST_F(SimHostMdevTest, VfNeedsAnSriovPfWithRoom) {
  FunctionSpec plain = NvidiaFunction(kPf, 40);
  ASSERT_THAT(host_->AddFunction(plain), IsOk());
  FunctionSpec vf = NvidiaFunction("0000:41:00.4", 41);
  vf.physfn = kPf;
  EXPECT_THAT(host_->AddFunction(vf),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not an SR-IOV PF")));
}

TEST_F(SimHostMdevTest, HotUnplugOfPfTakesItsVfs) {
  AddPfWithVfs(3);
  ASSERT_THAT(host_->RemoveFunction(kPf), IsOk());
  EXPECT_THAT(sysfs_->ListDir("sys/bus/pci/devices"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(sysfs_->ListDir("sys/devices/pci0000:41"),
              IsOkAndHolds(ElementsAre()));
}

TEST_F(SimHostMdevTest, MdevTypeAndInstanceLayout) {
  AddT4WithType();
  const std::string parent = "sys/devices/pci0000:3b/0000:3b:00.0";
  const std::string type = parent + "/mdev_supported_types/nvidia-230/";
  EXPECT_THAT(sysfs_->ReadFile(type + "name"), IsOkAndHolds("GRID T4-1Q\n"));
  EXPECT_THAT(sysfs_->ReadFile(type + "description"),
              IsOkAndHolds("num_heads=4, frl_config=60, framebuffer=1024M, "
                           "max_resolution=5120x2880, max_instance=16\n"));
  EXPECT_THAT(sysfs_->ReadFile(type + "device_api"),
              IsOkAndHolds("vfio-pci\n"));
  EXPECT_THAT(sysfs_->ReadFile(type + "available_instances"),
              IsOkAndHolds("16\n"));
  EXPECT_EQ(sysfs_->Lstat(type + "create")->mode, 0200u);
  EXPECT_THAT(sysfs_->ReadLink("sys/class/mdev_bus/0000:3b:00.0"),
              IsOkAndHolds("../../devices/pci0000:3b/0000:3b:00.0"));

  ASSERT_THAT(host_->AddMdev(kUuid, "0000:3b:00.0", "nvidia-230", 100), IsOk());
  ASSERT_THAT(host_->SetAvailableInstances("0000:3b:00.0", "nvidia-230", 15),
              IsOk());
  EXPECT_THAT(sysfs_->ReadFile(type + "available_instances"),
              IsOkAndHolds("15\n"));
  const std::string inst = parent + "/" + kUuid + "/";
  EXPECT_THAT(sysfs_->ReadLink(inst + "mdev_type"),
              IsOkAndHolds("../mdev_supported_types/nvidia-230"));
  EXPECT_THAT(sysfs_->ReadLink(inst + "iommu_group"),
              IsOkAndHolds("../../../../kernel/iommu_groups/100"));
  EXPECT_THAT(sysfs_->ReadLink(inst + "driver"),
              IsOkAndHolds("../../../../bus/mdev/drivers/nvidia-vgpu-vfio"));
  EXPECT_EQ(sysfs_->Lstat(inst + "remove")->mode, 0200u);
  EXPECT_THAT(sysfs_->ReadLink(type + "devices/" + kUuid),
              IsOkAndHolds(std::string("../../../") + kUuid));
  EXPECT_THAT(sysfs_->ReadLink(std::string("sys/bus/mdev/devices/") + kUuid),
              IsOkAndHolds(std::string("../../../devices/pci0000:3b/"
                                       "0000:3b:00.0/") +
                           kUuid));
  EXPECT_THAT(sysfs_->ReadLink(std::string("sys/kernel/iommu_groups/100/"
                                           "devices/") +
                               kUuid),
              IsOkAndHolds(std::string("../../../../devices/pci0000:3b/"
                                       "0000:3b:00.0/") +
                           kUuid));
  EXPECT_TRUE(Present("dev/vfio/100"));
  EXPECT_FALSE(Present("dev/vfio/27"));  // The parent is on nvidia.
}

TEST_F(SimHostMdevTest, UpperCaseUuidIsStoredLowerCase) {
  AddT4WithType();
  ASSERT_THAT(host_->AddMdev("86E2A6F4-3B1C-4F0E-9D2A-5C7B8E1F0A01",
                             "0000:3b:00.0", "nvidia-230", 100),
              IsOk());
  EXPECT_THAT(sysfs_->ListDir("sys/bus/mdev/devices"),
              IsOkAndHolds(ElementsAre(kUuid)));
  EXPECT_THAT(host_->AddMdev(kUuid, "0000:3b:00.0", "nvidia-230", 101),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(
      host_->AddMdev("not-a-uuid", "0000:3b:00.0", "nvidia-230", 101),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not-a-uuid")));
  EXPECT_THAT(host_->AddMdev("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02",
                             "0000:3b:00.0", "nvidia-999", 101),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nvidia-999")));
}

TEST_F(SimHostMdevTest, NextFreeGroupIsLowestUnused) {
  EXPECT_EQ(host_->NextFreeIommuGroup(), 0);
  ASSERT_THAT(host_->AddFunction(NvidiaFunction("0000:3b:00.0", 0)), IsOk());
  ASSERT_THAT(host_->AddFunction(NvidiaFunction("0000:3c:00.0", 2)), IsOk());
  EXPECT_EQ(host_->NextFreeIommuGroup(), 1);
  ASSERT_THAT(host_->RemoveFunction("0000:3b:00.0"), IsOk());
  EXPECT_EQ(host_->NextFreeIommuGroup(), 0);
}

TEST_F(SimHostMdevTest, RemoveMdevUndoesEverything) {
  AddT4WithType();
  ASSERT_THAT(host_->AddMdev(kUuid, "0000:3b:00.0", "nvidia-230", 100), IsOk());
  ASSERT_THAT(host_->RemoveMdev(kUuid), IsOk());
  EXPECT_THAT(sysfs_->ListDir("sys/bus/mdev/devices"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(sysfs_->ListDir("sys/devices/pci0000:3b/0000:3b:00.0/"
                              "mdev_supported_types/nvidia-230/devices"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_FALSE(Present("sys/kernel/iommu_groups/100"));
  EXPECT_FALSE(Present("dev/vfio/100"));
  EXPECT_FALSE(
      Present(std::string("sys/devices/pci0000:3b/0000:3b:00.0/") + kUuid));
  EXPECT_THAT(host_->RemoveMdev(kUuid), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SimHostMdevTest, UnbindingTheParentUnregistersIt) {
  AddT4WithType();
  ASSERT_THAT(host_->AddMdev(kUuid, "0000:3b:00.0", "nvidia-230", 100), IsOk());
  ASSERT_THAT(host_->UnbindDriver("0000:3b:00.0"), IsOk());
  EXPECT_FALSE(
      Present("sys/devices/pci0000:3b/0000:3b:00.0/"
              "mdev_supported_types"));
  EXPECT_THAT(sysfs_->ListDir("sys/class/mdev_bus"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(sysfs_->ListDir("sys/bus/mdev/devices"),
              IsOkAndHolds(ElementsAre()));
  EXPECT_FALSE(Present("dev/vfio/100"));
}

TEST_F(SimHostMdevTest, NvidiaVendorVfioVgpu) {
  AddPfWithVfs(1);
  auto bdf = VfBdf(kPf, 4, 1, 1);
  ASSERT_THAT(bdf, IsOk());
  FunctionSpec vf = NvidiaFunction(*bdf, 42);
  vf.physfn = kPf;
  vf.vfio_cdev = 3;
  ASSERT_THAT(host_->AddFunction(vf), IsOk());
  EXPECT_FALSE(Present("dev/vfio/42"));  // nvidia is not VFIO... yet.
  ASSERT_THAT(
      host_->SetNvidiaVgpu(
          *bdf, {{1147, "NVIDIA L40S-1Q"}, {1148, "NVIDIA L40S-2Q"}}, 1148),
      IsOk());
  const std::string d = "sys/bus/pci/devices/0000:41:00.5/";
  EXPECT_THAT(sysfs_->ReadFile(d + "nvidia/creatable_vgpu_types"),
              IsOkAndHolds("ID    : vGPU Name\n"
                           "1147  : NVIDIA L40S-1Q\n"
                           "1148  : NVIDIA L40S-2Q\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "nvidia/current_vgpu_type"),
              IsOkAndHolds("1148\n"));
  EXPECT_THAT(sysfs_->ReadFile(d + "vfio-dev/vfio3/dev"),
              IsOkAndHolds("511:3\n"));
  // As the kernel lists vfio-dev/vfioN (lab §9 #2).
  EXPECT_THAT(sysfs_->ReadLink(d + "vfio-dev/vfio3/device"),
              IsOkAndHolds("../../../0000:41:00.5"));
  EXPECT_THAT(sysfs_->ReadLink(d + "vfio-dev/vfio3/subsystem"),
              IsOkAndHolds("../../../../../class/vfio-dev"));
  EXPECT_THAT(sysfs_->ReadFile(d + "vfio-dev/vfio3/uevent"),
              IsOkAndHolds("MAJOR=511\nMINOR=3\nDEVNAME=vfio/devices/vfio3\n"));
  EXPECT_TRUE(Present("dev/vfio/devices/vfio3"));
  EXPECT_TRUE(Present("dev/vfio/42"));
  EXPECT_THAT(sysfs_->ReadLink("sys/class/vfio-dev/vfio3"),
              IsOkAndHolds("../../devices/pci0000:41/0000:41:00.5/vfio-dev/"
                           "vfio3"));

  ASSERT_THAT(host_->UnbindDriver(*bdf), IsOk());
  EXPECT_FALSE(Present(d + "nvidia"));
  EXPECT_FALSE(Present(d + "vfio-dev"));
  EXPECT_FALSE(Present("dev/vfio/devices/vfio3"));
  EXPECT_FALSE(Present("dev/vfio/42"));
  EXPECT_THAT(
      host_->SetNvidiaVgpu(*bdf, {}, 0),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not bound")));
}

TEST_F(SimHostMdevTest, InstanceGroupAndUeventAsTheKernelWritesThem) {
  AddT4WithType();
  ASSERT_THAT(host_->AddMdev(kUuid, "0000:3b:00.0", "nvidia-230", 100), IsOk());
  const std::string group = "sys/kernel/iommu_groups/100/";
  EXPECT_THAT(sysfs_->ReadFile(group + "name"), IsOkAndHolds("vfio-noiommu\n"));
  EXPECT_THAT(sysfs_->ReadFile(group + "type"), IsOkAndHolds("unknown\n"));
  EXPECT_THAT(sysfs_->ReadFile(group + "reserved_regions"), IsOkAndHolds(""));
  EXPECT_THAT(sysfs_->ReadFile(std::string("sys/bus/mdev/devices/") + kUuid +
                               "/uevent"),
              IsOkAndHolds("DRIVER=nvidia-vgpu-vfio\n"));
}

TEST_F(SimHostMdevTest, VirtualParentIsNotPci) {
  ASSERT_THAT(host_->AddVirtualMdevParent("mbochs", "mbochs", "mbochs"),
              IsOk());
  ASSERT_THAT(host_->AddMdevType("mbochs", {"mbochs-medium", "mbochs-medium",
                                            "virtual display, 16 MB video "
                                            "memory",
                                            "vfio-pci", 4}),
              IsOk());
  const std::string parent = "sys/devices/virtual/mbochs/mbochs";
  EXPECT_THAT(sysfs_->ReadLink("sys/class/mdev_bus/mbochs"),
              IsOkAndHolds("../../devices/virtual/mbochs/mbochs"));
  EXPECT_THAT(sysfs_->ReadLink("sys/class/mbochs/mbochs"),
              IsOkAndHolds("../../devices/virtual/mbochs/mbochs"));
  EXPECT_THAT(sysfs_->ReadLink(parent + "/subsystem"),
              IsOkAndHolds("../../../../class/mbochs"));
  EXPECT_THAT(host_->MdevParentPath("mbochs"), IsOkAndHolds(parent));

  ASSERT_THAT(host_->AddMdev(kUuid, "mbochs", "mbochs-medium", 4), IsOk());
  const std::string inst = parent + "/" + kUuid + "/";
  EXPECT_THAT(sysfs_->ReadLink(inst + "driver"),
              IsOkAndHolds("../../../../../bus/mdev/drivers/mbochs"));
  EXPECT_THAT(sysfs_->ReadLink(inst + "iommu_group"),
              IsOkAndHolds("../../../../../kernel/iommu_groups/4"));
  EXPECT_THAT(sysfs_->ReadFile(inst + "uevent"),
              IsOkAndHolds("DRIVER=mbochs\n"));
  EXPECT_THAT(sysfs_->ReadLink(std::string("sys/bus/mdev/devices/") + kUuid),
              IsOkAndHolds(std::string("../../../devices/virtual/mbochs/"
                                       "mbochs/") +
                           kUuid));
  EXPECT_THAT(host_->MdevPath(kUuid), IsOkAndHolds(parent + "/" + kUuid));
  ASSERT_THAT(host_->RemoveMdev(kUuid), IsOk());
  EXPECT_FALSE(Present(inst));
  EXPECT_FALSE(Present("sys/kernel/iommu_groups/4"));

  EXPECT_THAT(host_->AddVirtualMdevParent("mbochs", "mbochs", "mbochs"),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(host_->AddVirtualMdevParent("a/b", "x", "y"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vgpu::simhost
