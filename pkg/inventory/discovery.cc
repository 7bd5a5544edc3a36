#include "pkg/inventory/discovery.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/parallel.h"
#include "pkg/base/status_macros.h"
#include "pkg/inventory/discovery_internal.h"
#include "pkg/inventory/sysfs_parsers.h"

namespace vgpu::inventory {

const PciFunction* Inventory::FindFunction(const std::string& bdf) const {
  auto it = std::lower_bound(
      functions.begin(), functions.end(), bdf,
      [](const PciFunction& f, const std::string& b) { return f.bdf < b; });
  return it != functions.end() && it->bdf == bdf ? &*it : nullptr;
}

const MdevDevice* Inventory::FindMdev(const std::string& uuid) const {
  auto it = std::lower_bound(
      mdevs.begin(), mdevs.end(), uuid,
      [](const MdevDevice& m, const std::string& u) { return m.uuid < u; });
  return it != mdevs.end() && it->uuid == uuid ? &*it : nullptr;
}

namespace internal {

PciFunction* FindFunctionMutable(Inventory& inventory, absl::string_view bdf) {
  auto it = std::lower_bound(
      inventory.functions.begin(), inventory.functions.end(), bdf,
      [](const PciFunction& f, absl::string_view b) { return f.bdf < b; });
  return it != inventory.functions.end() && it->bdf == bdf ? &*it : nullptr;
}

absl::StatusOr<std::optional<int>> ReadGroupLink(ScanContext& ctx,
                                                 const std::string& dir) {
  const std::string link = sysfs::JoinPath(dir, "iommu_group");
  absl::StatusOr<std::string> target = ctx.sysfs.ReadLink(link);
  if (!target.ok()) {
    if (absl::IsNotFound(target.status())) return std::optional<int>();
    return target.status();
  }
  absl::StatusOr<std::string> resolved = sysfs::ResolveRelative(dir, *target);
  if (resolved.ok() && *resolved == link) {
    return absl::InvalidArgumentError(absl::StrCat(
        "iommu_group link ", QuoteForMessage(*target), " loops to itself"));
  }
  std::optional<int> group;
  if (resolved.ok() && sysfs::Dirname(*resolved) == kIommuGroups) {
    absl::StatusOr<int> n = ParseNonNegativeInt(sysfs::Basename(*resolved));
    if (n.ok()) group = *n;
  }
  if (!group.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("iommu_group link ", QuoteForMessage(*target),
                     " does not point to an IOMMU group"));
  }
  if (ctx.existing_groups.count(*group) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("iommu_group link ", QuoteForMessage(*target),
                     " is dangling: no group ", *group, " in ", kIommuGroups));
  }
  return group;
}

std::string ReadDriverLink(ScanContext& ctx, const std::string& dir) {
  absl::StatusOr<std::string> target =
      ctx.sysfs.ReadLink(sysfs::JoinPath(dir, "driver"));
  if (!target.ok()) return "";
  return std::string(sysfs::Basename(*target));
}

}  // namespace internal

namespace {

using internal::ScanContext;

absl::Status ValidateOptions(const DiscoverOptions& options) {
  if (options.workers < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "workers: ", options.workers, " is negative (0 picks one per CPU)"));
  }
  for (const std::string& driver : options.extra_vfio_drivers) {
    if (driver.empty() || absl::StrContains(driver, '/')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "extra_vfio_drivers: bad driver name ", QuoteForMessage(driver)));
    }
  }
  return absl::OkStatus();
}

// Names of `dir` or none when it is absent; other errors are Problems.
std::vector<std::string> ListOptional(ScanContext& ctx, absl::string_view dir) {
  absl::StatusOr<std::vector<std::string>> names = ctx.sysfs.ListDir(dir);
  if (names.ok()) return *std::move(names);
  if (!absl::IsNotFound(names.status())) {
    ctx.AddProblem(std::string(dir), std::string(names.status().message()));
  }
  return {};
}

void ListIommuGroups(ScanContext& ctx) {
  for (const std::string& name : ListOptional(ctx, internal::kIommuGroups)) {
    absl::StatusOr<int> n = ParseNonNegativeInt(name);
    if (n.ok()) ctx.existing_groups.insert(*n);
  }
}

// dev/vfio/{vfio,N}, dev/vfio/devices/vfioN and dev/iommu.
void ScanDeviceNodes(ScanContext& ctx) {
  Inventory& inv = ctx.inventory;
  for (const std::string& name : ListOptional(ctx, "dev/vfio")) {
    if (name == "vfio") inv.vfio_container = true;
    absl::StatusOr<int> n = ParseNonNegativeInt(name);
    if (n.ok() && std::to_string(*n) == name)
      inv.vfio_group_nodes.push_back(*n);
  }
  std::sort(inv.vfio_group_nodes.begin(), inv.vfio_group_nodes.end());
  for (const std::string& name : ListOptional(ctx, "dev/vfio/devices")) {
    if (absl::StartsWith(name, "vfio")) inv.vfio_cdev_nodes.push_back(name);
  }
  inv.iommufd = ctx.sysfs.Lstat("dev/iommu").ok();
}

// The names of the vGPU types the NVIDIA VFs list as creatable, indexed
// once: per PF, and host-wide, each the first in BDF order. For(vf) is the
// VgpuTypeName rule: the VF's own list (already in current_type_name), a
// sibling's of the same PF, else any VF's. One pass over the functions, so
// naming every VF costs what the host has, not its square.
class VgpuTypeNames {
 public:
  explicit VgpuTypeNames(const Inventory& inventory) {
    for (const PciFunction& f : inventory.functions) {
      if (!f.nvidia_vgpu.has_value()) continue;
      for (const auto& [id, name] : f.nvidia_vgpu->creatable_types) {
        by_pf_.emplace(std::make_pair(f.physfn, id), name);
        any_.emplace(id, name);
      }
    }
  }

  std::string For(const PciFunction& vf) const {
    if (!vf.nvidia_vgpu.has_value() || vf.nvidia_vgpu->current_type == 0) {
      return "";
    }
    const int id = vf.nvidia_vgpu->current_type;
    if (auto it = by_pf_.find({vf.physfn, id}); it != by_pf_.end()) {
      return it->second;
    }
    auto it = any_.find(id);
    return it != any_.end() ? it->second : "";
  }

 private:
  std::map<std::pair<std::string, int>, std::string> by_pf_;
  std::map<int, std::string> any_;
};

}  // namespace

absl::StatusOr<Inventory> Discover(sysfs::Sysfs& sysfs,
                                   const DiscoverOptions& options) {
  VGPU_RETURN_IF_ERROR(ValidateOptions(options));
  Inventory inventory;
  ScanContext ctx{sysfs, options, inventory, {}, {}, {}, {}};
  ctx.workers = options.workers == 0 ? DefaultWorkers() : options.workers;
  ListIommuGroups(ctx);
  internal::ListMdevParents(ctx);
  VGPU_RETURN_IF_ERROR(internal::ScanPciFunctions(ctx));
  internal::ScanMdevs(ctx);
  internal::BuildUnits(ctx);
  ScanDeviceNodes(ctx);
  const VgpuTypeNames names(inventory);
  for (PciFunction& fn : inventory.functions) {
    if (fn.nvidia_vgpu.has_value() &&
        fn.nvidia_vgpu->current_type_name.empty()) {
      fn.nvidia_vgpu->current_type_name = names.For(fn);
    }
  }
  return inventory;
}

std::string VgpuTypeName(const Inventory& inventory, const PciFunction& vf) {
  if (!vf.nvidia_vgpu.has_value() || vf.nvidia_vgpu->current_type == 0) {
    return "";
  }
  if (!vf.nvidia_vgpu->current_type_name.empty()) {
    return vf.nvidia_vgpu->current_type_name;
  }
  return VgpuTypeNames(inventory).For(vf);
}

bool HasNoGpus(const Inventory& inventory) {
  if (!inventory.units.empty() || !inventory.mdev_parents.empty()) {
    return false;
  }
  for (const PciFunction& fn : inventory.functions) {
    if (fn.role == FunctionRole::kGpu || fn.role == FunctionRole::kNvSwitch) {
      return false;
    }
  }
  return true;
}

std::string NoGpuCause(sysfs::Sysfs& sysfs, const Inventory& inventory) {
  if (!HasNoGpus(inventory)) return "";
  absl::StatusOr<std::vector<std::string>> entries =
      sysfs.ListDir("sys/bus/pci/devices");
  if (!entries.ok()) {
    const std::string& root = sysfs.root();
    return absl::StrCat(
        "no sys/bus/pci/devices under host root ", root,
        ": the host root is wrong or the host's /sys is not mounted at ",
        absl::EndsWith(root, "/") ? root : absl::StrCat(root, "/"), "sys");
  }
  if (entries->empty()) {
    return absl::StrCat("sys/bus/pci/devices under host root ", sysfs.root(),
                        " is empty: the host's /sys is not mounted there "
                        "(a container's own /sys lists no PCI devices)");
  }
  return absl::StrCat("no GPU among ", entries->size(),
                      " PCI functions: not a GPU node, or its GPUs are "
                      "hidden from this host");
}

}  // namespace vgpu::inventory
