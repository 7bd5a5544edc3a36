// The one kubelet PodResources v1 client: `Get` for one pod (the cold-plug
// plan, as Kata asks at sandbox creation; the kubelet emulator) and `List`
// (the metrics poller), each over the kubelet's unix socket. Thread-safe:
// each call makes its own channel, since the kubelet re-creates its socket
// when it restarts and a call every few seconds can afford the connect.
#ifndef VGPU_PKG_KUBELET_POD_RESOURCES_H_
#define VGPU_PKG_KUBELET_POD_RESOURCES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "podresources/v1/api.pb.h"

namespace vgpu::kubelet {

// The kubelet's (and Kata's default pod_resource_api_sock) socket.
inline constexpr char kDefaultPodResourcesSocket[] =
    "/var/lib/kubelet/pod-resources/kubelet.sock";

// PodResourcesLister.Get(pod_name, pod_namespace) on unix socket `socket`,
// with a 16 MiB receive limit like Kata. The kubelet's error comes back with
// its gRPC code ("PodResources API Get method disabled", "pod x in namespace
// y not found") prefixed by what was asked ("podresources Get ns/pod via
// SOCKET: "); Unavailable when nothing listens; DeadlineExceeded after
// `timeout`.
absl::StatusOr<v1::PodResources> GetPodResources(
    const std::string& socket, const std::string& pod_namespace,
    const std::string& pod_name, absl::Duration timeout = absl::Seconds(10));

// PodResourcesLister.List on unix socket `socket` (16 MiB receive limit).
// Errors as for GetPodResources, prefixed "podresources List via SOCKET: ".
absl::StatusOr<v1::ListPodResourcesResponse> ListPodResources(
    const std::string& socket, absl::Duration timeout = absl::Seconds(10));

}  // namespace vgpu::kubelet

#endif  // VGPU_PKG_KUBELET_POD_RESOURCES_H_
