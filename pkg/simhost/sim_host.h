// SimHost writes a simulated host (sys/, dev/) into a directory, faithful to
// docs in ../shared/reference/sysfs-reference.md: attribute values end in
// "\n" with kernel formatting, bus/class entries are relative symlinks into
// sys/devices/..., iommu_group links have the real varying depth, write-only
// attributes are mode 0200, dev/vfio nodes exist only for groups with a
// VFIO-bound member. Used by tests, benchmarks, the demo and `vgpu-simhost`.
// It writes only below its root (plain POSIX calls: it *is* the fixture).
// Not thread-safe; mutate from one thread while readers scan.
#ifndef VGPU_PKG_SIMHOST_SIM_HOST_H_
#define VGPU_PKG_SIMHOST_SIM_HOST_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::simhost {

struct FunctionSpec {
  std::string bdf;  // "0000:42:00.0"; domains of 5..8 hex digits allowed.
  uint16_t vendor = 0;
  uint16_t device = 0;
  uint16_t subsystem_vendor = 0;
  uint16_t subsystem_device = 0;
  uint32_t class_code = 0;  // 0x030000
  uint8_t revision = 0xa1;
  std::string driver;       // "" = unbound (no driver link).
  std::optional<int> iommu_group;  // nullopt = no iommu_group link.
  std::optional<int> numa_node = -1;  // nullopt = no numa_node file.
  // Upstream bridge BDFs, root port first; each must have been added with
  // AddFunction before. Empty = on the root bus.
  std::vector<std::string> parent_bridges;
  std::optional<int> vfio_cdev;  // N of vfio-dev/vfioN (iommufd hosts).
  std::string physfn;            // PF BDF when this is a VF (adds links).
  std::optional<int> sriov_totalvfs;  // PF only.
};

struct MdevTypeSpec {
  std::string id;           // "nvidia-230"
  std::string name;         // "" = no name file.
  std::string description;  // "" = no description file; may be multi-line.
  std::string device_api = "vfio-pci";
  int available_instances = 0;
};

class SimHost {
 public:
  // Creates the skeleton under `root` (created if missing; must be empty or
  // absent): sys/bus/pci/{devices,drivers}, sys/kernel/iommu_groups, dev/.
  static absl::StatusOr<std::unique_ptr<SimHost>> Create(
      absl::string_view root);

  const std::string& root() const { return root_; }

  // Host-wide VFIO device nodes.
  absl::Status SetLegacyVfioContainer(bool present);  // dev/vfio/vfio
  absl::Status SetIommufd(bool present);              // dev/iommu

  // Adds a PCI function (bridges too: class 0x060400, driver "pcieport").
  // Creates dev/vfio/<group> when bound to a VFIO driver (vfio-pci or a name
  // ending in "vfio_pci"/"vfio-pci"), dev/vfio/devices/vfioN when vfio_cdev.
  absl::Status AddFunction(const FunctionSpec& spec);

  // mdev parent types on a PCI function; registers class/mdev_bus/<bdf>.
  absl::Status AddMdevType(absl::string_view parent_bdf,
                           const MdevTypeSpec& type);
  // An mdev instance with its own IOMMU group node dev/vfio/<group>.
  absl::Status AddMdev(absl::string_view uuid, absl::string_view parent_bdf,
                       absl::string_view type_id, int iommu_group);
  // NVIDIA vendor VFIO VF vGPU: nvidia/creatable_vgpu_types (header line +
  // "%-5d : %s" lines) and nvidia/current_vgpu_type.
  absl::Status SetNvidiaVgpu(absl::string_view vf_bdf,
                             const std::map<int, std::string>& creatable,
                             int current_type);

  // Mutations for health and hot-plug tests.
  absl::Status BindDriver(absl::string_view bdf, absl::string_view driver);
  absl::Status UnbindDriver(absl::string_view bdf);
  absl::Status RemoveVfioGroupNode(int group);   // rm dev/vfio/<group>
  absl::Status RestoreVfioGroupNode(int group);  // re-create it
  absl::Status RemoveFunction(absl::string_view bdf);  // hot-unplug

  // Low-level escape hatches for edge cases (garbage values, loops).
  // `path` is root-relative.
  absl::Status WriteRaw(absl::string_view path, absl::string_view content);
  absl::Status SymlinkRaw(absl::string_view path, absl::string_view target);
  absl::Status RemoveRaw(absl::string_view path);

  // Real directory of a function: "sys/devices/pci0000:40/0000:40:03.1/<bdf>".
  absl::StatusOr<std::string> DevicePath(absl::string_view bdf) const;

 private:
  explicit SimHost(std::string root) : root_(std::move(root)) {}
  std::string root_;
  std::map<std::string, std::string> device_paths_;  // bdf -> rel dir
  std::map<std::string, FunctionSpec> functions_;
};

// Parameters of the `large` profile.
struct ProfileOptions {
  int gpus = 16;
  int vfs_per_gpu = 32;
};

// Names: workstation, t4-vgpu, a100-sriov, h100-hgx, ada-vf-vgpu, intel-gvt,
// amd-sriov, broken, large.
std::vector<std::string> ProfileNames();

// Populates a fresh SimHost with a named profile. NotFound for an unknown
// name, listing the known ones.
absl::Status BuildProfile(SimHost& host, absl::string_view name,
                          const ProfileOptions& options = {});

}  // namespace vgpu::simhost

#endif  // VGPU_PKG_SIMHOST_SIM_HOST_H_
