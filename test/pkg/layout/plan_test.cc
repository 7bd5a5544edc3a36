// Planner tables per generation and rule, on the simulated profiles
// (docs/sysfs.md): t4-vgpu, a100-sriov, ada-vf-vgpu, intel-gvt.
#include "pkg/layout/plan.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/config/config.h"
#include "pkg/layout/desired.h"
#include "pkg/layout/uuid.h"
#include "test/pkg/layout/profile_host.h"
#include "test/testing/scale_inventory.h"
#include "test/testing/status_matchers.h"

namespace vgpu::layout {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;

constexpr char kHand1[] = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01";
constexpr char kHand2[] = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02";

// "create", "keep", ... one per action, in order.
std::vector<std::string> Kinds(const std::vector<Action>& actions) {
  std::vector<std::string> out;
  for (const Action& a : actions) {
    out.emplace_back(ActionKindName(a.kind));
  }
  return out;
}

int Count(const std::vector<Action>& actions, ActionKind kind) {
  int n = 0;
  for (const Action& a : actions) n += a.kind == kind;
  return n;
}

class PlanTest : public ::testing::Test {
 protected:
  // Plans `entries` (the YAML list of one layout) on `profile`.
  std::vector<Action> PlanOn(const std::string& profile,
                             const std::string& entries,
                             const DeviceSet& in_use = {},
                             const DeviceSet& owned = {}) {
    ProfileHost h(profile);
    EXPECT_TRUE(h.ok());
    if (!h.ok()) return {};
    return PlanHost(h, entries, in_use, owned);
  }
  std::vector<Action> PlanHost(ProfileHost& h, const std::string& entries,
                               const DeviceSet& in_use = {},
                               const DeviceSet& owned = {}) {
    absl::StatusOr<config::VgpuLayouts> layouts = config::ParseVgpuConfigFile(
        "version: v1\nvgpu-configs:\n  x:\n" + entries);
    EXPECT_THAT(layouts, IsOk());
    const inventory::Inventory inv = h.Discover();
    absl::StatusOr<DesiredState> desired = Resolve(*layouts, "x", inv);
    EXPECT_THAT(desired, IsOk());
    if (!desired.ok()) return {};
    return Plan(*desired, inv, in_use, owned);
  }
};

TEST_F(PlanTest, T4HandMadeCountTowardTheLayout) {
  std::vector<Action> p = PlanOn("t4-vgpu", R"(    - devices: [0]
      vgpu-devices: {"T4-1Q": 16}
)");
  ASSERT_EQ(p.size(), 16u);
  EXPECT_EQ(Count(p, ActionKind::kCreateMdev), 14);
  EXPECT_EQ(Count(p, ActionKind::kKeep), 2);
  EXPECT_FALSE(p.empty() || p[0].kind != ActionKind::kCreateMdev);
  EXPECT_EQ(p[0].parent, "0000:3b:00.0");
  EXPECT_EQ(p[0].path,
            "sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-230/"
            "create");
  EXPECT_EQ(p[0].data, MdevUuid("0000:3b:00.0", "nvidia-230", 0));
  EXPECT_EQ(p[13].data, MdevUuid("0000:3b:00.0", "nvidia-230", 13));
  EXPECT_THAT(p[14].reason, HasSubstr("not created by us"));
}

TEST_F(PlanTest, T4RefusesTwoTypesOnOneGpu) {
  std::vector<Action> p = PlanOn("t4-vgpu", R"(    - devices: [1]
      vgpu-devices: {"T4-1Q": 4, "GRID T4-2Q": 2}
)");
  ASSERT_THAT(Kinds(p), ElementsAre("blocked"));
  EXPECT_THAT(p[0].reason, HasSubstr("holds one vGPU type at a time"));
}

TEST_F(PlanTest, T4HandMadeUnwantedAreNeverRemoved) {
  std::vector<Action> p = PlanOn("t4-vgpu", R"(    - devices: [0]
      vgpu-devices: {"T4-2Q": 4}
)");
  ASSERT_THAT(Kinds(p), ElementsAre("blocked", "blocked", "blocked"));
  EXPECT_EQ(p[0].device, kHand1);
  EXPECT_THAT(p[0].reason, HasSubstr("not created by us: never removed"));
  EXPECT_THAT(p[2].reason,
              HasSubstr("available_instances of nvidia-231 is 0 (the GPU "
                        "holds GRID T4-1Q; a time-sliced NVIDIA GPU"));
}

TEST_F(PlanTest, OwnedUnwantedAreRemovedUnlessInUse) {
  std::vector<Action> p = PlanOn("t4-vgpu", R"(    - devices: [0]
      vgpu-devices: {"T4-2Q": 4}
)",
                                 /*in_use=*/{kHand2},
                                 /*owned=*/{kHand1, kHand2});
  ASSERT_THAT(Kinds(p), ElementsAre("remove", "blocked"));
  EXPECT_EQ(p[0].device, kHand1);
  EXPECT_EQ(p[0].path, absl::StrCat("sys/class/mdev_bus/0000:3b:00.0/", kHand1,
                                    "/remove"));
  EXPECT_EQ(p[0].data, "1");
  EXPECT_EQ(p[1].device, kHand2);
  EXPECT_THAT(p[1].reason, HasSubstr("in use"));
}

TEST_F(PlanTest, KeepsWhatMatchesAndRemovesOnlyTheSurplus) {
  std::vector<Action> p = PlanOn("t4-vgpu", R"(    - devices: [0]
      vgpu-devices: {"T4-1Q": 1}
)",
                                 {}, {kHand1, kHand2});
  ASSERT_THAT(Kinds(p), ElementsAre("remove", "keep"));
  EXPECT_EQ(p[0].device, kHand2);
  EXPECT_EQ(p[1].device, kHand1);
}

TEST_F(PlanTest, GpusOutsideTheLayoutAreNotTouched) {
  std::vector<Action> p = PlanOn("t4-vgpu", R"(    - devices: [1]
      vgpu-devices: {"T4-8Q": 2}
)",
                                 {}, {kHand1, kHand2});
  ASSERT_THAT(Kinds(p), ElementsAre("create", "create"));
  for (const Action& a : p) EXPECT_EQ(a.gpu, "0000:d8:00.0");
}

TEST_F(PlanTest, IdempotentOnceApplied) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  DeviceSet owned;
  for (int slot = 0; slot < 4; ++slot) {
    const std::string uuid = MdevUuid("0000:d8:00.0", "nvidia-232", slot);
    ASSERT_THAT(h.host().AddMdev(uuid, "0000:d8:00.0", "nvidia-232",
                                 h.host().NextFreeIommuGroup()),
                IsOk());
    owned.insert(uuid);
  }
  std::vector<Action> p = PlanHost(h, R"(    - devices: [1]
      vgpu-devices: {"T4-4Q": 4}
)",
                                   {}, owned);
  EXPECT_FALSE(HasChanges(p));
  EXPECT_EQ(Count(p, ActionKind::kKeep), 4);
}

TEST_F(PlanTest, AmpereOneVgpuPerVf) {
  std::vector<Action> p = PlanOn("a100-sriov", R"(    - devices: [0]
      vgpu-devices: {"A100-4C": 5}
    - devices: [1]
      vgpu-devices: {"A10-4Q": 6}
)");
  ASSERT_THAT(Kinds(p),
              ElementsAre("create", "create", "create", "keep", "keep",
                          "create", "create", "create", "create", "blocked"));
  EXPECT_EQ(p[0].parent, "0000:41:00.6");
  EXPECT_EQ(p[1].parent, "0000:41:00.7");
  EXPECT_EQ(p[0].data, MdevUuid("0000:41:00.6", "nvidia-468", 0));
  EXPECT_THAT(p[9].reason,
              HasSubstr("lacks 2 NVIDIA A10-4Q: all 4 VFs hold a vGPU"));
}

TEST_F(PlanTest, AmpereRefusesATypeNoFreeVfOffersNow) {
  std::vector<Action> p = PlanOn("a100-sriov", R"(    - devices: [0]
      vgpu-devices: {"A100-4C": 2, "GRID A100-8C": 1}
)");
  ASSERT_THAT(Kinds(p), ElementsAre("keep", "keep", "blocked"));
  EXPECT_THAT(p[2].reason,
              HasSubstr("none of the 14 free VFs can take GRID A100-8C now"));
}

TEST_F(PlanTest, AdaSetsVfTypesAndEnablesVfsFirst) {
  std::vector<Action> p = PlanOn("ada-vf-vgpu", R"(    - devices: all
      vgpu-devices: {"L40S-2Q": 4}
)");
  ASSERT_THAT(Kinds(p), ElementsAre("set-vf-type", "set-vf-type", "keep",
                                    "keep", "enable-vfs"));
  EXPECT_EQ(p[0].device, "0000:01:00.6");
  EXPECT_EQ(p[0].path,
            "sys/bus/pci/devices/0000:01:00.6/nvidia/current_vgpu_type");
  EXPECT_EQ(p[0].data, "1148");
  EXPECT_EQ(p[4].path, "sys/bus/pci/devices/0000:81:00.0/sriov_numvfs");
  EXPECT_EQ(p[4].data, "32");
}

TEST_F(PlanTest, AdaLeavesSriovOffWhenTheLayoutWantsNothingThere) {
  std::vector<Action> p = PlanOn("ada-vf-vgpu", R"(    - devices: [1]
      vgpu-devices: {"L40S-2Q": 0}
)");
  EXPECT_TRUE(p.empty());
}

TEST_F(PlanTest, AdaResetsOnlyOwnedFreeVfs) {
  std::vector<Action> p =
      PlanOn("ada-vf-vgpu", R"(    - devices: [0]
      vgpu-devices: {}
)",
             {"0000:01:00.5"}, {"0000:01:00.4", "0000:01:00.5"});
  ASSERT_THAT(Kinds(p), ElementsAre("reset-vf-type", "blocked"));
  EXPECT_EQ(p[0].device, "0000:01:00.4");
  EXPECT_EQ(p[0].data, "0");
  EXPECT_THAT(p[1].reason, HasSubstr("in use"));
}

TEST_F(PlanTest, AdaOneVgpuPerVf) {
  std::vector<Action> p = PlanOn("ada-vf-vgpu", R"(    - devices: [0]
      vgpu-devices: {"L40S-2Q": 9}
)");
  EXPECT_EQ(Count(p, ActionKind::kSetVfType), 6);
  EXPECT_EQ(Count(p, ActionKind::kKeep), 2);
  ASSERT_EQ(p.back().kind, ActionKind::kBlocked);
  EXPECT_THAT(p.back().reason,
              HasSubstr("lacks 1 NVIDIA L40S-2Q: all 8 VFs hold a vGPU"));
}

TEST_F(PlanTest, MdevParentsThatAreNotPciArePlannedByName) {
  // mdev-virtual: mbochs holds one hand-made mbochs-medium (3 more fit).
  std::vector<Action> p = PlanOn("mdev-virtual", R"(    - mdevParents: [mbochs]
      vgpu-devices: {mbochs-medium: 3}
    - mdevParents: [mtty]
      vgpu-devices: {mtty-1: 2}
)");
  EXPECT_THAT(Kinds(p),
              ElementsAre("create", "create", "keep", "create", "create"));
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].gpu, "mbochs");
  EXPECT_EQ(p[0].parent, "mbochs");
  EXPECT_EQ(p[0].path,
            "sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-medium/"
            "create");
  EXPECT_EQ(p[0].data, MdevUuid("mbochs", "mbochs-medium", 0));
  EXPECT_THAT(p[0].reason, HasSubstr("mdev parent mbochs lacks 2"));
  EXPECT_THAT(p[2].reason, HasSubstr("(not created by us)"));
  EXPECT_EQ(p[3].path,
            "sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1/create");
  // Asking past available_instances is blocked, naming the count.
  p = PlanOn("mdev-virtual", R"(    - mdevParents: [mbochs]
      vgpu-devices: {mbochs-large: 1}
)");
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.back().kind, ActionKind::kBlocked);
  EXPECT_THAT(p.back().reason,
              HasSubstr("mdev parent mbochs lacks 1 mbochs-large: "
                        "available_instances of mbochs-large is 0"));
}

TEST_F(PlanTest, GvtMixesTypesFromOneSharedPool) {
  std::vector<Action> p = PlanOn("intel-gvt", R"(    - devices: all
      vgpu-devices: {"GVTg_V5_8": 2}
)");
  ASSERT_THAT(Kinds(p), ElementsAre("create", "keep"));
  EXPECT_EQ(p[0].parent, "0000:00:02.0");
  p = PlanOn("intel-gvt", R"(    - devices: all
      vgpu-devices: {"GVTg_V5_8": 1, "i915-GVTg_V5_4": 1}
)");
  ASSERT_THAT(Kinds(p), ElementsAre("keep", "blocked"));
  EXPECT_THAT(p[1].reason, HasSubstr("available_instances of i915-GVTg_V5_4 "
                                     "is 0"));
  EXPECT_THAT(p[1].reason, ::testing::Not(HasSubstr("time-sliced")));
}

// A complexity guard, not a performance assertion (the timing is a ratio
// of best-of-7 runs in one process, see test/testing/scale_inventory.h):
// resolving and planning a layout on 64 GPUs x 64 VFs (4096 vGPUs, half of
// them to keep and half to create) costs about 8 times what 8 x 64 does.
// A step that scanned every mdev parent or instance per VF or per GPU (as
// FindType and the instance scan once did) makes the ratio 64 or more.
TEST(PlanScaleTest, ResolveAndPlanGrowLinearlyTo4096Vgpus) {
  absl::StatusOr<config::VgpuLayouts> layouts =
      config::ParseVgpuConfigFile(R"(version: v1
vgpu-configs:
  x:
    - devices: all
      vgpu-devices: {"A100-4C": 64}
)");
  ASSERT_THAT(layouts, IsOk());
  auto cost = [&](int gpus) {
    const inventory::Inventory inv =
        ::vgpu::testing::LargeInventory(gpus, 64, 32);
    std::vector<Action> plan;
    const double seconds = ::vgpu::testing::BestOfSeconds(7, [&] {
      absl::StatusOr<DesiredState> desired = Resolve(*layouts, "x", inv);
      plan = desired.ok() ? Plan(*desired, inv, {}, {}) : std::vector<Action>();
    });
    EXPECT_EQ(Count(plan, ActionKind::kKeep), gpus * 32);
    EXPECT_EQ(Count(plan, ActionKind::kCreateMdev), gpus * 32);
    return seconds;
  };
  const double small = cost(8);
  const double big = cost(64);
  RecordProperty("ratio_x8", std::to_string(big / small));
  EXPECT_LT(big / small, ::vgpu::testing::kLinearRatioBound)
      << "512 vGPUs: " << small << " s, 4096 vGPUs: " << big << " s";
}

}  // namespace
}  // namespace vgpu::layout
