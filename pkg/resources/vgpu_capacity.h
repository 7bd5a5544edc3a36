// vGPU capacity per physical GPU: how many vGPUs of each type exist, how
// many more can be created, and how much framebuffer they hold. Pure: values
// in, values out. pkg/metrics turns these values into series.
#ifndef VGPU_PKG_RESOURCES_VGPU_CAPACITY_H_
#define VGPU_PKG_RESOURCES_VGPU_CAPACITY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pkg/inventory/inventory.h"

namespace vgpu::resources {

// mdev parents merged per physical GPU: an SR-IOV VF parent (NVIDIA A100
// and later without vendor VFIO) is folded into its PF, types merged by id
// (instances and available_instances added up). By name.
std::vector<inventory::MdevParent> MdevParentsByPhysicalGpu(
    const inventory::Inventory& inventory);

// Framebuffer of one physical GPU's vGPUs, in bytes.
struct FramebufferUsage {
  bool has_allocated = false;
  uint64_t allocated = 0;
  bool has_total = false;
  uint64_t total = 0;
};

// allocated = sum over types with a known framebuffer of (instances x
// framebuffer); present when any type states its framebuffer.
// total = max over the types in use (instances > 0) of framebuffer x
// max_instances, or over all types when none is in use; present when some
// considered type states both.
FramebufferUsage ComputeFramebuffer(const inventory::MdevParent& parent);

// One vGPU type on one physical GPU.
struct VgpuTypeCapacity {
  std::string parent;  // BDF of the physical GPU (the PF for VFs).
  std::string type;    // Type name.
  int instances = 0;   // vGPUs of this type that exist.
  // How many more can be created; nullopt when nothing says (a type seen
  // only as the current type of NVIDIA VFs).
  std::optional<int> available;
};

// Every (physical GPU, type name), sorted by both:
// - mdev types, per MdevParentsByPhysicalGpu: instances = its mdevs,
//   available = available_instances (summed over types of the same name);
// - NVIDIA vendor-VFIO VFs (no mdev), each holding at most one vGPU: a VF
//   with a current type adds 1 to that type's instances (name from the
//   creatable list, else "nvidia-<id>"); a VF without one adds 1 to the
//   available count of each type it can still take (instances 0).
std::vector<VgpuTypeCapacity> VgpuCapacity(
    const inventory::Inventory& inventory);

}  // namespace vgpu::resources

#endif  // VGPU_PKG_RESOURCES_VGPU_CAPACITY_H_
