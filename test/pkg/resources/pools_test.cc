// BuildPools: devices, handles, health, topology.
#include "pkg/resources/pools.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/resources/fixtures.h"
#include "test/testing/scale_inventory.h"
#include "test/testing/status_matchers.h"

namespace vgpu::resources {
namespace {

using fixtures::Build;
using fixtures::DeviceIds;
using fixtures::Fn;
using fixtures::FunctionRole;
using fixtures::Inventory;
using fixtures::MixedHost;
using fixtures::PciFunction;
using fixtures::PoolNames;
using fixtures::Strings;
using fixtures::Unit;
using fixtures::Workstation;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;

TEST(PoolsTest, PassthroughUnitOnLegacyHost) {
  absl::StatusOr<PoolSet> set = Build(Workstation());
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(PoolNames(*set), Strings{"nvidia.com/pgpu"});
  EXPECT_FALSE(set->iommufd);
  EXPECT_TRUE(set->skipped.empty());
  const Pool& pool = set->pools[0];
  ASSERT_EQ(pool.devices.size(), 1u);
  const PoolDevice& d = pool.devices[0];
  EXPECT_EQ(d.id, "0000:03:00.0");
  EXPECT_EQ(d.type, DeviceType::kPassthrough);
  EXPECT_TRUE(d.healthy);
  EXPECT_EQ(d.unhealthy_reason, "");
  EXPECT_EQ(d.numa_node, 0);
  EXPECT_EQ(d.bdfs, (Strings{"0000:03:00.0", "0000:03:00.1"}));
  EXPECT_EQ(d.vfio_nodes, Strings{"/dev/vfio/1"});
  EXPECT_FALSE(d.iommufd);
  EXPECT_EQ(d.iommu_groups, std::vector<int>{1});
  EXPECT_EQ(d.mdev_uuid, "");
  EXPECT_EQ(d.physical_gpu, "0000:03:00.0");
  EXPECT_EQ(d.pcie_switch, "0000:01:00.0");
  EXPECT_EQ(d.model, "GA102GL [A10]");
  EXPECT_EQ(pool.Find("0000:03:00.0"), &pool.devices[0]);
  EXPECT_EQ(pool.Find("0000:03:00.1"), nullptr);
  EXPECT_EQ(set->Find("nvidia.com/pgpu"), &set->pools[0]);
  EXPECT_EQ(set->Find("nvidia.com/vgpu"), nullptr);
}

TEST(PoolsTest, HealthReasons) {
  struct Case {
    const char* name;
    std::function<void(Inventory&)> mutate;
    std::string reason;
  };
  const Case cases[] = {
      {"healthy", [](Inventory&) {}, ""},
      {"group node missing",
       [](Inventory& inv) { inv.vfio_group_nodes.clear(); },
       "dev/vfio/1 missing"},
      {"not viable",
       [](Inventory& inv) {
         inv.units[0].viable = false;
         inv.units[0].not_viable_reason =
             "0000:03:00.1 is bound to snd_hda_intel, not vfio-pci";
       },
       "0000:03:00.1 is bound to snd_hda_intel, not vfio-pci"},
      {"not viable without reason",
       [](Inventory& inv) { inv.units[0].viable = false; },
       "iommu group 1 not viable"},
      {"primary unbound",
       [](Inventory& inv) {
         inv.functions[0].driver = "";
         inv.functions[0].on_vfio_driver = false;
         inv.units[0].viable = false;
         inv.units[0].not_viable_reason = "0000:03:00.0 is not bound";
       },
       "0000:03:00.0 is not bound"},
      {"function without group",
       [](Inventory& inv) { inv.functions[1].iommu_group.reset(); },
       "0000:03:00.1 has no iommu group"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Inventory inv = Workstation();
    c.mutate(inv);
    absl::StatusOr<PoolSet> set = Build(inv);
    ASSERT_THAT(set, IsOk());
    ASSERT_EQ(PoolNames(*set), Strings{"nvidia.com/pgpu"});
    const PoolDevice& d = set->pools[0].devices[0];
    EXPECT_EQ(d.healthy, c.reason.empty());
    EXPECT_EQ(d.unhealthy_reason, c.reason);
    EXPECT_EQ(d.vfio_nodes, Strings{"/dev/vfio/1"});
  }
}

TEST(PoolsTest, IommufdHostUsesCdevsPerFunction) {
  Inventory inv = Workstation();
  inv.iommufd = true;
  inv.functions[0].vfio_cdev = "vfio0";
  inv.functions[1].vfio_cdev = "vfio1";
  inv.vfio_cdev_nodes = {"vfio0", "vfio1"};
  absl::StatusOr<PoolSet> set = Build(inv);
  ASSERT_THAT(set, IsOk());
  const PoolDevice& d = set->pools[0].devices[0];
  EXPECT_EQ(d.vfio_nodes,
            (Strings{"/dev/vfio/devices/vfio0", "/dev/vfio/devices/vfio1"}));
  EXPECT_TRUE(d.iommufd);
  EXPECT_TRUE(set->iommufd);
  EXPECT_TRUE(d.healthy);

  inv.vfio_cdev_nodes = {"vfio0"};
  set = Build(inv);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->pools[0].devices[0].unhealthy_reason,
            "dev/vfio/devices/vfio1 missing");
  EXPECT_FALSE(set->pools[0].devices[0].healthy);

  // One function without a cdev: the whole device falls back to its group.
  inv.functions[1].vfio_cdev = "";
  set = Build(inv);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->pools[0].devices[0].vfio_nodes, Strings{"/dev/vfio/1"});
  EXPECT_FALSE(set->pools[0].devices[0].iommufd);
  EXPECT_FALSE(set->iommufd);

  // Cdevs without dev/iommu are unusable: group nodes.
  inv.functions[1].vfio_cdev = "vfio1";
  inv.iommufd = false;
  set = Build(inv);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(set->pools[0].devices[0].vfio_nodes, Strings{"/dev/vfio/1"});
}

TEST(PoolsTest, DefaultNamesOnMixedHost) {
  absl::StatusOr<PoolSet> set = Build(MixedHost());
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(PoolNames(*set), (Strings{"amd.com/pgpu", "nvidia.com/nvswitch",
                                      "nvidia.com/vgpu"}));
  EXPECT_EQ(DeviceIds(set->pools[0]), Strings{"0000:0a:00.0"});
  const PoolDevice& sw = set->pools[1].devices[0];
  EXPECT_EQ(sw.id, "0000:07:00.0");
  EXPECT_EQ(sw.type, DeviceType::kNvSwitch);
  EXPECT_EQ(sw.vfio_nodes, Strings{"/dev/vfio/20"});

  const Pool& vgpu = set->pools[2];
  ASSERT_EQ(DeviceIds(vgpu),
            (Strings{"0000:81:00.4", "0b5c8f2a-0000-4000-8000-000000000001",
                     "7a3c3a5e-0000-4000-8000-000000000002"}));
  const PoolDevice& vf = vgpu.devices[0];
  EXPECT_EQ(vf.type, DeviceType::kVfVgpu);
  EXPECT_EQ(vf.bdfs, Strings{"0000:81:00.4"});
  EXPECT_EQ(vf.vfio_nodes, Strings{"/dev/vfio/51"});
  EXPECT_EQ(vf.iommu_groups, std::vector<int>{51});
  EXPECT_EQ(vf.physical_gpu, "0000:81:00.0");
  EXPECT_EQ(vf.model, "NVIDIA L4-4Q");
  EXPECT_EQ(vf.numa_node, 1);
  EXPECT_TRUE(vf.healthy);

  const PoolDevice& m = vgpu.devices[1];
  EXPECT_EQ(m.type, DeviceType::kMdev);
  EXPECT_EQ(m.mdev_uuid, "0b5c8f2a-0000-4000-8000-000000000001");
  EXPECT_TRUE(m.bdfs.empty());
  EXPECT_EQ(m.vfio_nodes, Strings{"/dev/vfio/101"});
  EXPECT_EQ(m.iommu_groups, std::vector<int>{101});
  EXPECT_EQ(m.physical_gpu, "0000:41:00.0");
  EXPECT_EQ(m.pcie_switch, "0000:40:02.0");
  EXPECT_EQ(m.model, "GRID T4-1Q");
  EXPECT_FALSE(m.healthy);
  EXPECT_EQ(m.unhealthy_reason, "dev/vfio/101 missing");
  EXPECT_TRUE(vgpu.devices[2].healthy);
  EXPECT_EQ(vgpu.devices[2].vfio_nodes, Strings{"/dev/vfio/100"});

  ASSERT_EQ(set->skipped.size(), 5u);
  const std::pair<std::string, std::string> skipped[] = {
      {"0000:0b:00.0",
       "vendor 1a03 has no default resource domain and no rule matches"},
      {"0000:0c:00.0", "bound to host driver nvidia"},
      {"0000:41:00.0", "bound to host driver nvidia"},
      {"0000:81:00.0", "bound to host driver nvidia"},
      {"0000:81:00.4", "bound to host driver nvidia"},
  };
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(set->skipped[i].object, skipped[i].first);
    EXPECT_EQ(set->skipped[i].reason, skipped[i].second);
  }
}

TEST(PoolsTest, VgpuUnitsOnVfioAreNotPassthrough) {
  Inventory inv = MixedHost();
  for (PciFunction& f : inv.functions) {
    if (f.bdf == "0000:41:00.0" || f.bdf == "0000:81:00.0" ||
        f.bdf == "0000:81:00.4") {
      f.driver = "vfio-pci";
      f.on_vfio_driver = true;
    }
  }
  absl::StatusOr<PoolSet> set = Build(inv);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(PoolNames(*set), (Strings{"amd.com/pgpu", "nvidia.com/nvswitch",
                                      "nvidia.com/vgpu"}));
  std::vector<std::string> reasons;
  for (const inventory::Problem& p : set->skipped) reasons.push_back(p.reason);
  EXPECT_THAT(reasons, ElementsAre(HasSubstr("vendor 1a03"),
                                   "bound to host driver nvidia",
                                   "mdev parent (serves vGPU)",
                                   "PF of NVIDIA vGPU VFs", "NVIDIA vGPU VF"));
}

TEST(PoolsTest, SwitchIsTheNearestUpstreamPort) {
  const std::pair<Strings, std::string> cases[] = {
      {{}, ""},
      {{"0000:00:01.0"}, ""},
      {{"0000:00:01.0", "0000:01:00.0"}, ""},
      {{"0000:00:01.0", "0000:01:00.0", "0000:02:00.0"}, "0000:01:00.0"},
      {{"0000:00:01.0", "0000:01:00.0", "0000:02:00.0", "0000:03:00.0",
        "0000:04:00.0"},
       "0000:03:00.0"},
  };
  for (const auto& [bridges, want] : cases) {
    SCOPED_TRACE(bridges.size());
    Inventory inv = Workstation();
    inv.functions[0].parent_bridges = bridges;
    absl::StatusOr<PoolSet> set = Build(inv);
    ASSERT_THAT(set, IsOk());
    EXPECT_EQ(set->pools[0].devices[0].pcie_switch, want);
  }
}

TEST(PoolsTest, EveryDeviceInExactlyOnePoolSorted) {
  Inventory inv = MixedHost();
  // Discovery listing a duplicate unit must not produce two devices.
  inv.units.push_back(inv.units[0]);
  absl::StatusOr<PoolSet> set = Build(inv);
  ASSERT_THAT(set, IsOk());
  std::set<std::string> ids;
  size_t count = 0;
  for (const Pool& p : set->pools) {
    Strings sorted = DeviceIds(p);
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(DeviceIds(p), sorted) << p.resource_name;
    for (const PoolDevice& d : p.devices) {
      ids.insert(d.id);
      ++count;
    }
  }
  EXPECT_EQ(ids.size(), count);
  EXPECT_EQ(count, 5u);
  EXPECT_EQ(set->skipped.front().object, "0000:07:00.0");
  EXPECT_EQ(set->skipped.front().reason, "duplicate device id");
}

TEST(PoolsTest, EmptyInventoryGivesNoPools) {
  absl::StatusOr<PoolSet> set = Build(Inventory{});
  ASSERT_THAT(set, IsOk());
  EXPECT_TRUE(set->pools.empty());
  EXPECT_TRUE(set->skipped.empty());
}

TEST(PoolsTest, PassthroughVfUnitNamesItsPf) {
  Inventory inv;
  PciFunction pf =
      Fn("0000:4c:00.0", 0x1002, 0x7410, FunctionRole::kGpu, "gim", 51, 0);
  pf.virtfns = {"0000:4c:00.1"};
  PciFunction vf =
      Fn("0000:4c:00.1", 0x1002, 0x7410, FunctionRole::kGpu, "vfio-pci", 52, 0);
  vf.physfn = "0000:4c:00.0";
  inv.functions = {pf, vf};
  inv.units = {Unit(52, "0000:4c:00.1", {"0000:4c:00.1"}, 0)};
  inv.vfio_group_nodes = {52};
  absl::StatusOr<PoolSet> set = Build(inv);
  ASSERT_THAT(set, IsOk());
  ASSERT_EQ(PoolNames(*set), Strings{"amd.com/pgpu"});
  const PoolDevice& d = set->pools[0].devices[0];
  EXPECT_EQ(d.id, "0000:4c:00.1");
  EXPECT_EQ(d.physical_gpu, "0000:4c:00.0");
  EXPECT_TRUE(d.healthy);
}

// A complexity guard, not a performance assertion (a ratio of best-of-7
// runs in one process, see test/testing/scale_inventory.h): pools of 64
// GPUs x 64 VFs (4096 mdevs) and of 128 passthrough GPUs cost about 8
// times those of an eighth of the host. A per-device scan of the inventory
// would make the ratio 64.
TEST(PoolsScaleTest, GrowLinearlyTo4096Vgpus) {
  auto cost = [](const Inventory& inv, size_t devices) {
    size_t built = 0;
    const double seconds = ::vgpu::testing::BestOfSeconds(7, [&] {
      absl::StatusOr<PoolSet> set = BuildPools(inv, config::Config());
      built =
          set.ok() && set->pools.size() == 1 ? set->pools[0].devices.size() : 0;
    });
    EXPECT_EQ(built, devices);
    return seconds;
  };
  const double mdev_ratio =
      cost(::vgpu::testing::LargeInventory(64, 64, 64), 4096) /
      cost(::vgpu::testing::LargeInventory(8, 64, 64), 512);
  const double passthrough_ratio =
      cost(::vgpu::testing::PassthroughInventory(128), 128) /
      cost(::vgpu::testing::PassthroughInventory(16), 16);
  RecordProperty("mdev_ratio_x8", std::to_string(mdev_ratio));
  RecordProperty("passthrough_ratio_x8", std::to_string(passthrough_ratio));
  EXPECT_LT(mdev_ratio, ::vgpu::testing::kLinearRatioBound);
  EXPECT_LT(passthrough_ratio, ::vgpu::testing::kLinearRatioBound);
}

}  // namespace
}  // namespace vgpu::resources
