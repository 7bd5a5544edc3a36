// Discover() behaviours on small hand-built hosts; whole profiles are in
// profiles_discovery_test.cc.
#include "pkg/inventory/discovery.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/simhost/sim_host.h"
#include "test/pkg/inventory/inventory_summary.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::inventory {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

simhost::FunctionSpec Gpu(const std::string& bdf, const std::string& driver,
                          std::optional<int> group) {
  simhost::FunctionSpec spec;
  spec.bdf = bdf;
  spec.vendor = 0x10de;
  spec.device = 0x2230;
  spec.subsystem_vendor = 0x10de;
  spec.subsystem_device = 0x1459;
  spec.class_code = 0x030000;
  spec.driver = driver;
  spec.iommu_group = group;
  spec.numa_node = 1;
  return spec;
}

simhost::FunctionSpec Audio(const std::string& bdf, const std::string& driver,
                            int group) {
  simhost::FunctionSpec spec = Gpu(bdf, driver, group);
  spec.device = 0x1aef;
  spec.class_code = 0x040300;
  return spec;
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/host";
    auto host = simhost::SimHost::Create(root_);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
  }

  absl::StatusOr<Inventory> Run(const DiscoverOptions& options = {}) {
    auto sysfs = sysfs::NewHostSysfs(root_);
    if (!sysfs.ok()) return sysfs.status();
    sysfs_ = *std::move(sysfs);
    return Discover(*sysfs_, options);
  }

  ::vgpu::testing::TempDir dir_;
  std::string root_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

TEST_F(DiscoveryTest, EmptyRootGivesAnEmptyInventory) {
  ::vgpu::testing::TempDir empty;
  auto sysfs = sysfs::NewHostSysfs(empty.path());
  ASSERT_THAT(sysfs, IsOk());
  auto inv = Discover(**sysfs, {});
  ASSERT_THAT(inv, IsOk());
  EXPECT_EQ(testing::Summarize(*inv),
            "host container=0 iommufd=0 groups= cdevs=\n");
}

TEST_F(DiscoveryTest, RejectsABadVariantDriverName) {
  DiscoverOptions options;
  options.extra_vfio_drivers = {"ok_vfio_pci", ""};
  EXPECT_THAT(Run(options), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("extra_vfio_drivers")));
}

class FailingListSysfs : public sysfs::SysfsWrapper {
 public:
  using SysfsWrapper::SysfsWrapper;
  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    if (path == "sys/bus/pci/devices") {
      return absl::PermissionDeniedError("list sys/bus/pci/devices: denied");
    }
    return SysfsWrapper::ListDir(path);
  }
};

TEST_F(DiscoveryTest, FailsOnlyWhenThePciBusCannotBeListed) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:42:00.0", "vfio-pci", 25)), IsOk());
  auto sysfs = sysfs::NewHostSysfs(root_);
  ASSERT_THAT(sysfs, IsOk());
  FailingListSysfs failing(**sysfs);
  EXPECT_THAT(Discover(failing, {}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("sys/bus/pci/devices")));
}

// Answers NotFound for everything below one device after its vendor was
// read, as a hot-unplug in the middle of the scan does.
class VanishingSysfs : public sysfs::SysfsWrapper {
 public:
  VanishingSysfs(Sysfs& target, std::string dir)
      : SysfsWrapper(target), dir_(std::move(dir)) {}
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    if (gone_ && absl::StartsWith(path, dir_)) return Gone(path);
    if (path == dir_ + "/vendor") gone_ = true;
    return SysfsWrapper::ReadFile(path);
  }
  absl::StatusOr<std::string> ReadLink(absl::string_view path) override {
    if (gone_ && absl::StartsWith(path, dir_)) return Gone(path);
    return SysfsWrapper::ReadLink(path);
  }
  absl::StatusOr<sysfs::FileInfo> Lstat(absl::string_view path) override {
    if (gone_ && absl::StartsWith(path, dir_)) return Gone(path);
    return SysfsWrapper::Lstat(path);
  }

 private:
  static absl::Status Gone(absl::string_view path) {
    return absl::NotFoundError(std::string(path) + ": No such device");
  }
  const std::string dir_;
  bool gone_ = false;
};

TEST_F(DiscoveryTest, DeviceVanishingMidScanIsSkippedSilently) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:42:00.0", "vfio-pci", 25)), IsOk());
  ASSERT_THAT(host_->AddFunction(Gpu("0000:61:00.0", "vfio-pci", 10)), IsOk());
  auto dir = host_->DevicePath("0000:42:00.0");
  ASSERT_THAT(dir, IsOk());
  auto sysfs = sysfs::NewHostSysfs(root_);
  ASSERT_THAT(sysfs, IsOk());
  VanishingSysfs vanishing(**sysfs, *dir);
  auto inv = Discover(vanishing, {});
  ASSERT_THAT(inv, IsOk());
  ASSERT_EQ(inv->functions.size(), 1u);
  EXPECT_EQ(inv->functions[0].bdf, "0000:61:00.0");
  ASSERT_EQ(inv->units.size(), 1u);
  EXPECT_EQ(inv->units[0].iommu_group, 10);
  EXPECT_TRUE(inv->problems.empty());
}

TEST_F(DiscoveryTest, VariantDriversAndVfioDevCountAsVfio) {
  simhost::FunctionSpec named = Gpu("0000:01:00.0", "nvgrace_gpu_vfio_pci", 1);
  simhost::FunctionSpec custom = Gpu("0000:02:00.0", "acme_vfio", 2);
  simhost::FunctionSpec cdev = Gpu("0000:03:00.0", "acme_vfio", 3);
  cdev.vfio_cdev = 0;
  cdev.vendor_vfio = true;  // A VFIO driver whose name does not say so.
  for (const auto& spec : {named, custom, cdev}) {
    ASSERT_THAT(host_->AddFunction(spec), IsOk());
  }
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  ASSERT_EQ(inv->units.size(), 3u);
  EXPECT_TRUE(inv->units[0].viable);
  EXPECT_FALSE(inv->units[1].viable);
  EXPECT_EQ(inv->units[1].not_viable_reason,
            "0000:02:00.0 is bound to acme_vfio, not vfio-pci");
  EXPECT_TRUE(inv->units[2].viable);
  EXPECT_EQ(inv->FindFunction("0000:03:00.0")->vfio_cdev, "vfio0");

  DiscoverOptions options;
  options.extra_vfio_drivers = {"acme_vfio"};
  auto configured = Run(options);
  ASSERT_THAT(configured, IsOk());
  EXPECT_TRUE(configured->units[1].viable);
  EXPECT_TRUE(configured->units[0].viable);  // Known by name regardless.
}

TEST_F(DiscoveryTest, GroupWithTwoGpusHasTheLowestAsPrimary) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:02:00.0", "vfio-pci", 7)), IsOk());
  ASSERT_THAT(host_->AddFunction(Gpu("0000:01:00.0", "vfio-pci", 7)), IsOk());
  ASSERT_THAT(host_->AddFunction(Audio("0000:01:00.1", "", 7)), IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  ASSERT_EQ(inv->units.size(), 1u);
  const PassthroughUnit& unit = inv->units[0];
  EXPECT_EQ(unit.primary_bdf, "0000:01:00.0");
  EXPECT_THAT(unit.functions,
              ElementsAre("0000:01:00.0", "0000:01:00.1", "0000:02:00.0"));
  EXPECT_FALSE(unit.viable);
  EXPECT_EQ(unit.not_viable_reason, "0000:01:00.1 is unbound, not vfio-pci");
  EXPECT_EQ(unit.numa_node, 1);
  EXPECT_EQ(inv->FindFunction("0000:01:00.1")->role, FunctionRole::kCompanion);
}

TEST_F(DiscoveryTest, CompanionAloneIsNotAUnit) {
  ASSERT_THAT(host_->AddFunction(Audio("0000:01:00.1", "vfio-pci", 7)), IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  EXPECT_TRUE(inv->units.empty());
  EXPECT_EQ(inv->FindFunction("0000:01:00.1")->role, FunctionRole::kOther);
}

TEST_F(DiscoveryTest, GarbageOptionalAttributesKeepTheDevice) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:01:00.0", "vfio-pci", 1)), IsOk());
  auto dir = host_->DevicePath("0000:01:00.0");
  ASSERT_THAT(dir, IsOk());
  ASSERT_THAT(host_->WriteRaw(*dir + "/numa_node", "two\n"), IsOk());
  ASSERT_THAT(host_->WriteRaw(*dir + "/subsystem_device", "0x14\n"), IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  ASSERT_EQ(inv->functions.size(), 1u);
  EXPECT_EQ(inv->functions[0].numa_node, -1);
  EXPECT_EQ(inv->functions[0].subsystem_device_id, 0);
  EXPECT_TRUE(inv->units[0].viable);
  EXPECT_EQ(
      testing::Summarize(*inv).substr(testing::Summarize(*inv).find("problem")),
      "problem 0000:01:00.0: subsystem_device: id \"0x14\\n\": want 0x "
      "and 4 hex digits\n"
      "problem 0000:01:00.0: numa_node: numa node \"two\\n\": want -1 "
      "or a node number\n");
}

TEST_F(DiscoveryTest, PlainDirectoryBusEntryIsResolvedToo) {
  const std::string dir = "sys/bus/pci/devices/0000:99:00.0";
  ASSERT_THAT(host_->WriteRaw(dir + "/vendor", "0x1002\n"), IsOk());
  ASSERT_THAT(host_->WriteRaw(dir + "/device", "0x740f\n"), IsOk());
  ASSERT_THAT(host_->WriteRaw(dir + "/class", "0x038000\n"), IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  ASSERT_EQ(inv->functions.size(), 1u);
  EXPECT_EQ(inv->functions[0].sysfs_path, dir);
  EXPECT_EQ(inv->functions[0].role, FunctionRole::kGpu);
  EXPECT_THAT(
      inv->problems,
      ElementsAre(::testing::Field(
          &Problem::reason, "no IOMMU group: not usable for passthrough")));
}

TEST_F(DiscoveryTest, ModelNamesComeFromPciIds) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:01:00.0", "vfio-pci", 1)), IsOk());
  PciIds ids = PciIds::Parse("10de  NVIDIA Corporation\n\t2230  GA102GL\n");
  DiscoverOptions options;
  options.pci_ids = &ids;
  auto inv = Run(options);
  ASSERT_THAT(inv, IsOk());
  EXPECT_EQ(inv->functions[0].vendor_name, "NVIDIA Corporation");
  EXPECT_EQ(inv->functions[0].device_name, "GA102GL");
  auto plain = Run();
  ASSERT_THAT(plain, IsOk());
  EXPECT_EQ(plain->functions[0].device_name, "");
}

TEST_F(DiscoveryTest, FindsFunctionsAndMdevsByKey) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:01:00.0", "nvidia", 1)), IsOk());
  ASSERT_THAT(
      host_->AddMdevType("0000:01:00.0", {"nvidia-1", "", "", "vfio-pci", 3}),
      IsOk());
  ASSERT_THAT(host_->AddMdev("AAAAAAAA-0000-4000-8000-000000000001",
                             "0000:01:00.0", "nvidia-1", 9),
              IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  EXPECT_NE(inv->FindFunction("0000:01:00.0"), nullptr);
  EXPECT_EQ(inv->FindFunction("0000:01:00.1"), nullptr);
  const MdevDevice* mdev =
      inv->FindMdev("aaaaaaaa-0000-4000-8000-000000000001");
  ASSERT_NE(mdev, nullptr);
  EXPECT_EQ(mdev->type_name, "nvidia-1");  // No name file: the id.
  EXPECT_EQ(mdev->iommu_group, 9);
  EXPECT_EQ(mdev->numa_node, 1);
  EXPECT_EQ(inv->FindMdev("AAAAAAAA-0000-4000-8000-000000000001"), nullptr);
  EXPECT_TRUE(inv->units.empty());  // An mdev parent on nvidia.
}

// Without sys/bus/mdev (module layout of some hosts), instances are found
// through each type's devices/ directory, with the same result.
TEST_F(DiscoveryTest, MdevInstancesWithoutTheMdevBus) {
  ASSERT_THAT(host_->AddFunction(Gpu("0000:01:00.0", "nvidia", 1)), IsOk());
  for (const char* id : {"nvidia-1", "nvidia-2"}) {
    ASSERT_THAT(host_->AddMdevType("0000:01:00.0", {id, std::string("T-") + id,
                                                    "", "vfio-pci", 1}),
                IsOk());
  }
  ASSERT_THAT(host_->AddMdev("bbbbbbbb-0000-4000-8000-000000000002",
                             "0000:01:00.0", "nvidia-2", 12),
              IsOk());
  ASSERT_THAT(host_->AddMdev("aaaaaaaa-0000-4000-8000-000000000001",
                             "0000:01:00.0", "nvidia-1", 11),
              IsOk());
  auto with_bus = Run();
  ASSERT_THAT(with_bus, IsOk());
  const std::string expected = testing::Summarize(*with_bus);
  EXPECT_THAT(expected,
              HasSubstr("mdev aaaaaaaa-0000-4000-8000-000000000001 "
                        "0000:01:00.0 nvidia-1 'T-nvidia-1' group=11"));
  EXPECT_THAT(expected,
              HasSubstr("mdev bbbbbbbb-0000-4000-8000-000000000002 "
                        "0000:01:00.0 nvidia-2 'T-nvidia-2' group=12"));
  ASSERT_THAT(host_->RemoveRaw("sys/bus/mdev"), IsOk());
  auto without_bus = Run();
  ASSERT_THAT(without_bus, IsOk());
  EXPECT_EQ(testing::Summarize(*without_bus), expected);
}

// Since 6.1 every VFIO device has vfio-dev/vfioN; only `dev` inside it
// (CONFIG_VFIO_DEVICE_CDEV) makes it a cdev.
TEST_F(DiscoveryTest, VfioDevWithoutDevIsVfioButNoCdev) {
  host_->SetVfioCdevSupport(false);
  ASSERT_THAT(host_->SetIommufd(true), IsOk());
  simhost::FunctionSpec vendor = Gpu("0000:01:00.0", "acme_vfio", 1);
  vendor.vfio_cdev = 0;
  vendor.vendor_vfio = true;
  simhost::FunctionSpec plain = Gpu("0000:02:00.0", "vfio-pci", 2);
  plain.vfio_cdev = 1;
  ASSERT_THAT(host_->AddFunction(vendor), IsOk());
  ASSERT_THAT(host_->AddFunction(plain), IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  EXPECT_TRUE(inv->iommufd);
  EXPECT_TRUE(inv->vfio_cdev_nodes.empty());
  for (const char* bdf : {"0000:01:00.0", "0000:02:00.0"}) {
    SCOPED_TRACE(bdf);
    const PciFunction* fn = inv->FindFunction(bdf);
    ASSERT_NE(fn, nullptr);
    EXPECT_TRUE(fn->on_vfio_driver);  // vfio-dev/ still says VFIO owns it.
    EXPECT_EQ(fn->vfio_cdev, "");
  }
  ASSERT_EQ(inv->units.size(), 2u);
  EXPECT_TRUE(inv->units[0].viable);
  EXPECT_TRUE(inv->problems.empty());
}

TEST_F(DiscoveryTest, MdevCoreWithoutParentIsEmpty) {
  ASSERT_THAT(host_->LoadMdevCore(), IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  EXPECT_TRUE(inv->mdev_parents.empty());
  EXPECT_TRUE(inv->mdevs.empty());
  EXPECT_TRUE(inv->problems.empty());
}

TEST_F(DiscoveryTest, NonPciMdevParentNeedsNoBdf) {
  ASSERT_THAT(host_->AddVirtualMdevParent("mtty", "mtty", "mtty"), IsOk());
  ASSERT_THAT(host_->AddMdevType(
                  "mtty", {"mtty-2", "Dual port serial", "", "vfio-pci", 11}),
              IsOk());
  ASSERT_THAT(host_->AddMdev("aaaaaaaa-0000-4000-8000-000000000001", "mtty",
                             "mtty-2", 4),
              IsOk());
  auto inv = Run();
  ASSERT_THAT(inv, IsOk());
  EXPECT_TRUE(inv->problems.empty());
  ASSERT_EQ(inv->mdev_parents.size(), 1u);
  EXPECT_EQ(inv->mdev_parents[0].name, "mtty");
  EXPECT_FALSE(inv->mdev_parents[0].is_pci);
  ASSERT_EQ(inv->mdevs.size(), 1u);
  EXPECT_EQ(inv->mdevs[0].parent, "mtty");
  EXPECT_EQ(inv->mdevs[0].type_name, "Dual port serial");
  EXPECT_EQ(inv->mdevs[0].iommu_group, 4);
  EXPECT_EQ(inv->mdevs[0].driver, "mtty");
}

}  // namespace
}  // namespace vgpu::inventory
