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
  bool iommufd = false;  // vfio_nodes are vfio cdevs, not group nodes.
  std::vector<int> iommu_groups;
  std::string mdev_uuid;     // kMdev only.
  std::string physical_gpu;  // BDF of the physical GPU (PF) behind it.
  std::string pcie_switch;   // BDF of the upstream switch port, "" if none.
  std::string model;         // Human model name for logs/metrics.
};

struct Pool {
  std::string resource_name;        // "nvidia.com/pgpu"
  std::vector<PoolDevice> devices;  // By id.
  const PoolDevice* Find(const std::string& id) const;
};

struct PoolSet {
  std::vector<Pool> pools;  // By resource name.
  bool iommufd = false;     // Some device's handles are vfio cdevs.
  // Devices seen but not advertised, and why (e.g. bound to a host driver,
  // no default resource domain for the vendor), by object; for logs.
  std::vector<inventory::Problem> skipped;
  const Pool* Find(const std::string& resource_name) const;
};

// Builds every pool. InvalidArgument when a configured or derived resource
// name is not a valid extended resource name. The rules, in order:
// - Devices: one per PassthroughUnit (kNvSwitch for NVSwitch units), except
//   units whose primary function is bound to a host driver (not
//   PciFunction::on_vfio_driver, as discovery decided it) or
//   serves vGPU (mdev parent, NVIDIA vGPU VF, PF of such VFs); one per NVIDIA
//   VF with nvidia_vgpu->current_type != 0 (kVfVgpu); one per mdev (kMdev).
// - Name: the first config rule that matches, else the default: vendor
//   domain (10de nvidia.com, 1002 amd.com, 8086 intel.com, 1da3 habana.ai)
//   + "/pgpu", "/nvswitch" or "/vgpu", or with Naming::kPerModel the
//   sanitized pci.ids device name (vGPU: type name). A device with no rule
//   and no vendor domain is skipped. For vGPUs, vendor/device/bdfs
//   selectors also see the physical GPU (PF / mdev parent).
// - Handles: cdevs "/dev/vfio/devices/vfioN" per endpoint when
//   inventory.iommufd and every endpoint has a vfio cdev; else
//   "/dev/vfio/<group>" once per group. An mdev always uses its group node.
// - Health: Unhealthy (still advertised) when the unit is not viable, a
//   function has no IOMMU group, a VF is unbound, or a handle's node is not
//   in inventory.vfio_group_nodes / vfio_cdev_nodes; the reason says which.
// - pcie_switch: parent_bridges[size-2] when there are >= 3 upstream
//   bridges (root port, switch upstream port, downstream port, ...): the
//   upstream port of the nearest switch; "" otherwise.
absl::StatusOr<PoolSet> BuildPools(const inventory::Inventory& inventory,
                                   const config::Config& config);

// The payload type URL of a request error's reason, a snake_case word:
// ResolveRequest's "empty_request", "unknown_device", "duplicate_device",
// "unhealthy_device"; kata::BuildContainerResponse's "no_vfio_handle".
inline constexpr char kRequestErrorReasonUrl[] =
    "vgpu-device-plugin/request-error-reason";

// The devices `ids` name in `pool`, in request order: the one check of a
// request's device IDs. InvalidArgument when `ids` is empty, an ID is
// unknown or repeated; FailedPrecondition when a device is unhealthy. The
// message names the ID and the resource; the reason is the payload at
// kRequestErrorReasonUrl.
absl::StatusOr<std::vector<const PoolDevice*>> ResolveRequest(
    const Pool& pool, const std::vector<std::string>& ids);

}  // namespace vgpu::resources

#endif  // VGPU_PKG_RESOURCES_POOLS_H_
