// UpdateVfioNodes(): the part of a discovery an inotify event on dev/vfio or
// dev/vfio/devices concerns, re-read alone. A health change is a VFIO node
// appearing or vanishing; re-reading that node, and checking that the
// functions and mdevs of its IOMMU group are as the last inventory recorded
// them, gives the inventory a full Discover() would, at a cost independent
// of the host's size. What it cannot decide from those reads it refuses, and
// the caller discovers the whole host. Thread-compatible.
#ifndef VGPU_PKG_INVENTORY_INCREMENTAL_H_
#define VGPU_PKG_INVENTORY_INCREMENTAL_H_

#include <string>
#include <tuple>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "pkg/inventory/inventory.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::inventory {

// An entry of dev/vfio (a group node "N", or "vfio", the legacy container)
// or of dev/vfio/devices (a cdev "vfioN") that was created or deleted.
struct VfioNodeEvent {
  enum class Dir { kGroups, kCdevs };  // dev/vfio, dev/vfio/devices.
  Dir dir = Dir::kGroups;
  std::string name;

  bool operator<(const VfioNodeEvent& other) const {
    return std::tie(dir, name) < std::tie(other.dir, other.name);
  }
};

// Brings `inventory`, a Discover() result for this host, up to date with the
// nodes `events` name: whether each exists now (vfio_group_nodes,
// vfio_cdev_nodes, vfio_container), after checking that every function and
// mdev of the group each names (the function owning a cdev) still has the
// driver and IOMMU group `inventory` records. Returns whether `inventory`
// changed. FailedPrecondition saying why, with `inventory` untouched, when
// those reads cannot decide it: a group or cdev no device of `inventory`
// has (a device appeared), a driver or group link that changed, an
// unreadable link or node. The caller then runs Discover().
absl::StatusOr<bool> UpdateVfioNodes(sysfs::Sysfs& sysfs,
                                     absl::Span<const VfioNodeEvent> events,
                                     Inventory& inventory);

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_INCREMENTAL_H_
