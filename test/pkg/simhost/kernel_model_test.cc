// KernelModel: one test per kernel rule and errno of docs/sysfs.md (mdev,
// NVIDIA vendor VFIO), on the profiles' trees (no FUSE).
#include "pkg/simhost/kernel_model.h"

#include <cerrno>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/simhost/profile_fixture.h"
#include "test/testing/status_matchers.h"

namespace vgpu::simhost {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::vgpu::testing::IsOkAndHolds;

constexpr char kGpu0[] = "0000:3b:00.0";
constexpr char kGpu1[] = "0000:d8:00.0";
constexpr char kUuid[] = "8a7c4e2f-1b3d-4c5e-9f60-718293a4b5c6";
constexpr char kUuid2[] = "8a7c4e2f-1b3d-4c5e-9f60-718293a4b5c7";

class KernelModelTest : public ProfileTest {
 protected:
  void Load(const std::string& profile) {
    ASSERT_TRUE(Build(profile).ok());
    model_ = std::make_unique<KernelModel>(*host_);
  }

  std::string Dev(const std::string& bdf) {
    auto dir = host_->MdevParentPath(bdf);
    return dir.ok() ? *dir : "<none>";
  }
  std::string TypeDir(const std::string& parent, const std::string& type) {
    return Dev(parent) + "/mdev_supported_types/" + type;
  }
  int Create(const std::string& parent, const std::string& type,
             const std::string& data) {
    return model_->Write(TypeDir(parent, type) + "/create", data);
  }
  int RemoveMdev(const std::string& parent, const std::string& uuid,
                 const std::string& data = "1\n") {
    return model_->Write(Dev(parent) + "/" + uuid + "/remove", data);
  }
  std::string Available(const std::string& parent, const std::string& type) {
    auto text =
        sysfs_->ReadFile(TypeDir(parent, type) + "/available_instances");
    return text.ok() ? *text : "<error>";
  }
  int SetVgpu(const std::string& vf, const std::string& data) {
    return model_->Write(Dev(vf) + "/nvidia/current_vgpu_type", data);
  }
  std::string Creatable(const std::string& vf) {
    auto text = sysfs_->ReadFile(Dev(vf) + "/nvidia/creatable_vgpu_types");
    return text.ok() ? *text : "<error>";
  }

  std::unique_ptr<KernelModel> model_;
};

TEST_F(KernelModelTest, CreateAddsAnInstanceAsAProfileWouldWriteIt) {
  Load("t4-empty");
  EXPECT_EQ(Create(kGpu0, "nvidia-230", std::string(kUuid) + "\n"), 0);
  const std::string dir = Dev(kGpu0) + "/" + kUuid;
  EXPECT_TRUE(Present(dir + "/remove"));
  EXPECT_THAT(sysfs_->ReadLink(dir + "/mdev_type"),
              IsOkAndHolds("../mdev_supported_types/nvidia-230"));
  EXPECT_THAT(List("sys/bus/mdev/devices"), ElementsAre(kUuid));
  EXPECT_THAT(List(TypeDir(kGpu0, "nvidia-230") + "/devices"),
              ElementsAre(kUuid));
  // Lowest free group: the profile's PCI groups are 26, 27, 90, 91.
  EXPECT_THAT(sysfs_->ReadLink("sys/bus/mdev/devices/" + std::string(kUuid) +
                               "/iommu_group"),
              IsOkAndHolds("../../../../../kernel/iommu_groups/0"));
  EXPECT_THAT(List("dev/vfio"), ElementsAre("0", "vfio"));
}

TEST_F(KernelModelTest, TimeSlicedCreateLeavesOnlyItsTypeOnThatGpu) {
  Load("t4-empty");
  ASSERT_EQ(Create(kGpu0, "nvidia-230", kUuid), 0);
  EXPECT_EQ(Available(kGpu0, "nvidia-230"), "15\n");
  EXPECT_EQ(Available(kGpu0, "nvidia-231"), "0\n");
  EXPECT_EQ(Available(kGpu0, "nvidia-222"), "0\n");
  EXPECT_EQ(Available(kGpu1, "nvidia-230"), "16\n");
  EXPECT_EQ(Available(kGpu1, "nvidia-231"), "8\n");
}

TEST_F(KernelModelTest, CreateStoresUpperCaseUuidLowerCase) {
  Load("t4-empty");
  ASSERT_EQ(Create(kGpu0, "nvidia-230", "8A7C4E2F-1B3D-4C5E-9F60-718293A4B5C6"),
            0);
  EXPECT_THAT(List("sys/bus/mdev/devices"), ElementsAre(kUuid));
}

TEST_F(KernelModelTest, CreateAcceptsAny37thByteAndIgnoresAnEmptyWrite) {
  Load("t4-empty");
  EXPECT_EQ(Create(kGpu0, "nvidia-230", ""), 0);
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  EXPECT_EQ(Create(kGpu0, "nvidia-230", std::string(kUuid) + " "), 0);
  EXPECT_THAT(List("sys/bus/mdev/devices"), ElementsAre(kUuid));
}

TEST_F(KernelModelTest, CreateWithAMalformedUuidIsEinval) {
  Load("t4-empty");
  EXPECT_EQ(Create(kGpu0, "nvidia-230", "not-a-uuid"), EINVAL);
  EXPECT_EQ(Create(kGpu0, "nvidia-230", std::string(kUuid) + "\r\n"), EINVAL);
  EXPECT_EQ(
      Create(kGpu0, "nvidia-230", "{8a7c4e2f-1b3d-4c5e-9f60-718293a4b5c}"),
      EINVAL);
  EXPECT_EQ(Create(kGpu0, "nvidia-230", "8a7c4e2f-1b3d-4c5e-9f60-718293a4b5cg"),
            EINVAL);
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  EXPECT_EQ(Available(kGpu0, "nvidia-230"), "16\n");
}

TEST_F(KernelModelTest, UsedUuidIsEexistCaseInsensitivelyOnAnyParent) {
  Load("t4-empty");
  ASSERT_EQ(Create(kGpu0, "nvidia-230", kUuid), 0);
  EXPECT_EQ(Create(kGpu0, "nvidia-230", kUuid), EEXIST);
  EXPECT_EQ(Create(kGpu1, "nvidia-231", "8A7C4E2F-1B3D-4C5E-9F60-718293A4B5C6"),
            EEXIST);
  EXPECT_EQ(Available(kGpu1, "nvidia-231"), "8\n");
}

TEST_F(KernelModelTest, VirtualParentsFollowTheSampleDriversRules) {
  Load("mdev-virtual");
  constexpr char kExisting[] = "5B1A4F3E-8C2D-4E6F-9A7B-0C1D2E3F4A5B";
  // The UUID mbochs already uses, upper-case, on the other parent.
  EXPECT_EQ(Create("mtty", "mtty-1", kExisting), EEXIST);
  EXPECT_EQ(Create("mbochs", "mbochs-large", kUuid), ENOSPC);
  EXPECT_EQ(Create("mtty", "mtty-1", ""), 0);
  ASSERT_EQ(Create("mtty", "mtty-1", std::string(kUuid) + "x"), 0);
  EXPECT_EQ(Available("mtty", "mtty-1"), "23\n");
  EXPECT_THAT(List("sys/bus/mdev/devices"),
              ElementsAre("5b1a4f3e-8c2d-4e6f-9a7b-0c1d2e3f4a5b", kUuid));
  EXPECT_THAT(sysfs_->ReadFile(std::string("sys/bus/mdev/devices/") + kUuid +
                               "/uevent"),
              IsOkAndHolds("DRIVER=mtty\n"));
  ASSERT_EQ(RemoveMdev("mtty", kUuid), 0);
  EXPECT_EQ(Available("mtty", "mtty-1"), "24\n");
}

TEST_F(KernelModelTest, SampleTypesShareTheirParentsPool) {
  // As the real-kernel lab measured (lab §5): mbochs's types take video
  // memory from one pool (48 MB free here: medium 3, small 12, large 0),
  // mtty's take 1 or 2 of 24 ports.
  Load("mdev-virtual");
  ASSERT_EQ(Create("mbochs", "mbochs-medium", kUuid), 0);
  EXPECT_EQ(Available("mbochs", "mbochs-medium"), "2\n");
  EXPECT_EQ(Available("mbochs", "mbochs-small"), "8\n");
  EXPECT_EQ(Available("mbochs", "mbochs-large"), "0\n");
  ASSERT_EQ(Create("mbochs", "mbochs-small", kUuid2), 0);
  EXPECT_EQ(Available("mbochs", "mbochs-medium"), "1\n");  // 28 MB free.
  EXPECT_EQ(Available("mbochs", "mbochs-small"), "7\n");
  ASSERT_EQ(RemoveMdev("mbochs", kUuid), 0);
  EXPECT_EQ(Available("mbochs", "mbochs-small"), "11\n");
  // 12 dual-port mtty instances take all 24 ports.
  for (int i = 0; i < 12; ++i) {
    std::string uuid = std::string(kUuid).substr(0, 34) + absl::StrCat(10 + i);
    ASSERT_EQ(Create("mtty", "mtty-2", uuid), 0) << i;
  }
  EXPECT_EQ(Available("mtty", "mtty-1"), "0\n");
  EXPECT_EQ(Create("mtty", "mtty-1", kUuid), ENOSPC);
}

TEST_F(KernelModelTest, NoAvailableInstanceIsEnospcForNvidia) {
  Load("t4-empty");
  ASSERT_EQ(Create(kGpu0, "nvidia-234", kUuid), 0);  // T4-16Q: max 1
  EXPECT_EQ(Available(kGpu0, "nvidia-234"), "0\n");
  EXPECT_EQ(Create(kGpu0, "nvidia-234", kUuid2), ENOSPC);
  EXPECT_EQ(Create(kGpu0, "nvidia-230", kUuid2), ENOSPC);  // homogeneous
  EXPECT_THAT(List("sys/bus/mdev/devices"), ElementsAre(kUuid));
}

TEST_F(KernelModelTest, CreateOnAnUnregisteredParentIsEnodev) {
  Load("t4-empty");
  ASSERT_TRUE(host_->UnbindDriver(kGpu0).ok());
  EXPECT_EQ(Create(kGpu0, "nvidia-230", kUuid), ENODEV);
}

TEST_F(KernelModelTest, RemoveDeletesTheInstanceAndRestoresCounts) {
  Load("t4-empty");
  ASSERT_EQ(Create(kGpu0, "nvidia-232", kUuid), 0);
  EXPECT_EQ(RemoveMdev(kGpu0, kUuid), 0);
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  EXPECT_FALSE(Present(Dev(kGpu0) + "/" + kUuid));
  EXPECT_THAT(List("dev/vfio"), ElementsAre("vfio"));
  EXPECT_FALSE(Present("sys/kernel/iommu_groups/0"));
  EXPECT_EQ(Available(kGpu0, "nvidia-232"), "4\n");
  EXPECT_EQ(Available(kGpu0, "nvidia-230"), "16\n");
}

TEST_F(KernelModelTest, RemoveParsesItsValueLikeKstrtoul) {
  Load("t4-empty");
  ASSERT_EQ(Create(kGpu0, "nvidia-230", kUuid), 0);
  EXPECT_EQ(RemoveMdev(kGpu0, kUuid, "0\n"), 0);  // a successful no-op
  EXPECT_EQ(RemoveMdev(kGpu0, kUuid, "yes"), EINVAL);
  EXPECT_EQ(RemoveMdev(kGpu0, kUuid, ""), EINVAL);
  EXPECT_THAT(List("sys/bus/mdev/devices"), ElementsAre(kUuid));
  EXPECT_EQ(RemoveMdev(kGpu0, kUuid, "0x1"), 0);
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
}

TEST_F(KernelModelTest, RemoveOfAnInstanceInUseIsEbusy) {
  Load("t4-vgpu");
  const std::string uuid = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01";
  model_->SetInUse(uuid, true);
  EXPECT_EQ(RemoveMdev(kGpu0, uuid), EBUSY);
  EXPECT_TRUE(Present("sys/bus/mdev/devices/" + uuid));
  model_->SetInUse(uuid, false);
  EXPECT_EQ(RemoveMdev(kGpu0, uuid), 0);
  EXPECT_EQ(Available(kGpu0, "nvidia-230"), "15\n");  // one T4-1Q left
}

TEST_F(KernelModelTest, RemoveOfAnUnknownInstanceIsEnodev) {
  Load("t4-empty");
  EXPECT_TRUE(model_->Handles(Dev(kGpu0) + "/" + kUuid + "/remove"));
  EXPECT_EQ(RemoveMdev(kGpu0, kUuid), ENODEV);
}

TEST_F(KernelModelTest, OtherFilesAreNotKernelActions) {
  Load("t4-empty");
  EXPECT_FALSE(model_->Handles(TypeDir(kGpu0, "nvidia-230") + "/name"));
  EXPECT_FALSE(
      model_->Handles("sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs"));
  EXPECT_FALSE(
      model_->Handles("sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/"
                      "nvidia-230/create"));
  EXPECT_EQ(model_->Write(Dev(kGpu0) + "/vendor", "0x10de"), EINVAL);
}

TEST_F(KernelModelTest, AmpereVfHoldsOneMdevAndTheGpuStaysHomogeneous) {
  Load("a100-sriov");
  // The profile: A100-4C on VF0 and VF1; VF2.. read 1 for A100-4C only.
  ASSERT_EQ(Create("0000:41:00.6", "nvidia-468", kUuid), 0);
  EXPECT_EQ(Available("0000:41:00.6", "nvidia-468"), "0\n");
  EXPECT_EQ(Available("0000:41:00.7", "nvidia-468"), "1\n");
  EXPECT_EQ(Available("0000:41:00.7", "nvidia-469"), "0\n");
  EXPECT_EQ(Create("0000:41:00.6", "nvidia-468", kUuid2), ENOSPC);
  // An empty A10 accepts any time-sliced type; then only that type.
  ASSERT_EQ(Create("0000:c1:00.4", "nvidia-593", kUuid2), 0);
  EXPECT_EQ(Available("0000:c1:00.5", "nvidia-593"), "1\n");
  EXPECT_EQ(Available("0000:c1:00.5", "nvidia-590"), "0\n");
  EXPECT_EQ(RemoveMdev("0000:c1:00.4", kUuid2), 0);
  EXPECT_EQ(Available("0000:c1:00.5", "nvidia-590"), "1\n");
  EXPECT_EQ(Available("0000:c1:00.4", "nvidia-593"), "1\n");
}

TEST_F(KernelModelTest, MigBackedTypesStayZeroWithMigOff) {
  Load("a100-sriov");
  ASSERT_EQ(RemoveMdev("0000:41:00.4", "3f8e5c1a-7b2d-4e6f-8a9b-1c2d3e4f5a01"),
            0);
  ASSERT_EQ(RemoveMdev("0000:41:00.5", "3f8e5c1a-7b2d-4e6f-8a9b-1c2d3e4f5a02"),
            0);
  EXPECT_EQ(Available("0000:41:00.4", "nvidia-473"), "1\n");
  EXPECT_EQ(Available("0000:41:00.4", "nvidia-474"), "0\n");
  EXPECT_EQ(Create("0000:41:00.4", "nvidia-474", kUuid), ENOSPC);
}

TEST_F(KernelModelTest, GvtTypesShareOneAperturePool) {
  Load("intel-gvt");
  const std::string igpu = "0000:00:02.0";
  // 64 MB free: one V5_8 (64 MB) fits, no V5_4 (128 MB).
  EXPECT_EQ(Create(igpu, "i915-GVTg_V5_4", kUuid), ENOSPC);
  ASSERT_EQ(RemoveMdev(igpu, "f1c3a6e2-5d4b-4c8e-9a7f-0b2d3e4f5a61"), 0);
  EXPECT_EQ(Available(igpu, "i915-GVTg_V5_4"), "1\n");
  EXPECT_EQ(Available(igpu, "i915-GVTg_V5_8"), "2\n");
  ASSERT_EQ(Create(igpu, "i915-GVTg_V5_8", kUuid), 0);
  EXPECT_EQ(Available(igpu, "i915-GVTg_V5_4"), "0\n");
  EXPECT_EQ(Available(igpu, "i915-GVTg_V5_8"), "1\n");
}

TEST_F(KernelModelTest, OtherDriversCountPerTypeAndRefuseWithEusers) {
  auto host = SimHost::Create(tmp_.path() + "/mtty");
  ASSERT_TRUE(host.ok());
  FunctionSpec dev;
  dev.bdf = "0000:05:00.0";
  dev.vendor = 0x1af4;
  dev.device = 0x1000;
  dev.class_code = 0x070002;
  dev.driver = "mtty";
  dev.iommu_group = 5;
  ASSERT_TRUE((*host)->AddFunction(dev).ok());
  MdevTypeSpec type;
  type.id = "mtty-2";
  type.name = "Dual port serial";
  type.available_instances = 1;
  ASSERT_TRUE((*host)->AddMdevType(dev.bdf, type).ok());
  KernelModel model(**host);
  auto dir = (*host)->DevicePath(dev.bdf);
  ASSERT_TRUE(dir.ok());
  const std::string types = *dir + "/mdev_supported_types/mtty-2";
  ASSERT_EQ(model.Write(types + "/create", kUuid), 0);
  EXPECT_EQ(model.Write(types + "/create", kUuid2), EUSERS);
  auto sysfs = sysfs::NewHostSysfs((*host)->root());
  ASSERT_TRUE(sysfs.ok());
  EXPECT_THAT((*sysfs)->ReadFile(types + "/available_instances"),
              IsOkAndHolds("0\n"));
  ASSERT_EQ(model.Write(*dir + "/" + kUuid + "/remove", "1"), 0);
  EXPECT_THAT((*sysfs)->ReadFile(types + "/available_instances"),
              IsOkAndHolds("1\n"));
}

TEST_F(KernelModelTest, SriovNumvfsRejectsBadValuesWithTheKernelErrnos) {
  Load("a100-sriov");
  const std::string numvfs = Dev("0000:41:00.0") + "/sriov_numvfs";
  EXPECT_EQ(model_->Write(numvfs, "lots"), EINVAL);
  EXPECT_EQ(model_->Write(numvfs, "17\n"), ERANGE);
  EXPECT_EQ(model_->Write(numvfs, "4\n"), EBUSY);  // 16 enabled
  EXPECT_EQ(model_->Write(numvfs, "16\n"), 0);     // unchanged
  EXPECT_EQ(Attr("0000:41:00.0", "sriov_numvfs"), "16\n");
}

TEST_F(KernelModelTest, SriovNumvfsZeroRemovesVfsAndNRecreatesThem) {
  Load("a100-sriov");
  const std::string pf = "0000:41:00.0";
  const std::string numvfs = Dev(pf) + "/sriov_numvfs";
  ASSERT_EQ(model_->Write(numvfs, "0\n"), 0);
  EXPECT_EQ(Attr(pf, "sriov_numvfs"), "0\n");
  EXPECT_FALSE(Present("sys/bus/pci/devices/0000:41:00.4"));
  EXPECT_FALSE(Present(Dev(pf) + "/virtfn0"));
  EXPECT_THAT(List("sys/bus/mdev/devices"), IsEmpty());
  ASSERT_EQ(model_->Write(numvfs, "2"), 0);
  EXPECT_EQ(Attr(pf, "sriov_numvfs"), "2\n");
  EXPECT_EQ(LinkName(pf, "virtfn0"), "0000:41:00.4");
  EXPECT_EQ(LinkName(pf, "virtfn1"), "0000:41:00.5");
  EXPECT_FALSE(Present(Dev(pf) + "/virtfn2"));
  EXPECT_EQ(LinkName("0000:41:00.5", "physfn"), pf);
  EXPECT_EQ(LinkName("0000:41:00.5", "driver"), "nvidia");
  EXPECT_FALSE(LinkName("0000:41:00.5", "iommu_group").empty());
  // New VFs are mdev parents of the same types, all free again.
  EXPECT_EQ(Available("0000:41:00.5", "nvidia-470"), "1\n");
  EXPECT_EQ(Available("0000:41:00.5", "nvidia-474"), "0\n");
  EXPECT_EQ(model_->Write(numvfs, "3"), EBUSY);
}

TEST_F(KernelModelTest, SriovNumvfsWithoutAPfDriverIsEnoent) {
  Load("ada-vf-vgpu");
  const std::string pf = "0000:81:00.0";  // SR-IOV off
  ASSERT_TRUE(host_->UnbindDriver(pf).ok());
  EXPECT_EQ(model_->Write(Dev(pf) + "/sriov_numvfs", "2"), ENOENT);
}

TEST_F(KernelModelTest, CurrentVgpuTypeCreatesAndCollapsesCreatableLists) {
  Load("ada-vf-vgpu");
  const std::string vf2 = "0000:01:00.6";
  const std::string vf3 = "0000:01:00.7";
  EXPECT_EQ(SetVgpu(vf2, "1147\n"), EINVAL);  // not creatable now
  EXPECT_EQ(SetVgpu(vf2, "two"), EINVAL);
  ASSERT_EQ(SetVgpu(vf2, "1148\n"), 0);
  EXPECT_EQ(Attr(vf2, "nvidia/current_vgpu_type"), "1148\n");
  EXPECT_EQ(Creatable(vf2), "ID    : vGPU Name\n");
  EXPECT_EQ(Creatable(vf3), "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n");
  EXPECT_EQ(SetVgpu(vf2, "1148"), EBUSY);
  EXPECT_EQ(SetVgpu("0000:01:00.4", "1148"), EBUSY);  // the profile's VF0
}

TEST_F(KernelModelTest, CurrentVgpuTypeZeroDestroysTheVgpu) {
  Load("ada-vf-vgpu");
  const std::string vf0 = "0000:01:00.4";
  ASSERT_EQ(SetVgpu(vf0, "0\n"), 0);
  EXPECT_EQ(Attr(vf0, "nvidia/current_vgpu_type"), "0\n");
  EXPECT_EQ(Creatable(vf0), "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n");
  EXPECT_EQ(SetVgpu(vf0, "0"), 0);  // already off
}

TEST_F(KernelModelTest, CurrentVgpuTypeOnAnUnboundVfIsEnodev) {
  Load("ada-vf-vgpu");
  const std::string vf7 = "0000:01:01.3";
  const std::string path = Dev(vf7) + "/nvidia/current_vgpu_type";
  ASSERT_TRUE(model_->Handles(path));
  ASSERT_TRUE(host_->UnbindDriver(vf7).ok());
  EXPECT_EQ(model_->Write(path, "1148"), ENODEV);
}

TEST_F(KernelModelTest, NewAdaVfsGetVgpuFilesAndCdevs) {
  Load("ada-vf-vgpu");
  const std::string pf = "0000:01:00.0";
  ASSERT_EQ(model_->Write(Dev(pf) + "/sriov_numvfs", "0"), 0);
  EXPECT_THAT(List("dev/vfio/devices"), IsEmpty());
  ASSERT_EQ(model_->Write(Dev(pf) + "/sriov_numvfs", "2"), 0);
  EXPECT_EQ(Attr("0000:01:00.5", "nvidia/current_vgpu_type"), "0\n");
  EXPECT_EQ(Creatable("0000:01:00.5"),
            "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n");
  EXPECT_THAT(List("dev/vfio/devices"), ElementsAre("vfio0", "vfio1"));
  EXPECT_EQ(SetVgpu("0000:01:00.5", "1148"), 0);
}

// A PF with no VF yet: its VFs look like those of the other PF of its board.
TEST_F(KernelModelTest, VfsOfAPfWithoutAnyLookLikeThoseOfItsBoard) {
  Load("ada-vf-vgpu");
  const std::string pf1 = "0000:81:00.0";
  ASSERT_EQ(model_->Write(Dev(pf1) + "/sriov_numvfs", "2"), 0);
  EXPECT_EQ(Creatable("0000:81:00.5"),
            "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n");
  EXPECT_EQ(SetVgpu("0000:81:00.5", "1148"), 0);
}

TEST_F(KernelModelTest, ResettingAVfVgpuInUseIsEbusy) {
  Load("ada-vf-vgpu");
  const std::string vf0 = "0000:01:00.4";
  model_->SetInUse(vf0, true);
  EXPECT_EQ(SetVgpu(vf0, "0"), EBUSY);
  EXPECT_EQ(Attr(vf0, "nvidia/current_vgpu_type"), "1148\n");
  model_->SetInUse(vf0, false);
  EXPECT_EQ(SetVgpu(vf0, "0"), 0);
}

}  // namespace
}  // namespace vgpu::simhost
