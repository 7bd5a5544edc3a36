#include "pkg/layout/desired.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/config/config.h"
#include "test/pkg/layout/profile_host.h"
#include "test/testing/status_matchers.h"

namespace vgpu::layout {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

config::VgpuLayouts Layouts(const std::string& yaml) {
  absl::StatusOr<config::VgpuLayouts> l =
      config::ParseVgpuConfigFile("version: v1\nvgpu-configs:\n" + yaml);
  EXPECT_THAT(l, IsOk());
  return l.ok() ? *l : config::VgpuLayouts{};
}

TEST(DesiredTest, TypeMatchesNameIdAndNameWithoutVendorPrefix) {
  const VgpuType t4{"nvidia-230", "GRID T4-1Q"};
  const VgpuType a10{"nvidia-593", "NVIDIA A10-4Q"};
  const VgpuType gvt{"i915-GVTg_V5_4", "GVTg_V5_4"};
  const VgpuType l40s{"1148", "NVIDIA L40S-2Q"};
  EXPECT_TRUE(TypeMatches("GRID T4-1Q", t4));
  EXPECT_TRUE(TypeMatches("T4-1Q", t4));
  EXPECT_TRUE(TypeMatches("nvidia-230", t4));
  EXPECT_TRUE(TypeMatches("A10-4Q", a10));
  EXPECT_TRUE(TypeMatches("NVIDIA A10-4Q", a10));
  EXPECT_TRUE(TypeMatches("i915-GVTg_V5_4", gvt));
  EXPECT_TRUE(TypeMatches("GVTg_V5_4", gvt));
  EXPECT_TRUE(TypeMatches("1148", l40s));
  EXPECT_TRUE(TypeMatches("L40S-2Q", l40s));
  EXPECT_FALSE(TypeMatches("T4-1", t4));
  EXPECT_FALSE(TypeMatches("GRID", t4));
  EXPECT_FALSE(TypeMatches("", t4));
  EXPECT_FALSE(TypeMatches("230", t4));
}

TEST(DesiredTest, IndicesArePhysicalGpusInPciOrder) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  absl::StatusOr<DesiredState> d = Resolve(Layouts(R"(  x:
    - devices: [1]
      vgpu-devices: {"T4-2Q": 8}
)"),
                                           "x", h.Discover());
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->gpus.size(), 1u);
  EXPECT_EQ(d->gpus[0].bdf, "0000:d8:00.0");
  EXPECT_EQ(d->gpus[0].index, 1);
  EXPECT_EQ(d->gpus[0].mode, GpuMode::kMdevOnGpu);
  EXPECT_EQ(d->gpus[0].want[0].first.id, "nvidia-231");
  EXPECT_EQ(d->gpus[0].want[0].second, 8);
}

TEST(DesiredTest, ModesPerGeneration) {
  struct Case {
    const char* profile;
    const char* bdf;
    GpuMode mode;
  };
  for (const Case& c : {Case{"t4-vgpu", "0000:3b:00.0", GpuMode::kMdevOnGpu},
                        Case{"intel-gvt", "0000:00:02.0", GpuMode::kMdevOnGpu},
                        Case{"a100-sriov", "0000:41:00.0", GpuMode::kMdevOnVfs},
                        Case{"ada-vf-vgpu", "0000:01:00.0", GpuMode::kVfVgpu},
                        Case{"ada-vf-vgpu", "0000:81:00.0", GpuMode::kNeedsVfs},
                        Case{"workstation", "0000:42:00.0", GpuMode::kNone}}) {
    SCOPED_TRACE(std::string(c.profile) + " " + c.bdf);
    ProfileHost h(c.profile);
    ASSERT_TRUE(h.ok());
    inventory::Inventory inv = h.Discover();
    const inventory::PciFunction* gpu = inv.FindFunction(c.bdf);
    ASSERT_NE(gpu, nullptr);
    EXPECT_EQ(ModeOf(inv, *gpu), c.mode);
  }
}

TEST(DesiredTest, SelectorsNarrowTheGpus) {
  ProfileHost h("a100-sriov");
  ASSERT_TRUE(h.ok());
  const inventory::Inventory inv = h.Discover();
  struct Case {
    const char* entry;
    const char* want_bdf;
  };
  for (const Case& c : {Case{"device-filter: \"0x223610DE\"", "0000:c1:00.0"},
                        Case{"device: \"20f1\"", "0000:41:00.0"},
                        Case{"bdfs: [\"0000:C1:00.0\"]", "0000:c1:00.0"},
                        Case{"devices: [0]", "0000:41:00.0"}}) {
    SCOPED_TRACE(c.entry);
    absl::StatusOr<DesiredState> d =
        Resolve(Layouts(std::string("  x:\n    - ") + c.entry +
                        "\n      vgpu-devices: {}\n"),
                "x", inv);
    ASSERT_THAT(d, IsOk());
    ASSERT_EQ(d->gpus.size(), 1u);
    EXPECT_EQ(d->gpus[0].bdf, c.want_bdf);
  }
}

TEST(DesiredTest, VfVgpuTypesResolveByNameAndId) {
  ProfileHost h("ada-vf-vgpu");
  ASSERT_TRUE(h.ok());
  absl::StatusOr<DesiredState> d = Resolve(Layouts(R"(  x:
    - devices: [0]
      vgpu-devices: {"L40S-2Q": 4, "1148": 0}
    - devices: [1]
      vgpu-devices: {"NVIDIA L40S-1Q": 2}
)"),
                                           "x", h.Discover());
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->gpus.size(), 2u);
  EXPECT_EQ(d->gpus[0].want[0].first.id, "1148");
  EXPECT_EQ(d->gpus[0].want[1].first.name, "NVIDIA L40S-2Q");
  // SR-IOV off: the types are checked once the VFs are enabled.
  EXPECT_EQ(d->gpus[1].mode, GpuMode::kNeedsVfs);
  EXPECT_EQ(d->gpus[1].want[0].first.id, "");
}

// A GPU whose VFs are not enabled shows no types; what GPUs of the same
// model offer decides before anything is written (sriov_numvfs included).
TEST(DesiredTest, GpuWithoutVfsIsCheckedAgainstGpusOfItsModel) {
  ProfileHost h("ada-vf-vgpu");
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(
      Resolve(Layouts("  x:\n    - devices: [1]\n      "
                      "vgpu-devices: {\"A10-4Q\": 1}\n"),
              "x", h.Discover()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("GPU 1 (0000:81:00.0) has no VFs enabled and no "
                         "GPU of its model (10de:26b9) offers \"A10-4Q\"; "
                         "they offer: NVIDIA L40S-2Q (1148)")));
  // Another type of the same board: its list may show only the type it
  // runs now (NVIDIA collapses it), so the board decides.
  EXPECT_THAT(Resolve(Layouts("  x:\n    - devices: all\n      "
                              "vgpu-devices: {\"L40S-2Q\": 4}\n"),
                      "x", h.Discover()),
              IsOk());
}

TEST(DesiredTest, ReportsEveryProblemNamingTheGpuAndItsTypes) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(
      Resolve(Layouts(R"(  x:
    - devices: [0, 5]
      vgpu-devices: {"A10-4Q": 1}
    - devices: all
      vgpu-devices: {"T4-1Q": 1}
)"),
              "x", h.Discover()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("entry 0: GPU index 5: the node has 2"),
                     HasSubstr("GPU 0 (0000:3b:00.0) offers no vGPU type "
                               "\"A10-4Q\"; it offers: GRID T4-1B "
                               "(nvidia-222)"),
                     HasSubstr("GRID T4-1Q (nvidia-230)"),
                     HasSubstr("GPU 0 (0000:3b:00.0) is matched by entries "
                               "0 and 1"))));
}

TEST(DesiredTest, MdevParentsThatAreNotPciAreTargetsByName) {
  ProfileHost h("mdev-virtual");  // mbochs and mtty, virtual devices.
  ASSERT_TRUE(h.ok());
  absl::StatusOr<DesiredState> d = Resolve(Layouts(R"(  x:
    - mdevParents: [mtty]
      vgpu-devices: {"Single port serial": 2}
    - mdevParents: [mbochs]
      vgpu-devices: {mbochs-medium: 2, mbochs-small: 1}
)"),
                                           "x", h.Discover());
  ASSERT_THAT(d, IsOk());
  ASSERT_EQ(d->gpus.size(), 2u);
  EXPECT_EQ(d->gpus[0].bdf, "mbochs");  // By name after any GPU.
  EXPECT_EQ(d->gpus[0].index, -1);
  EXPECT_EQ(d->gpus[0].mode, GpuMode::kMdevOnGpu);
  ASSERT_EQ(d->gpus[0].want.size(), 2u);
  EXPECT_EQ(d->gpus[0].want[0].first.id, "mbochs-medium");
  EXPECT_EQ(d->gpus[0].want[1].first.id, "mbochs-small");
  EXPECT_EQ(d->gpus[1].bdf, "mtty");
  ASSERT_EQ(d->gpus[1].want.size(), 1u);
  EXPECT_EQ(d->gpus[1].want[0].first.id, "mtty-1");
  EXPECT_EQ(d->gpus[1].want[0].second, 2);
}

TEST(DesiredTest, MdevParentsProblemsNameTheParent) {
  ProfileHost h("mdev-virtual");
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(
      Resolve(Layouts(R"(  x:
    - mdevParents: [mdpy, mtty]
      vgpu-devices: {mbochs-medium: 1}
    - mdevParents: [mtty]
      vgpu-devices: {mtty-2: 1}
)"),
              "x", h.Discover()),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("entry 0: no mdev parent \"mdpy\" on the node "
                               "(is its driver loaded?); parents: mbochs, "
                               "mtty"),
                     HasSubstr("mdev parent mtty offers no vGPU type "
                               "\"mbochs-medium\"; it offers: Single port "
                               "serial (mtty-1), Dual port serial (mtty-2)"),
                     HasSubstr("mdev parent mtty is matched by entries 0 and "
                               "1"))));
  // A PCI parent is a GPU (or a VF): addressed by devices or bdfs.
  ProfileHost t4("t4-vgpu");
  ASSERT_TRUE(t4.ok());
  EXPECT_THAT(Resolve(Layouts("  x:\n    - mdevParents: [\"0000:3b:00.0\"]\n"
                              "      vgpu-devices: {\"T4-1Q\": 1}\n"),
                      "x", t4.Discover()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("mdev parent \"0000:3b:00.0\" is a PCI "
                                 "function: address it with devices or bdfs")));
}

TEST(DesiredTest, UnknownLayoutListsTheKnownOnes) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(Resolve(Layouts("  a: []\n  b: []\n"), "c", h.Discover()),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("no vGPU layout \"c\"; layouts: a, b")));
}

TEST(DesiredTest, GpuWithoutVgpuIsAnErrorWhenAskedForOne) {
  ProfileHost h("workstation");
  ASSERT_TRUE(h.ok());
  EXPECT_THAT(Resolve(Layouts("  x:\n    - devices: [0]\n      "
                              "vgpu-devices: {\"A10-4Q\": 1}\n"),
                      "x", h.Discover()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("offers no vGPU types")));
}

}  // namespace
}  // namespace vgpu::layout
