#include "pkg/resources/vgpu_capacity.h"

#include <algorithm>
#include <map>
#include <utility>

#include "pkg/inventory/discovery.h"

namespace vgpu::resources {

std::vector<inventory::MdevParent> MdevParentsByPhysicalGpu(
    const inventory::Inventory& inventory) {
  std::map<std::string, std::string> pf_of_vf;
  for (const inventory::PciFunction& function : inventory.functions) {
    if (!function.physfn.empty()) pf_of_vf[function.bdf] = function.physfn;
  }
  std::map<std::string, inventory::MdevParent> gpus;
  for (const inventory::MdevParent& parent : inventory.mdev_parents) {
    auto vf = pf_of_vf.find(parent.name);
    const std::string& name = vf == pf_of_vf.end() ? parent.name : vf->second;
    inventory::MdevParent& gpu = gpus[name];
    gpu.name = name;
    gpu.is_pci = parent.is_pci;
    gpu.numa_node = parent.numa_node;
    for (const inventory::MdevType& type : parent.types) {
      auto same = std::find_if(
          gpu.types.begin(), gpu.types.end(),
          [&](const inventory::MdevType& t) { return t.id == type.id; });
      if (same == gpu.types.end()) {
        gpu.types.push_back(type);
        continue;
      }
      same->available_instances += type.available_instances;
      same->instance_uuids.insert(same->instance_uuids.end(),
                                  type.instance_uuids.begin(),
                                  type.instance_uuids.end());
    }
  }
  std::vector<inventory::MdevParent> out;
  for (auto& [name, gpu] : gpus) out.push_back(std::move(gpu));
  return out;
}

FramebufferUsage ComputeFramebuffer(const inventory::MdevParent& parent) {
  FramebufferUsage usage;
  bool any_in_use = false;
  for (const inventory::MdevType& type : parent.types) {
    if (!type.instance_uuids.empty()) any_in_use = true;
    if (!type.framebuffer_bytes.has_value()) continue;
    usage.has_allocated = true;
    usage.allocated += *type.framebuffer_bytes * type.instance_uuids.size();
  }
  for (const inventory::MdevType& type : parent.types) {
    if (any_in_use && type.instance_uuids.empty()) continue;
    if (!type.framebuffer_bytes.has_value() ||
        !type.max_instances.has_value() || *type.max_instances < 0) {
      continue;
    }
    const uint64_t total =
        *type.framebuffer_bytes * static_cast<uint64_t>(*type.max_instances);
    usage.total = std::max(usage.total, total);
    usage.has_total = true;
  }
  return usage;
}

namespace {

using CapacityMap =
    std::map<std::pair<std::string, std::string>, VgpuTypeCapacity>;

VgpuTypeCapacity& Entry(CapacityMap& map, const std::string& parent,
                        const std::string& type) {
  VgpuTypeCapacity& c = map[{parent, type}];
  c.parent = parent;
  c.type = type;
  return c;
}

void AddMdevTypes(const inventory::Inventory& inventory, CapacityMap& map) {
  for (const inventory::MdevParent& gpu : MdevParentsByPhysicalGpu(inventory)) {
    for (const inventory::MdevType& type : gpu.types) {
      VgpuTypeCapacity& c = Entry(map, gpu.name, type.name);
      c.instances += static_cast<int>(type.instance_uuids.size());
      c.available = c.available.value_or(0) + type.available_instances;
    }
  }
}

void AddVfVgpus(const inventory::Inventory& inventory, CapacityMap& map) {
  for (const inventory::PciFunction& function : inventory.functions) {
    if (!function.nvidia_vgpu.has_value()) continue;
    const inventory::NvidiaVgpuState& state = *function.nvidia_vgpu;
    const std::string& parent =
        function.physfn.empty() ? function.bdf : function.physfn;
    if (state.current_type != 0) {
      std::string type = inventory::VgpuTypeName(inventory, function);
      if (type.empty()) type = "nvidia-" + std::to_string(state.current_type);
      Entry(map, parent, type).instances += 1;
      continue;
    }
    for (const auto& [id, name] : state.creatable_types) {
      VgpuTypeCapacity& c = Entry(map, parent, name);
      c.available = c.available.value_or(0) + 1;
    }
  }
}

}  // namespace

std::vector<VgpuTypeCapacity> VgpuCapacity(
    const inventory::Inventory& inventory) {
  CapacityMap map;
  AddMdevTypes(inventory, map);
  AddVfVgpus(inventory, map);
  std::vector<VgpuTypeCapacity> out;
  out.reserve(map.size());
  for (auto& [key, capacity] : map) out.push_back(std::move(capacity));
  return out;
}

}  // namespace vgpu::resources
