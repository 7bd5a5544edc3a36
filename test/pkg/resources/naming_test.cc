// Resource naming: vendor domains, per-model names, rules.
#include "pkg/resources/naming.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/resources/pools.h"
#include "test/pkg/resources/fixtures.h"
#include "test/testing/status_matchers.h"

namespace vgpu::resources {
namespace {

using fixtures::Build;
using fixtures::DeviceIds;
using fixtures::Inventory;
using fixtures::MixedHost;
using fixtures::PciFunction;
using fixtures::PoolNames;
using fixtures::Rule;
using fixtures::Strings;
using fixtures::Workstation;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

TEST(NamingTest, PerModelNames) {
  config::Config config;
  config.naming = config::Naming::kPerModel;
  Inventory inv = MixedHost();
  Inventory ws = Workstation();
  inv.functions.push_back(ws.functions[0]);
  inv.functions.push_back(ws.functions[1]);
  inv.units.push_back(ws.units[0]);
  inv.vfio_group_nodes.push_back(1);
  absl::StatusOr<PoolSet> set = Build(inv, config);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(PoolNames(*set),
            (Strings{"amd.com/740f", "nvidia.com/GA102GL_A10",
                     "nvidia.com/GH100_H100_NVSwitch", "nvidia.com/GRID_T4-1Q",
                     "nvidia.com/NVIDIA_L4-4Q"}));
  EXPECT_EQ(DeviceIds(set->pools[3]).size(), 2u);
}

TEST(NamingTest, SanitizeModelName) {
  const std::pair<const char*, const char*> cases[] = {
      {"GA102GL [A10]", "GA102GL_A10"},
      {"NVIDIA A10-4Q", "NVIDIA_A10-4Q"},
      {"GRID T4-1Q", "GRID_T4-1Q"},
      {"GH100 [H100 SXM5 80GB]", "GH100_H100_SXM5_80GB"},
      {"  Navi 31 [Radeon Pro W7900]  ", "Navi_31_Radeon_Pro_W7900"},
      {"a//b..c", "a_b_c"},
      {"Tesla V100.PCIe", "Tesla_V100_PCIe"},
      {"--x--", "x"},
      {"[]", ""},
      {"", ""},
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(SanitizeModelName(in), want);
  }
  std::string long_name = std::string(62, 'a') + " b c";
  EXPECT_EQ(SanitizeModelName(long_name), std::string(62, 'a'));
}

TEST(NamingTest, VendorDomains) {
  EXPECT_EQ(VendorDomain(0x10de), "nvidia.com");
  EXPECT_EQ(VendorDomain(0x1002), "amd.com");
  EXPECT_EQ(VendorDomain(0x8086), "intel.com");
  EXPECT_EQ(VendorDomain(0x1da3), "habana.ai");
  EXPECT_EQ(VendorDomain(0x1a03), std::nullopt);
}

TEST(NamingTest, RulesFirstMatchWins) {
  config::Config config;
  config::ResourceRule by_bdf = Rule("example.com/bmc");
  by_bdf.bdfs = {"0000:0b:00.0"};
  config::ResourceRule t4 = Rule("nvidia.com/t4-small");
  t4.mdev_type_name = "GRID T4-1Q";
  config::ResourceRule l4 = Rule("nvidia.com/l4-vgpu");
  l4.kind = config::DeviceKind::kVgpu;
  l4.device = 0x27b8;  // The physical GPU's id, not the VF's.
  config::ResourceRule amd = Rule("amd.com/w7900");
  amd.vendor = 0x1002;
  amd.device = 0x740f;
  config::ResourceRule all_nvswitch = Rule("nvidia.com/fabric");
  all_nvswitch.kind = config::DeviceKind::kNvSwitch;
  config::ResourceRule shadowed = Rule("amd.com/never");
  shadowed.vendor = 0x1002;
  config.rules = {by_bdf, t4, l4, amd, all_nvswitch, shadowed};
  absl::StatusOr<PoolSet> set = Build(MixedHost(), config);
  ASSERT_THAT(set, IsOk());
  EXPECT_EQ(PoolNames(*set),
            (Strings{"amd.com/w7900", "example.com/bmc", "nvidia.com/fabric",
                     "nvidia.com/l4-vgpu", "nvidia.com/t4-small"}));
  EXPECT_EQ(DeviceIds(*set->Find("nvidia.com/l4-vgpu")),
            Strings{"0000:81:00.4"});
  EXPECT_EQ(DeviceIds(*set->Find("nvidia.com/t4-small")).size(), 2u);
  EXPECT_EQ(DeviceIds(*set->Find("example.com/bmc")), Strings{"0000:0b:00.0"});
}

TEST(NamingTest, RuleSelectorsMatching) {
  NamingFacts mdev;
  mdev.kind = config::DeviceKind::kVgpu;
  mdev.vendor = 0x10de;
  mdev.device = 0x1eb8;
  mdev.bdfs = {"0000:41:00.0"};
  mdev.model_name = "GRID T4-1Q";
  struct Case {
    const char* name;
    config::ResourceRule rule;
    bool match;
  };
  config::ResourceRule r = Rule("a.com/b");
  auto with = [&](auto set) {
    config::ResourceRule x = r;
    set(x);
    return x;
  };
  const Case cases[] = {
      {"kind", with([](auto& x) { x.kind = config::DeviceKind::kVgpu; }), true},
      {"other kind",
       with([](auto& x) { x.kind = config::DeviceKind::kPassthrough; }), false},
      {"vendor", with([](auto& x) { x.vendor = 0x10de; }), true},
      {"other vendor", with([](auto& x) { x.vendor = 0x1002; }), false},
      {"device", with([](auto& x) { x.device = 0x1eb8; }), true},
      {"other device", with([](auto& x) { x.device = 0x1eb9; }), false},
      {"bdf", with([](auto& x) {
         x.bdfs = {"0000:01:00.0", "0000:41:00.0"};
       }),
       true},
      {"other bdf", with([](auto& x) { x.bdfs = {"0000:41:00.1"}; }), false},
      {"type", with([](auto& x) { x.mdev_type_name = "GRID T4-1Q"; }), true},
      {"other type", with([](auto& x) { x.mdev_type_name = "GRID T4-2Q"; }),
       false},
      {"all", with([](auto& x) {
         x.vendor = 0x10de;
         x.device = 0x1eb8;
         x.mdev_type_name = "GRID T4-1Q";
       }),
       true},
      {"all but one", with([](auto& x) {
         x.vendor = 0x10de;
         x.device = 0x1eb9;
         x.mdev_type_name = "GRID T4-1Q";
       }),
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(RuleMatches(c.rule, mdev), c.match);
  }
  NamingFacts passthrough = mdev;
  passthrough.kind = config::DeviceKind::kPassthrough;
  passthrough.model_name = "GRID T4-1Q";
  config::ResourceRule type_rule = Rule("a.com/b");
  type_rule.mdev_type_name = "GRID T4-1Q";
  EXPECT_FALSE(RuleMatches(type_rule, passthrough));
}

TEST(NamingTest, InvalidConfiguredNameIsAnError) {
  config::Config config;
  config::ResourceRule bad = Rule("nvidia.com/A10 GPU");
  bad.vendor = 0x10de;
  config.rules = {bad};
  EXPECT_THAT(Build(Workstation(), config),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "device 0000:03:00.0: resource name \"nvidia.com/A10 "
                       "GPU\": name part \"A10 GPU\" must match "
                       "[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"));
}

TEST(NamingTest, VfVgpuTypeNameFromSiblingWhenItsOwnListLacksIt) {
  Inventory inv = MixedHost();
  for (PciFunction& f : inv.functions) {
    if (f.bdf == "0000:81:00.4") {
      // Carries type 10 but no longer lists it as creatable.
      f.nvidia_vgpu->creatable_types.clear();
      f.nvidia_vgpu->current_type_name = "";
    }
  }
  config::Config config;
  config.naming = config::Naming::kPerModel;
  absl::StatusOr<PoolSet> set = Build(inv, config);
  ASSERT_THAT(set, IsOk());
  const Pool* pool = set->Find("nvidia.com/NVIDIA_L4-4Q");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(DeviceIds(*pool), Strings{"0000:81:00.4"});
  EXPECT_EQ(pool->devices[0].model, "NVIDIA L4-4Q");

  for (PciFunction& f : inv.functions) {
    if (f.nvidia_vgpu) f.nvidia_vgpu->creatable_types.clear();
  }
  set = Build(inv, config);
  ASSERT_THAT(set, IsOk());
  pool = set->Find("nvidia.com/vgpu-type-10");
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->devices[0].model, "vgpu-type-10");
}

}  // namespace
}  // namespace vgpu::resources
