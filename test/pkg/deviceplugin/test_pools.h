// Hand-made pools for the deviceplugin tests.
#ifndef VGPU_TEST_PKG_DEVICEPLUGIN_TEST_POOLS_H_
#define VGPU_TEST_PKG_DEVICEPLUGIN_TEST_POOLS_H_

#include <memory>
#include <string>

#include "pkg/deviceplugin/snapshot.h"
#include "pkg/resources/pools.h"

namespace vgpu::deviceplugin {

inline resources::PoolDevice Gpu(const std::string& bdf, int group, int numa,
                                 bool healthy = true) {
  resources::PoolDevice d;
  d.id = bdf;
  d.type = resources::DeviceType::kPassthrough;
  d.healthy = healthy;
  d.unhealthy_reason =
      healthy ? "" : "group " + std::to_string(group) + " not viable";
  d.numa_node = numa;
  d.bdfs = {bdf};
  d.vfio_nodes = {"/dev/vfio/" + std::to_string(group)};
  d.iommu_groups = {group};
  d.physical_gpu = bdf;
  d.model = "GA102GL [RTX A6000]";
  return d;
}

// nvidia.com/pgpu: 0000:41:00.0 (numa 0), 0000:42:00.0 (numa 1),
// 0000:61:00.0 (unhealthy, no numa).
inline resources::Pool PgpuPool() {
  resources::Pool pool;
  pool.resource_name = "nvidia.com/pgpu";
  pool.devices = {Gpu("0000:41:00.0", 24, 0), Gpu("0000:42:00.0", 25, 1),
                  Gpu("0000:61:00.0", 30, -1, /*healthy=*/false)};
  return pool;
}

inline SnapshotPtr Snap(resources::Pool pool) {
  return std::make_shared<const ResourceSnapshot>(
      ResourceSnapshot{std::move(pool)});
}

}  // namespace vgpu::deviceplugin

#endif  // VGPU_TEST_PKG_DEVICEPLUGIN_TEST_POOLS_H_
