// The kubelet PodResources v1 side of Kata's cold-plug lookup: `Get` for one
// pod over the kubelet's unix socket, and the "<resource_name>=<device_id>"
// names Kata forms from the answer (containerd-shim-v2 getDeviceSpec). Only
// `containers[].devices` count; dynamic_resources (DRA) are ignored, as Kata
// ignores them. Thread-safe: each call makes its own channel.
#ifndef VGPU_PKG_KATA_POD_RESOURCES_H_
#define VGPU_PKG_KATA_POD_RESOURCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "podresources/v1/api.pb.h"

namespace vgpu::kata {

// Kata's default pod_resource_api_sock.
inline constexpr char kDefaultPodResourcesSocket[] =
    "/var/lib/kubelet/pod-resources/kubelet.sock";

// Qualified names of every device of every container, in answer order,
// without repeats.
std::vector<std::string> PodCdiDeviceNames(const v1::PodResources& pod);

// PodResourcesLister.Get(pod_name, pod_namespace) on unix socket `socket`,
// with a 16 MiB receive limit like Kata. The kubelet's error comes back with
// its gRPC code ("PodResources API Get method disabled", "pod x in namespace
// y not found") prefixed by what was asked; Unavailable when nothing
// listens; DeadlineExceeded after `timeout`.
absl::StatusOr<v1::PodResources> GetPodResources(
    const std::string& socket, const std::string& pod_namespace,
    const std::string& pod_name, absl::Duration timeout = absl::Seconds(10));

}  // namespace vgpu::kata

#endif  // VGPU_PKG_KATA_POD_RESOURCES_H_
