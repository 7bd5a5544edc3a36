// The planner; the rules it follows are in plan.h, the kernel's behaviour
// behind them in docs/sysfs.md (mdev, NVIDIA vendor VFIO).
#include "pkg/layout/plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/layout/uuid.h"

namespace vgpu::layout {
namespace {

using inventory::Inventory;
using inventory::MdevType;
using inventory::PciFunction;

constexpr uint16_t kNvidia = 0x10de;

// A vGPU that exists on a GPU of the layout.
struct Existing {
  std::string device;  // mdev UUID or VF address.
  std::string parent;  // mdev parent; "" for VF vGPU.
  VgpuType type;
  bool owned = false;
  bool in_use = false;
  bool Removable() const { return owned && !in_use; }
};

// The instances of each mdev parent, built once per Plan so that each GPU
// finds its own without a scan of every mdev on the node.
using MdevsByParent =
    std::map<std::string, std::vector<const inventory::MdevDevice*>>;

// Everything Plan needs about one GPU, plus the actions planned so far.
struct GpuPlan {
  const GpuTarget& target;
  const PciFunction& gpu;
  const Inventory& inv;
  std::set<std::string>& uuids;  // Every mdev UUID taken, planned included.
  const MdevsByParent& mdevs_by_parent;
  std::vector<Action>& out;
  // Flushed to `out` in this order: removals free capacity first.
  std::vector<Action> removes, creates, keeps, blocked;
  std::map<std::string, int> kept;  // type id -> kept count.
  std::set<std::string> used_vfs;   // VFs holding or about to hold a vGPU.
  std::set<std::string> present;    // Types of the existing vGPUs.
  bool removing = false;

  Action Make(ActionKind kind, std::string device, std::string reason) const {
    Action a;
    a.kind = kind;
    a.gpu = gpu.bdf;
    a.device = std::move(device);
    a.reason = std::move(reason);
    return a;
  }
  std::string Where() const {
    if (target.index < 0) return absl::StrCat("mdev parent ", target.bdf);
    return absl::StrCat("GPU ", target.index, " (", gpu.bdf, ")");
  }
};

std::vector<const PciFunction*> VfsOf(const Inventory& inv,
                                      const PciFunction& gpu) {
  std::vector<const PciFunction*> out;
  for (const std::string& bdf : gpu.virtfns) {
    if (const PciFunction* vf = inv.FindFunction(bdf)) out.push_back(vf);
  }
  return out;
}

const MdevType* FindType(const Inventory& inv, absl::string_view parent,
                         absl::string_view type_id) {
  const inventory::MdevParent* p = inv.FindMdevParent(parent);
  if (p == nullptr) return nullptr;
  for (const MdevType& t : p->types) {
    if (t.id == type_id) return &t;
  }
  return nullptr;
}

std::vector<Existing> ExistingVgpus(const GpuPlan& g, const DeviceSet& in_use,
                                    const DeviceSet& owned) {
  std::vector<Existing> out;
  std::set<std::string> parents = {g.gpu.bdf};
  const std::vector<const PciFunction*> vfs = VfsOf(g.inv, g.gpu);
  for (const PciFunction* vf : vfs) parents.insert(vf->bdf);
  std::vector<const inventory::MdevDevice*> mdevs;
  for (const std::string& parent : parents) {
    auto it = g.mdevs_by_parent.find(parent);
    if (it == g.mdevs_by_parent.end()) continue;
    mdevs.insert(mdevs.end(), it->second.begin(), it->second.end());
  }
  std::sort(mdevs.begin(), mdevs.end(),
            [](const inventory::MdevDevice* a, const inventory::MdevDevice* b) {
              return a->uuid < b->uuid;
            });
  for (const inventory::MdevDevice* m : mdevs) {
    out.push_back({m->uuid,
                   m->parent,
                   {m->type_id, m->type_name},
                   owned.count(m->uuid) > 0,
                   in_use.count(m->uuid) > 0});
  }
  const std::vector<VgpuType> offered = OfferedTypes(g.inv, g.gpu);
  for (const PciFunction* vf : vfs) {
    if (!vf->nvidia_vgpu || vf->nvidia_vgpu->current_type == 0) continue;
    VgpuType type{absl::StrCat(vf->nvidia_vgpu->current_type),
                  vf->nvidia_vgpu->current_type_name};
    for (const VgpuType& t : offered) {
      if (t.id == type.id) type.name = t.name;
    }
    out.push_back({vf->bdf, "", type, owned.count(vf->bdf) > 0,
                   in_use.count(vf->bdf) > 0});
  }
  return out;
}

int Wanted(const GpuTarget& target, const std::string& type_id) {
  int n = 0;
  for (const auto& [type, count] : target.want) {
    if (type.id == type_id) n += count;
  }
  return n;
}

// Keeps, removes or blocks each existing vGPU; fills g.kept and g.used_vfs.
void PlanExisting(GpuPlan& g, std::vector<Existing> existing) {
  // Those that cannot go are kept first, then by device ID (stable).
  std::stable_sort(existing.begin(), existing.end(),
                   [](const Existing& a, const Existing& b) {
                     if (a.Removable() != b.Removable()) return !a.Removable();
                     return a.device < b.device;
                   });
  for (const Existing& e : existing) {
    g.used_vfs.insert(e.parent.empty() ? e.device : e.parent);
    g.present.insert(e.type.name);
    const std::string what = absl::StrCat(e.type.name, " ", e.device);
    if (g.kept[e.type.id] < Wanted(g.target, e.type.id)) {
      ++g.kept[e.type.id];
      Action a = g.Make(ActionKind::kKeep, e.device,
                        absl::StrCat(what, " matches the layout",
                                     e.owned ? "" : " (not created by us)"));
      a.parent = e.parent;
      a.type = e.type;
      g.keeps.push_back(std::move(a));
      continue;
    }
    Action a = g.Make(ActionKind::kBlocked, e.device, "");
    a.parent = e.parent;
    a.type = e.type;
    if (!e.owned) {
      a.reason = absl::StrCat(what,
                              " is not wanted by the layout but was not "
                              "created by us: never removed");
    } else if (e.in_use) {
      a.reason = absl::StrCat(what,
                              " is not wanted by the layout but is in use: "
                              "removed once free");
    } else if (e.parent.empty()) {
      a.kind = ActionKind::kResetVfType;
      a.reason = absl::StrCat(what, " is not wanted by the layout");
      a.path = absl::StrCat("sys/bus/pci/devices/", e.device,
                            "/nvidia/current_vgpu_type");
      // std::string(...), not a literal: g++ 12 -O2 reports a false
      // -Wrestrict inside basic_string::_M_replace for short literals.
      a.data = std::string(1, '0');
    } else {
      a.kind = ActionKind::kRemoveMdev;
      a.reason = absl::StrCat(what, " is not wanted by the layout");
      a.path = absl::StrCat("sys/class/mdev_bus/", e.parent, "/", e.device,
                            "/remove");
      a.data = std::string(1, '1');
    }
    if (a.kind == ActionKind::kBlocked) {
      g.blocked.push_back(std::move(a));
    } else {
      g.removing = true;
      g.removes.push_back(std::move(a));
    }
  }
}

// A create of `type` on mdev parent `parent`, in the lowest free slot.
Action CreateMdev(GpuPlan& g, const std::string& parent, const VgpuType& type,
                  int missing) {
  int slot = 0;
  std::string uuid = MdevUuid(parent, type.id, slot);
  while (g.uuids.count(uuid)) uuid = MdevUuid(parent, type.id, ++slot);
  g.uuids.insert(uuid);
  Action a = g.Make(ActionKind::kCreateMdev, uuid,
                    absl::StrCat(g.Where(), " lacks ", missing, " ", type.name,
                                 "; slot ", slot, " on ", parent));
  a.parent = parent;
  a.type = type;
  a.path = absl::StrCat("sys/class/mdev_bus/", parent, "/mdev_supported_types/",
                        type.id, "/create");
  a.data = uuid;
  return a;
}

// Creates on the GPU itself (time-sliced NVIDIA, GVT-g), at most
// available_instances as read; returns how many are still missing.
int CreateOnGpu(GpuPlan& g, const VgpuType& type, int missing) {
  const MdevType* t = FindType(g.inv, g.gpu.bdf, type.id);
  const int avail = t == nullptr ? 0 : t->available_instances;
  const int n = std::min(missing, avail);
  for (int i = 0; i < n; ++i) {
    g.creates.push_back(CreateMdev(g, g.gpu.bdf, type, missing - i));
  }
  return missing - n;
}

// One vGPU per free VF: an mdev where the VF's type reads available 1, or
// a VF vGPU where the VF lists the type as creatable.
int CreateOnVfs(GpuPlan& g, const VgpuType& type, int missing) {
  for (const PciFunction* vf : VfsOf(g.inv, g.gpu)) {
    if (missing == 0) break;
    if (g.used_vfs.count(vf->bdf)) continue;
    if (g.target.mode == GpuMode::kMdevOnVfs) {
      const MdevType* t = FindType(g.inv, vf->bdf, type.id);
      if (t == nullptr || t->available_instances <= 0) continue;
      g.creates.push_back(CreateMdev(g, vf->bdf, type, missing));
    } else {
      int id = 0;
      if (!vf->nvidia_vgpu || !absl::SimpleAtoi(type.id, &id) ||
          !vf->nvidia_vgpu->creatable_types.count(id)) {
        continue;
      }
      Action a = g.Make(ActionKind::kSetVfType, vf->bdf,
                        absl::StrCat(g.Where(), " lacks ", missing, " ",
                                     type.name, "; free VF ", vf->bdf));
      a.type = type;
      a.path = absl::StrCat("sys/bus/pci/devices/", vf->bdf,
                            "/nvidia/current_vgpu_type");
      a.data = type.id;
      g.creates.push_back(std::move(a));
    }
    g.used_vfs.insert(vf->bdf);
    --missing;
  }
  return missing;
}

std::string WhyNot(const GpuPlan& g, const VgpuType& type) {
  if (g.target.mode == GpuMode::kMdevOnGpu) {
    const MdevType* t = FindType(g.inv, g.gpu.bdf, type.id);
    std::string why = absl::StrCat("available_instances of ", type.id, " is ",
                                   t == nullptr ? 0 : t->available_instances);
    if (g.gpu.vendor_id == kNvidia) {
      std::set<std::string> present = g.present;
      present.erase(type.name);
      if (!present.empty()) {
        absl::StrAppend(&why, " (the GPU holds ", absl::StrJoin(present, ", "),
                        "; a time-sliced NVIDIA GPU holds one type at a time)");
      }
    }
    return why;
  }
  const size_t vfs = g.gpu.virtfns.size();
  const size_t free = vfs - std::min(vfs, g.used_vfs.size());
  if (free == 0) return absl::StrCat("all ", vfs, " VFs hold a vGPU");
  return absl::StrCat("none of the ", free, " free VFs can take ", type.name,
                      " now");
}

void PlanCreates(GpuPlan& g) {
  for (const auto& [type, count] : g.target.want) {
    const int missing = count - g.kept[type.id];
    if (missing <= 0) continue;
    const int left = g.target.mode == GpuMode::kMdevOnGpu
                         ? CreateOnGpu(g, type, missing)
                         : CreateOnVfs(g, type, missing);
    // With removals pending, capacity is re-read after them.
    if (left == 0 || g.removing) continue;
    g.blocked.push_back(g.Make(ActionKind::kBlocked, "",
                               absl::StrCat(g.Where(), " lacks ", left, " ",
                                            type.name, ": ", WhyNot(g, type))));
    g.blocked.back().type = type;
  }
}

// A time-sliced NVIDIA GPU before Ampere refuses a second type while one
// exists (homogeneous rule), so such a request is blocked as a whole.
bool AsksTwoTypesOfTimeSlicedNvidia(const GpuPlan& g) {
  if (g.target.mode != GpuMode::kMdevOnGpu || g.gpu.vendor_id != kNvidia) {
    return false;
  }
  std::set<std::string> types;
  for (const auto& [type, count] : g.target.want) {
    if (count > 0) types.insert(type.name);
  }
  return types.size() > 1;
}

void PlanGpu(GpuPlan& g, const DeviceSet& in_use, const DeviceSet& owned) {
  if (g.target.mode == GpuMode::kNeedsVfs) {
    const bool wants_any =
        std::any_of(g.target.want.begin(), g.target.want.end(),
                    [](const auto& w) { return w.second > 0; });
    if (!wants_any) return;  // Nothing to make: leave SR-IOV off.
    Action a = EnableVfsAction(g.gpu);
    a.reason = absl::StrCat(g.Where(), " has no VF enabled; its ",
                            g.gpu.sriov_totalvfs, " VFs carry its vGPU types");
    g.out.push_back(std::move(a));
    return;
  }
  PlanExisting(g, ExistingVgpus(g, in_use, owned));
  if (AsksTwoTypesOfTimeSlicedNvidia(g)) {
    std::vector<std::string> names;
    for (const auto& [type, count] : g.target.want) {
      if (count > 0) names.push_back(type.name);
    }
    g.blocked.push_back(g.Make(
        ActionKind::kBlocked, "",
        absl::StrCat(g.Where(), ": the layout asks for ",
                     absl::StrJoin(names, " and "),
                     " but a time-sliced NVIDIA GPU before Ampere holds one "
                     "vGPU type at a time")));
    return;
  }
  PlanCreates(g);
}

void Flush(GpuPlan& g) {
  for (auto* list : {&g.removes, &g.creates, &g.keeps, &g.blocked}) {
    for (Action& a : *list) g.out.push_back(std::move(a));
  }
}

}  // namespace

std::vector<Action> Plan(const DesiredState& desired, const Inventory& inv,
                         const DeviceSet& in_use, const DeviceSet& owned) {
  std::vector<Action> out;
  std::set<std::string> uuids;
  MdevsByParent mdevs_by_parent;
  for (const inventory::MdevDevice& m : inv.mdevs) {
    uuids.insert(m.uuid);
    mdevs_by_parent[m.parent].push_back(&m);
  }
  for (const GpuTarget& target : desired.gpus) {
    const PciFunction* gpu = inv.FindFunction(target.bdf);
    // An mdev parent that is not a PCI function is planned as a GPU that
    // holds mdevs itself, with no VFs and no vendor rule: this stand-in
    // carries only its name.
    PciFunction parent_only;
    if (target.index < 0 && gpu == nullptr &&
        inv.FindMdevParent(target.bdf) != nullptr) {
      parent_only.bdf = target.bdf;
      gpu = &parent_only;
    }
    if (gpu == nullptr) {
      Action a;
      a.kind = ActionKind::kBlocked;
      a.gpu = target.bdf;
      a.reason = absl::StrCat(target.index < 0 ? "mdev parent " : "GPU ",
                              target.bdf, " is gone");
      out.push_back(std::move(a));
      continue;
    }
    GpuPlan g{target, *gpu, inv, uuids, mdevs_by_parent, out, {}, {}, {}, {},
              {},     {},   {},  false};
    PlanGpu(g, in_use, owned);
    Flush(g);
  }
  return out;
}

Action EnableVfsAction(const PciFunction& pf) {
  Action a;
  a.kind = ActionKind::kEnableVfs;
  a.gpu = pf.bdf;
  a.device = pf.bdf;
  a.path = absl::StrCat("sys/bus/pci/devices/", pf.bdf, "/sriov_numvfs");
  a.data = absl::StrCat(pf.sriov_totalvfs);
  return a;
}

bool IsChange(ActionKind kind) {
  return kind != ActionKind::kKeep && kind != ActionKind::kBlocked;
}

bool HasChanges(const std::vector<Action>& actions) {
  return std::any_of(actions.begin(), actions.end(),
                     [](const Action& a) { return IsChange(a.kind); });
}

absl::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kEnableVfs:
      return "enable-vfs";
    case ActionKind::kSetVfType:
      return "set-vf-type";
    case ActionKind::kResetVfType:
      return "reset-vf-type";
    case ActionKind::kCreateMdev:
      return "create";
    case ActionKind::kRemoveMdev:
      return "remove";
    case ActionKind::kKeep:
      return "keep";
    case ActionKind::kBlocked:
      return "blocked";
  }
  return "unknown";
}

}  // namespace vgpu::layout
