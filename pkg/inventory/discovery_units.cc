// Passthrough units: IOMMU groups holding a GPU or NVSwitch that the host
// does not use for vGPU. A GPU the host hands out as vGPU (an mdev parent,
// an SR-IOV PF with VFs enabled, an NVIDIA vendor-VFIO VF with nvidia/) is
// reported through mdev parents / PciFunction::nvidia_vgpu instead. Every
// other GPU group is a unit, viable or not, so that `vgpuctl discover` says
// what to rebind (a host-display GPU on nvidia shows as "no: ... bound to
// nvidia"); pools only advertise viable units.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/inventory/discovery_internal.h"
#include "pkg/inventory/sysfs_parsers.h"

namespace vgpu::inventory::internal {
namespace {

bool UsedByHostVgpu(const PciFunction& fn) {
  if (fn.nvidia_vgpu.has_value()) return true;
  return !fn.on_vfio_driver && (fn.is_mdev_parent || !fn.virtfns.empty());
}

bool IsUnitCandidate(const PciFunction& fn) {
  return (fn.role == FunctionRole::kGpu ||
          fn.role == FunctionRole::kNvSwitch) &&
         !UsedByHostVgpu(fn);
}

// Members of group `group` by BDF; falls back to the functions whose link
// names the group when the group directory cannot be listed.
std::vector<std::string> GroupMembers(ScanContext& ctx, int group) {
  const std::string dir = absl::StrCat(kIommuGroups, "/", group, "/devices");
  absl::StatusOr<std::vector<std::string>> names = ctx.sysfs.ListDir(dir);
  std::vector<std::string> members;
  if (names.ok()) {
    for (const std::string& name : *names) {
      absl::StatusOr<std::string> bdf = ParseBdf(name);
      if (bdf.ok()) members.push_back(*bdf);
    }
    std::sort(members.begin(), members.end());
    return members;
  }
  if (!absl::IsNotFound(names.status())) {
    ctx.AddProblem(dir, std::string(names.status().message()));
  }
  for (const PciFunction& fn : ctx.inventory.functions) {
    if (fn.iommu_group == group) members.push_back(fn.bdf);
  }
  return members;
}

// "" when `bdf` may be passed through, else why not.
std::string EndpointProblem(const Inventory& inv, const std::string& bdf) {
  const PciFunction* fn = inv.FindFunction(bdf);
  if (fn == nullptr) return absl::StrCat(bdf, " could not be read");
  if (fn->on_vfio_driver) return "";
  if (fn->driver.empty()) return absl::StrCat(bdf, " is unbound, not vfio-pci");
  return absl::StrCat(bdf, " is bound to ", fn->driver, ", not vfio-pci");
}

PassthroughUnit MakeUnit(ScanContext& ctx, int group,
                         const std::string& primary_bdf) {
  const Inventory& inv = ctx.inventory;
  const PciFunction& primary = *inv.FindFunction(primary_bdf);
  PassthroughUnit unit;
  unit.iommu_group = group;
  unit.primary_bdf = primary_bdf;
  unit.role = primary.role;
  unit.numa_node = primary.numa_node;
  unit.functions.push_back(primary_bdf);
  std::vector<std::string> reasons;
  for (const std::string& bdf : GroupMembers(ctx, group)) {
    const PciFunction* fn = inv.FindFunction(bdf);
    if (fn != nullptr && fn->role == FunctionRole::kBridge) {
      unit.bridges.push_back(bdf);
      continue;
    }
    if (bdf != primary_bdf) unit.functions.push_back(bdf);
  }
  for (const std::string& bdf : unit.functions) {
    std::string why = EndpointProblem(inv, bdf);
    if (!why.empty()) reasons.push_back(std::move(why));
  }
  unit.viable = reasons.empty();
  unit.not_viable_reason = absl::StrJoin(reasons, "; ");
  return unit;
}

}  // namespace

void BuildUnits(ScanContext& ctx) {
  std::map<int, std::string> primaries;  // group -> first candidate BDF.
  for (const PciFunction& fn : ctx.inventory.functions) {
    if (!IsUnitCandidate(fn)) continue;
    if (!fn.iommu_group.has_value()) {
      if (ctx.broken_group_links.count(fn.bdf) == 0) {
        ctx.AddProblem(fn.bdf, "no IOMMU group: not usable for passthrough");
      }
      continue;
    }
    primaries.emplace(*fn.iommu_group, fn.bdf);  // Functions are by BDF.
  }
  for (const auto& [group, bdf] : primaries) {
    ctx.inventory.units.push_back(MakeUnit(ctx, group, bdf));
  }
}

}  // namespace vgpu::inventory::internal
