// BuildPools over what Discover() reads from the simulated host profiles:
// the pools a kubelet would see, end to end through the sysfs boundary.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/allocation/preferred.h"
#include "pkg/inventory/discovery.h"
#include "pkg/kata/cdi_spec.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::resources {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using Strings = std::vector<std::string>;

// Discovers each profile at most once per process (building a host is the
// slow part); tests build pools from the cached inventories.
class PoolsProfilesTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { inventories_.reset(); }

  static absl::StatusOr<inventory::Inventory> Discover(
      const std::string& profile) {
    vgpu::testing::TempDir dir;
    auto host = simhost::SimHost::Create(dir.path() + "/host");
    if (!host.ok()) return host.status();
    simhost::ProfileOptions small;
    small.gpus = 2;
    small.vfs_per_gpu = 2;
    absl::Status built = simhost::BuildProfile(**host, profile, small);
    if (!built.ok()) return built;
    auto sysfs = sysfs::NewHostSysfs((*host)->root());
    if (!sysfs.ok()) return sysfs.status();
    return inventory::Discover(**sysfs, {});
  }

  absl::StatusOr<PoolSet> PoolsOf(const std::string& profile,
                                  const config::Config& config = {}) {
    if (!inventories_) {
      inventories_ =
          std::make_unique<std::map<std::string, inventory::Inventory>>();
    }
    auto it = inventories_->find(profile);
    if (it == inventories_->end()) {
      absl::StatusOr<inventory::Inventory> inv = Discover(profile);
      if (!inv.ok()) return inv.status();
      it = inventories_->emplace(profile, *std::move(inv)).first;
    }
    return BuildPools(it->second, config);
  }

  static std::unique_ptr<std::map<std::string, inventory::Inventory>>
      inventories_;
};

std::unique_ptr<std::map<std::string, inventory::Inventory>>
    PoolsProfilesTest::inventories_;

Strings Ids(const Pool& pool) {
  Strings ids;
  for (const PoolDevice& d : pool.devices) ids.push_back(d.id);
  return ids;
}

TEST_F(PoolsProfilesTest, InvariantsOnEveryProfile) {
  for (const std::string& name : simhost::ProfileNames()) {
    SCOPED_TRACE(name);
    absl::StatusOr<PoolSet> set = PoolsOf(name);
    ASSERT_THAT(set, IsOk());
    // t4-empty, large-empty: mdev parents with no instance yet (a layout's
    // start); the lab profiles: QEMU's vendor 1234 and the sample mdevs
    // match no default rule.
    EXPECT_EQ(set->pools.empty(), name == "t4-empty" || name == "large-empty" ||
                                      name == "stock-debian" ||
                                      name == "mdev-no-parent" ||
                                      name == "mdev-virtual");
    std::set<std::string> ids;
    for (const Pool& pool : set->pools) {
      EXPECT_THAT(config::ValidateResourceName(pool.resource_name), IsOk());
      Strings sorted = Ids(pool);
      std::sort(sorted.begin(), sorted.end());
      EXPECT_EQ(Ids(pool), sorted);
      for (const PoolDevice& d : pool.devices) {
        SCOPED_TRACE(d.id);
        EXPECT_TRUE(ids.insert(d.id).second) << "device in two pools";
        EXPECT_EQ(d.healthy, d.unhealthy_reason.empty());
        EXPECT_FALSE(d.vfio_nodes.empty());
        for (const std::string& node : d.vfio_nodes) {
          EXPECT_EQ(absl::StartsWith(node, "/dev/vfio/devices/vfio"), d.iommufd)
              << node;
          EXPECT_NE(node, "/dev/vfio/vfio");
        }
        if (d.type == DeviceType::kMdev) {
          EXPECT_TRUE(d.bdfs.empty());
          EXPECT_EQ(d.mdev_uuid, d.id);
        } else {
          ASSERT_FALSE(d.bdfs.empty());
          EXPECT_EQ(d.bdfs[0], d.id);
        }
      }
    }
  }
}

TEST_F(PoolsProfilesTest, WorkstationGpuWithAudioAndNonViableGroup) {
  absl::StatusOr<PoolSet> set = PoolsOf("workstation");
  ASSERT_THAT(set, IsOk());
  const Pool* pgpu = set->Find("nvidia.com/pgpu");
  ASSERT_NE(pgpu, nullptr);
  EXPECT_EQ(Ids(*pgpu), (Strings{"0000:42:00.0", "0000:61:00.0"}));
  const PoolDevice& good = pgpu->devices[0];
  EXPECT_TRUE(good.healthy);
  EXPECT_EQ(good.bdfs, (Strings{"0000:42:00.0", "0000:42:00.1"}));
  EXPECT_EQ(good.vfio_nodes, Strings{"/dev/vfio/25"});
  const PoolDevice& bad = pgpu->devices[1];
  EXPECT_FALSE(bad.healthy);
  EXPECT_THAT(bad.unhealthy_reason, HasSubstr("snd_hda_intel"));
}

TEST_F(PoolsProfilesTest, HgxUsesCdevsAndSwitches) {
  absl::StatusOr<PoolSet> set = PoolsOf("h100-hgx");
  ASSERT_THAT(set, IsOk());
  EXPECT_TRUE(set->iommufd);
  const Pool* pgpu = set->Find("nvidia.com/pgpu");
  const Pool* nvswitch = set->Find("nvidia.com/nvswitch");
  ASSERT_NE(pgpu, nullptr);
  ASSERT_NE(nvswitch, nullptr);
  EXPECT_EQ(Ids(*pgpu), (Strings{"0000:1b:00.0", "0000:43:00.0", "0000:52:00.0",
                                 "0000:61:00.0", "0000:9d:00.0", "0000:c3:00.0",
                                 "0000:d1:00.0", "0000:df:00.0"}));
  EXPECT_EQ(Ids(*nvswitch), (Strings{"0000:07:00.0", "0000:08:00.0",
                                     "0000:09:00.0", "0000:0a:00.0"}));
  for (const Pool* pool : {pgpu, nvswitch}) {
    for (const PoolDevice& d : pool->devices) {
      SCOPED_TRACE(d.id);
      EXPECT_TRUE(d.healthy) << d.unhealthy_reason;
      EXPECT_TRUE(d.iommufd);
      EXPECT_EQ(d.vfio_nodes.size(), d.bdfs.size());
      EXPECT_FALSE(d.pcie_switch.empty());
    }
  }
  EXPECT_EQ(pgpu->devices[0].type, DeviceType::kPassthrough);
  EXPECT_EQ(nvswitch->devices[0].type, DeviceType::kNvSwitch);
}

TEST_F(PoolsProfilesTest, VgpuProfiles) {
  struct Case {
    const char* profile;
    const char* resource;
    DeviceType type;
  };
  const Case cases[] = {
      {"t4-vgpu", "nvidia.com/vgpu", DeviceType::kMdev},
      {"a100-sriov", "nvidia.com/vgpu", DeviceType::kMdev},
      {"ada-vf-vgpu", "nvidia.com/vgpu", DeviceType::kVfVgpu},
      {"intel-gvt", "intel.com/vgpu", DeviceType::kMdev},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.profile);
    absl::StatusOr<PoolSet> set = PoolsOf(c.profile);
    ASSERT_THAT(set, IsOk());
    const Pool* pool = set->Find(c.resource);
    ASSERT_NE(pool, nullptr);
    ASSERT_FALSE(pool->devices.empty());
    for (const PoolDevice& d : pool->devices) {
      SCOPED_TRACE(d.id);
      EXPECT_EQ(d.type, c.type);
      EXPECT_TRUE(d.healthy) << d.unhealthy_reason;
      EXPECT_FALSE(d.physical_gpu.empty());
      EXPECT_NE(d.physical_gpu, d.id);
      if (d.type == DeviceType::kMdev) {
        ASSERT_EQ(d.iommu_groups.size(), 1u);
        EXPECT_EQ(d.vfio_nodes,
                  Strings{"/dev/vfio/" + std::to_string(d.iommu_groups[0])});
      }
    }
  }
}

TEST_F(PoolsProfilesTest, AdaVfVgpuPerModelUsesTheTypeName) {
  config::Config config;
  config.naming = config::Naming::kPerModel;
  absl::StatusOr<PoolSet> set = PoolsOf("ada-vf-vgpu", config);
  ASSERT_THAT(set, IsOk());
  const Pool* pool = set->Find("nvidia.com/NVIDIA_L40S-2Q");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->devices[0].model, "NVIDIA L40S-2Q");
}

// The topology discovery reports drives GetPreferredAllocation: on the HGX
// profile two GPUs come from one switch, four from one NUMA node.
TEST_F(PoolsProfilesTest, HgxPreferredAllocationFollowsTopology) {
  absl::StatusOr<PoolSet> set = PoolsOf("h100-hgx");
  ASSERT_THAT(set, IsOk());
  const Pool& pgpu = *set->Find("nvidia.com/pgpu");
  const Strings all = Ids(pgpu);
  const auto pick = [&](const Strings& must, int size) {
    return allocation::PreferredAllocation(pgpu, all, must, size,
                                           config::VgpuPolicy::kBinpack);
  };
  EXPECT_THAT(pick({}, 2),
              IsOkAndHolds(Strings{"0000:1b:00.0", "0000:43:00.0"}));
  EXPECT_THAT(pick({"0000:d1:00.0"}, 2),
              IsOkAndHolds(Strings{"0000:d1:00.0", "0000:df:00.0"}));
  EXPECT_THAT(pick({"0000:9d:00.0"}, 4),
              IsOkAndHolds(Strings{"0000:9d:00.0", "0000:c3:00.0",
                                   "0000:d1:00.0", "0000:df:00.0"}));
}

// One A10 display function alone in IOMMU group 25, bound to `driver`.
simhost::FunctionSpec LoneGpu(const std::string& driver) {
  simhost::FunctionSpec gpu;
  gpu.bdf = "0000:42:00.0";
  gpu.vendor = 0x10de;
  gpu.device = 0x2230;
  gpu.class_code = 0x030000;
  gpu.driver = driver;
  gpu.iommu_group = 25;
  return gpu;
}

// A driver discovery is told to accept (DiscoverOptions::extra_vfio_drivers)
// makes the unit viable there, and the pools advertise what discovery found
// viable instead of judging the driver again.
TEST(PoolsExtraVfioDriverTest, ExtraDriverUnitIsAdvertised) {
  vgpu::testing::TempDir dir;
  auto host = simhost::SimHost::Create(dir.path() + "/host");
  ASSERT_THAT(host, IsOk());
  ASSERT_THAT((*host)->AddFunction(LoneGpu("acme_vfio")), IsOk());
  auto sysfs = sysfs::NewHostSysfs((*host)->root());
  ASSERT_THAT(sysfs, IsOk());

  auto plain = inventory::Discover(**sysfs, {});
  ASSERT_THAT(plain, IsOk());
  ASSERT_EQ(plain->units.size(), 1u);
  EXPECT_FALSE(plain->units[0].viable);
  auto plain_pools = BuildPools(*plain, config::Config{});
  ASSERT_THAT(plain_pools, IsOk());
  EXPECT_TRUE(plain_pools->pools.empty());

  inventory::DiscoverOptions options;
  options.extra_vfio_drivers = {"acme_vfio"};
  auto inv = inventory::Discover(**sysfs, options);
  ASSERT_THAT(inv, IsOk());
  ASSERT_EQ(inv->units.size(), 1u);
  EXPECT_TRUE(inv->units[0].viable);
  auto pools = BuildPools(*inv, config::Config{});
  ASSERT_THAT(pools, IsOk());
  const Pool* pgpu = pools->Find("nvidia.com/pgpu");
  ASSERT_NE(pgpu, nullptr);
  EXPECT_EQ(Ids(*pgpu), Strings{"0000:42:00.0"});
}

// Since 6.1 vfio-dev/vfioN exists without a cdev; a host with /dev/iommu
// but no VFIO_DEVICE_CDEV must get group nodes, never /dev/vfio/devices/.
TEST(PoolsVfioCdevTest, VfioDevWithoutDevGivesGroupNodes) {
  for (bool cdev : {false, true}) {
    SCOPED_TRACE(cdev ? "with cdev" : "vfio-dev without dev");
    vgpu::testing::TempDir dir;
    auto host = simhost::SimHost::Create(dir.path() + "/host");
    ASSERT_THAT(host, IsOk());
    (*host)->SetVfioCdevSupport(cdev);
    ASSERT_THAT((*host)->SetIommufd(true), IsOk());
    simhost::FunctionSpec gpu = LoneGpu("vfio-pci");
    gpu.vfio_cdev = 0;
    ASSERT_THAT((*host)->AddFunction(gpu), IsOk());
    auto sysfs = sysfs::NewHostSysfs((*host)->root());
    ASSERT_THAT(sysfs, IsOk());
    auto inv = inventory::Discover(**sysfs, {});
    ASSERT_THAT(inv, IsOk());
    EXPECT_TRUE(inv->iommufd);
    ASSERT_EQ(inv->functions.size(), 1u);
    EXPECT_TRUE(inv->functions[0].on_vfio_driver);
    EXPECT_EQ(inv->functions[0].vfio_cdev, cdev ? "vfio0" : "");
    auto pools = BuildPools(*inv, config::Config{});
    ASSERT_THAT(pools, IsOk());
    const Pool* pgpu = pools->Find("nvidia.com/pgpu");
    ASSERT_NE(pgpu, nullptr);
    ASSERT_EQ(pgpu->devices.size(), 1u);
    const PoolDevice& d = pgpu->devices[0];
    EXPECT_TRUE(d.healthy) << d.unhealthy_reason;
    EXPECT_EQ(d.iommufd, cdev);
    EXPECT_EQ(d.vfio_nodes,
              (Strings{cdev ? "/dev/vfio/devices/vfio0" : "/dev/vfio/25"}));
    const std::string spec = kata::RenderCdiSpec(*pgpu);
    EXPECT_EQ(absl::StrContains(spec, "/dev/vfio/devices/"), cdev) << spec;
  }
}

// Non-PCI mdev parents (the kernel's samples): pooled by a rule on the type
// name, named by the parent's name, handed their group node.
TEST_F(PoolsProfilesTest, VirtualMdevParentIsPooledByRule) {
  config::Config config;
  config::ResourceRule rule;
  rule.resource_name = "example.com/mbochs";
  rule.mdev_type_name = "mbochs-medium";
  config.rules.push_back(rule);
  absl::StatusOr<PoolSet> set = PoolsOf("mdev-virtual", config);
  ASSERT_THAT(set, IsOk());
  const Pool* pool = set->Find("example.com/mbochs");
  ASSERT_NE(pool, nullptr);
  ASSERT_EQ(pool->devices.size(), 1u);
  const PoolDevice& d = pool->devices[0];
  EXPECT_EQ(d.id, "5b1a4f3e-8c2d-4e6f-9a7b-0c1d2e3f4a5b");
  EXPECT_EQ(d.type, DeviceType::kMdev);
  EXPECT_EQ(d.physical_gpu, "mbochs");
  EXPECT_EQ(d.vfio_nodes, Strings{"/dev/vfio/0"});
  EXPECT_TRUE(d.healthy) << d.unhealthy_reason;
}

}  // namespace
}  // namespace vgpu::resources
