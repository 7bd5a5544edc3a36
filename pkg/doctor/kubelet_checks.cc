// The kubelet's PodResources socket, which Kata asks at sandbox creation
// (docs/kata.md §5 step 1).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pkg/doctor/doctor.h"

namespace vgpu::doctor {

void CheckPodResources(const PodResourcesProbe& probe,
                       std::vector<Finding>& out) {
  const char* check = "pod-resources";
  if (!probe.present) {
    out.push_back({Verdict::kFail, check,
                   absl::StrCat("no PodResources socket at ", probe.socket,
                                ": Kata cannot learn which devices a pod got."),
                   "pass --pod-resources-socket (the kubelet's root dir + "
                   "/pod-resources/kubelet.sock) and mount it"});
    return;
  }
  const absl::Status& get = probe.get;
  if (get.ok() || absl::IsNotFound(get) ||
      absl::StrContains(get.message(), "not found")) {
    out.push_back({Verdict::kPass, check,
                   absl::StrCat(probe.socket, " answers Get"), ""});
    return;
  }
  // The kubelet answers "PodResources API Get method disabled" while its
  // feature gate KubeletPodResourcesGet is off.
  if (absl::StrContains(get.message(), "Get method disabled") ||
      absl::IsUnimplemented(get)) {
    out.push_back(
        {Verdict::kFail, check,
         absl::StrCat("the kubelet's PodResources Get is disabled (feature "
                      "gate KubeletPodResourcesGet), so Kata cold-plugs "
                      "nothing."),
         "add --feature-gates=KubeletPodResourcesGet=true to the kubelet "
         "(featureGates: {KubeletPodResourcesGet: true} in its config) and "
         "restart it"});
    return;
  }
  out.push_back({Verdict::kFail, check,
                 absl::StrCat("PodResources Get failed: ", get.message(), "."),
                 "check that the kubelet runs and that the socket is its "
                 "pod-resources/kubelet.sock"});
}

}  // namespace vgpu::doctor
