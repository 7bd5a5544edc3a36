// End to end: the real daemon binary registers every resource of every
// simulated profile with the right devices, answers Allocate, exits cleanly.
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "test/integration/e2e_fixture.h"

namespace vgpu::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class RegistrationTest : public E2eTest {};

TEST_F(RegistrationTest, EveryProfileRegistersWhatPoolsDecide) {
  for (const std::string& profile : simhost::ProfileNames()) {
    // Full-size 512-VF hosts: covered by the benchmarks.
    if (profile == "large" || profile == "large-empty") continue;
    SCOPED_TRACE(profile);
    SetUpHost(profile);
    resources::PoolSet expected = ExpectedPools();
    StartDaemon();
    EXPECT_TRUE(WaitForPools(expected)) << daemon_->Log();
    KubeletState state = kubelet_->State();
    EXPECT_EQ(state.size(), expected.pools.size());
    for (const auto& [name, rs] : state) {
      EXPECT_EQ(rs.registrations, 1) << name;
      EXPECT_EQ(rs.endpoint,
                absl::StrCat("vgpu-", absl::StrReplaceAll(name, {{"/", "-"}}),
                             ".sock"));
    }
    StopDaemon();
    kubelet_->Stop();
  }
}

// Fixed figures for every profile, independent of BuildPools (which the
// test above takes its expectation from): resource -> {devices, healthy},
// read off the golden inventories (test/pkg/inventory/testdata/profiles).
TEST_F(RegistrationTest, EveryProfileHasItsKnownCounts) {
  using Counts = std::map<std::string, std::pair<int, int>>;
  const std::vector<std::pair<std::string, Counts>> cases = {
      {"workstation", {{"nvidia.com/pgpu", {2, 1}}}},
      {"t4-vgpu", {{"nvidia.com/vgpu", {2, 2}}}},
      {"a100-sriov", {{"nvidia.com/vgpu", {2, 2}}}},
      {"h100-hgx",
       {{"nvidia.com/pgpu", {8, 8}}, {"nvidia.com/nvswitch", {4, 4}}}},
      {"ada-vf-vgpu", {{"nvidia.com/vgpu", {2, 2}}}},
      {"intel-gvt", {{"intel.com/vgpu", {1, 1}}}},
      {"amd-sriov", {{"amd.com/pgpu", {2, 2}}}},
      // 12 units: 2 not viable, 1 viable with its VFIO node missing.
      {"broken", {{"nvidia.com/pgpu", {12, 9}}, {"nvidia.com/vgpu", {1, 1}}}},
  };
  for (const auto& [profile, counts_by_resource] : cases) {
    SCOPED_TRACE(profile);
    const Counts& want =
        counts_by_resource;  // Lambdas cannot capture bindings.
    SetUpHost(profile);
    StartDaemon();
    EXPECT_TRUE(kubelet_->WaitFor(
        [&](const KubeletState& s) {
          if (s.size() != want.size()) return false;
          for (const auto& [resource, counts] : want) {
            auto it = s.find(resource);
            if (it == s.end() || !it->second.streaming ||
                it->second.Count() != counts.first ||
                it->second.HealthyCount() != counts.second) {
              return false;
            }
          }
          return true;
        },
        kE2eWait))
        << daemon_->Log();
    StopDaemon();
    kubelet_->Stop();
  }
}

// Exact figures for three profiles, as docs/sysfs.md describes them.
TEST_F(RegistrationTest, WorkstationHasOneHealthyOneNonViableGpu) {
  SetUpHost("workstation");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 2, kE2eWait))
      << daemon_->Log();
  KubeletState state = kubelet_->State();
  EXPECT_EQ(state.size(), 1u);
  EXPECT_EQ(Health("nvidia.com/pgpu", "0000:42:00.0"), "Healthy");
  EXPECT_EQ(Health("nvidia.com/pgpu", "0000:61:00.0"), "Unhealthy");
  EXPECT_FALSE(state["nvidia.com/pgpu"].Find("0000:42:00.0")->has_topology());
  StopDaemon();
}

TEST_F(RegistrationTest, HgxHasEightGpusAndFourSwitches) {
  SetUpHost("h100-hgx");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kE2eWait))
      << daemon_->Log();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/nvswitch", 4, kE2eWait));
  KubeletState state = kubelet_->State();
  EXPECT_EQ(state["nvidia.com/pgpu"].HealthyCount(), 8);
  EXPECT_EQ(state["nvidia.com/nvswitch"].HealthyCount(), 4);
  for (const auto& d : state["nvidia.com/pgpu"].devices) {
    EXPECT_EQ(d.topology().nodes_size(), 1) << d.id();
  }
  StopDaemon();
}

TEST_F(RegistrationTest, T4HostHasTwoVgpus) {
  SetUpHost("t4-vgpu");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/vgpu", 2, kE2eWait))
      << daemon_->Log();
  StopDaemon();
  // Kata cannot cold-plug mdevs: said once, clearly, however many rescans.
  std::string log = daemon_->Log();
  size_t first = log.find("not cold-pluggable by Kata");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("not cold-pluggable by Kata", first + 1),
            std::string::npos)
      << log;
}

TEST_F(RegistrationTest, PassthroughHostHasNoMdevWarning) {
  SetUpHost("h100-hgx");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kE2eWait))
      << daemon_->Log();
  StopDaemon();
  EXPECT_EQ(daemon_->Log().find("not cold-pluggable"), std::string::npos);
}

TEST_F(RegistrationTest, AllocateAndPodResources) {
  SetUpHost("h100-hgx");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kE2eWait))
      << daemon_->Log();
  auto unknown = kubelet_->Allocate("nvidia.com/pgpu", {"0000:ff:00.0"});
  EXPECT_THAT(unknown, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr("0000:ff:00.0")));
  auto pod = kubelet_->AllocatePod(
      {"ns1", "vm1", {{"main", {{"nvidia.com/pgpu", 2}}}}});
  ASSERT_THAT(pod, IsOk()) << daemon_->Log();
  ASSERT_EQ(pod->containers.size(), 1u);
  const auto& ids = pod->containers[0].devices["nvidia.com/pgpu"];
  ASSERT_EQ(ids.size(), 2u);
  ASSERT_EQ(pod->containers[0].responses.size(), 1u);
  const auto& response = pod->containers[0].responses[0];
  std::vector<std::string> cdi;
  for (const auto& d : response.cdi_devices()) cdi.push_back(d.name());
  EXPECT_THAT(cdi, UnorderedElementsAre("nvidia.com/pgpu=" + ids[0],
                                        "nvidia.com/pgpu=" + ids[1]));
  // The CDI spec was written before the devices were advertised.
  struct stat st;
  EXPECT_EQ(
      ::stat((work_ + "/cdi/vgpu-device-plugin_nvidia.com_pgpu.json").c_str(),
             &st),
      0);
  StopDaemon();
}

TEST_F(RegistrationTest, SigtermRemovesSocketsAndExitsZero) {
  metrics_address_ = "127.0.0.1:0";  // With every listener on.
  SetUpHost("h100-hgx");
  StartDaemon();
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/nvswitch", 4, kE2eWait))
      << daemon_->Log();
  EXPECT_THAT(PluginSockets(),
              UnorderedElementsAre("vgpu-nvidia.com-pgpu.sock",
                                   "vgpu-nvidia.com-nvswitch.sock"));
  StopDaemon();
  EXPECT_THAT(PluginSockets(), IsEmpty());
  EXPECT_TRUE(kubelet_->WaitFor(
      [](const KubeletState& s) {
        for (const auto& [name, rs] : s) {
          if (rs.streaming) return false;
        }
        return true;
      },
      kE2eWait));
}

// Bad usage (exit 2) is tested without starting anything, in
// test/cmd/vgpu-device-plugin/main_test.cc.
TEST_F(RegistrationTest, BadConfigAndHostRootExitOneNamingThem) {
  SetUpHost("workstation");
  std::ofstream(work_ + "/bad.yaml") << "version: v1\nrescanPeriod: 1ms\n";
  auto bad_config =
      RunToExit(VGPU_DAEMON_BINARY, {"--config=" + work_ + "/bad.yaml"},
                work_ + "/run2.log", kE2eWait);
  ASSERT_THAT(bad_config, IsOk());
  EXPECT_EQ(bad_config->exit_code, 1);
  EXPECT_THAT(bad_config->output, HasSubstr("bad.yaml"));
  EXPECT_THAT(bad_config->output, HasSubstr("rescanPeriod"));

  auto bad_root =
      RunToExit(VGPU_DAEMON_BINARY,
                {"--host-root=" + work_ + "/missing",
                 "--device-plugin-dir=" + plugin_dir_, "--cdi-dir=" + work_,
                 "--metrics-address=", "--pod-resources-socket="},
                work_ + "/run4.log", kE2eWait);
  ASSERT_THAT(bad_root, IsOk());
  EXPECT_EQ(bad_root->exit_code, 1);
  EXPECT_THAT(bad_root->output, HasSubstr("/missing"));
}

}  // namespace
}  // namespace vgpu::testing
