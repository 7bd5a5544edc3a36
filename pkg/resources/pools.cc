#include "pkg/resources/pools.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/base/status_macros.h"
#include "pkg/inventory/discovery.h"
#include "pkg/resources/naming.h"

namespace vgpu::resources {
namespace {

using inventory::FunctionRole;
using inventory::Inventory;
using inventory::PciFunction;

// A device with what naming needs, before it is put into a pool.
struct Candidate {
  PoolDevice device;
  NamingFacts facts;
};

// Read-only view of an Inventory with the lookups BuildPools needs.
class View {
 public:
  explicit View(const Inventory& inv)
      : inv_(inv),
        group_nodes_(inv.vfio_group_nodes.begin(), inv.vfio_group_nodes.end()),
        cdev_nodes_(inv.vfio_cdev_nodes.begin(), inv.vfio_cdev_nodes.end()) {
    for (const PciFunction& f : inv.functions) by_bdf_[f.bdf] = &f;
  }

  const Inventory& inv() const { return inv_; }
  const PciFunction* Find(const std::string& bdf) const {
    auto it = by_bdf_.find(bdf);
    return it == by_bdf_.end() ? nullptr : it->second;
  }
  // The function itself, or its PF when it is a VF.
  const PciFunction* Physical(const PciFunction* f) const {
    if (f == nullptr || f->physfn.empty()) return f;
    const PciFunction* pf = Find(f->physfn);
    return pf != nullptr ? pf : f;
  }
  bool HasGroupNode(int group) const { return group_nodes_.count(group) > 0; }
  bool HasCdevNode(const std::string& n) const { return cdev_nodes_.count(n); }

 private:
  const Inventory& inv_;
  std::unordered_map<std::string, const PciFunction*> by_bdf_;
  std::set<int> group_nodes_;
  std::set<std::string> cdev_nodes_;
};

bool IsVgpuVf(const PciFunction& f) {
  return f.nvidia_vgpu.has_value() && f.nvidia_vgpu->current_type != 0;
}

std::string SwitchOf(const PciFunction* f) {
  if (f == nullptr || f->parent_bridges.size() < 3) return "";
  return f->parent_bridges[f->parent_bridges.size() - 2];
}

// Why a unit's primary is not ours to advertise; "" when it is.
std::string HostUseReason(const View& view, const PciFunction& primary) {
  if (!primary.driver.empty() && !primary.on_vfio_driver) {
    return absl::StrCat("bound to host driver ", primary.driver);
  }
  if (primary.is_mdev_parent) return "mdev parent (serves vGPU)";
  if (primary.nvidia_vgpu.has_value()) return "NVIDIA vGPU VF";
  for (const std::string& vf : primary.virtfns) {
    const PciFunction* f = view.Find(vf);
    if (f != nullptr && f->nvidia_vgpu.has_value()) {
      return "PF of NVIDIA vGPU VFs";
    }
  }
  return "";
}

// Fills vfio_nodes, iommufd and health for a device made of PCI functions.
void SetPciHandles(const View& view, const std::vector<std::string>& bdfs,
                   PoolDevice& d) {
  std::vector<const PciFunction*> fns;
  bool all_cdev = view.inv().iommufd && !bdfs.empty();
  for (const std::string& bdf : bdfs) {
    const PciFunction* f = view.Find(bdf);
    fns.push_back(f);
    if (f == nullptr || f->vfio_cdev.empty()) all_cdev = false;
  }
  std::string reason;
  for (size_t i = 0; i < fns.size(); ++i) {
    if (fns[i] == nullptr || !fns[i]->iommu_group) {
      if (reason.empty()) reason = bdfs[i] + " has no iommu group";
      continue;
    }
    if (all_cdev) {
      d.vfio_nodes.push_back("/dev/vfio/devices/" + fns[i]->vfio_cdev);
      if (reason.empty() && !view.HasCdevNode(fns[i]->vfio_cdev)) {
        reason = "dev/vfio/devices/" + fns[i]->vfio_cdev + " missing";
      }
      continue;
    }
    int g = *fns[i]->iommu_group;
    std::string node = absl::StrCat("/dev/vfio/", g);
    if (std::find(d.vfio_nodes.begin(), d.vfio_nodes.end(), node) ==
        d.vfio_nodes.end()) {
      d.vfio_nodes.push_back(node);
      if (reason.empty() && !view.HasGroupNode(g)) {
        reason = absl::StrCat("dev/vfio/", g, " missing");
      }
    }
  }
  d.iommufd = all_cdev;
  if (d.unhealthy_reason.empty()) d.unhealthy_reason = reason;
  d.healthy = d.unhealthy_reason.empty();
}

std::string HexId(uint16_t id) { return absl::StrFormat("%04x", id); }

Candidate UnitCandidate(const View& view,
                        const inventory::PassthroughUnit& unit,
                        const PciFunction& primary) {
  Candidate c;
  PoolDevice& d = c.device;
  d.id = unit.primary_bdf;
  d.type = unit.role == FunctionRole::kNvSwitch ? DeviceType::kNvSwitch
                                                : DeviceType::kPassthrough;
  d.numa_node = unit.numa_node;
  d.bdfs = {unit.primary_bdf};
  for (const std::string& bdf : unit.functions) {
    if (bdf != unit.primary_bdf) d.bdfs.push_back(bdf);
  }
  d.iommu_groups = {unit.iommu_group};
  d.physical_gpu = view.Physical(&primary)->bdf;
  d.pcie_switch = SwitchOf(&primary);
  d.model = primary.device_name.empty() ? HexId(primary.device_id)
                                        : primary.device_name;
  if (!unit.viable) {
    d.unhealthy_reason =
        unit.not_viable_reason.empty()
            ? absl::StrCat("iommu group ", unit.iommu_group, " not viable")
            : unit.not_viable_reason;
  }
  c.facts.kind = d.type == DeviceType::kNvSwitch
                     ? config::DeviceKind::kNvSwitch
                     : config::DeviceKind::kPassthrough;
  c.facts.vendor = primary.vendor_id;
  c.facts.device = primary.device_id;
  c.facts.bdfs = {unit.primary_bdf};
  c.facts.model_name = primary.device_name;
  c.facts.fallback_model = HexId(primary.device_id);
  return c;
}

void AddUnits(const View& view, std::vector<Candidate>& out,
              std::vector<inventory::Problem>& skipped) {
  for (const inventory::PassthroughUnit& unit : view.inv().units) {
    const PciFunction* primary = view.Find(unit.primary_bdf);
    if (primary == nullptr) {
      skipped.push_back({unit.primary_bdf, "primary function not found"});
      continue;
    }
    if (std::string why = HostUseReason(view, *primary); !why.empty()) {
      skipped.push_back({unit.primary_bdf, why});
      continue;
    }
    Candidate c = UnitCandidate(view, unit, *primary);
    SetPciHandles(view, c.device.bdfs, c.device);
    out.push_back(std::move(c));
  }
}

void AddVfVgpus(const View& view, std::vector<Candidate>& out) {
  for (const PciFunction& vf : view.inv().functions) {
    if (!IsVgpuVf(vf)) continue;
    const PciFunction* pf = view.Physical(&vf);
    Candidate c;
    PoolDevice& d = c.device;
    d.id = vf.bdf;
    d.type = DeviceType::kVfVgpu;
    d.numa_node = vf.numa_node;
    d.bdfs = {vf.bdf};
    if (vf.iommu_group) d.iommu_groups = {*vf.iommu_group};
    d.physical_gpu = pf->bdf;
    d.pcie_switch = SwitchOf(vf.parent_bridges.empty() ? pf : &vf);
    const int type = vf.nvidia_vgpu->current_type;
    const std::string type_name = inventory::VgpuTypeName(view.inv(), vf);
    d.model = type_name.empty() ? absl::StrCat("vgpu-type-", type) : type_name;
    if (vf.driver.empty()) d.unhealthy_reason = vf.bdf + " is not bound";
    SetPciHandles(view, d.bdfs, d);
    c.facts.kind = config::DeviceKind::kVgpu;
    c.facts.vendor = pf->vendor_id;
    c.facts.device = pf->device_id;
    c.facts.bdfs = {vf.bdf};
    if (pf != &vf) c.facts.bdfs.push_back(pf->bdf);
    c.facts.model_name = type_name;
    c.facts.fallback_model = absl::StrCat("vgpu-type-", type);
    out.push_back(std::move(c));
  }
}

void AddMdevs(const View& view, std::vector<Candidate>& out) {
  for (const inventory::MdevDevice& m : view.inv().mdevs) {
    const PciFunction* parent = view.Find(m.parent);
    const PciFunction* physical = view.Physical(parent);
    Candidate c;
    PoolDevice& d = c.device;
    d.id = m.uuid;
    d.type = DeviceType::kMdev;
    d.mdev_uuid = m.uuid;
    d.numa_node = m.numa_node;
    d.physical_gpu = physical != nullptr ? physical->bdf : m.parent;
    d.pcie_switch = SwitchOf(parent);
    d.model = m.type_name.empty() ? m.type_id : m.type_name;
    if (m.iommu_group) {
      d.iommu_groups = {*m.iommu_group};
      d.vfio_nodes = {absl::StrCat("/dev/vfio/", *m.iommu_group)};
      if (!view.HasGroupNode(*m.iommu_group)) {
        d.unhealthy_reason =
            absl::StrCat("dev/vfio/", *m.iommu_group, " missing");
      }
    } else {
      d.unhealthy_reason = "mdev " + m.uuid + " has no iommu group";
    }
    d.healthy = d.unhealthy_reason.empty();
    c.facts.kind = config::DeviceKind::kVgpu;
    if (physical != nullptr) {
      c.facts.vendor = physical->vendor_id;
      c.facts.device = physical->device_id;
      c.facts.bdfs = {m.parent};
      if (physical != parent) c.facts.bdfs.push_back(physical->bdf);
    }
    c.facts.model_name = m.type_name;
    c.facts.fallback_model = m.type_id;
    out.push_back(std::move(c));
  }
}

// Names each candidate and puts it into its pool; pools by name, devices
// by id. A device whose id is taken is skipped.
absl::Status Assign(std::vector<Candidate>& candidates,
                    const config::Config& config, PoolSet& set) {
  std::map<std::string, std::vector<PoolDevice>> by_name;
  std::set<std::string> ids;
  std::set<std::string> checked_names;
  for (Candidate& c : candidates) {
    std::optional<std::string> name = ResourceNameFor(c.facts, config);
    if (!name) {
      set.skipped.push_back(
          {c.device.id, absl::StrCat("vendor ", HexId(c.facts.vendor),
                                     " has no default resource domain and "
                                     "no rule matches")});
      continue;
    }
    if (checked_names.insert(*name).second) {
      if (absl::Status s = config::ValidateResourceName(*name); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("device ", c.device.id, ": ", s.message()));
      }
    }
    if (!ids.insert(c.device.id).second) {
      set.skipped.push_back({c.device.id, "duplicate device id"});
      continue;
    }
    set.iommufd = set.iommufd || c.device.iommufd;
    by_name[*name].push_back(std::move(c.device));
  }
  for (auto& [name, devices] : by_name) {
    std::sort(
        devices.begin(), devices.end(),
        [](const PoolDevice& a, const PoolDevice& b) { return a.id < b.id; });
    set.pools.push_back(Pool{name, std::move(devices)});
  }
  return absl::OkStatus();
}

}  // namespace

const PoolDevice* Pool::Find(const std::string& id) const {
  auto it = std::lower_bound(
      devices.begin(), devices.end(), id,
      [](const PoolDevice& d, const std::string& key) { return d.id < key; });
  return it != devices.end() && it->id == id ? &*it : nullptr;
}

const Pool* PoolSet::Find(const std::string& resource_name) const {
  auto it = std::lower_bound(pools.begin(), pools.end(), resource_name,
                             [](const Pool& p, const std::string& key) {
                               return p.resource_name < key;
                             });
  return it != pools.end() && it->resource_name == resource_name ? &*it
                                                                 : nullptr;
}

absl::StatusOr<PoolSet> BuildPools(const inventory::Inventory& inventory,
                                   const config::Config& config) {
  View view(inventory);
  PoolSet set;
  std::vector<Candidate> candidates;
  AddUnits(view, candidates, set.skipped);
  AddVfVgpus(view, candidates);
  AddMdevs(view, candidates);
  VGPU_RETURN_IF_ERROR(Assign(candidates, config, set));
  std::stable_sort(
      set.skipped.begin(), set.skipped.end(),
      [](const inventory::Problem& a, const inventory::Problem& b) {
        return a.object < b.object;
      });
  return set;
}

namespace {

absl::Status RequestError(absl::StatusCode code, absl::string_view reason,
                          std::string message) {
  absl::Status status(code, message);
  status.SetPayload(kRequestErrorReasonUrl, absl::Cord(reason));
  return status;
}

}  // namespace

absl::StatusOr<std::vector<const PoolDevice*>> ResolveRequest(
    const Pool& pool, const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return RequestError(absl::StatusCode::kInvalidArgument, "empty_request",
                        absl::StrCat("no device IDs requested for resource ",
                                     pool.resource_name));
  }
  std::vector<const PoolDevice*> devices;
  devices.reserve(ids.size());
  for (const std::string& id : ids) {
    const PoolDevice* device = pool.Find(id);
    if (device == nullptr) {
      return RequestError(absl::StatusCode::kInvalidArgument, "unknown_device",
                          absl::StrCat("unknown device \"", id,
                                       "\" for resource ", pool.resource_name));
    }
    if (std::find(devices.begin(), devices.end(), device) != devices.end()) {
      return RequestError(
          absl::StatusCode::kInvalidArgument, "duplicate_device",
          absl::StrCat("device \"", id, "\" requested twice for resource ",
                       pool.resource_name));
    }
    if (!device->healthy) {
      return RequestError(
          absl::StatusCode::kFailedPrecondition, "unhealthy_device",
          absl::StrCat("device \"", id, "\" of resource ", pool.resource_name,
                       " is unhealthy: ", device->unhealthy_reason));
    }
    devices.push_back(device);
  }
  return devices;
}

}  // namespace vgpu::resources
