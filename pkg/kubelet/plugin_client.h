// The client side of a device plugin's own socket, as the kubelet dials it:
// what a plugin advertises, read by `vgpuctl doctor` (is every device the
// CDI specs name advertised, and the other way round).
#ifndef VGPU_PKG_KUBELET_PLUGIN_CLIENT_H_
#define VGPU_PKG_KUBELET_PLUGIN_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vgpu::kubelet {

// The device IDs of the first ListAndWatch answer on plugin socket `socket`
// (a plugin answers at once with its full list), then the stream is
// cancelled. Errors keep the RPC's code, prefixed "ListAndWatch via SOCKET:
// ": Unavailable when nothing listens or the stream ends unanswered,
// DeadlineExceeded after `timeout`.
absl::StatusOr<std::vector<std::string>> FirstListAndWatch(
    const std::string& socket, absl::Duration timeout = absl::Seconds(2));

}  // namespace vgpu::kubelet

#endif  // VGPU_PKG_KUBELET_PLUGIN_CLIENT_H_
