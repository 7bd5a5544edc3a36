// Discover(): builds an Inventory from the Sysfs boundary alone.
// Never fails because of one bad device: a device whose attributes are
// garbage, unreadable, or that vanishes mid-scan is skipped or recorded with
// a reason in Inventory::problems, and the scan goes on. Thread-compatible:
// concurrent calls on distinct Sysfs objects are fine.
#ifndef VGPU_PKG_INVENTORY_DISCOVERY_H_
#define VGPU_PKG_INVENTORY_DISCOVERY_H_

#include <string>

#include "absl/status/statusor.h"
#include "pkg/inventory/inventory.h"
#include "pkg/inventory/pci_ids.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::inventory {

struct DiscoverOptions {
  // Model names; nullptr means numeric names only.
  const PciIds* pci_ids = nullptr;
  // Drivers accepted as VFIO drivers besides those IsVfioDriver
  // (vfio_driver.h) knows by name or by their vfio-dev/ entry.
  std::vector<std::string> extra_vfio_drivers;
};

// Errors only when nothing at all can be scanned (InvalidArgument for bad
// options); a host without sys/bus/pci gives an empty inventory.
absl::StatusOr<Inventory> Discover(sysfs::Sysfs& sysfs,
                                   const DiscoverOptions& options);

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_DISCOVERY_H_
