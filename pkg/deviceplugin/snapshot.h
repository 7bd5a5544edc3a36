// ResourceSnapshot: what one resource advertises at one instant, immutable
// and shared as std::shared_ptr<const ResourceSnapshot>; plus the pure
// conversions to the kubelet API and the socket name of a resource.
#ifndef VGPU_PKG_DEVICEPLUGIN_SNAPSHOT_H_
#define VGPU_PKG_DEVICEPLUGIN_SNAPSHOT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "deviceplugin/v1beta1/api.pb.h"
#include "pkg/resources/pools.h"

namespace vgpu::deviceplugin {

struct ResourceSnapshot {
  resources::Pool pool;
};
using SnapshotPtr = std::shared_ptr<const ResourceSnapshot>;

inline constexpr char kHealthy[] = "Healthy";
inline constexpr char kUnhealthy[] = "Unhealthy";

// The one place socket names come from:
// "nvidia.com/pgpu" -> "vgpu-nvidia.com-pgpu.sock".
std::string SocketName(const std::string& resource_name);

// Device -> v1beta1::Device; TopologyInfo only when numa_node >= 0.
v1beta1::Device ToApiDevice(const resources::PoolDevice& device);
// Every device of the pool, in pool order.
v1beta1::ListAndWatchResponse ToListAndWatchResponse(
    const resources::Pool& pool);

}  // namespace vgpu::deviceplugin

#endif  // VGPU_PKG_DEVICEPLUGIN_SNAPSHOT_H_
