#include "pkg/deviceplugin/snapshot.h"

#include <algorithm>

namespace vgpu::deviceplugin {

std::string SocketName(const std::string& resource_name) {
  std::string name = resource_name;
  std::replace(name.begin(), name.end(), '/', '-');
  return "vgpu-" + name + ".sock";
}

v1beta1::Device ToApiDevice(const resources::PoolDevice& device) {
  v1beta1::Device out;
  out.set_id(device.id);
  out.set_health(device.healthy ? kHealthy : kUnhealthy);
  if (device.numa_node >= 0) {
    out.mutable_topology()->add_nodes()->set_id(device.numa_node);
  }
  return out;
}

v1beta1::ListAndWatchResponse ToListAndWatchResponse(
    const resources::Pool& pool) {
  v1beta1::ListAndWatchResponse response;
  response.mutable_devices()->Reserve(static_cast<int>(pool.devices.size()));
  for (const resources::PoolDevice& device : pool.devices) {
    *response.add_devices() = ToApiDevice(device);
  }
  return response;
}

}  // namespace vgpu::deviceplugin
