#include "pkg/deviceplugin/snapshot.h"

#include "gtest/gtest.h"
#include "pkg/config/config.h"
#include "pkg/resources/pools.h"
#include "test/pkg/deviceplugin/test_pools.h"
#include "test/testing/scale_inventory.h"

namespace vgpu::deviceplugin {
namespace {

TEST(SnapshotTest, SocketNameFromResourceName) {
  EXPECT_EQ(SocketName("nvidia.com/pgpu"), "vgpu-nvidia.com-pgpu.sock");
  EXPECT_EQ(SocketName("nvidia.com/NVIDIA_A10-4Q"),
            "vgpu-nvidia.com-NVIDIA_A10-4Q.sock");
}

TEST(SnapshotTest, TopologyOnlyWhenNumaKnown) {
  v1beta1::Device with = ToApiDevice(Gpu("0000:41:00.0", 24, 1));
  EXPECT_EQ(with.id(), "0000:41:00.0");
  EXPECT_EQ(with.health(), "Healthy");
  ASSERT_TRUE(with.has_topology());
  ASSERT_EQ(with.topology().nodes_size(), 1);
  EXPECT_EQ(with.topology().nodes(0).id(), 1);

  v1beta1::Device without = ToApiDevice(Gpu("0000:61:00.0", 30, -1, false));
  EXPECT_EQ(without.health(), "Unhealthy");
  EXPECT_FALSE(without.has_topology());
}

TEST(SnapshotTest, ListKeepsPoolOrder) {
  v1beta1::ListAndWatchResponse r = ToListAndWatchResponse(PgpuPool());
  ASSERT_EQ(r.devices_size(), 3);
  EXPECT_EQ(r.devices(0).id(), "0000:41:00.0");
  EXPECT_EQ(r.devices(1).id(), "0000:42:00.0");
  EXPECT_EQ(r.devices(2).id(), "0000:61:00.0");
  EXPECT_EQ(r.devices(2).health(), "Unhealthy");
}

// gRPC's default receive limit, which the kubelet's client keeps.
constexpr size_t kGrpcDefaultMaxMessage = 4 * 1024 * 1024;

size_t ListAndWatchBytes(const inventory::Inventory& inv) {
  absl::StatusOr<resources::PoolSet> set =
      resources::BuildPools(inv, config::Config());
  if (!set.ok() || set->pools.size() != 1) return 0;
  return ToListAndWatchResponse(set->pools[0]).ByteSizeLong();
}

// The message of the biggest host (64 GPUs x 64 VFs, one resource of 4096
// vGPUs) fits the kubelet's default 4 MiB with room to spare, and its size
// is exactly linear in the device count (every device costs the same bytes:
// a 36-character UUID, health, one NUMA node).
TEST(SnapshotTest, ListAndWatchOf4096VgpusIsLinearAndUnder4MiB) {
  const size_t small =
      ListAndWatchBytes(::vgpu::testing::LargeInventory(8, 64, 64));
  const size_t big =
      ListAndWatchBytes(::vgpu::testing::LargeInventory(64, 64, 64));
  ASSERT_GT(small, 0u);
  EXPECT_EQ(big, 8 * small);
  EXPECT_LT(big, kGrpcDefaultMaxMessage / 16);
  RecordProperty("bytes_4096", std::to_string(big));
  // 128 passthrough GPUs: BDF ids.
  const size_t gpus =
      ListAndWatchBytes(::vgpu::testing::PassthroughInventory(128));
  EXPECT_EQ(gpus,
            8 * ListAndWatchBytes(::vgpu::testing::PassthroughInventory(16)));
  EXPECT_LT(gpus, kGrpcDefaultMaxMessage);
}

}  // namespace
}  // namespace vgpu::deviceplugin
