#include "pkg/daemon/pool_diff.h"

#include <map>

namespace vgpu::daemon {
namespace {

using DeviceMap =
    std::map<std::string, std::map<std::string, const resources::PoolDevice*>>;

DeviceMap Index(const resources::PoolSet& set) {
  DeviceMap out;
  for (const resources::Pool& pool : set.pools) {
    auto& devices = out[pool.resource_name];
    for (const resources::PoolDevice& d : pool.devices) devices[d.id] = &d;
  }
  return out;
}

}  // namespace

bool SameDevice(const resources::PoolDevice& a,
                const resources::PoolDevice& b) {
  return a.id == b.id && a.type == b.type && a.healthy == b.healthy &&
         a.unhealthy_reason == b.unhealthy_reason &&
         a.numa_node == b.numa_node && a.bdfs == b.bdfs &&
         a.vfio_nodes == b.vfio_nodes && a.iommu_groups == b.iommu_groups &&
         a.mdev_uuid == b.mdev_uuid && a.physical_gpu == b.physical_gpu &&
         a.pcie_switch == b.pcie_switch && a.model == b.model;
}

bool SamePools(const resources::PoolSet& a, const resources::PoolSet& b) {
  if (a.iommufd != b.iommufd || a.pools.size() != b.pools.size()) {
    return false;
  }
  for (size_t i = 0; i < a.pools.size(); ++i) {
    const resources::Pool& pa = a.pools[i];
    const resources::Pool& pb = b.pools[i];
    if (pa.resource_name != pb.resource_name ||
        pa.devices.size() != pb.devices.size()) {
      return false;
    }
    for (size_t j = 0; j < pa.devices.size(); ++j) {
      if (!SameDevice(pa.devices[j], pb.devices[j])) return false;
    }
  }
  return true;
}

std::vector<DeviceChange> DiffPools(const resources::PoolSet& before,
                                    const resources::PoolSet& after) {
  using Kind = DeviceChange::Kind;
  DeviceMap old_index = Index(before);
  DeviceMap new_index = Index(after);
  std::vector<DeviceChange> changes;
  for (const auto& [resource, devices] : new_index) {
    const auto& old_devices = old_index[resource];
    for (const auto& [id, d] : devices) {
      auto it = old_devices.find(id);
      if (it == old_devices.end()) {
        changes.push_back(
            {Kind::kAdded, resource, id, d->unhealthy_reason, d->healthy});
      } else if (it->second->healthy != d->healthy ||
                 it->second->unhealthy_reason != d->unhealthy_reason) {
        changes.push_back(
            {d->healthy ? Kind::kBecameHealthy : Kind::kBecameUnhealthy,
             resource, id, d->unhealthy_reason, d->healthy});
      }
    }
  }
  for (const auto& [resource, devices] : old_index) {
    const auto& new_devices = new_index[resource];
    for (const auto& [id, d] : devices) {
      if (new_devices.count(id) == 0) {
        changes.push_back({Kind::kRemoved, resource, id, "", false});
      }
    }
  }
  return changes;
}

bool IsWarning(const DeviceChange& change) {
  return change.kind == DeviceChange::Kind::kRemoved || !change.healthy;
}

}  // namespace vgpu::daemon
