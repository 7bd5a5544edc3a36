// What a named vGPU layout asks of this node: Resolve() turns the layout's
// entries into one target per physical GPU, with every type name resolved
// against what that GPU offers. Pure: values in, values out.
//
// Indices (`devices: [0, 2]`) count the node's physical GPUs: every PCI
// function discovery calls a GPU (display 0x03xx or 3D/processing 0x12xx)
// that is not an SR-IOV VF, whatever its vendor or driver, in PCI address
// order (domain:bus:device.function, as sorted by the inventory). An entry
// with `mdevParents` addresses mdev parents that are not PCI functions (the
// kernel's sample drivers mbochs and mtty, a virtual parent of some vendor
// driver) by their name in /sys/class/mdev_bus, and no GPU.
//
// A type is named by its sysfs name with or without the vendor prefix
// ("NVIDIA A10-4Q", "A10-4Q", "GRID T4-1Q", "T4-1Q", "GVTg_V5_4"), by its
// mdev type id ("nvidia-230", "i915-GVTg_V5_4"), or, for NVIDIA VF vGPU, by
// its numeric type id ("1148").
#ifndef VGPU_PKG_LAYOUT_DESIRED_H_
#define VGPU_PKG_LAYOUT_DESIRED_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/config/config.h"
#include "pkg/inventory/inventory.h"

namespace vgpu::layout {

// How a physical GPU makes vGPUs, from what sysfs shows now.
enum class GpuMode {
  kMdevOnGpu,  // mdev types on the GPU itself: NVIDIA time-sliced before
               // Ampere (T4, V100: one type at a time), Intel GVT-g.
  kMdevOnVfs,  // mdev types on each SR-IOV VF, one vGPU per VF (Ampere).
  kVfVgpu,     // NVIDIA vendor VFIO: nvidia/current_vgpu_type per VF
               // (Ada, Hopper, Blackwell).
  kNeedsVfs,   // SR-IOV capable, no VF enabled yet, no types visible: the
               // types can be checked only after sriov_numvfs is written.
  kNone,       // Offers no vGPU.
};

// A vGPU type of one GPU: `id` is the mdev type id ("nvidia-230") or the
// VF vGPU type id in decimal ("1148"); `name` the sysfs name.
struct VgpuType {
  std::string id;
  std::string name;
};

struct GpuTarget {
  std::string bdf;  // The physical GPU (PF), or the mdev parent's name.
  int index = 0;    // Its index among the node's physical GPUs; -1 for an
                    // mdev parent that is not a PCI function.
  GpuMode mode = GpuMode::kNone;
  // Types in layout order, counts as asked. In kNeedsVfs the types are not
  // resolved yet: id is "" and name is the text of the layout.
  std::vector<std::pair<VgpuType, int>> want;
};

struct DesiredState {
  std::string layout;
  // GPUs in PCI address order, then mdev parents that are not PCI
  // functions, by name.
  std::vector<GpuTarget> gpus;
};

// The node's physical GPUs in PCI address order (the index order).
std::vector<const inventory::PciFunction*> PhysicalGpus(
    const inventory::Inventory& inventory);

// How `gpu` (a physical GPU of `inventory`) makes vGPUs.
GpuMode ModeOf(const inventory::Inventory& inventory,
               const inventory::PciFunction& gpu);

// Every type `gpu` can be seen to offer now, by id: on the GPU, on its VFs
// (union), or in its VFs' creatable and current VF vGPU types.
std::vector<VgpuType> OfferedTypes(const inventory::Inventory& inventory,
                                   const inventory::PciFunction& gpu);

// True if `requested` names `type` (id, name, or name without its first
// word when the name has several: "NVIDIA A10-4Q" -> "A10-4Q").
bool TypeMatches(absl::string_view requested, const VgpuType& type);

// Resolves layout `name` of `layouts` against the node. NotFound if there is
// no such layout (the message lists the names there are). InvalidArgument
// listing every problem: an index past the node's GPUs, a GPU matched by two
// entries, a type the GPU does not offer (naming the GPU and the types it
// offers), a GPU that offers no vGPU at all, an mdevParents name that is no
// mdev parent of the node or is a PCI function.
absl::StatusOr<DesiredState> Resolve(const config::VgpuLayouts& layouts,
                                     const std::string& name,
                                     const inventory::Inventory& inventory);

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_DESIRED_H_
