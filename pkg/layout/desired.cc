// Layout resolution; see desired.h.
#include "pkg/layout/desired.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace vgpu::layout {
namespace {

using inventory::Inventory;
using inventory::MdevParent;
using inventory::PciFunction;

std::vector<const PciFunction*> Vfs(const Inventory& inv,
                                    const PciFunction& gpu) {
  std::vector<const PciFunction*> out;
  for (const std::string& bdf : gpu.virtfns) {
    if (const PciFunction* vf = inv.FindFunction(bdf)) out.push_back(vf);
  }
  return out;
}

bool FilterMatches(const config::DeviceFilter& f, const PciFunction& gpu) {
  return f.vendor == gpu.vendor_id && f.device == gpu.device_id &&
         (!f.subsystem_vendor ||
          *f.subsystem_vendor == gpu.subsystem_vendor_id) &&
         (!f.subsystem_device ||
          *f.subsystem_device == gpu.subsystem_device_id);
}

bool EntryMatches(const config::VgpuLayoutEntry& e, int index,
                  const PciFunction& gpu) {
  if (!e.all_devices &&
      std::find(e.devices.begin(), e.devices.end(), index) == e.devices.end()) {
    return false;
  }
  if (!e.device_filters.empty() &&
      std::none_of(e.device_filters.begin(), e.device_filters.end(),
                   [&](const auto& f) { return FilterMatches(f, gpu); })) {
    return false;
  }
  if (e.vendor && *e.vendor != gpu.vendor_id) return false;
  if (e.device && *e.device != gpu.device_id) return false;
  return e.bdfs.empty() ||
         std::find(e.bdfs.begin(), e.bdfs.end(), gpu.bdf) != e.bdfs.end();
}

std::string Describe(const std::vector<VgpuType>& types) {
  if (types.empty()) return "none";
  std::vector<std::string> parts;
  for (const VgpuType& t : types) {
    parts.push_back(t.name == t.id ? t.id
                                   : absl::StrCat(t.name, " (", t.id, ")"));
  }
  return absl::StrJoin(parts, ", ");
}

// The board a type name is for: "NVIDIA L40S-2Q" and "L40S-1Q" -> "L40S";
// "" for a name without one (a numeric id).
absl::string_view Board(absl::string_view name) {
  const size_t space = name.find(' ');
  if (space != absl::string_view::npos) name.remove_prefix(space + 1);
  const size_t dash = name.find('-');
  return dash == absl::string_view::npos ? absl::string_view()
                                         : name.substr(0, dash);
}

// The types the node's GPUs of one model (vendor:device) offer, each once,
// computed once per model and Resolve: checking every GPU without VFs
// against its model stays linear in the node's size. A GPU without VFs
// offers none itself, so its model's list is what the others offer.
class ModelTypes {
 public:
  explicit ModelTypes(const Inventory& inventory) : inventory_(inventory) {}

  const std::vector<VgpuType>& Of(const PciFunction& gpu) {
    auto [it, fresh] = by_model_.try_emplace({gpu.vendor_id, gpu.device_id});
    if (!fresh) return it->second;
    std::set<std::pair<std::string, std::string>> seen;
    for (const PciFunction* other : PhysicalGpus(inventory_)) {
      if (other->vendor_id != gpu.vendor_id ||
          other->device_id != gpu.device_id) {
        continue;
      }
      for (VgpuType& t : OfferedTypes(inventory_, *other)) {
        if (seen.emplace(t.id, t.name).second) {
          it->second.push_back(std::move(t));
        }
      }
    }
    return it->second;
  }

 private:
  const Inventory& inventory_;
  std::map<std::pair<uint16_t, uint16_t>, std::vector<VgpuType>> by_model_;
};

// A GPU without VFs shows no types; the types are resolved once the VFs
// are enabled. Before that write, a type is checked against what GPUs of
// the same model offer: the same type, or one of the same board (a VF
// vGPU list shows only the type running on that GPU, NVIDIA's homogeneous
// rule). With no such GPU on the node nothing can be checked.
void CheckTypesOfGpuWithoutVfs(const config::VgpuLayoutEntry& entry,
                               ModelTypes& model_types, const PciFunction& gpu,
                               GpuTarget& target,
                               std::vector<std::string>& problems) {
  const std::vector<VgpuType>& model = model_types.Of(gpu);
  for (const auto& [text, count] : entry.vgpu_devices) {
    target.want.push_back({VgpuType{"", text}, count});
    const std::string& wanted = text;  // clang 14: no captured binding.
    const bool known =
        std::any_of(model.begin(), model.end(), [&](const VgpuType& t) {
          return TypeMatches(wanted, t) ||
                 (!Board(wanted).empty() && Board(wanted) == Board(t.name));
        });
    if (model.empty() || known) continue;
    problems.push_back(
        absl::StrCat("GPU ", target.index, " (", gpu.bdf,
                     ") has no VFs enabled and no GPU of its model (",
                     absl::Hex(gpu.vendor_id, absl::kZeroPad4), ":",
                     absl::Hex(gpu.device_id, absl::kZeroPad4), ") offers \"",
                     text, "\"; they offer: ", Describe(model)));
  }
}

// Resolves one entry's types against what `where` offers into `target`;
// problems appended.
void ResolveOffered(const config::VgpuLayoutEntry& entry,
                    const std::vector<VgpuType>& offered,
                    const std::string& where, GpuTarget& target,
                    std::vector<std::string>& problems) {
  for (const auto& [text, count] : entry.vgpu_devices) {
    // clang 14 cannot capture a structured binding in a lambda.
    const std::string& wanted = text;
    auto it =
        std::find_if(offered.begin(), offered.end(),
                     [&](const VgpuType& t) { return TypeMatches(wanted, t); });
    if (it == offered.end()) {
      problems.push_back(absl::StrCat(where, " offers no vGPU type \"", text,
                                      "\"; it offers: ", Describe(offered)));
      continue;
    }
    target.want.push_back({*it, count});
  }
}

// Resolves one entry's types for one GPU into `target`; problems appended.
void ResolveTypes(const config::VgpuLayoutEntry& entry,
                  const Inventory& inventory, ModelTypes& model_types,
                  const PciFunction& gpu, GpuTarget& target,
                  std::vector<std::string>& problems) {
  if (target.mode == GpuMode::kNeedsVfs) {
    CheckTypesOfGpuWithoutVfs(entry, model_types, gpu, target, problems);
    return;
  }
  ResolveOffered(entry, OfferedTypes(inventory, gpu),
                 absl::StrCat("GPU ", target.index, " (", gpu.bdf, ")"), target,
                 problems);
}

std::string ParentNames(const Inventory& inv) {
  std::vector<std::string> names;
  for (const MdevParent& p : inv.mdev_parents) names.push_back(p.name);
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// Entry `e`'s mdevParents: one target per named parent, which must exist
// and not be a PCI function (those are GPUs or VFs, addressed as such).
void ResolveParents(const config::VgpuLayoutEntry& entry, size_t e,
                    const Inventory& inventory,
                    std::map<std::string, size_t>& entry_of_parent,
                    DesiredState& desired, std::vector<std::string>& problems) {
  for (const std::string& name : entry.mdev_parents) {
    const MdevParent* parent = inventory.FindMdevParent(name);
    if (parent == nullptr) {
      problems.push_back(
          absl::StrCat("entry ", e, ": no mdev parent \"", name,
                       "\" on the node (is its driver loaded?); parents: ",
                       ParentNames(inventory)));
      continue;
    }
    if (parent->is_pci) {
      problems.push_back(absl::StrCat("entry ", e, ": mdev parent \"", name,
                                      "\" is a PCI function: address it with "
                                      "devices or bdfs"));
      continue;
    }
    auto [it, fresh] = entry_of_parent.emplace(name, e);
    if (!fresh) {
      problems.push_back(absl::StrCat("mdev parent ", name,
                                      " is matched by entries ", it->second,
                                      " and ", e));
      continue;
    }
    GpuTarget target{name, -1, GpuMode::kMdevOnGpu, {}};
    std::vector<VgpuType> offered;
    for (const inventory::MdevType& t : parent->types) {
      offered.push_back(VgpuType{t.id, t.name.empty() ? t.id : t.name});
    }
    ResolveOffered(entry, offered, absl::StrCat("mdev parent ", name), target,
                   problems);
    desired.gpus.push_back(std::move(target));
  }
}

}  // namespace

std::vector<const PciFunction*> PhysicalGpus(const Inventory& inventory) {
  std::vector<const PciFunction*> out;
  for (const PciFunction& fn : inventory.functions) {
    if (fn.role == inventory::FunctionRole::kGpu && fn.physfn.empty()) {
      out.push_back(&fn);
    }
  }
  return out;
}

GpuMode ModeOf(const Inventory& inventory, const PciFunction& gpu) {
  if (inventory.FindMdevParent(gpu.bdf) != nullptr) return GpuMode::kMdevOnGpu;
  const std::vector<const PciFunction*> vfs = Vfs(inventory, gpu);
  for (const PciFunction* vf : vfs) {
    if (inventory.FindMdevParent(vf->bdf) != nullptr)
      return GpuMode::kMdevOnVfs;
  }
  for (const PciFunction* vf : vfs) {
    if (vf->nvidia_vgpu) return GpuMode::kVfVgpu;
  }
  if (gpu.sriov_totalvfs > 0 && gpu.virtfns.empty()) {
    return GpuMode::kNeedsVfs;
  }
  return GpuMode::kNone;
}

std::vector<VgpuType> OfferedTypes(const Inventory& inventory,
                                   const PciFunction& gpu) {
  std::map<std::string, std::string> by_id;
  auto add_parent = [&](absl::string_view name) {
    if (const MdevParent* p = inventory.FindMdevParent(name)) {
      for (const inventory::MdevType& t : p->types) by_id[t.id] = t.name;
    }
  };
  add_parent(gpu.bdf);
  for (const PciFunction* vf : Vfs(inventory, gpu)) {
    add_parent(vf->bdf);
    if (!vf->nvidia_vgpu) continue;
    for (const auto& [id, name] : vf->nvidia_vgpu->creatable_types) {
      by_id[absl::StrCat(id)] = name;
    }
    const int current = vf->nvidia_vgpu->current_type;
    if (current != 0 && !by_id.count(absl::StrCat(current))) {
      by_id[absl::StrCat(current)] = vf->nvidia_vgpu->current_type_name;
    }
  }
  std::vector<VgpuType> out;
  for (const auto& [id, name] : by_id) {
    out.push_back(VgpuType{id, name.empty() ? id : name});
  }
  return out;
}

bool TypeMatches(absl::string_view requested, const VgpuType& type) {
  if (requested.empty()) return false;
  if (requested == type.id || requested == type.name) return true;
  const size_t space = type.name.find(' ');
  return space != std::string::npos &&
         absl::string_view(type.name).substr(space + 1) == requested;
}

absl::StatusOr<DesiredState> Resolve(const config::VgpuLayouts& layouts,
                                     const std::string& name,
                                     const Inventory& inventory) {
  auto layout = layouts.find(name);
  if (layout == layouts.end()) {
    std::vector<std::string> names;
    for (const auto& [n, entries] : layouts) names.push_back(n);
    return absl::NotFoundError(absl::StrCat(
        "no vGPU layout \"", name,
        "\"; layouts: ", names.empty() ? "none" : absl::StrJoin(names, ", ")));
  }
  const std::vector<const PciFunction*> gpus = PhysicalGpus(inventory);
  std::vector<std::string> problems;
  DesiredState desired{name, {}};
  std::map<int, size_t> entry_of_gpu;
  std::map<std::string, size_t> entry_of_parent;
  ModelTypes model_types(inventory);
  for (size_t e = 0; e < layout->second.size(); ++e) {
    const config::VgpuLayoutEntry& entry = layout->second[e];
    if (!entry.mdev_parents.empty()) {
      ResolveParents(entry, e, inventory, entry_of_parent, desired, problems);
      continue;
    }
    for (int index : entry.devices) {
      if (index >= static_cast<int>(gpus.size())) {
        problems.push_back(absl::StrCat("entry ", e, ": GPU index ", index,
                                        ": the node has ", gpus.size(),
                                        " physical GPUs"));
      }
    }
    for (size_t i = 0; i < gpus.size(); ++i) {
      const int index = static_cast<int>(i);
      if (!EntryMatches(entry, index, *gpus[i])) continue;
      auto [it, fresh] = entry_of_gpu.emplace(index, e);
      if (!fresh) {
        problems.push_back(absl::StrCat("GPU ", index, " (", gpus[i]->bdf,
                                        ") is matched by entries ", it->second,
                                        " and ", e));
        continue;
      }
      GpuTarget target{gpus[i]->bdf, index, ModeOf(inventory, *gpus[i]), {}};
      if (target.mode == GpuMode::kNone && !entry.vgpu_devices.empty()) {
        problems.push_back(absl::StrCat("GPU ", index, " (", gpus[i]->bdf,
                                        ") offers no vGPU types"));
        continue;
      }
      ResolveTypes(entry, inventory, model_types, *gpus[i], target, problems);
      desired.gpus.push_back(std::move(target));
    }
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vGPU layout \"", name, "\": ", absl::StrJoin(problems, "; ")));
  }
  // GPUs by index, then the parents that are not PCI functions by name.
  std::sort(desired.gpus.begin(), desired.gpus.end(),
            [](const GpuTarget& a, const GpuTarget& b) {
              return std::make_tuple(a.index < 0, a.index, a.bdf) <
                     std::make_tuple(b.index < 0, b.index, b.bdf);
            });
  return desired;
}

}  // namespace vgpu::layout
