#include "pkg/inventory/vfio_driver.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace vgpu::inventory {
namespace {

TEST(VfioDriverTest, VfioPciAndVariantsByName) {
  EXPECT_TRUE(IsVfioDriver("vfio-pci", false));
  EXPECT_TRUE(IsVfioDriver("nvgrace_gpu_vfio_pci", false));
  EXPECT_TRUE(IsVfioDriver("xe-vfio-pci", false));
  EXPECT_TRUE(IsVfioDriver("mlx5_vfio_pci", false));
}

TEST(VfioDriverTest, HostDriversAndUnboundAreNot) {
  EXPECT_FALSE(IsVfioDriver("nvidia", false));
  EXPECT_FALSE(IsVfioDriver("pcieport", false));
  EXPECT_FALSE(IsVfioDriver("snd_hda_intel", false));
  EXPECT_FALSE(IsVfioDriver("", false));
}

TEST(VfioDriverTest, VfioDevEntryMakesAnyDriverVfio) {
  EXPECT_TRUE(IsVfioDriver("nvidia", true));
}

TEST(VfioDriverTest, ExtraDriversAreAccepted) {
  const std::vector<std::string> extra = {"acme_vfio"};
  EXPECT_TRUE(IsVfioDriver("acme_vfio", false, extra));
  EXPECT_FALSE(IsVfioDriver("acme_vfio", false));
  EXPECT_FALSE(IsVfioDriver("", false, extra));
}

}  // namespace
}  // namespace vgpu::inventory
