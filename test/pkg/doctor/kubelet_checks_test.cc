// The PodResources check (pkg/doctor/kubelet_checks.cc): socket present and
// Get enabled; a disabled Get names the feature gate.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/doctor/doctor.h"
#include "test/pkg/doctor/doctor_fixture.h"

namespace vgpu::doctor {
namespace {

using ::testing::ElementsAre;

constexpr char kSocket[] = "/var/lib/kubelet/pod-resources/kubelet.sock";

std::vector<std::string> Check(const PodResourcesProbe& probe) {
  std::vector<Finding> out;
  CheckPodResources(probe, out);
  return Lines(out);
}

TEST(PodResourcesCheckTest, GetAnsweringNotFoundPasses) {
  EXPECT_THAT(
      Check({kSocket, true,
             absl::NotFoundError("podresources Get vgpuctl-doctor/probe via "
                                 "S: pod probe in namespace vgpuctl-doctor "
                                 "not found")}),
      ElementsAre("PASS  pod-resources           "
                  "/var/lib/kubelet/pod-resources/kubelet.sock answers Get"));
}

TEST(PodResourcesCheckTest, NoSocketFails) {
  EXPECT_THAT(Check({kSocket, false, absl::OkStatus()}),
              ElementsAre("FAIL  pod-resources           no PodResources "
                          "socket at "
                          "/var/lib/kubelet/pod-resources/kubelet.sock: Kata "
                          "cannot learn which devices a pod got. Fix: pass "
                          "--pod-resources-socket (the kubelet's root dir + "
                          "/pod-resources/kubelet.sock) and mount it"));
}

TEST(PodResourcesCheckTest, DisabledGetNamesTheFeatureGate) {
  EXPECT_THAT(
      Check({kSocket, true,
             absl::UnknownError("podresources Get vgpuctl-doctor/probe via "
                                "S: PodResources API Get method disabled")}),
      ElementsAre("FAIL  pod-resources           the kubelet's PodResources "
                  "Get is disabled (feature gate KubeletPodResourcesGet), so "
                  "Kata cold-plugs nothing. Fix: add "
                  "--feature-gates=KubeletPodResourcesGet=true to the kubelet "
                  "(featureGates: {KubeletPodResourcesGet: true} in its "
                  "config) and restart it"));
}

TEST(PodResourcesCheckTest, NothingListeningFails) {
  EXPECT_THAT(
      Check({kSocket, true, absl::UnavailableError("connection refused")}),
      ElementsAre("FAIL  pod-resources           PodResources Get failed: "
                  "connection refused. Fix: check that the kubelet runs and "
                  "that the socket is its pod-resources/kubelet.sock"));
}

}  // namespace
}  // namespace vgpu::doctor
