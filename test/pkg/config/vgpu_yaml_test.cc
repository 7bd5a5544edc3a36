// vGPU layouts: vgpu-device-manager's file, our inline `vgpu` section, and
// the precedence of the layout name.
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/config/config.h"
#include "test/testing/status_matchers.h"

namespace vgpu::config {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

// As vgpu-device-manager's examples write it.
constexpr char kVdmFile[] = R"(version: v1
vgpu-configs:
  default:
    - devices: all
      vgpu-devices: {}
  A10-4Q:
    - devices: all
      vgpu-devices:
        "A10-4Q": 6
  mixed:
    - devices: [0, 1]
      device-filter: "0x1EB810DE"
      vgpu-devices:
        "T4-1Q": 16
    - devices: all
      device-filter: ["0x223610DE", "0x2236000010DE1482"]
      vgpu-devices:
        "NVIDIA A10-4Q": 2
        nvidia-558: 1
)";

TEST(VgpuYamlTest, ParsesVgpuDeviceManagerFileUnchanged) {
  absl::StatusOr<VgpuLayouts> l = ParseVgpuConfigFile(kVdmFile);
  ASSERT_THAT(l, IsOk());
  ASSERT_EQ(l->size(), 3u);
  EXPECT_TRUE(l->at("default")[0].all_devices);
  EXPECT_TRUE(l->at("default")[0].vgpu_devices.empty());
  EXPECT_THAT(l->at("A10-4Q")[0].vgpu_devices, ElementsAre(Pair("A10-4Q", 6)));
  const auto& mixed = l->at("mixed");
  ASSERT_EQ(mixed.size(), 2u);
  EXPECT_FALSE(mixed[0].all_devices);
  EXPECT_THAT(mixed[0].devices, ElementsAre(0, 1));
  ASSERT_EQ(mixed[0].device_filters.size(), 1u);
  EXPECT_EQ(mixed[0].device_filters[0].device, 0x1eb8);
  EXPECT_EQ(mixed[0].device_filters[0].vendor, 0x10de);
  ASSERT_EQ(mixed[1].device_filters.size(), 2u);
  EXPECT_EQ(mixed[1].device_filters[1].subsystem_device, 0x10de);
  EXPECT_EQ(mixed[1].device_filters[1].subsystem_vendor, 0x1482);
  EXPECT_THAT(mixed[1].vgpu_devices,
              ElementsAre(Pair("NVIDIA A10-4Q", 2), Pair("nvidia-558", 1)));
}

TEST(VgpuYamlTest, ReportsEveryProblemWithLineAndColumn) {
  constexpr char kBad[] = R"(version: v2
vgpu-configs:
  a:
    - devices: some
      device-filter: "0x10DE"
      vgpu-devices: {"T4-1Q": -1}
      bogus: 1
    - devices: [0, 0]
  b: {}
)";
  EXPECT_THAT(
      ParseVgpuConfigFile(kBad),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("line 1:10: version: must be \"v1\""),
                     HasSubstr("line 4:16: vgpu-configs.a[0].devices: must be "
                               "\"all\""),
                     HasSubstr("line 5:22: vgpu-configs.a[0].device-filter: "
                               "\"0x10DE\" is not"),
                     HasSubstr("vgpu-devices[\"T4-1Q\"]: must be a "
                               "non-negative integer"),
                     HasSubstr("line 7:7: vgpu-configs.a[0]: unknown key "
                               "\"bogus\""),
                     HasSubstr("GPU index 0 listed twice"),
                     HasSubstr("vgpu-configs.a[1]: missing key "
                               "\"vgpu-devices\""),
                     HasSubstr("line 9:6: vgpu-configs.b: must be a list"))));
}

TEST(VgpuYamlTest, FileNeedsVersionAndConfigs) {
  EXPECT_THAT(ParseVgpuConfigFile("vgpu-configs: {}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing key \"version\"")));
  EXPECT_THAT(ParseVgpuConfigFile("version: v1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing key \"vgpu-configs\"")));
  EXPECT_THAT(ParseVgpuConfigFile("version: [v1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("yaml")));
}

TEST(VgpuYamlTest, OurSelectorsAreAllowedInAnEntry) {
  absl::StatusOr<VgpuLayouts> l = ParseVgpuConfigFile(R"(version: v1
vgpu-configs:
  x:
    - vendor: "10de"
      device: 0x2236
      bdfs: ["0000:C1:00.0"]
      vgpu-devices: {"A10-4Q": 1}
)");
  ASSERT_THAT(l, IsOk());
  const VgpuLayoutEntry& e = l->at("x")[0];
  EXPECT_TRUE(e.all_devices);
  EXPECT_EQ(e.vendor, 0x10de);
  EXPECT_EQ(e.device, 0x2236);
  EXPECT_THAT(e.bdfs, ElementsAre("0000:c1:00.0"));
}

TEST(VgpuYamlTest, MdevParentsAddressParentsThatAreNotGpus) {
  absl::StatusOr<VgpuLayouts> l = ParseVgpuConfigFile(R"(version: v1
vgpu-configs:
  x:
    - mdevParents: [mbochs, mtty]
      vgpu-devices: {mbochs-medium: 2}
)");
  ASSERT_THAT(l, IsOk());
  EXPECT_THAT(l->at("x")[0].mdev_parents, ElementsAre("mbochs", "mtty"));
  // The whole config prints it back, and that text parses to the same.
  absl::StatusOr<Config> c = ParseConfig(R"(version: v1
vgpu:
  configs:
    x:
      - mdevParents: [mbochs]
        vgpu-devices: {mbochs-medium: 2}
)");
  ASSERT_THAT(c, IsOk());
  const std::string yaml = ToYaml(*c);
  EXPECT_THAT(yaml, HasSubstr("- mdevParents: [\"mbochs\"]"));
  absl::StatusOr<Config> again = ParseConfig(yaml);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->vgpu == c->vgpu);
}

TEST(VgpuYamlTest, MdevParentsProblemsAreNamed) {
  EXPECT_THAT(
      ParseVgpuConfigFile(R"(version: v1
vgpu-configs:
  x:
    - mdevParents: [mbochs, "a/b", mbochs]
      devices: [0]
      bdfs: ["0000:01:00.0"]
      vgpu-devices: {mbochs-medium: 2}
    - mdevParents: mtty
      vgpu-devices: {}
    - mdevParents: []
      vgpu-devices: {}
)"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("mdevParents[1]: \"a/b\" is not an mdev "
                               "parent name"),
                     HasSubstr("mdevParents[2]: mdev parent \"mbochs\" "
                               "listed twice"),
                     HasSubstr("vgpu-configs.x[0]: mdevParents addresses mdev "
                               "parents that are not GPUs; it cannot be "
                               "combined with devices, bdfs"),
                     HasSubstr("line 8:20: vgpu-configs.x[1].mdevParents: "
                               "must be a list of mdev parent names"),
                     HasSubstr("vgpu-configs.x[2].mdevParents: must be a "
                               "list"))));
}

TEST(VgpuYamlTest, ConfigVgpuSectionDefaultsAndKeys) {
  absl::StatusOr<Config> d = ParseConfig("");
  ASSERT_THAT(d, IsOk());
  EXPECT_FALSE(d->vgpu.manage);
  EXPECT_EQ(d->vgpu.node_feature_file, kDefaultNodeFeatureFile);
  EXPECT_EQ(
      d->vgpu.node_feature_file,
      "/etc/kubernetes/node-feature-discovery/features.d/vgpu-device-plugin");

  absl::StatusOr<Config> c = ParseConfig(R"(version: v1
vgpu:
  layout: t4
  manage: true
  nodeFeatureFile: ""
  configs:
    t4:
      - devices: all
        vgpu-devices: {"GRID T4-1Q": 16}
)");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->vgpu.layout, "t4");
  EXPECT_TRUE(c->vgpu.manage);
  EXPECT_EQ(c->vgpu.node_feature_file, "");
  EXPECT_THAT(c->vgpu.configs.at("t4")[0].vgpu_devices,
              ElementsAre(Pair("GRID T4-1Q", 16)));
  // The effective config renders and parses back equal.
  absl::StatusOr<Config> again = ParseConfig(ToYaml(*c));
  ASSERT_THAT(again, IsOk()) << ToYaml(*c);
  EXPECT_TRUE(*again == *c) << ToYaml(*c);
}

TEST(VgpuYamlTest, ConfigsAndConfigFileAreExclusive) {
  EXPECT_THAT(ParseConfig(R"(vgpu:
  configFile: /etc/vgpu.yaml
  configs:
    a: []
)"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2:3: vgpu: configs and configFile are "
                                 "exclusive")));
  Config c;
  c.vgpu.config_file = "/x";
  c.vgpu.configs["a"] = {};
  EXPECT_THAT(ValidateConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("configs and configFile are exclusive")));
}

TEST(VgpuYamlTest, LayoutNamePrecedenceIsConfigThenEnvThenFlag) {
  struct Case {
    const char* config;
    const char* env;
    const char* flag;
    const char* want;
  };
  for (const Case& c : {Case{"", "", "", ""}, Case{"a", "", "", "a"},
                        Case{"a", "b", "", "b"}, Case{"a", "b", "c", "c"},
                        Case{"a", "", "c", "c"}, Case{"", "b", "", "b"}}) {
    SCOPED_TRACE(std::string(c.config) + "/" + c.env + "/" + c.flag);
    EXPECT_EQ(SelectLayoutName(c.config, c.env, c.flag), c.want);
  }
}

// Every yaml block of docs/vgpu-layouts.md parses: vgpu-device-manager
// files as such, the rest as our config.
TEST(VgpuYamlTest, DocsExamplesParse) {
  std::ifstream in(std::string(VGPU_SOURCE_DIR) + "/docs/vgpu-layouts.md");
  ASSERT_TRUE(in) << "docs/vgpu-layouts.md";
  std::string line, block;
  int blocks = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      ++blocks;
      if (block.find("vgpu-configs:") != std::string::npos) {
        EXPECT_THAT(ParseVgpuConfigFile(block), IsOk()) << block;
      } else {
        EXPECT_THAT(ParseConfig(block), IsOk()) << block;
      }
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 2);
}

}  // namespace
}  // namespace vgpu::config
