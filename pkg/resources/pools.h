// Resource pools: Inventory x Config -> the devices each kubelet resource
// advertises. Pure: values in, values out; no I/O. Every device is in
// exactly one pool. Device IDs are stable across restarts: a passthrough
// unit is the BDF of its primary function, an mdev its UUID, an NVIDIA VF
// vGPU the VF's BDF.
#ifndef VGPU_PKG_RESOURCES_POOLS_H_
#define VGPU_PKG_RESOURCES_POOLS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkg/config/config.h"
#include "pkg/inventory/inventory.h"

namespace vgpu::resources {

enum class DeviceType { kPassthrough, kNvSwitch, kMdev, kVfVgpu };

struct PoolDevice {
  std::string id;
  DeviceType type = DeviceType::kPassthrough;
  bool healthy = false;
  std::string unhealthy_reason;  // "" when healthy.
  int numa_node = -1;            // -1 = omit TopologyInfo.
  // Endpoint functions handed to the VM (BDFs), primary first. For an mdev,
  // empty (the mdev has no BDF of its own).
  std::vector<std::string> bdfs;
  // The VFIO handles, host path = container path: "/dev/vfio/25" (legacy,
  // once per group) or "/dev/vfio/devices/vfio3" (iommufd, one per function).
  std::vector<std::string> vfio_nodes;
  std::vector<int> iommu_groups;
  std::string mdev_uuid;       // kMdev only.
  std::string physical_gpu;    // BDF of the physical GPU (PF) behind it.
  std::string pcie_switch;     // BDF of the upstream switch port, "" if none.
  std::string model;           // Human model name for logs/metrics.
};

struct Pool {
  std::string resource_name;  // "nvidia.com/pgpu"
  std::vector<PoolDevice> devices;  // By id.
  const PoolDevice* Find(const std::string& id) const;
};

struct PoolSet {
  std::vector<Pool> pools;  // By resource name.
  bool iommufd = false;     // Handles are vfio cdevs.
  const Pool* Find(const std::string& resource_name) const;
};

// Builds every pool. InvalidArgument when a configured or derived resource
// name is not a valid extended resource name.
absl::StatusOr<PoolSet> BuildPools(const inventory::Inventory& inventory,
                                   const config::Config& config);

}  // namespace vgpu::resources

#endif  // VGPU_PKG_RESOURCES_POOLS_H_
