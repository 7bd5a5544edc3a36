// The apply loop against a SimHost tree whose writes act like the kernel's
// (KernelWrites): convergence, idempotence, a changed layout, a "reboot",
// in-use and hand-made vGPUs, kernel errors, the lock, and the intent
// recorded before each write.
#include "pkg/layout/apply.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/local_file.h"
#include "pkg/layout/uuid.h"
#include "test/pkg/layout/kernel_writes.h"
#include "test/pkg/layout/profile_host.h"
#include "test/testing/status_matchers.h"

namespace vgpu::layout {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

constexpr char kHand1[] = "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01";

class ApplyTest : public ::testing::Test {
 protected:
  void Build(const std::string& profile) {
    host_ = std::make_unique<ProfileHost>(profile);
    ASSERT_TRUE(host_->ok());
    kernel_ = std::make_unique<KernelWrites>(host_->sysfs(), host_->host());
    absl::StatusOr<StateDir> dir = StateDir::Open(host_->dir() + "/state");
    ASSERT_THAT(dir, IsOk());
    state_ = std::make_unique<StateDir>(*std::move(dir));
  }
  void SetLayout(const std::string& entries) {
    absl::StatusOr<config::VgpuLayouts> l = config::ParseVgpuConfigFile(
        "version: v1\nvgpu-configs:\n  x:\n" + entries);
    ASSERT_THAT(l, IsOk());
    options_.layout = "x";
    options_.layouts = *l;
  }
  ApplyResult Run() {
    absl::StatusOr<ApplyResult> r = Apply(*kernel_, *state_, options_);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *std::move(r) : ApplyResult{};
  }
  int Mdevs() { return static_cast<int>(host_->Discover().mdevs.size()); }

  std::unique_ptr<ProfileHost> host_;
  std::unique_ptr<KernelWrites> kernel_;
  std::unique_ptr<StateDir> state_;
  ApplyOptions options_;
};

TEST_F(ApplyTest, T4ConvergesThenDoesNothing) {
  Build("t4-vgpu");
  SetLayout(R"(    - devices: [0]
      vgpu-devices: {"T4-1Q": 16}
    - devices: [1]
      vgpu-devices: {"GRID T4-4Q": 4}
)");
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  EXPECT_EQ(r.steps.size(), 18u);
  EXPECT_EQ(Mdevs(), 20);
  absl::StatusOr<OwnershipState> owned = state_->Load();
  ASSERT_THAT(owned, IsOk());
  EXPECT_EQ(owned->by_device.size(), 18u);
  EXPECT_EQ(owned->by_device.count(kHand1), 0u);

  ApplyResult again = Run();
  EXPECT_EQ(again.outcome, ApplyOutcome::kConverged);
  EXPECT_TRUE(again.steps.empty());
}

TEST_F(ApplyTest, ChangedLayoutTouchesOnlyWhatNoLongerMatches) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-4Q\": 4}\n");
  ASSERT_EQ(Run().outcome, ApplyOutcome::kConverged);
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-4Q\": 2}\n");
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  ASSERT_EQ(r.steps.size(), 2u);
  for (const StepResult& s : r.steps) {
    EXPECT_EQ(s.action.kind, ActionKind::kRemoveMdev);
  }
  inventory::Inventory inv = host_->Discover();
  EXPECT_NE(inv.FindMdev(MdevUuid("0000:d8:00.0", "nvidia-232", 0)), nullptr);
  EXPECT_NE(inv.FindMdev(MdevUuid("0000:d8:00.0", "nvidia-232", 1)), nullptr);
  EXPECT_NE(inv.FindMdev(kHand1), nullptr);  // Hand-made, other GPU.
  // The other type now fits, once the GPU is empty of ours.
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-2Q\": 3}\n");
  r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  EXPECT_EQ(r.steps.size(), 5u);  // 2 removes, 3 creates.
}

TEST_F(ApplyTest, RebootBringsBackTheSameUuids) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-8Q\": 2}\n");
  ASSERT_EQ(Run().outcome, ApplyOutcome::kConverged);
  const std::string a = MdevUuid("0000:d8:00.0", "nvidia-233", 0);
  const std::string b = MdevUuid("0000:d8:00.0", "nvidia-233", 1);
  // "Reboot": the instances vanish without any remove; the state stays.
  ASSERT_THAT(host_->host().RemoveMdev(a), IsOk());
  ASSERT_THAT(host_->host().RemoveMdev(b), IsOk());
  ASSERT_THAT(
      host_->host().SetAvailableInstances("0000:d8:00.0", "nvidia-233", 2),
      IsOk());
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].action.device, a);
  EXPECT_EQ(r.steps[1].action.device, b);
}

TEST_F(ApplyTest, InUseAndHandMadeAreLeftAndReportedBlocked) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-8Q\": 2}\n");
  ASSERT_EQ(Run().outcome, ApplyOutcome::kConverged);
  const std::string held = MdevUuid("0000:d8:00.0", "nvidia-233", 1);
  const inventory::Inventory inventory = host_->Discover();
  const inventory::MdevDevice* m = inventory.FindMdev(held);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->iommu_group.has_value());
  ASSERT_THAT(host_->host().SymlinkRaw(
                  "proc/900/fd/5", absl::StrCat("/dev/vfio/", *m->iommu_group)),
              IsOk());
  SetLayout(R"(    - devices: all
      vgpu-devices: {}
)");
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kBlocked);
  ASSERT_EQ(r.steps.size(), 1u);  // The free one of ours.
  int blocked = 0;
  for (const Action& a : r.final_plan) {
    if (a.kind != ActionKind::kBlocked) continue;
    ++blocked;
    if (a.device == held) {
      EXPECT_THAT(a.reason, HasSubstr("in use: removed once free (open by "
                                      "pid 900)"));
    } else {
      EXPECT_THAT(a.reason, HasSubstr("not created by us"));
    }
  }
  EXPECT_EQ(blocked, 3);  // The held one and the two hand-made.
  EXPECT_NE(host_->Discover().FindMdev(held), nullptr);
  EXPECT_NE(host_->Discover().FindMdev(kHand1), nullptr);
}

TEST_F(ApplyTest, KernelErrorComesBackWithErrnoAndPathAndNothingRecorded) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-16Q\": 1}\n");
  const std::string path =
      "sys/class/mdev_bus/0000:d8:00.0/mdev_supported_types/nvidia-234/create";
  kernel_->Fail(path, ENOSPC);
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kError);
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(StatusErrno(r.steps[0].status), ENOSPC);
  EXPECT_THAT(r.steps[0].status.message(), HasSubstr(path));
  absl::StatusOr<OwnershipState> owned = state_->Load();
  ASSERT_THAT(owned, IsOk());
  EXPECT_TRUE(owned->by_device.empty());
  EXPECT_EQ(Run().outcome, ApplyOutcome::kConverged);  // Next time it fits.
}

TEST_F(ApplyTest, IntentIsRecordedBeforeEachCreate) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-16Q\": 1}\n");
  const std::string uuid = MdevUuid("0000:d8:00.0", "nvidia-234", 0);
  std::string at_write;
  kernel_->on_write = [&](const std::string&) {
    absl::StatusOr<std::string> text =
        ReadLocalFile(state_->dir() + "/" + kStateFileName);
    at_write = text.ok() ? *text : "";
  };
  ASSERT_EQ(Run().outcome, ApplyOutcome::kConverged);
  EXPECT_THAT(at_write, HasSubstr(absl::StrCat("creating mdev ", uuid)));
  absl::StatusOr<std::string> after =
      ReadLocalFile(state_->dir() + "/" + kStateFileName);
  ASSERT_THAT(after, IsOk());
  EXPECT_THAT(*after, HasSubstr(absl::StrCat("created mdev ", uuid)));
}

TEST_F(ApplyTest, OneStepAtATimeForTheDaemon) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-8Q\": 2}\n");
  options_.max_steps = 1;
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kInProgress);
  EXPECT_EQ(r.steps.size(), 1u);
  EXPECT_TRUE(HasChanges(r.final_plan));
  r = Run();  // The second write, then it sees nothing left.
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged);
  EXPECT_EQ(r.steps.size(), 1u);
  r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged);
  EXPECT_TRUE(r.steps.empty());
}

TEST_F(ApplyTest, OneRunAtATimeForTheDaemon) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-8Q\": 2}\n");
  options_.max_runs = 1;
  ApplyResult r = Run();  // Both creations come from one plan: one run.
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged);
  EXPECT_EQ(r.steps.size(), 2u);
  r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged);
  EXPECT_TRUE(r.steps.empty());
}

TEST_F(ApplyTest, OnePlansRemovalsAreOneRun) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-4Q\": 4}\n");
  ASSERT_EQ(Run().outcome, ApplyOutcome::kConverged);
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-4Q\": 1}\n");
  options_.max_runs = 1;
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  ASSERT_EQ(r.steps.size(), 3u);
  for (const StepResult& s : r.steps) {
    EXPECT_EQ(s.action.kind, ActionKind::kRemoveMdev);
    EXPECT_THAT(s.status, IsOk());
  }
  absl::StatusOr<OwnershipState> owned = state_->Load();
  ASSERT_THAT(owned, IsOk());
  EXPECT_EQ(owned->by_device.size(), 1u);  // The removed ones forgotten.
}

TEST_F(ApplyTest, RemovalRefusedWithinARunObservesAgainAndGoesOn) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-4Q\": 4}\n");
  ASSERT_EQ(Run().outcome, ApplyOutcome::kConverged);
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"T4-4Q\": 1}\n");
  // The run's second removal is refused once (a VM opened it meanwhile):
  // the first stays done, the applier observes again and removes the rest.
  absl::StatusOr<OwnershipState> owned = state_->Load();
  ASSERT_THAT(owned, IsOk());
  absl::StatusOr<Observation> seen = ObserveAndPlan(*kernel_, options_, *owned);
  ASSERT_THAT(seen, IsOk());
  std::vector<std::string> removals;
  for (const Action& a : seen->plan) {
    if (a.kind == ActionKind::kRemoveMdev) removals.push_back(a.path);
  }
  ASSERT_EQ(removals.size(), 3u);
  kernel_->Fail(removals[1], EBUSY);
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  ASSERT_EQ(r.steps.size(), 4u);  // 1 ok, 1 refused, then 2 more.
  EXPECT_EQ(StatusErrno(r.steps[1].status), EBUSY);
  owned = state_->Load();
  ASSERT_THAT(owned, IsOk());
  EXPECT_EQ(owned->by_device.size(), 1u);
  EXPECT_EQ(Run().steps.size(), 0u);
}

TEST_F(ApplyTest, MdevParentThatIsNotPciConvergesThenDoesNothing) {
  Build("mdev-virtual");
  SetLayout("    - mdevParents: [mtty]\n      vgpu-devices: {mtty-1: 2}\n");
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  ASSERT_EQ(r.steps.size(), 2u);
  inventory::Inventory inv = host_->Discover();
  for (int slot : {0, 1}) {
    const inventory::MdevDevice* m =
        inv.FindMdev(MdevUuid("mtty", "mtty-1", slot));
    ASSERT_NE(m, nullptr) << slot;
    EXPECT_EQ(m->parent, "mtty");
  }
  EXPECT_TRUE(Run().steps.empty());
  // Shrunk: ours goes, the hand-made mbochs instance stays.
  SetLayout("    - mdevParents: [mtty]\n      vgpu-devices: {mtty-1: 1}\n");
  r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(r.steps[0].action.kind, ActionKind::kRemoveMdev);
  EXPECT_EQ(Mdevs(), 2);
}

TEST_F(ApplyTest, LockHeldRefusesASecondApplier) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {}\n");
  absl::StatusOr<StateLock> held = state_->Lock();
  ASSERT_THAT(held, IsOk());
  EXPECT_THAT(Apply(*kernel_, *state_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ApplyTest, UnknownTypeFailsBeforeAnyWrite) {
  Build("t4-vgpu");
  SetLayout("    - devices: [1]\n      vgpu-devices: {\"A10-4Q\": 1}\n");
  EXPECT_THAT(Apply(*kernel_, *state_, options_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("offers no vGPU type \"A10-4Q\"")));
  EXPECT_TRUE(kernel_->writes.empty());
}

TEST_F(ApplyTest, AmpereAndAdaConverge) {
  Build("a100-sriov");
  SetLayout(R"(    - device-filter: "0x20F110DE"
      vgpu-devices: {"A100-4C": 10}
)");
  ApplyResult r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  EXPECT_EQ(r.steps.size(), 8u);
  EXPECT_EQ(Mdevs(), 10);

  Build("ada-vf-vgpu");
  SetLayout("    - devices: [0]\n      vgpu-devices: {\"L40S-2Q\": 8}\n");
  r = Run();
  EXPECT_EQ(r.outcome, ApplyOutcome::kConverged) << r.error;
  EXPECT_EQ(r.steps.size(), 6u);
  EXPECT_EQ(Run().steps.size(), 0u);
}

}  // namespace
}  // namespace vgpu::layout
