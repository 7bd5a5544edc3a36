#include "pkg/layout/in_use.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/layout/profile_host.h"
#include "test/testing/status_matchers.h"

namespace vgpu::layout {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::vgpu::testing::IsOk;

constexpr char kHand1[] = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01";
constexpr char kHand2[] = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02";

TEST(InUseTest, VfioNodesOfMdevsAndVfVgpus) {
  ProfileHost t4("t4-vgpu");
  ASSERT_TRUE(t4.ok());
  auto nodes = VfioNodesOfVgpus(t4.Discover());
  EXPECT_THAT(nodes[kHand1], ElementsAre("/dev/vfio/100"));
  ProfileHost ada("ada-vf-vgpu");
  ASSERT_TRUE(ada.ok());
  nodes = VfioNodesOfVgpus(ada.Discover());
  EXPECT_THAT(nodes["0000:01:00.4"],
              ElementsAre("/dev/vfio/15", "/dev/vfio/devices/vfio0"));
  EXPECT_EQ(nodes.count("0000:01:00.6"), 0u);  // No vGPU type set.
}

TEST(InUseTest, AllocatedOrHeldOpenByAProcess) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  // Without proc/ there are no processes.
  absl::StatusOr<InUse> none = FindInUse(h.sysfs(), h.Discover(), {});
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(none->devices, IsEmpty());

  ASSERT_THAT(h.host().SymlinkRaw("proc/4242/fd/7", "/dev/vfio/101"), IsOk());
  ASSERT_THAT(h.host().SymlinkRaw("proc/4242/fd/8", "/dev/null"), IsOk());
  ASSERT_THAT(h.host().SymlinkRaw("proc/self", "4242"), IsOk());
  absl::StatusOr<InUse> open = FindInUse(h.sysfs(), h.Discover(), {});
  ASSERT_THAT(open, IsOk());
  EXPECT_THAT(open->devices, ElementsAre(kHand2));
  EXPECT_EQ(open->why[kHand2], "open by pid 4242");

  absl::StatusOr<InUse> both = FindInUse(h.sysfs(), h.Discover(), {kHand1});
  ASSERT_THAT(both, IsOk());
  EXPECT_THAT(both->devices, UnorderedElementsAre(kHand1, kHand2));
  EXPECT_EQ(both->why[kHand1], "allocated to a pod");
}

// A process that opened the node through the host root has the rooted path
// as its fd link; one of another root does not hold our vGPU.
TEST(InUseTest, HeldOpenThroughTheHostRoot) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  const std::string root = h.sysfs().root();
  ASSERT_THAT(h.host().SymlinkRaw("proc/51/fd/4", root + "/dev/vfio/100"),
              IsOk());
  ASSERT_THAT(h.host().SymlinkRaw("proc/52/fd/4", "/elsewhere/dev/vfio/101"),
              IsOk());
  ASSERT_THAT(h.host().SymlinkRaw("proc/53/fd/4", root + "/dev/vfio/1010"),
              IsOk());
  absl::StatusOr<InUse> u = FindInUse(h.sysfs(), h.Discover(), {});
  ASSERT_THAT(u, IsOk());
  EXPECT_THAT(u->devices, ElementsAre(kHand1));
  EXPECT_EQ(u->why[kHand1], "open by pid 51");
}

TEST(InUseTest, VfVgpuHeldThroughItsIommufdNode) {
  ProfileHost h("ada-vf-vgpu");
  ASSERT_TRUE(h.ok());
  ASSERT_THAT(h.host().SymlinkRaw("proc/77/fd/3", "/dev/vfio/devices/vfio1"),
              IsOk());
  absl::StatusOr<InUse> u = FindInUse(h.sysfs(), h.Discover(), {});
  ASSERT_THAT(u, IsOk());
  EXPECT_THAT(u->devices, ElementsAre("0000:01:00.5"));
}

}  // namespace
}  // namespace vgpu::layout
