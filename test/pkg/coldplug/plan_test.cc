#include "pkg/coldplug/plan.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::coldplug {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vgpu::testing::StatusIs;

std::string RootPort(int i) {
  return absl::StrCat("pcie-root-port,id=rp", i,
                      ",bus=pcie.0,chassis=0,slot=", i, ",multifunction=off");
}

// device name -> its deviceNodes paths.
using SpecDevices =
    std::vector<std::pair<std::string, std::vector<std::string>>>;

class ColdPlugPlanTest : public ::testing::Test {
 protected:
  void Build(const std::string& profile) {
    auto host = simhost::SimHost::Create(tmp_.path() + "/host");
    ASSERT_TRUE(host.ok()) << host.status();
    ASSERT_TRUE(simhost::BuildProfile(**host, profile).ok());
    auto sysfs = sysfs::NewHostSysfs(tmp_.path() + "/host");
    ASSERT_TRUE(sysfs.ok()) << sysfs.status();
    sysfs_ = std::move(*sysfs);
    std::filesystem::create_directories(CdiDir());
  }

  std::string CdiDir() const { return tmp_.path() + "/cdi"; }

  void WriteSpec(const std::string& file, const std::string& kind,
                 const SpecDevices& devices) {
    std::string json = absl::StrCat("{\"cdiVersion\": \"0.5.0\", \"kind\": \"",
                                    kind, "\", \"devices\": [");
    for (size_t i = 0; i < devices.size(); ++i) {
      absl::StrAppend(&json, i ? "," : "", "{\"name\": \"", devices[i].first,
                      "\", \"containerEdits\": {\"deviceNodes\": [");
      for (size_t j = 0; j < devices[i].second.size(); ++j) {
        absl::StrAppend(&json, j ? "," : "", "{\"path\": \"",
                        devices[i].second[j], "\"}");
      }
      json += "]}}";
    }
    json += "]}";
    std::ofstream(CdiDir() + "/" + file) << json;
  }

  absl::StatusOr<ColdPlugPlan> Plan(const std::vector<std::string>& names,
                                    PlanOptions options = {}) {
    absl::StatusOr<CdiRegistry> registry = LoadCdiRegistry({CdiDir()});
    if (!registry.ok()) return registry.status();
    return BuildColdPlugPlan(names, *registry, *sysfs_, options);
  }

  std::vector<std::string> Bdfs(const ColdPlugPlan& plan) {
    std::vector<std::string> out;
    for (const PlannedFunction& f : plan.functions) out.push_back(f.bdf);
    return out;
  }

  vgpu::testing::TempDir tmp_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

TEST_F(ColdPlugPlanTest, WorkstationOneGpuTakesItsAudioFunctionOnce) {
  Build("workstation");
  WriteSpec(
      "a.json", "nvidia.com/pgpu",
      {{"0000:42:00.0", {"/dev/vfio/25"}}, {"0000:61:00.0", {"/dev/vfio/10"}}});
  auto plan = Plan({"nvidia.com/pgpu=0000:42:00.0"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->functions.size(), 2u);
  const PlannedFunction& gpu = plan->functions[0];
  EXPECT_EQ(gpu.bdf, "0000:42:00.0");
  EXPECT_EQ(gpu.vendor_id, 0x10de);
  EXPECT_EQ(gpu.device_id, 0x2230);
  EXPECT_EQ(gpu.class_code, 0x030000u);
  EXPECT_EQ(gpu.driver, "vfio-pci");
  EXPECT_EQ(gpu.handle, "/dev/vfio/25");
  EXPECT_FALSE(gpu.iommufd);
  EXPECT_EQ(gpu.cdi_name, "nvidia.com/pgpu=0000:42:00.0");
  EXPECT_EQ(gpu.root_port, "rp0");
  EXPECT_EQ(plan->functions[1].bdf, "0000:42:00.1");
  EXPECT_EQ(plan->functions[1].class_code, 0x040300u);
  EXPECT_EQ(plan->root_ports, 2);
  EXPECT_FALSE(plan->iommufd);
  EXPECT_THAT(
      plan->qemu_args,
      ElementsAre("-device", RootPort(0), "-device", RootPort(1), "-device",
                  "vfio-pci,host=0000:42:00.0,x-pci-vendor-id=0x10de,"
                  "x-pci-device-id=0x2230,bus=rp0",
                  "-device",
                  "vfio-pci,host=0000:42:00.1,x-pci-vendor-id=0x10de,"
                  "x-pci-device-id=0x1aef,bus=rp1"));
  EXPECT_THAT(plan->warnings, IsEmpty());
  EXPECT_THAT(plan->mdevs, IsEmpty());
}

TEST_F(ColdPlugPlanTest, WorkstationTwoGpusEachFunctionExactlyOnce) {
  Build("workstation");
  WriteSpec(
      "a.json", "nvidia.com/pgpu",
      {{"0000:42:00.0", {"/dev/vfio/25"}}, {"0000:61:00.0", {"/dev/vfio/10"}}});
  // Both containers' names, one repeated, as PodResources may list them.
  auto plan =
      Plan({"nvidia.com/pgpu=0000:42:00.0", "nvidia.com/pgpu=0000:61:00.0",
            "nvidia.com/pgpu=0000:42:00.0"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->cdi_names, ElementsAre("nvidia.com/pgpu=0000:42:00.0",
                                           "nvidia.com/pgpu=0000:61:00.0"));
  EXPECT_THAT(Bdfs(*plan), ElementsAre("0000:42:00.0", "0000:42:00.1",
                                       "0000:61:00.0", "0000:61:00.1"));
  EXPECT_EQ(plan->root_ports, 4);
  // Group 10's audio function still sits on snd_hda_intel.
  EXPECT_THAT(plan->warnings,
              ElementsAre("0000:61:00.1 in iommu group 10 is bound to "
                          "snd_hda_intel, not to a VFIO driver: QEMU fails "
                          "with \"group 10 is not viable\""));
}

TEST_F(ColdPlugPlanTest, PcieRootPortOptionSetsTheMinimumAndTheCap) {
  Build("workstation");
  WriteSpec("a.json", "nvidia.com/pgpu", {{"0000:42:00.0", {"/dev/vfio/25"}}});
  PlanOptions options;
  options.pcie_root_port = 8;
  auto plan = Plan({"nvidia.com/pgpu=0000:42:00.0"}, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->root_ports, 8);
  EXPECT_EQ(plan->qemu_args.size(), 2u * (8 + 2));
  EXPECT_EQ(plan->qemu_args[15], RootPort(7));
  options.pcie_root_port = 17;
  EXPECT_THAT(Plan({"nvidia.com/pgpu=0000:42:00.0"}, options),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "17 root ports needed (2 functions, pcie_root_port=17):"
                       " Kata allows at most 16"));
}

TEST_F(ColdPlugPlanTest, H100UsesCdevsNeverGroupNodes) {
  Build("h100-hgx");
  WriteSpec("pgpu.json", "nvidia.com/pgpu",
            {{"0000:1b:00.0", {"/dev/vfio/devices/vfio0"}},
             {"0000:43:00.0", {"/dev/vfio/devices/vfio1"}}});
  WriteSpec("nvswitch.json", "nvidia.com/nvswitch",
            {{"0000:07:00.0", {"/dev/vfio/devices/vfio8"}}});
  auto plan =
      Plan({"nvidia.com/pgpu=0000:43:00.0", "nvidia.com/pgpu=0000:1b:00.0",
            "nvidia.com/nvswitch=0000:07:00.0"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Bdfs(*plan),
              ElementsAre("0000:43:00.0", "0000:1b:00.0", "0000:07:00.0"));
  for (const PlannedFunction& f : plan->functions) {
    EXPECT_TRUE(f.iommufd) << f.bdf;
    EXPECT_THAT(f.handle, HasSubstr("/dev/vfio/devices/vfio")) << f.bdf;
  }
  EXPECT_TRUE(plan->iommufd);
  EXPECT_THAT(
      plan->qemu_args,
      ElementsAre("-object", "iommufd,id=iommufd0", "-device", RootPort(0),
                  "-device", RootPort(1), "-device", RootPort(2), "-device",
                  "vfio-pci,host=0000:43:00.0,x-pci-vendor-id=0x10de,"
                  "x-pci-device-id=0x2330,bus=rp0,iommufd=iommufd0",
                  "-device",
                  "vfio-pci,host=0000:1b:00.0,x-pci-vendor-id=0x10de,"
                  "x-pci-device-id=0x2330,bus=rp1,iommufd=iommufd0",
                  "-device",
                  "vfio-pci,host=0000:07:00.0,x-pci-vendor-id=0x10de,"
                  "x-pci-device-id=0x22a3,bus=rp2,iommufd=iommufd0"));
  EXPECT_THAT(plan->warnings, IsEmpty());
}

TEST_F(ColdPlugPlanTest, NvSwitchGroupResolvesButOldKataDropsIt) {
  Build("h100-hgx");
  WriteSpec("nvswitch.json", "nvidia.com/nvswitch",
            {{"0000:08:00.0", {"/dev/vfio/21"}}});
  auto plan = Plan({"nvidia.com/nvswitch=0000:08:00.0"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Bdfs(*plan), ElementsAre("0000:08:00.0"));
  EXPECT_EQ(plan->functions[0].class_code, 0x068000u);
  EXPECT_THAT(plan->warnings,
              ElementsAre(HasSubstr("0000:08:00.0 (class 0x068000) is dropped "
                                    "as a bridge by Kata before 4.1")));
}

TEST_F(ColdPlugPlanTest, AdaVfVgpuResolvesThroughItsCdev) {
  Build("ada-vf-vgpu");
  WriteSpec("vgpu.json", "nvidia.com/L40S-2Q",
            {{"0000:01:00.5", {"/dev/vfio/devices/vfio1"}}});
  auto plan = Plan({"nvidia.com/L40S-2Q=0000:01:00.5"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Bdfs(*plan), ElementsAre("0000:01:00.5"));
  EXPECT_EQ(plan->functions[0].driver, "nvidia");
  EXPECT_THAT(plan->warnings, IsEmpty());
}

TEST_F(ColdPlugPlanTest, MdevGetsItsGroupNodeAndAWarning) {
  Build("t4-vgpu");
  const std::string uuid = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01";
  WriteSpec("t4.json", "nvidia.com/GRID_T4-1Q", {{uuid, {"/dev/vfio/100"}}});
  auto plan = Plan({"nvidia.com/GRID_T4-1Q=" + uuid});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->functions, IsEmpty());
  ASSERT_EQ(plan->mdevs.size(), 1u);
  EXPECT_EQ(plan->mdevs[0].uuid, uuid);
  EXPECT_EQ(plan->mdevs[0].parent, "0000:3b:00.0");
  EXPECT_EQ(plan->mdevs[0].handle, "/dev/vfio/100");
  EXPECT_EQ(plan->root_ports, 0);
  EXPECT_THAT(plan->qemu_args, IsEmpty());
  EXPECT_THAT(plan->warnings,
              ElementsAre(absl::StrCat("mdev ", uuid,
                                       " (/dev/vfio/100 of nvidia.com/"
                                       "GRID_T4-1Q=",
                                       uuid,
                                       ") cannot be cold-plugged by Kata: "
                                       "mediated devices have no cold-plug "
                                       "path")));
}

TEST_F(ColdPlugPlanTest, SkipsNodesKataDoesNotTreatAsVfio) {
  Build("workstation");
  WriteSpec("a.json", "nvidia.com/pgpu",
            {{"0000:42:00.0", {"/dev/vfio/vfio", "/dev/vfio/25"}},
             {"only-iommu", {"/dev/iommu"}}});
  auto plan =
      Plan({"nvidia.com/pgpu=0000:42:00.0", "nvidia.com/pgpu=only-iommu"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Bdfs(*plan), ElementsAre("0000:42:00.0", "0000:42:00.1"));
  EXPECT_THAT(plan->warnings,
              ElementsAre(absl::StrCat("nvidia.com/pgpu=only-iommu (", CdiDir(),
                                       "/a.json) lists no VFIO handle: "
                                       "nothing to cold-plug")));
}

TEST_F(ColdPlugPlanTest, ErrorsNameTheNameGroupOrHandle) {
  Build("h100-hgx");
  WriteSpec("a.json", "example.com/gpu",
            {{"missing-group", {"/dev/vfio/999"}},
             {"bridge-group", {"/dev/vfio/100"}},
             {"bad-handle", {"/dev/vfio/abc"}},
             {"no-cdev", {"/dev/vfio/devices/vfio77"}},
             {"by-group", {"/dev/vfio/30"}},
             {"by-cdev", {"/dev/vfio/devices/vfio0"}}});
  struct Case {
    std::vector<std::string> names;
    absl::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {{"example.com/gpu=nope"},
       absl::StatusCode::kNotFound,
       absl::StrCat("unresolvable CDI devices example.com/gpu=nope (searched ",
                    CdiDir(), ")")},
      {{"example.com/gpu=missing-group"},
       absl::StatusCode::kNotFound,
       "iommu group 999 (/dev/vfio/999 of example.com/gpu=missing-group): no "
       "sys/kernel/iommu_groups/999/devices"},
      {{"example.com/gpu=bridge-group"},
       absl::StatusCode::kFailedPrecondition,
       "iommu group 100 (/dev/vfio/100 of example.com/gpu=bridge-group) has no "
       "passthrough-capable devices"},
      {{"example.com/gpu=bad-handle"},
       absl::StatusCode::kInvalidArgument,
       "unsupported VFIO handle /dev/vfio/abc of example.com/gpu=bad-handle: "
       "want /dev/vfio/<group> or /dev/vfio/devices/vfioN"},
      {{"example.com/gpu=no-cdev"},
       absl::StatusCode::kNotFound,
       "vfio cdev vfio77 (/dev/vfio/devices/vfio77 of example.com/gpu=no-cdev):"
       " no PCI device has vfio-dev/vfio77"},
      {{"example.com/gpu=by-group", "example.com/gpu=by-cdev"},
       absl::StatusCode::kFailedPrecondition,
       "function 0000:1b:00.0 is reached through both /dev/vfio/30 "
       "(example.com/gpu=by-group) and /dev/vfio/devices/vfio0 "
       "(example.com/gpu=by-cdev): QEMU would fail with \"device is already "
       "attached\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_THAT(Plan(c.names), StatusIs(c.code, c.message));
  }
}

TEST_F(ColdPlugPlanTest, RendersTableAndJson) {
  Build("workstation");
  WriteSpec("a.json", "nvidia.com/pgpu", {{"0000:42:00.0", {"/dev/vfio/25"}}});
  auto plan = Plan({"nvidia.com/pgpu=0000:42:00.0"});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(
      RenderPlanTable(*plan),
      "1 CDI devices, 2 functions, 2 root ports\n"
      "CDI DEVICE                    HANDLE        FUNCTION      ID         "
      "CLASS     ROOT PORT\n"
      "nvidia.com/pgpu=0000:42:00.0  /dev/vfio/25  0000:42:00.0  10de:2230  "
      "0x030000  rp0\n"
      "nvidia.com/pgpu=0000:42:00.0  /dev/vfio/25  0000:42:00.1  10de:1aef  "
      "0x040300  rp1\n"
      "QEMU arguments:\n"
      "  -device " +
          RootPort(0) +
          "\n"
          "  -device " +
          RootPort(1) +
          "\n"
          "  -device vfio-pci,host=0000:42:00.0,x-pci-vendor-id=0x10de,"
          "x-pci-device-id=0x2230,bus=rp0\n"
          "  -device vfio-pci,host=0000:42:00.1,x-pci-vendor-id=0x10de,"
          "x-pci-device-id=0x1aef,bus=rp1\n");
  const std::string json = RenderPlanJson(*plan);
  EXPECT_THAT(json, HasSubstr("\"cdiDevices\": [\n    "
                              "\"nvidia.com/pgpu=0000:42:00.0\"\n  ]"));
  EXPECT_THAT(json, HasSubstr("\"bdf\": \"0000:42:00.1\",\n      "
                              "\"vendorId\": \"0x10de\",\n      "
                              "\"deviceId\": \"0x1aef\",\n      "
                              "\"class\": \"0x040300\""));
  EXPECT_THAT(json, HasSubstr("\"rootPorts\": 2,\n  \"iommufd\": false"));
  EXPECT_THAT(json, HasSubstr("\"warnings\": []"));
}

// As Kata's shim forms names: every container's devices, in order, without
// repeats; DRA claims are not cold-plugged.
PlanOptions Rs() {
  PlanOptions options;
  options.runtime = Runtime::kRs;
  return options;
}

TEST_F(ColdPlugPlanTest, RuntimeRsDropsTheAudioFunctionAndAlwaysUsesIommufd) {
  Build("workstation");
  WriteSpec("a.json", "nvidia.com/pgpu", {{"0000:42:00.0", {"/dev/vfio/25"}}});
  auto go = Plan({"nvidia.com/pgpu=0000:42:00.0"});
  auto rs = Plan({"nvidia.com/pgpu=0000:42:00.0"}, Rs());
  ASSERT_TRUE(go.ok()) << go.status();
  ASSERT_TRUE(rs.ok()) << rs.status();
  EXPECT_THAT(Bdfs(*rs), ElementsAre("0000:42:00.0"));
  EXPECT_TRUE(rs->iommufd);
  EXPECT_TRUE(rs->functions[0].iommufd);
  EXPECT_EQ(rs->root_ports, 1);
  EXPECT_THAT(rs->pcimap, ElementsAre("0000:42:00.0"));
  EXPECT_THAT(go->pcimap, ElementsAre("0000:42:00.0", "0000:42:00.1"));
  EXPECT_THAT(rs->qemu_args,
              ElementsAre("-object", "iommufd,id=iommufd0", "-device",
                          RootPort(0), "-device",
                          "vfio-pci,host=0000:42:00.0,x-pci-vendor-id=0x10de,"
                          "x-pci-device-id=0x2230,bus=rp0,iommufd=iommufd0"));
  EXPECT_THAT(
      CompareRuntimes(*go, *rs),
      ElementsAre("0000:42:00.1 (class 0x040300): go plugs it, rs drops it",
                  "0000:42:00.0: go through the group, rs through iommufd",
                  "root ports: go 2, rs 1",
                  "0000:42:00.1: in the go pcimap, not in the rs pcimap (a "
                  "PCIDEVICE_* value naming it stays untranslated under rs)"));
  EXPECT_EQ(go->runtime, Runtime::kGo);
  EXPECT_EQ(rs->runtime, Runtime::kRs);
}

TEST_F(ColdPlugPlanTest, RuntimeRsPutsEveryFunctionOfAHandleOnOnePort) {
  Build("h100-hgx");
  // Group 30 holds more than one function that no runtime drops.
  WriteSpec("a.json", "example.com/gpu", {{"by-group", {"/dev/vfio/30"}}});
  auto go = Plan({"example.com/gpu=by-group"});
  auto rs = Plan({"example.com/gpu=by-group"}, Rs());
  ASSERT_TRUE(go.ok()) << go.status();
  ASSERT_TRUE(rs.ok()) << rs.status();
  ASSERT_GE(rs->functions.size(), 1u);
  EXPECT_EQ(rs->root_ports, 1);
  for (const PlannedFunction& f : rs->functions) EXPECT_EQ(f.root_port, "rp0");
  EXPECT_THAT(rs->pcimap, ElementsAre(rs->functions[0].bdf));
  for (size_t k = 1; k < rs->functions.size(); ++k) {
    EXPECT_THAT(rs->warnings,
                ::testing::Contains(HasSubstr(absl::StrCat(
                    rs->functions[k].bdf, " shares root port rp0 with"))));
  }
}

TEST_F(ColdPlugPlanTest, RuntimeRsTakesEveryNodeAsVfioAndWarns) {
  Build("workstation");
  WriteSpec("a.json", "nvidia.com/pgpu",
            {{"0000:42:00.0", {"/dev/vfio/vfio", "/dev/vfio/25"}}});
  auto rs = Plan({"nvidia.com/pgpu=0000:42:00.0"}, Rs());
  ASSERT_TRUE(rs.ok()) << rs.status();
  EXPECT_THAT(rs->warnings,
              ElementsAre("/dev/vfio/vfio of nvidia.com/pgpu=0000:42:00.0 is "
                          "not a VFIO device, but runtime-rs (Kata 4.1.0) "
                          "plugs every CDI device node as one: sandbox "
                          "creation fails"));
  auto go = Plan({"nvidia.com/pgpu=0000:42:00.0"});
  ASSERT_TRUE(go.ok()) << go.status();
  EXPECT_THAT(go->warnings, IsEmpty());
}

TEST(ParseRuntimeTest, AcceptsGoAndRsOnly) {
  EXPECT_EQ(*ParseRuntime("go"), Runtime::kGo);
  EXPECT_EQ(*ParseRuntime("rs"), Runtime::kRs);
  EXPECT_THAT(
      ParseRuntime("runtime-rs").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("want go or rs")));
}

TEST(PodCdiDeviceNamesTest, NamesEveryContainersDevicesInOrder) {
  v1::PodResources pod;
  v1::ContainerDevices* d = pod.add_containers()->add_devices();
  d->set_resource_name("nvidia.com/pgpu");
  d->add_device_ids("0000:42:00.0");
  d->add_device_ids("0000:61:00.0");
  v1::ContainerResources* b = pod.add_containers();
  d = b->add_devices();
  d->set_resource_name("nvidia.com/nvswitch");
  d->add_device_ids("0000:07:00.0");
  d = b->add_devices();
  d->set_resource_name("nvidia.com/pgpu");
  d->add_device_ids("0000:42:00.0");  // Handed on from an init container.
  b->add_dynamic_resources()
      ->add_claim_resources()
      ->add_cdi_devices()
      ->set_name("example.com/dra=1");
  EXPECT_THAT(PodCdiDeviceNames(pod),
              ::testing::ElementsAre("nvidia.com/pgpu=0000:42:00.0",
                                     "nvidia.com/pgpu=0000:61:00.0",
                                     "nvidia.com/nvswitch=0000:07:00.0"));
}

}  // namespace
}  // namespace vgpu::coldplug
