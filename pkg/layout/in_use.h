// Which vGPUs are in use, so the planner never removes or resets them: a
// vGPU is in use if the kubelet allocated it to a pod (device IDs the
// caller gives, from PodResources List) or if any process holds its VFIO
// node open: `/dev/vfio/<group>` of its IOMMU group, or its
// `/dev/vfio/devices/vfioN`, among the `proc/<pid>/fd/*` links under the
// host root. A link matches in either form a process sees: the node's path
// on the host ("/dev/vfio/12") or under the host root
// ("<root>/dev/vfio/12", a process that opened it through the root). Reads only
// through the Sysfs boundary (rooted at the host root, "/" in production).
// Thread-compatible.
#ifndef VGPU_PKG_LAYOUT_IN_USE_H_
#define VGPU_PKG_LAYOUT_IN_USE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkg/inventory/inventory.h"
#include "pkg/layout/plan.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::layout {

struct InUse {
  DeviceSet devices;  // mdev UUIDs and VF addresses in use.
  // Why each is in use: "allocated to a pod", "open by pid 4242".
  std::map<std::string, std::string> why;
  // Processes whose fds could not be read (not gone: a permission error).
  // When non-empty the caller cannot know what is free: treat every vGPU as
  // in use (FindInUse does so).
  std::vector<std::string> unreadable;
};

// The VFIO node paths (absolute, as /proc fd links show them) of each vGPU
// of `inventory`: device ID -> paths.
std::map<std::string, std::vector<std::string>> VfioNodesOfVgpus(
    const inventory::Inventory& inventory);

// Scans proc/*/fd under the host root. A process that exits mid-scan is
// skipped; one whose fds cannot be read is listed in `unreadable`, and then
// every vGPU is reported in use ("cannot read the fds of pid N"). A host
// root without proc/ (a simulated host) has no processes; errors only when
// proc/ exists and cannot be listed.
absl::StatusOr<InUse> FindInUse(sysfs::Sysfs& host,
                                const inventory::Inventory& inventory,
                                const DeviceSet& allocated);

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_IN_USE_H_
