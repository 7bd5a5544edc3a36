#include "pkg/config/config.h"

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

TEST(ConfigTest, EmptyTextGivesDefaults) {
  absl::StatusOr<Config> c = ParseConfig("");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->version, "v1");
  EXPECT_EQ(c->naming, Naming::kDefault);
  EXPECT_TRUE(c->rules.empty());
  EXPECT_EQ(c->vgpu_policy, VgpuPolicy::kBinpack);
  EXPECT_TRUE(c->cdi_annotations);
  EXPECT_FALSE(c->vmm_in_container);
  EXPECT_FALSE(c->kubevirt_env);
  EXPECT_EQ(c->rescan_period, absl::Seconds(5));
  EXPECT_TRUE(*c == Config{});
}

TEST(ConfigTest, ParsesEveryKey) {
  constexpr char kYaml[] = R"(version: v1
resources:
  naming: per-model
  rules:
    - resourceName: nvidia.com/a10-pt
      kind: passthrough
      vendor: "10DE"
      device: 0x2236
      bdfs: ["0000:C1:00.0", "0000:c2:00.0"]
    - resourceName: nvidia.com/t4-1q
      mdevTypeName: GRID T4-1Q
allocation:
  vgpuPolicy: spread
cdi:
  annotations: false
kata:
  vmmInContainer: true
  kubevirtEnv: TRUE
rescanPeriod: 1m30s
)";
  absl::StatusOr<Config> c = ParseConfig(kYaml);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->naming, Naming::kPerModel);
  ASSERT_EQ(c->rules.size(), 2u);
  EXPECT_EQ(c->rules[0].resource_name, "nvidia.com/a10-pt");
  EXPECT_EQ(c->rules[0].kind, DeviceKind::kPassthrough);
  EXPECT_EQ(c->rules[0].vendor, 0x10de);
  EXPECT_EQ(c->rules[0].device, 0x2236);
  EXPECT_EQ(c->rules[0].bdfs,
            (std::vector<std::string>{"0000:c1:00.0", "0000:c2:00.0"}));
  EXPECT_EQ(c->rules[0].mdev_type_name, "");
  EXPECT_EQ(c->rules[1].resource_name, "nvidia.com/t4-1q");
  EXPECT_EQ(c->rules[1].kind, std::nullopt);
  EXPECT_EQ(c->rules[1].vendor, std::nullopt);
  EXPECT_EQ(c->rules[1].mdev_type_name, "GRID T4-1Q");
  EXPECT_EQ(c->vgpu_policy, VgpuPolicy::kSpread);
  EXPECT_FALSE(c->cdi_annotations);
  EXPECT_TRUE(c->vmm_in_container);
  EXPECT_TRUE(c->kubevirt_env);
  EXPECT_EQ(c->rescan_period, absl::Seconds(90));
}

TEST(ConfigTest, NullValuesMeanDefaults) {
  absl::StatusOr<Config> c =
      ParseConfig("resources:\nallocation:\n  vgpuPolicy:\nrescanPeriod:\n");
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(*c == Config{});
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;
};

TEST(ConfigTest, RejectsBadInputNamingItsPosition) {
  const BadCase cases[] = {
      {"syntax", "version: v1\nresources: [\n",
       "invalid config: line 3:1: yaml: "},
      {"tab indent", "cdi:\n\tannotations: true\n", "invalid config: line 2:"},
      {"top level list", "- a\n", "line 1:1: config: must be a mapping"},
      {"version", "version: v2\n",
       "line 1:10: version: must be \"v1\", got \"v2\""},
      {"unknown top key", "verison: v1\n",
       "line 1:1: config: unknown key \"verison\""},
      {"unknown nested key", "kata:\n  vmm: true\n",
       "line 2:3: kata: unknown key \"vmm\""},
      {"duplicate key", "cdi:\n  annotations: true\n  annotations: false\n",
       "line 3:3: cdi.annotations: duplicate key"},
      {"naming enum", "resources:\n  naming: perModel\n",
       "line 2:11: resources.naming: \"perModel\" is not one of default, "
       "per-model"},
      {"policy enum", "allocation:\n  vgpuPolicy: pack\n",
       "line 2:15: allocation.vgpuPolicy: \"pack\" is not one of binpack, "
       "spread"},
      {"bool", "cdi:\n  annotations: yes\n",
       "line 2:16: cdi.annotations: must be true or false, got \"yes\""},
      {"bool mapping", "cdi:\n  annotations: {a: 1}\n",
       "line 2:16: cdi.annotations: must be a scalar"},
      {"section scalar", "kata: true\n", "line 1:7: kata: must be a mapping"},
      {"duration no unit", "rescanPeriod: 5\n",
       "line 1:15: rescanPeriod: \"5\" is not a duration (want e.g. \"5s\", "
       "\"500ms\", \"1m\")"},
      {"duration too short", "rescanPeriod: 50ms\n",
       "line 1:15: rescanPeriod: \"50ms\" is shorter than the minimum 100ms"},
      {"duration negative", "rescanPeriod: -5s\n",
       "rescanPeriod: \"-5s\" is shorter than the minimum 100ms"},
      {"duration inf", "rescanPeriod: inf\n",
       "rescanPeriod: \"inf\" is not a duration"},
      {"rules not list", "resources:\n  rules: {a: b}\n",
       "line 2:10: resources.rules: must be a list of rules"},
      {"rule unknown key",
       "resources:\n  rules:\n    - resourceName: a.com/b\n      vendr: 10de\n",
       "line 4:7: resources.rules[0]: unknown key \"vendr\""},
      {"rule vendor hex",
       "resources:\n  rules:\n    - resourceName: a.com/b\n      vendor: "
       "10dex\n",
       "line 4:15: resources.rules[0].vendor: \"10dex\" is not a hex PCI id (1 "
       "to 4 hex digits)"},
      {"rule vendor too long",
       "resources:\n  rules:\n    - resourceName: a.com/b\n      vendor: "
       "10de0\n",
       "resources.rules[0].vendor: \"10de0\" is not a hex PCI id"},
      {"rule bdf",
       "resources:\n  rules:\n    - resourceName: a.com/b\n"
       "      bdfs: [\"0000:c1:00.8\"]\n",
       "line 4:14: resources.rules[0].bdfs[0]: \"0000:c1:00.8\" is not a PCI "
       "address DDDD:BB:DD.F"},
      {"rule bdfs scalar",
       "resources:\n  rules:\n    - resourceName: a.com/b\n"
       "      bdfs: 0000:c1:00.0\n",
       "line 4:13: resources.rules[0].bdfs: must be a list of PCI addresses"},
      {"rule kind enum",
       "resources:\n  rules:\n    - resourceName: a.com/b\n      kind: gpu\n",
       "line 4:13: resources.rules[0].kind: \"gpu\" is not one of passthrough, "
       "vgpu, nvswitch"},
      {"rule name invalid",
       "resources:\n  rules:\n    - resourceName: nvidia.com/A10 GPU\n"
       "      vendor: 10de\n",
       "line 3:7: resources.rules[0]: resource name \"nvidia.com/A10 GPU\": "
       "name part \"A10 GPU\" must match"},
      {"rule name missing", "resources:\n  rules:\n    - vendor: 10de\n",
       "line 3:7: resources.rules[0]: resourceName is required"},
      {"rule without selector",
       "resources:\n  rules:\n    - resourceName: a.com/b\n",
       "line 3:7: resources.rules[0]: rule has no selector (kind, vendor, "
       "device, bdfs or mdevTypeName)"},
      {"rule mdev on passthrough",
       "resources:\n  rules:\n    - resourceName: a.com/b\n"
       "      kind: passthrough\n      mdevTypeName: GRID T4-1Q\n",
       "resources.rules[0]: mdevTypeName only matches kind vgpu, not "
       "passthrough"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(
        ParseConfig(c.yaml),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
}

TEST(ConfigTest, ReportsEveryProblemAtOnce) {
  constexpr char kYaml[] = R"(version: v0
bogus: 1
cdi:
  annotations: maybe
rescanPeriod: 10ms
)";
  absl::StatusOr<Config> c = ParseConfig(kYaml);
  EXPECT_THAT(
      c, StatusIs(absl::StatusCode::kInvalidArgument,
                  "invalid config: line 1:10: version: must be \"v1\", got "
                  "\"v0\"; line 2:1: config: unknown key \"bogus\"; line "
                  "4:16: cdi.annotations: must be true or false, got "
                  "\"maybe\"; line 5:15: rescanPeriod: \"10ms\" is shorter "
                  "than the minimum 100ms"));
}

TEST(ConfigTest, ToYamlRoundTrips) {
  Config c;
  c.naming = Naming::kPerModel;
  c.vgpu_policy = VgpuPolicy::kSpread;
  c.cdi_annotations = false;
  c.kubevirt_env = true;
  c.rescan_period = absl::Milliseconds(1500);
  ResourceRule r1;
  r1.resource_name = "nvidia.com/a10";
  r1.kind = DeviceKind::kPassthrough;
  r1.vendor = 0x10de;
  r1.device = 0x0236;
  r1.bdfs = {"0000:c1:00.0", "10000:01:00.0"};
  ResourceRule r2;
  r2.resource_name = "example.com/quote";
  r2.mdev_type_name = "odd \"name\" \\ x";
  c.rules = {r1, r2};

  std::string yaml = ToYaml(c);
  EXPECT_EQ(yaml, R"(version: "v1"
resources:
  naming: per-model
  rules:
    - resourceName: "nvidia.com/a10"
      kind: passthrough
      vendor: "10de"
      device: "0236"
      bdfs: ["0000:c1:00.0", "10000:01:00.0"]
    - resourceName: "example.com/quote"
      mdevTypeName: "odd \"name\" \\ x"
allocation:
  vgpuPolicy: spread
cdi:
  annotations: false
kata:
  vmmInContainer: false
  kubevirtEnv: true
rescanPeriod: 1.5s
vgpu:
  layout: ""
  manage: false
  configFile: ""
  nodeFeatureFile: "/etc/kubernetes/node-feature-discovery/features.d/vgpu-device-plugin"
  configs: {}
)");
  absl::StatusOr<Config> back = ParseConfig(yaml);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == c);
}

TEST(ConfigTest, DefaultToYamlRoundTrips) {
  std::string yaml = ToYaml(Config{});
  EXPECT_THAT(yaml, HasSubstr("rules: []\n"));
  EXPECT_THAT(yaml, HasSubstr("rescanPeriod: 5s\n"));
  absl::StatusOr<Config> back = ParseConfig(yaml);
  ASSERT_THAT(back, IsOk());
  EXPECT_TRUE(*back == Config{});
}

TEST(ConfigTest, ValidateResourceNameFollowsKubeletRules) {
  const char* good[] = {
      "nvidia.com/pgpu",  "nvidia.com/GA102GL_A10", "nvidia.com/NVIDIA_A10-4Q",
      "a.b-c.io/x.y_z-1", "amd.com/vgpu",           "example/x"};
  for (const char* name : good) {
    SCOPED_TRACE(name);
    EXPECT_THAT(ValidateResourceName(name), IsOk());
  }
  std::string long_name = "nvidia.com/" + std::string(64, 'a');
  std::string max_name = "nvidia.com/" + std::string(63, 'a');
  EXPECT_THAT(ValidateResourceName(max_name), IsOk());
  const std::string labels = std::string(61, 'a') + "." + std::string(61, 'a') +
                             "." + std::string(61, 'a') + ".";     // 186 chars
  std::string max_domain = labels + std::string(58, 'a') + "/x";   // 244
  std::string long_domain = labels + std::string(59, 'a') + "/x";  // 245
  EXPECT_THAT(ValidateResourceName(max_domain), IsOk());
  struct Bad {
    std::string name;
    std::string message;
  };
  const Bad bad[] = {
      {"pgpu", "must be <domain>/<name> with exactly one '/'"},
      {"a/b/c", "must be <domain>/<name> with exactly one '/'"},
      {"kubernetes.io/gpu", "the kubernetes.io domain is reserved"},
      {"x.kubernetes.io/gpu", "the kubernetes.io domain is reserved"},
      {"requests.nvidia.com/gpu", "must not start with \"requests.\""},
      {"Nvidia.com/gpu", "domain \"Nvidia.com\" is not a lower-case DNS"},
      {"nvidia..com/gpu", "is not a lower-case DNS subdomain"},
      {"-nvidia.com/gpu", "is not a lower-case DNS subdomain"},
      {"/gpu", "domain is empty"},
      {"nvidia.com/", "name part is empty"},
      {"nvidia.com/_gpu", "name part \"_gpu\" must match"},
      {"nvidia.com/gpu-", "name part \"gpu-\" must match"},
      {"nvidia.com/GA102GL [A10]", "name part \"GA102GL [A10]\" must match"},
      {long_name, "is 64 characters, more than 63"},
      {long_domain, "\"requests.\" + domain is longer than 253 characters"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.name);
    EXPECT_THAT(ValidateResourceName(b.name),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("resource name \"" + b.name + "\""),
                               HasSubstr(b.message))));
  }
}

TEST(ConfigTest, ValidateBdf) {
  for (const char* ok : {"0000:00:00.0", "0000:c1:1f.7", "0000:C1:00.1",
                         "10000:01:00.0", "ffffffff:ff:00.0"}) {
    SCOPED_TRACE(ok);
    EXPECT_THAT(ValidateBdf(ok), IsOk());
  }
  for (const char* bad : {"", "c1:00.0", "000:c1:00.0", "000000000:c1:00.0",
                          "0000:c1:20.0", "0000:c1:00.8", "0000:c1:00",
                          "0000:g1:00.0", "0000:c1:00.0.1", "0000:1:00.0"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ValidateBdf(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("\"", bad,
                                      "\" is not a PCI address DDDD:BB:DD.F")));
  }
}

TEST(ConfigTest, ParseRescanPeriod) {
  EXPECT_EQ(*ParseRescanPeriod("5s"), absl::Seconds(5));
  EXPECT_EQ(*ParseRescanPeriod("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseRescanPeriod("1m"), absl::Minutes(1));
  EXPECT_EQ(*ParseRescanPeriod("100ms"), absl::Milliseconds(100));
  EXPECT_EQ(*ParseRescanPeriod("1h2m"), absl::Minutes(62));
  EXPECT_THAT(ParseRescanPeriod("99ms"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "\"99ms\" is shorter than the minimum 100ms"));
  EXPECT_THAT(ParseRescanPeriod("0"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("shorter than the minimum")));
  EXPECT_THAT(ParseRescanPeriod("5 s"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is not a duration")));
  EXPECT_THAT(ParseRescanPeriod("5sec"), Not(IsOk()));
}

TEST(ConfigTest, RuleNameMustBeAValidCdiClass) {
  Config c;
  ResourceRule r;
  r.resource_name = "nvidia.com/a10.pt";
  r.vendor = 0x10de;
  c.rules = {r};
  EXPECT_THAT(ValidateConfig(c),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"nvidia.com/a10.pt\": the part after '/' "
                                 "is also the CDI class")));
}

TEST(ConfigTest, ValidateConfigReportsAllProblems) {
  Config c;
  c.version = "v2";
  c.rescan_period = absl::Milliseconds(10);
  ResourceRule r;
  r.resource_name = "bad name";
  r.bdfs = {"0000:zz:00.0"};
  c.rules = {r};
  EXPECT_THAT(
      ValidateConfig(c),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "invalid config: version: must be \"v1\", got \"v2\"; "
               "rescanPeriod: 10ms is shorter than the minimum 100ms; "
               "resources.rules[0]: resource name \"bad name\": must be "
               "<domain>/<name> with exactly one '/'; "
               "resources.rules[0]: bdfs: \"0000:zz:00.0\" is not a PCI "
               "address DDDD:BB:DD.F"));
  EXPECT_THAT(ValidateConfig(Config{}), IsOk());
}

TEST(ConfigTest, LoadConfigFile) {
  vgpu::testing::TempDir dir;
  std::string path = dir.path() + "/config.yaml";
  {
    std::ofstream out(path);
    out << "allocation:\n  vgpuPolicy: spread\n";
  }
  absl::StatusOr<Config> c = LoadConfigFile(path);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->vgpu_policy, VgpuPolicy::kSpread);

  std::string missing = dir.path() + "/absent.yaml";
  EXPECT_THAT(LoadConfigFile(missing),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(missing)));

  EXPECT_THAT(LoadConfigFile(dir.path()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("read " + dir.path())));

  {
    std::ofstream out(path);
    out << "kata:\n  bad: 1\n";
  }
  EXPECT_THAT(LoadConfigFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       path + ": invalid config: line 2:3: kata: unknown key "
                              "\"bad\""));
}

// Every ```yaml block of docs/configuration.md parses.
TEST(ConfigTest, DocsExamplesParse) {
  std::ifstream in(std::string(VGPU_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md";
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
      EXPECT_THAT(ParseConfig(block), IsOk()) << block;
    } else if (inside) {
      block += line + "\n";
    }
  }
  EXPECT_GE(blocks, 1);
}

TEST(ConfigTest, LogSummaryIsOneReadableLine) {
  Config c;
  ResourceRule a10;
  a10.resource_name = "nvidia.com/a10";
  a10.vendor = 0x10de;
  ResourceRule t4;
  t4.resource_name = "nvidia.com/t4";
  t4.mdev_type_name = "GRID T4-1Q";
  c.rules = {a10, t4};
  c.rescan_period = absl::Seconds(5);
  const std::string line = ConfigLogSummary(c);
  EXPECT_THAT(line, HasSubstr("rules=[2: nvidia.com/a10, nvidia.com/t4]"));
  EXPECT_THAT(line, HasSubstr("rescanPeriod=5s"));
  EXPECT_THAT(line, Not(HasSubstr("\n")));
  EXPECT_THAT(line, Not(HasSubstr("; -")));
  EXPECT_THAT(ConfigLogSummary(Config{}), HasSubstr("version=v1"));
}

}  // namespace
}  // namespace vgpu::config
