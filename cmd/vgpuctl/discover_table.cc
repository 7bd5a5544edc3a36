#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cmd/vgpuctl/discover_output.h"
#include "cmd/vgpuctl/table.h"
#include "pkg/inventory/discovery.h"

namespace vgpu::vgpuctl {
namespace {

using inventory::FunctionRole;
using inventory::Inventory;
using inventory::PciFunction;

std::string Numa(int node) { return node < 0 ? "-" : absl::StrCat(node); }

std::string Group(const std::optional<int>& group) {
  return group.has_value() ? absl::StrCat(*group) : "-";
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

std::string UnitsSection(const Inventory& inv, const DiscoverView& view) {
  std::vector<std::string> header = {"UNIT",   "FUNCTION", "ROLE",  "MODEL",
                                     "DRIVER", "NUMA",     "GROUP", "HEALTH"};
  if (view.show_resource) header.push_back("RESOURCE");
  Table table(std::move(header));
  for (const inventory::PassthroughUnit& unit : inv.units) {
    bool first = true;
    for (const std::string& bdf : unit.functions) {
      const PciFunction* fn = inv.FindFunction(bdf);
      std::vector<std::string> row = {first ? unit.primary_bdf : "", bdf};
      if (fn != nullptr) {
        row.insert(row.end(),
                   {RoleName(fn->role), ModelName(*fn), OrDash(fn->driver),
                    Numa(fn->numa_node), Group(fn->iommu_group)});
      } else {
        row.insert(row.end(), {"?", "(unreadable)", "-", "-", "-"});
      }
      if (first) {
        auto it = view.health.find(unit.primary_bdf);
        const UnitHealth health =
            it == view.health.end() ? UnitHealth{} : it->second;
        row.push_back(HealthText(health));
        if (view.show_resource) row.push_back(OrDash(health.resource));
      }
      table.AddRow(std::move(row));
      first = false;
    }
  }
  if (table.empty()) return "";
  return absl::StrCat("Passthrough units (IOMMU groups):\n", table.Render());
}

std::string MdevParentsSection(const Inventory& inv) {
  Table table({"PARENT", "MODEL", "NUMA", "TYPE", "NAME", "AVAILABLE",
               "INSTANCES", "FRAMEBUFFER"});
  for (const inventory::MdevParent& parent : inv.mdev_parents) {
    const PciFunction* fn =
        parent.is_pci ? inv.FindFunction(parent.name) : nullptr;
    bool first = true;
    for (const inventory::MdevType& type : parent.types) {
      std::string fb = type.framebuffer_bytes.has_value()
                           ? absl::StrCat(*type.framebuffer_bytes >> 20, "M")
                           : "-";
      table.AddRow({first ? parent.name : "",
                    first ? (fn != nullptr ? ModelName(*fn) : "-") : "",
                    first ? Numa(parent.numa_node) : "", type.id, type.name,
                    absl::StrCat(type.available_instances),
                    absl::StrCat(type.instance_uuids.size()), fb});
      first = false;
    }
    if (first) table.AddRow({parent.name, "-", Numa(parent.numa_node), "-"});
  }
  if (table.empty()) return "";
  return absl::StrCat("mdev parents and types:\n", table.Render());
}

std::string MdevsSection(const Inventory& inv) {
  Table table({"MDEV", "PARENT", "TYPE", "NAME", "GROUP", "DRIVER", "NUMA"});
  for (const inventory::MdevDevice& m : inv.mdevs) {
    table.AddRow({m.uuid, m.parent, m.type_id, m.type_name,
                  Group(m.iommu_group), OrDash(m.driver), Numa(m.numa_node)});
  }
  if (table.empty()) return "";
  return absl::StrCat("mdev instances:\n", table.Render());
}

std::string VfVgpuSection(const Inventory& inv) {
  Table table({"VF", "PF", "DRIVER", "NUMA", "GROUP", "CURRENT TYPE",
               "CREATABLE TYPES"});
  for (const PciFunction& fn : inv.functions) {
    if (!fn.nvidia_vgpu.has_value()) continue;
    const inventory::NvidiaVgpuState& v = *fn.nvidia_vgpu;
    std::string current =
        v.current_type == 0
            ? "none"
            : absl::StrCat(v.current_type,
                           v.current_type_name.empty() ? "" : " ",
                           v.current_type_name);
    std::vector<std::string> creatable;
    for (const auto& [id, name] : v.creatable_types) {
      creatable.push_back(absl::StrCat(id, " ", name));
    }
    table.AddRow({fn.bdf, OrDash(fn.physfn), OrDash(fn.driver),
                  Numa(fn.numa_node), Group(fn.iommu_group), current,
                  creatable.empty() ? "-" : absl::StrJoin(creatable, ", ")});
  }
  if (table.empty()) return "";
  return absl::StrCat("NVIDIA VF vGPUs (vendor VFIO):\n", table.Render());
}

// GPU and NVSwitch functions that no other section shows: not a member of a
// passthrough unit, not an mdev parent, not an NVIDIA VF vGPU. Typically a
// GPU without an IOMMU group (IOMMU off, or a VM guest without a vIOMMU) or
// an SR-IOV PF whose VFs carry the vGPUs. Without this an operator would see
// the GPU only as a line under Problems, or not at all.
std::string OtherGpusSection(const Inventory& inv) {
  std::set<std::string> shown;
  for (const inventory::PassthroughUnit& unit : inv.units) {
    shown.insert(unit.functions.begin(), unit.functions.end());
  }
  for (const inventory::MdevParent& parent : inv.mdev_parents) {
    shown.insert(parent.name);
  }
  Table table({"FUNCTION", "ROLE", "MODEL", "DRIVER", "NUMA", "GROUP", "WHY"});
  for (const PciFunction& fn : inv.functions) {
    if (fn.role != FunctionRole::kGpu && fn.role != FunctionRole::kNvSwitch) {
      continue;
    }
    if (fn.nvidia_vgpu.has_value() || shown.count(fn.bdf) != 0) continue;
    std::vector<std::string> why;
    for (const inventory::Problem& p : inv.problems) {
      if (p.object == fn.bdf) why.push_back(p.reason);
    }
    if (!fn.virtfns.empty()) {
      why.push_back(absl::StrCat("SR-IOV PF with ", fn.virtfns.size(),
                                 " VFs: its VFs are the devices"));
    }
    if (why.empty() && !fn.iommu_group.has_value()) {
      why.push_back("no IOMMU group: not usable for passthrough");
    }
    table.AddRow({fn.bdf, RoleName(fn.role), ModelName(fn), OrDash(fn.driver),
                  Numa(fn.numa_node), Group(fn.iommu_group),
                  why.empty() ? "-" : absl::StrJoin(why, "; ")});
  }
  if (table.empty()) return "";
  return absl::StrCat("GPUs outside passthrough units:\n", table.Render());
}

std::string ProblemsSection(const Inventory& inv) {
  Table table({"OBJECT", "PROBLEM"});
  for (const inventory::Problem& p : inv.problems) {
    table.AddRow({p.object, p.reason});
  }
  if (table.empty()) return "";
  return absl::StrCat("Problems:\n", table.Render());
}

}  // namespace

UnitHealthMap HealthOfUnits(const Inventory& inv,
                            const resources::PoolSet& pools) {
  UnitHealthMap out;
  for (const inventory::PassthroughUnit& unit : inv.units) {
    UnitHealth& h = out[unit.primary_bdf];
    h.reason = "not a device of any pool";
  }
  for (const inventory::Problem& p : pools.skipped) {
    auto it = out.find(p.object);
    if (it != out.end()) it->second.reason = p.reason;
  }
  for (const resources::Pool& pool : pools.pools) {
    for (const resources::PoolDevice& d : pool.devices) {
      auto it = out.find(d.id);
      if (it == out.end()) continue;
      it->second.state = d.healthy ? UnitHealth::State::kHealthy
                                   : UnitHealth::State::kUnhealthy;
      it->second.reason = d.unhealthy_reason;
      it->second.resource = pool.resource_name;
    }
  }
  return out;
}

std::string HealthText(const UnitHealth& health) {
  switch (health.state) {
    case UnitHealth::State::kHealthy:
      return "Healthy";
    case UnitHealth::State::kUnhealthy:
      return absl::StrCat("Unhealthy: ", health.reason);
    case UnitHealth::State::kNotAdvertised:
      break;
  }
  return absl::StrCat("not advertised: ", health.reason);
}

std::string FormatTable(const Inventory& inv, const DiscoverView& view) {
  std::string out = absl::StrFormat(
      "Host root %s: %d PCI functions, iommufd %s\n\n", view.host_root,
      inv.functions.size(), inv.iommufd ? "yes" : "no");
  if (inventory::HasNoGpus(inv))
    absl::StrAppend(&out, "no GPUs found on this host\n\n");
  for (const std::string& section :
       {UnitsSection(inv, view), MdevParentsSection(inv), MdevsSection(inv),
        VfVgpuSection(inv), OtherGpusSection(inv), ProblemsSection(inv)}) {
    if (!section.empty()) absl::StrAppend(&out, section, "\n");
  }
  return out;
}

}  // namespace vgpu::vgpuctl
