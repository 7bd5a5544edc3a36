// The daemon keeps the node's vGPU layout (vgpu.manage: true), end to end:
// the real vgpu-device-plugin, the FakeKubelet and `vgpu-simhost --serve`
// (kernel semantics on writes). See layout_fixture.h.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/integration/layout_fixture.h"

namespace vgpu::testing {
namespace {

using ::testing::HasSubstr;

class LayoutE2eTest : public LayoutE2eFixture {};

bool Contains(const std::set<std::string>& set, const std::string& item) {
  return set.count(item) != 0;
}

TEST_F(LayoutE2eTest, EmptyHostGetsTheLayoutCreatedAndAdvertised) {
  ASSERT_NO_FATAL_FAILURE(SetUpAll(LayoutConfig("t4-4q")));
  ASSERT_TRUE(Mdevs().empty());
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-4q", layout::kStateSuccess)) << DaemonLog();
  const std::set<std::string> mdevs = Mdevs();
  EXPECT_EQ(mdevs.size(), 8u);
  EXPECT_EQ(MdevsOn(kGpu0).size(), 4u);
  EXPECT_TRUE(WaitForAdvertised(mdevs)) << DaemonLog();
  EXPECT_EQ(Recorded(), mdevs);
  // Every advertised vGPU has its CDI spec entry.
  const std::string cdi =
      ReadWholeFile(work_ + "/cdi/vgpu-device-plugin_nvidia.com_vgpu.json");
  for (const std::string& uuid : mdevs) EXPECT_THAT(cdi, HasSubstr(uuid));
  // The log names each action, its vGPU and the kernel's answer.
  EXPECT_THAT(DaemonLog(),
              HasSubstr("create " + *mdevs.begin() + ": kernel answered ok"));
  // Node labels through NFD's local feature file, under the host root.
  const std::string labels =
      ReadWholeFile(host_ + "/etc/nfd/features.d/vgpu-device-plugin");
  EXPECT_THAT(labels, HasSubstr("vgpu-device-plugin.layout=t4-4q\n"));
  EXPECT_THAT(labels, HasSubstr("vgpu-device-plugin.layout.state=success\n"));
  EXPECT_THAT(labels, HasSubstr("vgpu-device-plugin.type.T4-4Q=8\n"));
  // vgpuctl status reads the daemon's state dir.
  absl::StatusOr<CommandResult> status =
      RunCommand({VGPUCTL_BINARY, "status", "--state-dir", state_}, "",
                 work_ + "/status.out", work_ + "/status.err");
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->exit_code, 0) << status->error;
  EXPECT_THAT(status->output, HasSubstr("layout t4-4q: success (converged)"));
  EXPECT_THAT(status->output, HasSubstr("8 matching, 0 pending, 0 blocked"));
  ASSERT_THAT(daemon_->Signal(SIGTERM), IsOk());
  EXPECT_THAT(daemon_->Wait(kLayoutWait), IsOkAndHolds(0));
}

TEST_F(LayoutE2eTest, PodKeepsItsVgpuAcrossReconfigurations) {
  ASSERT_NO_FATAL_FAILURE(SetUpAll(LayoutConfig("t4-4q")));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-4q", layout::kStateSuccess)) << DaemonLog();
  ASSERT_TRUE(WaitForAdvertised(Mdevs())) << DaemonLog();
  absl::StatusOr<PodAllocation> pod =
      kubelet_->AllocatePod({"default", "vm", {{"c", {{kVgpuResource, 2}}}}});
  ASSERT_THAT(pod, IsOk());
  const std::vector<std::string> held =
      pod->containers[0].devices[kVgpuResource];
  ASSERT_EQ(held.size(), 2u);

  // One vGPU per GPU: the pod's two survive, the rest go; a held one the
  // layout does not want is withdrawn (not advertised) and blocked.
  size_t want = 0;
  for (const char* gpu : {kGpu0, kGpu1}) {
    size_t held_here = 0;
    for (const std::string& id : held) held_here += Contains(MdevsOn(gpu), id);
    want += std::max<size_t>(1, held_here);
  }
  ASSERT_NO_FATAL_FAILURE(SwapConfig(LayoutConfig("t4-4q-1")));
  ASSERT_TRUE(Until([&] {
    absl::StatusOr<layout::LayoutStatus> s = Status();
    // The status of a round after the removals (one action per vGPU
    // left), not the withdrawal round's, which was blocked too.
    return s.ok() && s->layout == "t4-4q-1" && Mdevs().size() == want &&
           s->actions.size() == want &&
           s->outcome == (want == 2 ? "converged" : "blocked");
  })) << DaemonLog();
  std::set<std::string> after = Mdevs();
  for (const std::string& id : held) EXPECT_TRUE(Contains(after, id)) << id;
  absl::StatusOr<layout::LayoutStatus> status = Status();
  ASSERT_THAT(status, IsOk());
  if (want == 3) {
    EXPECT_EQ(status->state, layout::kStatePending);
    ASSERT_EQ(status->withdrawn.size(), 1u);
    EXPECT_FALSE(Contains(Advertised(), status->withdrawn[0]));
    EXPECT_THAT(DaemonLog(), HasSubstr("(allocated to a pod)"));
  }

  // And across a second change, back to four per GPU.
  ASSERT_NO_FATAL_FAILURE(SwapConfig(LayoutConfig("t4-4q")));
  ASSERT_TRUE(WaitForStatus("t4-4q", layout::kStateSuccess)) << DaemonLog();
  after = Mdevs();
  EXPECT_EQ(after.size(), 8u);
  for (const std::string& id : held) EXPECT_TRUE(Contains(after, id)) << id;

  // Once the pod is gone, a layout wanting less converges.
  ASSERT_NO_FATAL_FAILURE(SwapConfig(LayoutConfig("t4-4q-1")));
  ASSERT_TRUE(Until([&] {
    absl::StatusOr<layout::LayoutStatus> s = Status();
    return s.ok() && s->layout == "t4-4q-1";
  }));
  ASSERT_TRUE(kubelet_->DeletePod("default", "vm"));
  ASSERT_TRUE(WaitForStatus("t4-4q-1", layout::kStateSuccess)) << DaemonLog();
  EXPECT_EQ(Mdevs().size(), 2u);
  EXPECT_TRUE(WaitForAdvertised(Mdevs())) << DaemonLog();
}

TEST_F(LayoutE2eTest, VgpuHeldOpenByAProcessIsNotRemoved) {
  ASSERT_NO_FATAL_FAILURE(SetUpAll(LayoutConfig("t4-4q")));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-4q", layout::kStateSuccess)) << DaemonLog();
  const std::set<std::string> on0 = MdevsOn(kGpu0);
  ASSERT_EQ(on0.size(), 4u);
  // Two held open on GPU 0, which the new layout cuts to one.
  auto it = on0.begin();
  const std::string first = *it++;
  const std::string second = *it;
  ASSERT_NO_FATAL_FAILURE(HoldOpen("4242", first));
  ASSERT_NO_FATAL_FAILURE(HoldOpen("4243", second));
  ASSERT_NO_FATAL_FAILURE(SwapConfig(LayoutConfig("t4-4q-1")));
  ASSERT_TRUE(Until([&] {
    absl::StatusOr<layout::LayoutStatus> s = Status();
    return s.ok() && s->layout == "t4-4q-1" && s->outcome == "blocked" &&
           Mdevs().size() == 3 && s->actions.size() == 3;
  })) << DaemonLog();
  EXPECT_EQ(MdevsOn(kGpu0), (std::set<std::string>{first, second}));
  EXPECT_EQ(MdevsOn(kGpu1).size(), 1u);
  EXPECT_THAT(DaemonLog(), HasSubstr("open by pid 424"));
  absl::StatusOr<CommandResult> status =
      RunCommand({VGPUCTL_BINARY, "status", "--state-dir", state_}, "",
                 work_ + "/status.out", work_ + "/status.err");
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->exit_code, 3);
  EXPECT_THAT(status->output, HasSubstr("1 blocked, 1 withdrawn"));
  EXPECT_THAT(status->output, HasSubstr("open by pid 424"));
}

TEST_F(LayoutE2eTest, HandMadeMdevIsLeftAlone) {
  ASSERT_NO_FATAL_FAILURE(SetUpAll(LayoutConfig("t4-4q")));
  const std::string hand = "11111111-2222-4333-8444-555555555555";
  ASSERT_NO_FATAL_FAILURE(MakeByHand(kGpu0, hand));
  ASSERT_TRUE(Contains(Mdevs(), hand));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-4q", layout::kStateSuccess)) << DaemonLog();
  EXPECT_EQ(Mdevs().size(), 8u);  // It counts toward GPU 0's four.
  EXPECT_FALSE(Contains(Recorded(), hand));
  ASSERT_NO_FATAL_FAILURE(SwapConfig(LayoutConfig("t4-4q-1")));
  ASSERT_TRUE(WaitForStatus("t4-4q-1", layout::kStateSuccess)) << DaemonLog();
  EXPECT_EQ(MdevsOn(kGpu0), (std::set<std::string>{hand}));
  EXPECT_TRUE(WaitForAdvertised(Mdevs())) << DaemonLog();
}

TEST_F(LayoutE2eTest, BadConfigSwapKeepsTheOldLayout) {
  ASSERT_NO_FATAL_FAILURE(SetUpAll(LayoutConfig("t4-4q-2")));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-4q-2", layout::kStateSuccess)) << DaemonLog();
  const std::set<std::string> before = Mdevs();
  ASSERT_EQ(before.size(), 4u);
  // A YAML error, then a type no GPU of the node offers.
  ASSERT_NO_FATAL_FAILURE(SwapConfig("version: v1\nvgpu: [\n"));
  ASSERT_TRUE(Until([&] {
    return absl::StrContains(DaemonLog(), "new config rejected");
  })) << DaemonLog();
  std::string bad = LayoutConfig("t4-4q");
  bad = absl::StrReplaceAll(bad, {{"{\"T4-4Q\": 4}", "{\"A100-4C\": 4}"}});
  ASSERT_NO_FATAL_FAILURE(SwapConfig(bad));
  ASSERT_TRUE(Until([&] {
    return absl::StrContains(DaemonLog(), "offers no vGPU type \"A100-4C\"");
  })) << DaemonLog();
  EXPECT_THAT(DaemonLog(), HasSubstr("keeping layout t4-4q-2"));
  EXPECT_EQ(Mdevs(), before);
  absl::StatusOr<layout::LayoutStatus> status = Status();
  ASSERT_THAT(status, IsOk());
  EXPECT_EQ(status->layout, "t4-4q-2");
  // A good one after them applies, without a restart.
  ASSERT_NO_FATAL_FAILURE(SwapConfig(LayoutConfig("t4-4q")));
  ASSERT_TRUE(WaitForStatus("t4-4q", layout::kStateSuccess)) << DaemonLog();
  EXPECT_EQ(Mdevs().size(), 8u);
  EXPECT_TRUE(daemon_->running());
}

TEST_F(LayoutE2eTest, RebootBringsBackTheSameUuids) {
  ASSERT_NO_FATAL_FAILURE(SetUpAll(LayoutConfig("t4-mixed")));
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-mixed", layout::kStateSuccess)) << DaemonLog();
  const std::set<std::string> before = Mdevs();
  ASSERT_EQ(before.size(), 10u);
  ASSERT_TRUE(WaitForAdvertised(before)) << DaemonLog();
  ASSERT_NO_FATAL_FAILURE(KillDaemon());
  // The host reboots: a fresh t4-empty (no mdevs); the state dir stays.
  StopHost();
  host_ = dir_.path() + "/rebooted";
  ASSERT_NO_FATAL_FAILURE(Serve());
  ASSERT_TRUE(Mdevs().empty());
  ASSERT_EQ(std::remove((state_ + "/" + layout::kStatusFileName).c_str()), 0);
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForStatus("t4-mixed", layout::kStateSuccess)) << DaemonLog();
  EXPECT_EQ(Mdevs(), before);
  EXPECT_TRUE(WaitForAdvertised(before)) << DaemonLog();
}

}  // namespace
}  // namespace vgpu::testing
