#include "pkg/daemon/pool_diff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vgpu::daemon {
namespace {

resources::PoolDevice Dev(const std::string& id, bool healthy,
                          const std::string& reason = "") {
  resources::PoolDevice d;
  d.id = id;
  d.healthy = healthy;
  d.unhealthy_reason = reason;
  d.vfio_nodes = {"/dev/vfio/1"};
  return d;
}

resources::PoolSet Set(std::vector<resources::PoolDevice> pgpu) {
  resources::PoolSet set;
  set.pools.push_back({"nvidia.com/pgpu", std::move(pgpu)});
  return set;
}

TEST(PoolDiffTest, SamePoolsComparesEveryField) {
  resources::PoolSet a = Set({Dev("a", true), Dev("b", true)});
  EXPECT_TRUE(SamePools(a, a));
  resources::PoolSet numa = a;
  numa.pools[0].devices[1].numa_node = 1;
  EXPECT_FALSE(SamePools(a, numa));
  resources::PoolSet nodes = a;
  nodes.pools[0].devices[0].vfio_nodes = {"/dev/vfio/2"};
  EXPECT_FALSE(SamePools(a, nodes));
  resources::PoolSet fd = a;
  fd.iommufd = true;
  EXPECT_FALSE(SamePools(a, fd));
  EXPECT_FALSE(SamePools(a, Set({Dev("a", true)})));
}

TEST(PoolDiffTest, ReportsAddRemoveAndHealthFlips) {
  using Kind = DeviceChange::Kind;
  resources::PoolSet before =
      Set({Dev("a", true), Dev("b", true), Dev("c", false, "x")});
  resources::PoolSet after = Set(
      {Dev("a", false, "dev/vfio/1 missing"), Dev("c", true), Dev("d", true)});
  std::vector<DeviceChange> changes = DiffPools(before, after);
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].kind, Kind::kBecameUnhealthy);
  EXPECT_EQ(changes[0].id, "a");
  EXPECT_EQ(changes[0].reason, "dev/vfio/1 missing");
  EXPECT_EQ(changes[1].kind, Kind::kBecameHealthy);
  EXPECT_EQ(changes[1].id, "c");
  EXPECT_EQ(changes[2].kind, Kind::kAdded);
  EXPECT_EQ(changes[2].id, "d");
  EXPECT_EQ(changes[3].kind, Kind::kRemoved);
  EXPECT_EQ(changes[3].id, "b");
  for (const auto& c : changes) EXPECT_EQ(c.resource, "nvidia.com/pgpu");
  EXPECT_TRUE(DiffPools(after, after).empty());
}

TEST(PoolDiffTest, ANewUnhealthyReasonIsAChange) {
  using Kind = DeviceChange::Kind;
  resources::PoolSet before = Set({Dev("a", false, "dev/vfio/1 missing")});
  resources::PoolSet after =
      Set({Dev("a", false, "0000:01:00.1 is bound to snd_hda_intel")});
  std::vector<DeviceChange> changes = DiffPools(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, Kind::kBecameUnhealthy);
  EXPECT_EQ(changes[0].reason, "0000:01:00.1 is bound to snd_hda_intel");
  EXPECT_TRUE(DiffPools(after, after).empty());
}

TEST(PoolDiffTest, UnhealthyDevicesAndRemovalsAreWarnings) {
  using Kind = DeviceChange::Kind;
  EXPECT_TRUE(IsWarning({Kind::kAdded, "r", "a", "dev/vfio/1 missing", false}));
  EXPECT_FALSE(IsWarning({Kind::kAdded, "r", "a", "", true}));
  EXPECT_TRUE(IsWarning({Kind::kBecameUnhealthy, "r", "a", "x", false}));
  EXPECT_FALSE(IsWarning({Kind::kBecameHealthy, "r", "a", "", true}));
  EXPECT_TRUE(IsWarning({Kind::kRemoved, "r", "a", "", false}));
}

}  // namespace
}  // namespace vgpu::daemon
