// The daemon's layout controller against a SimHost tree whose writes act
// like the kernel's (test/pkg/layout/kernel_writes.h): one step per round
// (the creations one plan holds, or its removals),
// withdrawal before removal, nothing removed when the kubelet cannot be
// asked, the status file and the NFD feature file.
#include "pkg/daemon/layout_reconciler.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/local_file.h"
#include "test/pkg/layout/kernel_writes.h"
#include "test/pkg/layout/profile_host.h"
#include "test/testing/status_matchers.h"

namespace vgpu::daemon {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;

config::VgpuLayouts Layouts() {
  absl::StatusOr<config::VgpuLayouts> l = config::ParseVgpuConfigFile(R"(
version: v1
vgpu-configs:
  four:
    - devices: all
      vgpu-devices: {"T4-4Q": 4}
  one:
    - devices: all
      vgpu-devices: {"T4-4Q": 1}
)");
  EXPECT_THAT(l, IsOk());
  return l.ok() ? *l : config::VgpuLayouts();
}

class LayoutReconcilerTest : public ::testing::Test {
 protected:
  void Make(const std::string& pod_resources_socket = "") {
    ASSERT_TRUE(host_.ok());
    LayoutReconcilerOptions options;
    options.state_dir = host_.dir() + "/state";
    options.pod_resources_socket = pod_resources_socket;
    options.node_feature_file = host_.dir() + "/features";
    auto r = LayoutReconciler::Create(kernel_, options, nullptr);
    ASSERT_THAT(r, IsOk());
    reconciler_ = *std::move(r);
  }
  // Rounds until none is left to do; the number of writes (and of rounds
  // that wrote, in `rounds`).
  int Converge(const layout::DeviceSet& advertised, int* rounds = nullptr) {
    const size_t before = kernel_.writes.size();
    int wrote = 0;
    for (int i = 0; i < 100; ++i) {
      ReconcileRound r = reconciler_->Reconcile(advertised);
      if (r.wrote) ++wrote;
      if (!r.more) break;
    }
    if (rounds != nullptr) *rounds = wrote;
    return static_cast<int>(kernel_.writes.size() - before);
  }
  std::string StatusText() {
    absl::StatusOr<std::string> text =
        ReadLocalFile(host_.dir() + "/state/" + layout::kStatusFileName);
    return text.ok() ? *text : "";
  }

  layout::ProfileHost host_{"t4-empty"};
  layout::KernelWrites kernel_{host_.sysfs(), host_.host()};
  std::unique_ptr<LayoutReconciler> reconciler_;
};

TEST_F(LayoutReconcilerTest, OnePlansCreationsInOneRound) {
  ASSERT_NO_FATAL_FAILURE(Make());
  reconciler_->SetLayout("four", Layouts());
  int rounds = 0;
  EXPECT_EQ(Converge({}, &rounds), 8);
  EXPECT_EQ(rounds, 1);  // 8 creations planned from one observation.
  EXPECT_EQ(host_.Discover().mdevs.size(), 8u);
  ReconcileRound again = reconciler_->Reconcile({});
  EXPECT_TRUE(again.converged);
  EXPECT_FALSE(again.wrote);
  EXPECT_THAT(StatusText(), HasSubstr("\"state\": \"success\""));
  absl::StatusOr<std::string> labels = ReadLocalFile(host_.dir() + "/features");
  ASSERT_THAT(labels, IsOk());
  EXPECT_THAT(*labels, HasSubstr("vgpu-device-plugin.layout=four\n"
                                 "vgpu-device-plugin.layout.state=success\n"
                                 "vgpu-device-plugin.type.T4-4Q=8\n"));
}

TEST_F(LayoutReconcilerTest, WithdrawsBeforeItRemoves) {
  ASSERT_NO_FATAL_FAILURE(Make());
  reconciler_->SetLayout("four", Layouts());
  Converge({});
  layout::DeviceSet advertised;
  for (const auto& m : host_.Discover().mdevs) advertised.insert(m.uuid);
  reconciler_->SetLayout("one", Layouts());
  // Advertised: withdrawn first, nothing removed.
  ReconcileRound first = reconciler_->Reconcile(advertised);
  EXPECT_TRUE(first.withdrawn_changed);
  EXPECT_FALSE(first.wrote);
  EXPECT_EQ(reconciler_->withdrawn().size(), 6u);
  EXPECT_THAT(StatusText(), HasSubstr("still advertised: withdrawn first"));
  // Published without them: removed, all in one round (one plan's).
  for (const std::string& d : reconciler_->withdrawn()) advertised.erase(d);
  int rounds = 0;
  EXPECT_EQ(Converge(advertised, &rounds), 6);
  EXPECT_EQ(rounds, 1);
  EXPECT_EQ(host_.Discover().mdevs.size(), 2u);
  EXPECT_TRUE(reconciler_->Reconcile(advertised).converged);
  EXPECT_TRUE(reconciler_->withdrawn().empty());
}

TEST_F(LayoutReconcilerTest, NothingRemovedWhenTheKubeletCannotBeAsked) {
  ASSERT_NO_FATAL_FAILURE(Make(host_.dir() + "/absent.sock"));
  reconciler_->SetLayout("four", Layouts());
  Converge({});
  reconciler_->SetLayout("one", Layouts());
  EXPECT_EQ(Converge({}), 0);
  EXPECT_EQ(host_.Discover().mdevs.size(), 8u);
  EXPECT_THAT(StatusText(), HasSubstr("the kubelet cannot be asked"));
}

TEST_F(LayoutReconcilerTest, CheckNamesWhatNoGpuOffers) {
  ASSERT_NO_FATAL_FAILURE(Make());
  config::VgpuLayouts bad = Layouts();
  bad["four"][0].vgpu_devices = {{"A100-4C", 1}};
  EXPECT_THAT(reconciler_->Check("four", bad).message(),
              HasSubstr("offers no vGPU type \"A100-4C\""));
  EXPECT_THAT(reconciler_->Check("four", Layouts()), IsOk());
  EXPECT_FALSE(reconciler_->Check("nope", Layouts()).ok());
}

TEST(FeatureFileTextTest, LabelSafeNamesAndValues) {
  layout::LayoutStatus s;
  s.layout = "my layout/1";
  s.state = layout::kStatePending;
  s.counts = {{"GRID T4-4Q", 3}, {"NVIDIA A10-4Q", 2}, {"GVTg_V5_4", 1}};
  EXPECT_EQ(FeatureFileText(s),
            "# vgpu-device-plugin: the vGPU layout of this node "
            "(docs/vgpu-layouts.md)\n"
            "vgpu-device-plugin.layout=my-layout-1\n"
            "vgpu-device-plugin.layout.state=pending\n"
            "vgpu-device-plugin.type.A10-4Q=2\n"
            "vgpu-device-plugin.type.GVTg_V5_4=1\n"
            "vgpu-device-plugin.type.T4-4Q=3\n");
}

}  // namespace
}  // namespace vgpu::daemon
