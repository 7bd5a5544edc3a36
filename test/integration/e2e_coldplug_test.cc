// Issue 4 end to end: the real daemon, the kubelet emulator serving
// PodResources, simulated hosts. A pod is allocated through the kubelet
// path; then the cold-plug plan is derived the way Kata does it (PodResources
// Get -> CDI specs the daemon wrote -> VFIO handles -> functions), and every
// spec the daemon wrote is parsed by the reference CDI library.
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/coldplug/plan.h"
#include "pkg/kubelet/pod_resources.h"
#include "test/integration/e2e_fixture.h"

namespace vgpu::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class ColdPlugE2eTest : public E2eTest {
 protected:
  // Allocates `count` of `resource` to ns/pod through the emulator, then
  // builds the plan from PodResources Get and the daemon's CDI dir.
  coldplug::ColdPlugPlan PlanFor(const std::string& pod,
                                 const std::string& resource, int count) {
    auto allocated = kubelet_->AllocatePod(
        {"default", pod, {{"main", {{resource, count}}}}});
    EXPECT_THAT(allocated, IsOk()) << daemon_->Log();
    auto pod_resources =
        kubelet::GetPodResources(work_ + "/pod-resources.sock", "default", pod);
    EXPECT_THAT(pod_resources, IsOk());
    if (!pod_resources.ok()) return {};
    std::vector<std::string> names =
        coldplug::PodCdiDeviceNames(*pod_resources);
    EXPECT_EQ(names.size(), static_cast<size_t>(count));
    auto registry = coldplug::LoadCdiRegistry({work_ + "/cdi"});
    EXPECT_THAT(registry, IsOk());
    auto sysfs = sysfs::NewHostSysfs(root_);
    EXPECT_THAT(sysfs, IsOk());
    if (!registry.ok() || !sysfs.ok()) return {};
    auto plan = coldplug::BuildColdPlugPlan(names, *registry, **sysfs, {});
    EXPECT_THAT(plan, IsOk());
    return plan.ok() ? *plan : coldplug::ColdPlugPlan();
  }

  static std::vector<std::string> Bdfs(const coldplug::ColdPlugPlan& plan) {
    std::vector<std::string> out;
    for (const auto& f : plan.functions) out.push_back(f.bdf);
    return out;
  }

  // The reference CDI parser (Go, test/cdi/validate_dir.sh) on the dir the
  // daemon writes.
  void ExpectReferenceParserAccepts() {
    std::string cmd =
        absl::StrCat("bash ", VGPU_SOURCE_DIR, "/test/cdi/validate_dir.sh ",
                     work_, "/cdi > ", work_, "/cdi-parse.out 2>&1");
    int rc = std::system(cmd.c_str());
    std::ifstream in(work_ + "/cdi-parse.out");
    std::string out((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
    EXPECT_EQ(rc, 0) << out;
  }
};

TEST_F(ColdPlugE2eTest, WorkstationOneAndTwoGpusEachWithItsAudioOnce) {
  SetUpHost("workstation");
  StartDaemon();
  ASSERT_TRUE(WaitForHealth("nvidia.com/pgpu", "0000:42:00.0", "Healthy"))
      << daemon_->Log();
  coldplug::ColdPlugPlan one = PlanFor("vm1", "nvidia.com/pgpu", 1);
  EXPECT_THAT(Bdfs(one), ElementsAre("0000:42:00.0", "0000:42:00.1"));
  EXPECT_EQ(one.root_ports, 2);
  EXPECT_FALSE(one.iommufd);
  for (const auto& f : one.functions) EXPECT_EQ(f.handle, "/dev/vfio/25");

  // The operator binds the second GPU's audio function to vfio-pci: group
  // 10 turns viable, the GPU Healthy, and two GPUs can be allocated.
  ASSERT_THAT(host_->UnbindDriver("0000:61:00.1"), IsOk());
  ASSERT_THAT(host_->BindDriver("0000:61:00.1", "vfio-pci"), IsOk());
  ASSERT_TRUE(WaitForHealth("nvidia.com/pgpu", "0000:61:00.0", "Healthy"))
      << daemon_->Log();
  ASSERT_TRUE(kubelet_->DeletePod("default", "vm1"));
  coldplug::ColdPlugPlan two = PlanFor("vm2", "nvidia.com/pgpu", 2);
  EXPECT_THAT(Bdfs(two), ElementsAre("0000:42:00.0", "0000:42:00.1",
                                     "0000:61:00.0", "0000:61:00.1"));
  EXPECT_EQ(two.root_ports, 4);
  ExpectReferenceParserAccepts();
  StopDaemon();
}

// The kata-agent rewrites PCIDEVICE_* only when it maps every address in it;
// Kata 4.1.0's runtime-rs maps only primaries, so that is all it names.
TEST_F(ColdPlugE2eTest, AllocateEnvNamesPrimaryAndHostFunctionsSeparately) {
  SetUpHost("workstation");
  StartDaemon();
  ASSERT_TRUE(WaitForHealth("nvidia.com/pgpu", "0000:42:00.0", "Healthy"))
      << daemon_->Log();
  auto response = kubelet_->Allocate("nvidia.com/pgpu", {"0000:42:00.0"});
  ASSERT_THAT(response, IsOk()) << daemon_->Log();
  ASSERT_EQ(response->container_responses_size(), 1);
  const auto& envs = response->container_responses(0).envs();
  ASSERT_EQ(envs.count("PCIDEVICE_NVIDIA_COM_PGPU"), 1u);
  EXPECT_EQ(envs.at("PCIDEVICE_NVIDIA_COM_PGPU"), "0000:42:00.0");
  ASSERT_EQ(envs.count("VGPU_HOST_PCI_FUNCTIONS_NVIDIA_COM_PGPU"), 1u);
  EXPECT_EQ(envs.at("VGPU_HOST_PCI_FUNCTIONS_NVIDIA_COM_PGPU"),
            "0000:42:00.0,0000:42:00.1");
  StopDaemon();
}

TEST_F(ColdPlugE2eTest, HgxUsesVfioCdevsNeverGroupNodes) {
  SetUpHost("h100-hgx");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kE2eWait))
      << daemon_->Log();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/nvswitch", 4, kE2eWait));
  // What the kubelet gets: cdevs only, no legacy container, no /dev/iommu.
  auto allocated = kubelet_->AllocatePod(
      {"default", "vm0", {{"main", {{"nvidia.com/pgpu", 2}}}}});
  ASSERT_THAT(allocated, IsOk()) << daemon_->Log();
  const auto& response = allocated->containers[0].responses[0];
  ASSERT_EQ(response.devices_size(), 2);
  for (const auto& d : response.devices()) {
    EXPECT_THAT(d.host_path(), ::testing::StartsWith("/dev/vfio/devices/vfio"));
  }
  ASSERT_TRUE(kubelet_->DeletePod("default", "vm0"));

  coldplug::ColdPlugPlan gpus = PlanFor("vm1", "nvidia.com/pgpu", 2);
  ASSERT_EQ(gpus.functions.size(), 2u);
  EXPECT_TRUE(gpus.iommufd);
  for (const auto& f : gpus.functions) {
    EXPECT_THAT(f.handle, HasSubstr("/dev/vfio/devices/vfio")) << f.bdf;
    EXPECT_EQ(f.vendor_id, 0x10de);
    EXPECT_EQ(f.device_id, 0x2330);
  }
  EXPECT_THAT(gpus.qemu_args, ::testing::Contains("iommufd,id=iommufd0"));
  coldplug::ColdPlugPlan sw = PlanFor("vm2", "nvidia.com/nvswitch", 1);
  ASSERT_EQ(sw.functions.size(), 1u);
  EXPECT_EQ(sw.functions[0].class_code, 0x068000u);
  EXPECT_THAT(sw.functions[0].handle, HasSubstr("/dev/vfio/devices/vfio"));

  // The operator's command, as a binary: the same plan for vm1.
  auto cli = RunToExit(VGPUCTL_BINARY,
                       {"coldplug-plan", "--pod", "default/vm1",
                        "--pod-resources-socket", work_ + "/pod-resources.sock",
                        "--cdi-dir", work_ + "/cdi", "--host-root", root_},
                       work_ + "/vgpuctl.out", kE2eWait);
  ASSERT_THAT(cli, IsOk());
  EXPECT_EQ(cli->exit_code, 0) << cli->output;
  for (const auto& f : gpus.functions) {
    EXPECT_THAT(cli->output, HasSubstr(f.bdf));
    EXPECT_THAT(cli->output, HasSubstr(f.handle));
  }
  EXPECT_THAT(cli->output, Not(HasSubstr("/dev/vfio/vfio")));
  ExpectReferenceParserAccepts();
  StopDaemon();
}

TEST_F(ColdPlugE2eTest, AdaVfVgpuResolvesAsAPciFunction) {
  SetUpHost("ada-vf-vgpu");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitFor(
      [](const KubeletState& s) {
        auto it = s.find("nvidia.com/vgpu");
        return it != s.end() && it->second.HealthyCount() > 0;
      },
      kE2eWait))
      << daemon_->Log();
  coldplug::ColdPlugPlan plan = PlanFor("vm1", "nvidia.com/vgpu", 1);
  ASSERT_EQ(plan.functions.size(), 1u);
  EXPECT_TRUE(plan.mdevs.empty());
  EXPECT_EQ(plan.functions[0].driver, "nvidia");
  ExpectReferenceParserAccepts();
  StopDaemon();
}

TEST_F(ColdPlugE2eTest, T4MdevGetsItsGroupNodeAndAWarning) {
  SetUpHost("t4-vgpu");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/vgpu", 2, kE2eWait))
      << daemon_->Log();
  auto allocated = kubelet_->AllocatePod(
      {"default", "vm1", {{"main", {{"nvidia.com/vgpu", 1}}}}});
  ASSERT_THAT(allocated, IsOk());
  const auto& response = allocated->containers[0].responses[0];
  std::set<std::string> nodes;
  for (const auto& d : response.devices()) nodes.insert(d.host_path());
  EXPECT_TRUE(nodes.count("/dev/vfio/vfio"));
  ASSERT_EQ(nodes.size(), 2u);
  coldplug::ColdPlugPlan plan = PlanFor("vm2", "nvidia.com/vgpu", 1);
  EXPECT_TRUE(plan.functions.empty());
  ASSERT_EQ(plan.mdevs.size(), 1u);
  EXPECT_THAT(plan.mdevs[0].handle, HasSubstr("/dev/vfio/"));
  EXPECT_FALSE(plan.warnings.empty());
  ExpectReferenceParserAccepts();
  StopDaemon();
  EXPECT_THAT(daemon_->Log(), HasSubstr("not cold-pluggable by Kata"));
}

TEST_F(ColdPlugE2eTest, EverySpecTheDaemonWritesPassesTheReferenceParser) {
  for (const std::string& profile : simhost::ProfileNames()) {
    // Full-size 512-VF hosts: covered by the benchmarks.
    if (profile == "large" || profile == "large-empty") continue;
    SCOPED_TRACE(profile);
    SetUpHost(profile);
    resources::PoolSet want = ExpectedPools();
    StartDaemon();
    ASSERT_TRUE(WaitForPools(want)) << daemon_->Log();
    // t4-empty advertises nothing, so no spec is written.
    if (!want.pools.empty()) ExpectReferenceParserAccepts();
    StopDaemon();
    kubelet_->Stop();
  }
}

}  // namespace
}  // namespace vgpu::testing
