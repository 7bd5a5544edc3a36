// End to end: runs the built `vgpuctl` binary against simulated hosts and
// checks the table, and that --json parses back to the documented schema
// (docs/vgpuctl.md). Exit codes and usage: main_test.cc.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/json.h"
#include "pkg/simhost/profiles.h"
#include "pkg/simhost/sim_host.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::IsOk;

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr together.
};

Result RunVgpuctl(const std::string& args) {
  Result r;
  const std::string cmd = std::string(VGPUCTL_PATH) + " " + args + " 2>&1";
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class VgpuctlDiscoverTest : public ::testing::Test {
 protected:
  std::string BuildProfile(const std::string& name) {
    const std::string root = dir_.path() + "/" + name;
    auto host = simhost::SimHost::Create(root);
    EXPECT_THAT(host, IsOk());
    if (host.ok()) {
      EXPECT_THAT(simhost::BuildProfile(**host, name, {2, 2}), IsOk());
    }
    return root;
  }
  ::vgpu::testing::TempDir dir_;
};

TEST_F(VgpuctlDiscoverTest, TableShowsUnitsViabilityAndReasons) {
  const std::string root = BuildProfile("workstation");
  Result r = RunVgpuctl("discover --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Passthrough units (IOMMU groups):"));
  EXPECT_THAT(r.out, HasSubstr("0000:42:00.0  0000:42:00.0  gpu"));
  EXPECT_THAT(r.out,
              HasSubstr("Unhealthy: 0000:61:00.1 is bound to snd_hda_intel, "
                        "not vfio-pci"));
  EXPECT_THAT(r.out, HasSubstr("(10de:2230)"));  // Model with its ids.
  EXPECT_THAT(r.out, Not(HasSubstr("no GPUs found")));
}

TEST_F(VgpuctlDiscoverTest, TableListsMdevTypesAndInstances) {
  const std::string root = BuildProfile("t4-vgpu");
  Result r =
      RunVgpuctl("discover --pci-ids /nonexistent/pci.ids --host-root=" + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("warning: open pci.ids /nonexistent/pci.ids"));
  EXPECT_THAT(r.out, HasSubstr("nvidia-230  GRID T4-1Q   14         2"));
  EXPECT_THAT(r.out, HasSubstr("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"));
}

TEST_F(VgpuctlDiscoverTest, JsonParsesBackToTheSchema) {
  const std::string root = BuildProfile("ada-vf-vgpu");
  Result r = RunVgpuctl("discover --json --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  absl::StatusOr<Json> parsed = ParseJson(r.out);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << r.out;
  const Json& doc = *parsed;
  EXPECT_EQ(doc["schemaVersion"], 1);
  EXPECT_EQ(doc["iommufd"], true);
  ASSERT_EQ(doc["units"].size(), 1u);
  const Json& unit = doc["units"][0];
  EXPECT_EQ(unit["iommuGroup"], 40);
  EXPECT_EQ(unit["viable"], false);
  EXPECT_EQ(unit["notViableReason"],
            "0000:81:00.0 is bound to nvidia, not vfio-pci");
  ASSERT_EQ(doc["functions"].size(), 12u);
  const Json& vf = doc["functions"][2];
  EXPECT_EQ(vf["bdf"], "0000:01:00.4");
  EXPECT_EQ(vf["vendorId"], "0x10de");
  EXPECT_EQ(vf["physfn"], "0000:01:00.0");
  EXPECT_EQ(vf["vfioCdev"], "vfio0");
  EXPECT_EQ(vf["nvidiaVgpu"]["currentType"], 1148);
  EXPECT_TRUE(doc["functions"][0]["nvidiaVgpu"].is_null());
  EXPECT_TRUE(doc["mdevParents"].is_array());
  EXPECT_TRUE(doc["mdevs"].is_array());
  EXPECT_TRUE(doc["problems"].is_array());
}

TEST_F(VgpuctlDiscoverTest, JsonOfBrokenHostCarriesProblems) {
  const std::string root = BuildProfile("broken");
  Result r = RunVgpuctl("discover --json --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  absl::StatusOr<Json> parsed = ParseJson(r.out);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << r.out;
  const Json& doc = *parsed;
  ASSERT_GE(doc["problems"].size(), 7u);
  EXPECT_EQ(doc["problems"][0]["object"], "0000:08:00.0");
  EXPECT_EQ(doc["problems"][0]["reason"],
            "vendor: id \"10de\\n\": want 0x and 4 hex digits");
  EXPECT_EQ(doc["mdevs"][0]["uuid"], "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff");
}

// The layout `vgpuctl discover` met on a real cloud machine (an H200 in a
// Firecracker guest, read 2026-12-04, docs/real-hosts.md): no vIOMMU, so no
// iommu_groups and no dev/vfio; the GPU on `nvidia`, the rest virtio. The
// GPU must still be listed, with why it cannot be passed through.
TEST_F(VgpuctlDiscoverTest, GpuWithoutIommuGroupIsListedWithTheReason) {
  const std::string root = dir_.path() + "/h200-guest";
  auto host = simhost::SimHost::Create(root);
  ASSERT_THAT(host, IsOk());
  // No iommu_group link anywhere, as in the guest.
  auto add = [&](const std::string& bdf, uint16_t vendor, uint16_t device,
                 uint32_t class_code, const std::string& driver) {
    return (*host)->AddFunction(simhost::internal::Endpoint(
        bdf, vendor, device, class_code, driver, std::nullopt, -1));
  };
  ASSERT_THAT(add("0000:00:00.0", 0x8086, 0x0d57, 0x060000, ""), IsOk());
  ASSERT_THAT(add("0000:00:01.0", 0x1af4, 0x1042, 0x018000, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:02.0", 0x1af4, 0x1042, 0x018000, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:03.0", 0x1af4, 0x1041, 0x020000, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:04.0", 0x1af4, 0x1053, 0xffff00, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:05.0", 0x1af4, 0x1044, 0xffff00, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:06.0", 0x10de, 0x2335, 0x030200, "nvidia"), IsOk());

  Result table =
      RunVgpuctl("discover --pci-ids /nonexistent --host-root " + root);
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_THAT(table.out, HasSubstr("7 PCI functions, iommufd no"));
  EXPECT_THAT(table.out, Not(HasSubstr("no GPUs found")));
  EXPECT_THAT(table.out, Not(HasSubstr("Passthrough units")));
  EXPECT_THAT(table.out, HasSubstr("GPUs outside passthrough units:"));
  EXPECT_THAT(table.out,
              HasSubstr("0000:00:06.0  gpu   10de:2335  nvidia  -     -      "
                        "no IOMMU group: not usable for passthrough"))
      << table.out;

  Result json = RunVgpuctl("discover --json --host-root " + root);
  ASSERT_EQ(json.exit_code, 0) << json.out;
  absl::StatusOr<Json> parsed = ParseJson(json.out);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << json.out;
  const Json& doc = *parsed;
  EXPECT_TRUE(doc["units"].empty());
  ASSERT_EQ(doc["functions"].size(), 7u);
  const Json& gpu = doc["functions"][6];
  EXPECT_EQ(gpu["role"], "gpu");
  EXPECT_EQ(gpu["classCode"], "0x030200");
  EXPECT_EQ(gpu["driver"], "nvidia");
  EXPECT_TRUE(gpu["iommuGroup"].is_null());
  ASSERT_EQ(doc["problems"].size(), 1u);
  EXPECT_EQ(doc["problems"][0]["object"], "0000:00:06.0");
}

TEST_F(VgpuctlDiscoverTest, SaysSoWhenThereAreNoGpus) {
  ::vgpu::testing::TempDir empty;
  Result r = RunVgpuctl("discover --host-root " + empty.path());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("no GPUs found on this host"));
  EXPECT_THAT(r.out, HasSubstr("warning: no sys/bus/pci/devices under host "
                               "root " +
                               empty.path() + ": the host root is wrong"));
  ASSERT_EQ(::mkdir((empty.path() + "/sys").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((empty.path() + "/sys/bus").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((empty.path() + "/sys/bus/pci").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((empty.path() + "/sys/bus/pci/devices").c_str(), 0755), 0);
  r = RunVgpuctl("discover --host-root " + empty.path());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("warning: sys/bus/pci/devices under host root " +
                               empty.path() + " is empty"));
}

// The daemon's health for each unit (resources::BuildPools), not discovery's
// own idea of viability: on `broken`, group 20's node is missing.
TEST_F(VgpuctlDiscoverTest, ShowsTheHealthTheDaemonAdvertises) {
  const std::string root = BuildProfile("broken");
  Result r = RunVgpuctl("discover --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("20     Unhealthy: dev/vfio/20 missing"));
  EXPECT_THAT(r.out, Not(HasSubstr("VIABLE")));
  EXPECT_THAT(r.out, Not(HasSubstr("vfio/vfio")));
  EXPECT_THAT(r.out, Not(HasSubstr("VFIO container")));
  // Sorted by BDF: domain 10000 after every unit of domain 0000.
  EXPECT_LT(r.out.find("\n0000:14:00.0 "), r.out.find("\n10000:e1:00.0 "));
  EXPECT_NE(r.out.find("\n0000:14:00.0 "), std::string::npos);
  Result json = RunVgpuctl("discover --json --host-root " + root);
  absl::StatusOr<Json> parsed = ParseJson(json.out);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << json.out;
  bool found = false;
  for (const Json& unit : (*parsed)["units"]) {
    if (unit["primary"] != "0000:14:00.0") continue;
    found = true;
    EXPECT_EQ(unit["health"], "Unhealthy");
    EXPECT_EQ(unit["healthReason"], "dev/vfio/20 missing");
    EXPECT_TRUE(unit["resource"].is_null());
  }
  EXPECT_TRUE(found) << json.out;
}

TEST_F(VgpuctlDiscoverTest, ConfigNamesTheResourceOfEachUnit) {
  const std::string root = BuildProfile("workstation");
  const std::string config = dir_.path() + "/config.yaml";
  std::FILE* f = std::fopen(config.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(
      "version: v1\nresources:\n  rules:\n"
      "    - resourceName: example.com/a6000\n"
      "      bdfs: [\"0000:42:00.0\"]\n",
      f);
  std::fclose(f);
  Result r = RunVgpuctl("discover --config " + config + " --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("RESOURCE"));
  const size_t line = r.out.find("\n0000:42:00.0 ");
  ASSERT_NE(line, std::string::npos) << r.out;
  const std::string row = r.out.substr(line, r.out.find('\n', line + 1) - line);
  EXPECT_THAT(row, ::testing::MatchesRegex(".* Healthy +example.com/a6000"));
  EXPECT_THAT(r.out, HasSubstr("nvidia.com/pgpu"));
  Result plain = RunVgpuctl("discover --host-root " + root);
  EXPECT_THAT(plain.out, Not(HasSubstr("RESOURCE")));
}

TEST_F(VgpuctlDiscoverTest, SummaryCountsUnitsVgpusAndProblems) {
  const std::string root = BuildProfile("broken");
  Result r = RunVgpuctl("discover --summary --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(
      r.out,
      HasSubstr("units     12 (9 healthy, 3 unhealthy, 0 not "
                "advertised)\n"
                "vGPUs     1 (1 mdev, 0 VF vGPU)\n"
                "problems  3 units not healthy, 7 discovery problems\n"
                "  1  Unhealthy: 0000:04:00.0 is unbound, not vfio-pci\n"))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("  1  Unhealthy: dev/vfio/20 missing\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("Passthrough units")));

  Result json = RunVgpuctl("discover --summary --json --host-root " +
                           BuildProfile("ada-vf-vgpu"));
  ASSERT_EQ(json.exit_code, 0) << json.out;
  absl::StatusOr<Json> parsed = ParseJson(json.out);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << json.out;
  const Json& summary = (*parsed)["summary"];
  EXPECT_EQ(summary["units"], 1);
  EXPECT_EQ(summary["notAdvertisedUnits"], 1);
  EXPECT_EQ(summary["vgpus"], 2);
  EXPECT_EQ(summary["vfVgpus"], 2);
  EXPECT_EQ(summary["mdevVgpus"], 0);
  ASSERT_EQ(summary["unitsNotHealthyByReason"].size(), 1u);
  EXPECT_EQ(summary["unitsNotHealthyByReason"][0]["reason"],
            "not advertised: bound to host driver nvidia");
  EXPECT_EQ(summary["unitsNotHealthyByReason"][0]["units"], 1);
  EXPECT_TRUE((*parsed)["functions"].is_null());
}

}  // namespace
}  // namespace vgpu
