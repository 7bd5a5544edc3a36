#include "pkg/deviceplugin/snapshot.h"

#include "gtest/gtest.h"
#include "test/pkg/deviceplugin/test_pools.h"

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

}  // namespace
}  // namespace vgpu::deviceplugin
