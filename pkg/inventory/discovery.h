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
  // Threads reading sysfs at once, for big hosts: each stage (PCI functions,
  // mdev parents, mdev instances) with at least kParallelMinItems entries is
  // split into this many contiguous chunks; smaller stages run on the
  // caller's thread. 1: the caller's thread only; 0: DefaultWorkers()
  // (pkg/base/parallel.h). The inventory is the same for every value.
  int workers = 1;
};

// Entries a discovery stage needs before DiscoverOptions::workers applies:
// below this a thread costs more than the reads it would take over.
inline constexpr size_t kParallelMinItems = 64;

// Errors only when nothing at all can be scanned (InvalidArgument for bad
// options); a host without sys/bus/pci gives an empty inventory.
absl::StatusOr<Inventory> Discover(sysfs::Sysfs& sysfs,
                                   const DiscoverOptions& options);

// The name of the vGPU type an NVIDIA VF holds (nvidia_vgpu->current_type),
// resolved once per physical GPU: the VF's own creatable list, else a
// sibling VF's of the same PF (a VF stops listing the type it carries),
// else any VF's; "" when no VF names it or the VF holds none. Discover
// stores it in NvidiaVgpuState::current_type_name; metrics, pools and
// `vgpuctl discover` all use that name.
std::string VgpuTypeName(const Inventory& inventory, const PciFunction& vf);

// True when `inventory` holds no GPU or NVSwitch function, no mdev parent
// and no unit.
bool HasNoGpus(const Inventory& inventory);

// Why a host shows no GPU, for a warning: "" when `inventory` has one (see
// HasNoGpus). Otherwise names the likely cause: sys/bus/pci/devices missing
// under the root (wrong host root, /sys not mounted there), empty (a
// container's own /sys), or PCI functions but none a GPU.
std::string NoGpuCause(sysfs::Sysfs& sysfs, const Inventory& inventory);

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_DISCOVERY_H_
