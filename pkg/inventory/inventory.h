// Value types of the host model, produced by Discover() (discovery.h) from the
// Sysfs boundary alone. An Inventory is immutable once built and is shared as
// std::shared_ptr<const Inventory>; it knows nothing of protobuf or kubelet.
// Every vector is sorted (BDFs and UUIDs lexicographically, groups
// numerically) so equal hosts give equal inventories.
#ifndef VGPU_PKG_INVENTORY_INVENTORY_H_
#define VGPU_PKG_INVENTORY_INVENTORY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace vgpu::inventory {

// What a PCI function is to us.
enum class FunctionRole {
  kGpu,        // display 0x03xx or processing accelerator 0x12xx
  kNvSwitch,   // NVIDIA class 0x0680 fabric switch: an endpoint, not a GPU
  kCompanion,  // any other endpoint sharing a GPU's group (HDMI audio, USB)
  kBridge,     // class 0x0600 host bridge / 0x0604 PCI bridge
  kOther,      // endpoints we do not manage (NICs, ...)
};

struct NvidiaVgpuState {
  // From nvidia/creatable_vgpu_types: type id -> name, creatable now.
  std::map<int, std::string> creatable_types;
  int current_type = 0;           // nvidia/current_vgpu_type, 0 = none.
  std::string current_type_name;  // Resolved from creatable list if present.
};

struct PciFunction {
  std::string bdf;  // "0000:42:00.0" (domain may have 4..8 hex digits).
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint16_t subsystem_vendor_id = 0;
  uint16_t subsystem_device_id = 0;
  uint32_t class_code = 0;  // 24-bit, e.g. 0x030200.
  FunctionRole role = FunctionRole::kOther;
  std::string driver;  // Basename of the driver link; "" when unbound.
  int numa_node = -1;  // -1 = no NUMA affinity (or no numa_node file).
  std::optional<int> iommu_group;  // Absent when there is no IOMMU group.
  // "vfio3" when vfio-dev/vfio3/dev exists (a VFIO cdev); "" when none,
  // also when vfio-dev/vfio3 exists without dev (no VFIO_DEVICE_CDEV).
  std::string vfio_cdev;
  // Owned by a VFIO driver, as Discover() decided with IsVfioDriver
  // (vfio_driver.h); pools read this and never decide again.
  bool on_vfio_driver = false;
  std::string physfn;                // PF BDF when this is an SR-IOV VF.
  std::vector<std::string> virtfns;  // VF BDFs by index when this is a PF.
  int sriov_totalvfs = 0;  // VFs this PF can enable; 0 = not SR-IOV capable.
  // Real sysfs directory, root-relative: "sys/devices/pci0000:40/.../<bdf>".
  std::string sysfs_path;
  // Upstream bridge BDFs from the root port down to the direct parent;
  // devices sharing a non-root-port entry sit under the same PCIe switch.
  std::vector<std::string> parent_bridges;
  std::string vendor_name;                     // From pci.ids; "" when unknown.
  std::string device_name;                     // From pci.ids; "" when unknown.
  std::optional<NvidiaVgpuState> nvidia_vgpu;  // NVIDIA vendor VFIO VF.
  bool is_mdev_parent = false;
};

// An IOMMU group seen as a passthrough unit: everything Kata or any VMM
// must take together.
struct PassthroughUnit {
  int iommu_group = -1;
  std::string primary_bdf;  // The GPU/NVSwitch function; the unit's device ID.
  FunctionRole role = FunctionRole::kGpu;  // kGpu or kNvSwitch.
  // Every endpoint function (bridges excluded), primary first, then by BDF.
  std::vector<std::string> functions;
  std::vector<std::string> bridges;  // Bridges in the group (never bound).
  bool viable = false;
  // Why not viable: names the function and its driver, e.g.
  // "0000:61:00.1 is bound to snd_hda_intel, not vfio-pci".
  std::string not_viable_reason;
  int numa_node = -1;  // Of the primary function.
};

struct MdevType {
  std::string id;           // Directory name: "nvidia-230", "i915-GVTg_V5_4".
  std::string name;         // name file, or the id when absent.
  std::string description;  // Raw, newlines kept.
  std::string device_api;   // "vfio-pci".
  int available_instances = 0;
  // Parsed from the description where present: NVIDIA "framebuffer=";
  // Intel GVT-g low_gm_size + high_gm_size (the vGPU's graphics memory).
  std::optional<uint64_t> framebuffer_bytes;
  std::optional<int> max_instances;
  std::vector<std::string> instance_uuids;  // devices/<uuid>, sorted.
};

struct MdevParent {
  std::string name;  // Name in class/mdev_bus: a BDF for PCI parents.
  bool is_pci = false;
  int numa_node = -1;
  std::vector<MdevType> types;  // By id.
};

struct MdevDevice {
  std::string uuid;  // Lower-case.
  std::string parent;
  std::string type_id;
  std::string type_name;
  std::optional<int> iommu_group;
  std::string driver;
  int numa_node = -1;  // The parent's.
};

// A device or object that discovery skipped or could only partly read.
struct Problem {
  std::string object;  // BDF, UUID or path.
  std::string reason;  // e.g. "read vendor: garbage \"10de\"".
};

struct Inventory {
  std::vector<PciFunction> functions;    // Every PCI function, by BDF.
  std::vector<PassthroughUnit> units;    // GPU and NVSwitch groups, by group.
  std::vector<MdevParent> mdev_parents;  // By name.
  std::vector<MdevDevice> mdevs;         // By UUID.
  bool vfio_container = false;  // dev/vfio/vfio exists (legacy container).
  bool iommufd = false;         // dev/iommu exists.
  // Device nodes that exist on the host (read by BuildPools for health):
  // group numbers N with a dev/vfio/N node, ascending; and the names "vfioN"
  // present under dev/vfio/devices/, sorted.
  std::vector<int> vfio_group_nodes;
  std::vector<std::string> vfio_cdev_nodes;
  std::vector<Problem> problems;

  // nullptr when absent.
  const PciFunction* FindFunction(const std::string& bdf) const;
  const MdevDevice* FindMdev(const std::string& uuid) const;
  // Binary search over mdev_parents (O(log n)); nullptr when absent.
  const MdevParent* FindMdevParent(absl::string_view name) const;
};

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_INVENTORY_H_
