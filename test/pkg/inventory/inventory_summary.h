// A canonical, line-per-object text form of an Inventory for exact
// comparisons in tests: every field discovery fills in appears, so a change
// in any of them fails the comparison with a readable diff.
#ifndef VGPU_TEST_PKG_INVENTORY_INVENTORY_SUMMARY_H_
#define VGPU_TEST_PKG_INVENTORY_INVENTORY_SUMMARY_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "pkg/inventory/inventory.h"

namespace vgpu::inventory::testing {

inline const char* RoleText(FunctionRole role) {
  switch (role) {
    case FunctionRole::kGpu:
      return "gpu";
    case FunctionRole::kNvSwitch:
      return "nvswitch";
    case FunctionRole::kCompanion:
      return "companion";
    case FunctionRole::kBridge:
      return "bridge";
    case FunctionRole::kOther:
      return "other";
  }
  return "?";
}

inline std::string OptText(const std::optional<int>& v) {
  return v.has_value() ? absl::StrCat(*v) : "none";
}

// "fn 0000:42:00.0 10de:2230 sub 10de:1459 class 030000 gpu drv=vfio-pci
//  numa=-1 group=25 bridges=0000:40:03.1 [pf=..] [vfs=..] [cdev=..]
//  [mdev-parent] [nvidia=current/creatable]"
inline std::string FunctionLine(const PciFunction& f) {
  std::string line = absl::StrFormat(
      "fn %s %04x:%04x sub %04x:%04x class %06x %s drv=%s numa=%d group=%s "
      "bridges=%s",
      f.bdf, f.vendor_id, f.device_id, f.subsystem_vendor_id,
      f.subsystem_device_id, f.class_code, RoleText(f.role),
      f.driver.empty() ? "-" : f.driver, f.numa_node, OptText(f.iommu_group),
      absl::StrJoin(f.parent_bridges, ","));
  if (!f.physfn.empty()) absl::StrAppend(&line, " pf=", f.physfn);
  if (!f.virtfns.empty()) {
    absl::StrAppend(&line, " vfs=", absl::StrJoin(f.virtfns, ","));
  }
  if (!f.vfio_cdev.empty()) absl::StrAppend(&line, " cdev=", f.vfio_cdev);
  if (f.is_mdev_parent) absl::StrAppend(&line, " mdev-parent");
  if (f.nvidia_vgpu.has_value()) {
    std::string creatable;
    for (const auto& [id, name] : f.nvidia_vgpu->creatable_types) {
      absl::StrAppend(&creatable, creatable.empty() ? "" : ",", id, ":", name);
    }
    absl::StrAppend(&line, " nvidia=", f.nvidia_vgpu->current_type, "(",
                    f.nvidia_vgpu->current_type_name, ")/[", creatable, "]");
  }
  return line;
}

inline std::string Summarize(const Inventory& inv) {
  std::string out = absl::StrCat(
      "host container=", inv.vfio_container, " iommufd=", inv.iommufd,
      " groups=", absl::StrJoin(inv.vfio_group_nodes, ","),
      " cdevs=", absl::StrJoin(inv.vfio_cdev_nodes, ","), "\n");
  for (const PassthroughUnit& u : inv.units) {
    absl::StrAppend(
        &out, "unit ", u.iommu_group, " ", u.primary_bdf, " ", RoleText(u.role),
        " [", absl::StrJoin(u.functions, ","), "] bridges=[",
        absl::StrJoin(u.bridges, ","), "] numa=", u.numa_node, " ",
        u.viable ? "viable" : "NOT viable: " + u.not_viable_reason, "\n");
  }
  for (const PciFunction& f : inv.functions) {
    absl::StrAppend(&out, FunctionLine(f), "\n");
  }
  for (const MdevParent& p : inv.mdev_parents) {
    absl::StrAppend(&out, "parent ", p.name, " pci=", p.is_pci,
                    " numa=", p.numa_node, "\n");
    for (const MdevType& t : p.types) {
      absl::StrAppend(
          &out, "  type ", t.id, " '", t.name, "' api=", t.device_api,
          " avail=", t.available_instances, " fb=",
          t.framebuffer_bytes.has_value() ? absl::StrCat(*t.framebuffer_bytes)
                                          : "none",
          " max=", OptText(t.max_instances), " [",
          absl::StrJoin(t.instance_uuids, ","), "]\n");
    }
  }
  for (const MdevDevice& m : inv.mdevs) {
    absl::StrAppend(&out, "mdev ", m.uuid, " ", m.parent, " ", m.type_id, " '",
                    m.type_name, "' group=", OptText(m.iommu_group),
                    " drv=", m.driver, " numa=", m.numa_node, "\n");
  }
  for (const Problem& p : inv.problems) {
    absl::StrAppend(&out, "problem ", p.object, ": ", p.reason, "\n");
  }
  return out;
}

}  // namespace vgpu::inventory::testing

#endif  // VGPU_TEST_PKG_INVENTORY_INVENTORY_SUMMARY_H_
