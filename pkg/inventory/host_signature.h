// HostSignature: a cheap fingerprint of the host state that a full
// Discover() depends on and that can change at run time without an inotify
// event on the paths the daemon watches.
//
// It lists which PCI functions and mdev instances exist, which driver holds
// each (from the drivers' directories: one listing per driver instead of one
// readlink per device), which VFIO nodes exist, and reads the vGPU type of
// every NVIDIA vendor-VFIO VF the last inventory had. What a device reports
// once, when it appears (IDs, class, NUMA node, IOMMU group, mdev types of a
// parent), is not read: a device that changes those is a new device.
//
// The daemon's periodic rescan runs a full discovery only when the signature
// differs from the one taken at the last discovery (and, as a safety net,
// every Nth period regardless).
#ifndef VGPU_PKG_INVENTORY_HOST_SIGNATURE_H_
#define VGPU_PKG_INVENTORY_HOST_SIGNATURE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "pkg/inventory/inventory.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::inventory {

// `nvidia_vfs`: BDFs of the NVIDIA vendor-VFIO VFs (NvidiaVfs() of the last
// inventory). Errors other than a missing directory (which is part of the
// signature) are returned; callers fall back to a full discovery.
absl::StatusOr<std::string> HostSignature(
    sysfs::Sysfs& sysfs, absl::Span<const std::string> nvidia_vfs);

// `signature` (a HostSignature() result) with its listings of dev/vfio and
// dev/vfio/devices taken again: what an update that re-read VFIO nodes
// (UpdateVfioNodes, incremental.h) knows, the rest as it was, so that the
// next comparison still sees any other change. InvalidArgument when
// `signature` is not one; listing errors as HostSignature().
absl::StatusOr<std::string> RelistVfioNodes(sysfs::Sysfs& sysfs,
                                            absl::string_view signature);

// BDFs of the functions with NVIDIA vendor vGPU state.
std::vector<std::string> NvidiaVfs(const Inventory& inventory);

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_HOST_SIGNATURE_H_
