// Internal pieces of Discover(), split by topic: PCI functions
// (discovery_pci.cc), passthrough units (discovery_units.cc) and mediated
// devices (discovery_mdev.cc). One ScanContext lives for one Discover() call;
// a stage split over threads gives each chunk its own (ForChunk).
#ifndef VGPU_PKG_INVENTORY_DISCOVERY_INTERNAL_H_
#define VGPU_PKG_INVENTORY_DISCOVERY_INTERNAL_H_

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/inventory.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::inventory::internal {

inline constexpr absl::string_view kPciDevices = "sys/bus/pci/devices";
inline constexpr absl::string_view kIommuGroups = "sys/kernel/iommu_groups";
inline constexpr absl::string_view kMdevBus = "sys/class/mdev_bus";

struct ScanContext {
  sysfs::Sysfs& sysfs;
  const DiscoverOptions& options;
  Inventory& inventory;
  // Group numbers present under sys/kernel/iommu_groups.
  std::set<int> existing_groups;
  // BDFs whose iommu_group link exists but is broken (already a Problem).
  std::set<std::string> broken_group_links;
  // VFs announced by their PF's virtfnN links: BDF -> PF and directory.
  struct KnownVf {
    std::string pf;
    std::string dir;
  };
  std::map<std::string, KnownVf> known_vfs;
  // Entries of sys/class/mdev_bus, sorted (ListMdevParents).
  std::vector<std::string> mdev_bus_names;

  // Where AddProblem puts problems: null for inventory.problems; a chunk of
  // a parallel stage collects its own (ForChunk), merged in chunk order.
  std::vector<Problem>* problems = nullptr;
  // Chunks a stage of `n` entries is split into (DiscoverOptions::workers).
  int workers = 1;

  // A context for one chunk of a parallel stage: shares the host, options,
  // inventory and what earlier stages found; collects its problems in
  // `sink`. What it adds to known_vfs and broken_group_links is its own.
  ScanContext ForChunk(std::vector<Problem>* sink) const {
    ScanContext chunk = *this;
    chunk.problems = sink;
    return chunk;
  }

  // Workers for a stage of `n` entries.
  int WorkersFor(size_t n) const {
    return n >= kParallelMinItems ? workers : 1;
  }

  bool IsMdevParent(const std::string& bdf) const {
    return std::binary_search(mdev_bus_names.begin(), mdev_bus_names.end(),
                              bdf);
  }

  void AddProblem(std::string object, std::string reason) {
    (problems != nullptr ? *problems : inventory.problems)
        .push_back({std::move(object), std::move(reason)});
  }
};

// Reads the IOMMU group number behind the `iommu_group` link in `dir`.
// nullopt when the link is absent (or vanished); InvalidArgument naming the
// target when it is dangling, looping or not an IOMMU group.
absl::StatusOr<std::optional<int>> ReadGroupLink(ScanContext& ctx,
                                                 const std::string& dir);

// Basename of the `driver` link in `dir`; "" when unbound or vanished.
std::string ReadDriverLink(ScanContext& ctx, const std::string& dir);

// Scans sys/bus/pci/devices into inventory.functions (sorted by BDF) with
// roles assigned.
absl::Status ScanPciFunctions(ScanContext& ctx);

// Builds inventory.units from the GPU and NVSwitch functions.
void BuildUnits(ScanContext& ctx);

// Lists sys/class/mdev_bus into ctx.mdev_bus_names (empty when absent).
void ListMdevParents(ScanContext& ctx);

// Scans the listed mdev parents, their types and instances.
void ScanMdevs(ScanContext& ctx);

// Mutable lookup in inventory.functions (sorted by BDF); nullptr if absent.
PciFunction* FindFunctionMutable(Inventory& inventory, absl::string_view bdf);

}  // namespace vgpu::inventory::internal

#endif  // VGPU_PKG_INVENTORY_DISCOVERY_INTERNAL_H_
