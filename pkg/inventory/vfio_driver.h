// The one rule for "is this PCI function on a VFIO driver?". Discovery
// decides it once per function (PciFunction::on_vfio_driver) and the pools
// read that; the cold-plug plan, which re-reads sysfs as an independent
// check, and the simulated host decide with this same function. Pure.
#ifndef VGPU_PKG_INVENTORY_VFIO_DRIVER_H_
#define VGPU_PKG_INVENTORY_VFIO_DRIVER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace vgpu::inventory {

// True when a function bound to `driver` (basename of its `driver` link,
// "" when unbound) is owned by VFIO: the driver is vfio-pci, a variant
// driver named after it ("nvgrace_gpu_vfio_pci", "xe-vfio-pci"), one of
// `extra_drivers`; or the function has a vfio-dev/ entry (`has_vfio_dev`),
// which every driver built on vfio-pci-core registers, whatever its name
// (docs/sysfs.md, "VFIO drivers").
bool IsVfioDriver(absl::string_view driver, bool has_vfio_dev,
                  absl::Span<const std::string> extra_drivers = {});

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_VFIO_DRIVER_H_
