// SimHost writes a simulated host (sys/, dev/) into a directory, faithful to
// docs/sysfs.md: attribute values end in
// "\n" with kernel formatting, bus/class entries are relative symlinks into
// sys/devices/..., iommu_group links have the real varying depth, write-only
// attributes are mode 0200, dev/vfio nodes exist only for groups with a
// VFIO-bound member. Used by tests, benchmarks, the demo and `vgpu-simhost`.
// It writes only below its root (plain POSIX calls: it *is* the fixture).
// Device nodes (dev/vfio/N, dev/iommu, ...) are empty regular files.
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
  std::string driver;                 // "" = unbound (no driver link).
  std::optional<int> iommu_group;     // nullopt = no iommu_group link.
  std::optional<int> numa_node = -1;  // nullopt = no numa_node file.
  // Upstream bridge BDFs, root port first; each must have been added with
  // AddFunction before. Empty = on the root bus. A VF (physfn set) always
  // sits next to its PF: leave this empty or equal to the PF's.
  std::vector<std::string> parent_bridges;
  // N of vfio-dev/vfioN, which exists only while a VFIO driver owns the
  // function; with SetVfioCdevSupport(true) (the default) it holds `dev`
  // and dev/vfio/devices/vfioN exists too, without it neither does.
  std::optional<int> vfio_cdev;
  std::string physfn;                 // PF BDF when this is a VF (adds links).
  std::optional<int> sriov_totalvfs;  // PF only.
  // PF only (with sriov_totalvfs): sriov_offset, sriov_stride, and the VF
  // device id written to sriov_vf_device (0 = same as `device`).
  int sriov_offset = 4;
  int sriov_stride = 1;
  uint16_t sriov_vf_device = 0;
  // The bound driver is a vendor VFIO driver although its name does not say
  // so (NVIDIA vGPU 17+ VFs on "nvidia"): dev/vfio/<group> and vfio-dev/ as
  // for vfio-pci. SetNvidiaVgpu sets it.
  bool vendor_vfio = false;
  bool boot_vga = false;  // boot_vga content; VGA class (0x0300xx) only.
  // Sizes of BAR0..5 (0 = unused; a 64-bit BAR leaves the next slot 0):
  // the `resource` file, 13 lines as the kernel prints for an endpoint.
  // Empty = no resource file.
  std::vector<uint64_t> bar_sizes;
  // "" = neither reset_method nor reset (the kernel writes `reset` only
  // when a method exists: fn 1 of a multi-function slot has none).
  std::string reset_method;  // "flr bus"
  // driver_override content; "" = "(null)". Binding keeps it.
  std::string driver_override;
  // False: power_state reads "unknown" while unbound (no PM capability,
  // as on QEMU devices); "D0" otherwise.
  bool pm_capable = true;
  // PCIe link attributes; "" = none (integrated device). VFs always report
  // speed "Unknown" and width 0, as real VFs do.
  std::string link_speed = "16.0 GT/s PCIe";
  int link_width = 16;
  // Root-bus functions only: BDF of the device whose directory holds the
  // pciDDDD:BB root (an Intel VMD controller); "" = directly in sys/devices.
  std::string root_bus_parent;
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
  // FailedPrecondition if `root` is not empty.
  static absl::StatusOr<std::unique_ptr<SimHost>> Create(
      absl::string_view root);

  const std::string& root() const { return root_; }

  // Host-wide VFIO device nodes.
  absl::Status SetLegacyVfioContainer(bool present);  // dev/vfio/vfio
  absl::Status SetIommufd(bool present);              // dev/iommu
  // CONFIG_VFIO_DEVICE_CDEV: on (default), a function's vfio-dev/vfioN has
  // `dev` and dev/vfio/devices/vfioN exists; off (stock Debian 6.1/6.12),
  // vfio-dev/vfioN exists without `dev` and there is no node. Affects
  // functions bound after the call.
  void SetVfioCdevSupport(bool enabled) { vfio_cdev_support_ = enabled; }
  // mdev.ko loaded: sys/class/mdev_bus and sys/bus/mdev/{devices,drivers}
  // exist, empty until a parent registers.
  absl::Status LoadMdevCore();

  // Adds a PCI function (bridges too: class 0x060400, driver "pcieport").
  // Creates dev/vfio/<group> when bound to a VFIO driver (as
  // inventory::IsVfioDriver decides, vendor_vfio counting as a vfio-dev/
  // entry), and then also
  // vfio-dev/vfioN + dev/vfio/devices/vfioN when vfio_cdev is set.
  // A VF gets physfn, and its PF the next virtfnN link and sriov_numvfs.
  // InvalidArgument for a malformed BDF or unknown bridge/PF, AlreadyExists
  // for a duplicate BDF.
  absl::Status AddFunction(const FunctionSpec& spec);

  // A non-PCI mdev parent, as the kernel's samples register:
  // sys/devices/virtual/<class_name>/<name> with class/<class_name>/<name>;
  // its instances bind to `mdev_driver` ("mbochs"). Give it types with
  // AddMdevType(name, ...). InvalidArgument for a bad name, AlreadyExists
  // when a parent or function of that name exists.
  absl::Status AddVirtualMdevParent(absl::string_view class_name,
                                    absl::string_view name,
                                    absl::string_view mdev_driver);
  // mdev parent types on a PCI function or a virtual parent (by name);
  // registers class/mdev_bus/<name> and the mdev bus (sys/bus/mdev) on first
  // use. NotFound for an unknown parent, AlreadyExists for a duplicate type.
  absl::Status AddMdevType(absl::string_view parent_bdf,
                           const MdevTypeSpec& type);
  // An mdev instance with its own IOMMU group node dev/vfio/<group>. The UUID
  // is stored lower-case (as the kernel names it). Does not change
  // available_instances (see SetAvailableInstances). InvalidArgument for a
  // malformed UUID, AlreadyExists for a used one, NotFound for parent/type.
  absl::Status AddMdev(absl::string_view uuid, absl::string_view parent_bdf,
                       absl::string_view type_id, int iommu_group);
  // Removes an mdev instance (what a write to its `remove` does), and its
  // group with its dev/vfio node when that leaves the group empty.
  absl::Status RemoveMdev(absl::string_view uuid);
  // The lowest IOMMU group id no function or mdev uses, as the kernel
  // allocates one for a new mdev instance.
  int NextFreeIommuGroup() const;
  // Rewrites <parent>/mdev_supported_types/<type>/available_instances.
  absl::Status SetAvailableInstances(absl::string_view parent_bdf,
                                     absl::string_view type_id, int count);
  // NVIDIA vendor VFIO VF vGPU: nvidia/creatable_vgpu_types (header line +
  // "%-5d : %s" lines) and nvidia/current_vgpu_type. Marks the VF's driver as
  // a vendor VFIO driver (group node, vfio-dev). FailedPrecondition when the
  // function is unbound.
  absl::Status SetNvidiaVgpu(absl::string_view vf_bdf,
                             const std::map<int, std::string>& creatable,
                             int current_type);

  // Mutations for health and hot-plug tests.
  // BindDriver: FailedPrecondition when already bound (unbind first).
  absl::Status BindDriver(absl::string_view bdf, absl::string_view driver);
  // Unbinding an mdev parent unregisters it: its types and instances vanish
  // without any `remove`, as on a real host; an nvidia/ vGPU dir goes too.
  absl::Status UnbindDriver(absl::string_view bdf);
  absl::Status RemoveVfioGroupNode(int group);   // rm dev/vfio/<group>
  absl::Status RestoreVfioGroupNode(int group);  // re-create it
  // Hot-unplug: removes the function, its VFs and everything below it
  // (children behind a bridge, mdev instances), with all their links.
  absl::Status RemoveFunction(absl::string_view bdf);

  // Low-level escape hatches for edge cases (garbage values, loops).
  // `path` is root-relative; parent directories are created as needed.
  absl::Status WriteRaw(absl::string_view path, absl::string_view content);
  absl::Status SymlinkRaw(absl::string_view path, absl::string_view target);
  absl::Status RemoveRaw(absl::string_view path);
  absl::Status ChmodRaw(absl::string_view path, uint32_t mode);

  // Real directory of a function: "sys/devices/pci0000:40/0000:40:03.1/<bdf>".
  absl::StatusOr<std::string> DevicePath(absl::string_view bdf) const;
  // Real directory of an mdev parent, PCI function or virtual parent.
  absl::StatusOr<std::string> MdevParentPath(absl::string_view name) const;
  // True for a parent added with AddVirtualMdevParent.
  bool IsVirtualMdevParent(absl::string_view name) const {
    return virtual_parents_.count(std::string(name)) > 0;
  }
  // Real directory of an mdev instance: "<parent device path>/<uuid>".
  absl::StatusOr<std::string> MdevPath(absl::string_view uuid) const;
  // The spec of a function as it is now (driver follows Bind/Unbind), or
  // nullptr when absent.
  const FunctionSpec* FindFunction(absl::string_view bdf) const;

  // Read-only views for KernelModel (kernel_model.h).
  struct MdevInfo {
    std::string uuid;  // lower-case
    std::string parent;
    std::string type;
    int iommu_group = 0;
  };
  std::vector<std::string> FunctionBdfs() const;        // sorted
  std::vector<std::string> VirtualMdevParents() const;  // sorted
  // VFs of `pf_bdf` in virtfn order (removed ones skipped).
  std::vector<std::string> VirtualFunctionsOf(absl::string_view pf_bdf) const;
  // Types of an mdev parent as they are now; empty for a non-parent.
  std::vector<MdevTypeSpec> MdevTypesOf(absl::string_view parent_bdf) const;
  std::vector<MdevInfo> Mdevs() const;  // sorted by uuid

  // What `echo 0 > sriov_numvfs` does: removes every VF of `pf_bdf` (their
  // mdevs and links too), restarts virtfn numbering, writes sriov_numvfs 0.
  // NotFound for an unknown function.
  absl::Status DisableVfs(absl::string_view pf_bdf);

  // Later writes go to `root`, another path naming the same directory (the
  // "/proc/self/fd/N" of an fd opened on it before it was mounted over).
  void Rebase(std::string root) { root_ = std::move(root); }

 private:
  struct MdevState {
    std::string parent;
    std::string type;
    int group = 0;
  };
  struct VirtualParent {
    std::string dir;
    std::string mdev_driver;
  };

  explicit SimHost(std::string root) : root_(std::move(root)) {}

  absl::StatusOr<std::string> ComputeDevicePath(const FunctionSpec& s) const;
  absl::Status CheckNewFunction(const FunctionSpec& spec) const;
  absl::Status WriteFunctionFiles(const FunctionSpec& spec,
                                  const std::string& dir);
  absl::Status WriteSriovPf(const FunctionSpec& spec, const std::string& dir);
  absl::Status LinkVfToPf(const FunctionSpec& vf, const std::string& dir);
  absl::Status WriteUevent(const FunctionSpec& spec);
  absl::Status LinkDriver(const FunctionSpec& spec);
  absl::Status UnlinkDriver(const FunctionSpec& spec);
  absl::Status EnsureGroup(int group, bool mdev = false);
  std::string MdevDriverOf(const std::string& parent) const;
  absl::Status LinkGroupMember(int group, const std::string& member_dir);
  absl::Status DropGroupMember(int group, absl::string_view member);
  absl::Status AttachVfio(const FunctionSpec& spec);
  absl::Status DetachVfio(const FunctionSpec& spec);
  absl::Status EnsureVfioNode(int group);
  absl::Status DropVfioNodeIfUnused(int group);
  bool GroupHasVfioMember(int group) const;
  bool GroupHasMember(int group) const;
  absl::Status UnregisterMdevParent(absl::string_view bdf);
  absl::Status RemoveOneFunction(const std::string& bdf);
  std::vector<std::string> FunctionsToRemove(absl::string_view bdf) const;

  std::string root_;
  std::map<std::string, std::string> device_paths_;  // bdf -> rel dir
  std::map<std::string, FunctionSpec> functions_;
  std::map<std::string, std::vector<std::string>>
      vfs_;  // PF -> VFs, virtfn order
  // parent bdf -> type id -> spec.
  std::map<std::string, std::map<std::string, MdevTypeSpec>> mdev_types_;
  std::map<std::string, MdevState> mdevs_;  // lower-case uuid -> state
  std::map<std::string, VirtualParent> virtual_parents_;  // by name
  bool vfio_cdev_support_ = true;
};

// BDF of VF `index` (0-based) of `pf_bdf` under ARI routing-ID addressing:
// RID(pf) + offset + index * stride ("0000:41:00.0", 4, 1, 4 ->
// "0000:41:01.0"). InvalidArgument for a bad BDF or a result past bus 0xff.
absl::StatusOr<std::string> VfBdf(absl::string_view pf_bdf, int offset,
                                  int stride, int index);

// Parameters of the `large`, `large-empty` and `passthrough` profiles
// (`passthrough` reads `gpus` only).
struct ProfileOptions {
  int gpus = 16;         // 1..248
  int vfs_per_gpu = 32;  // 0..252
};

// Names: workstation, t4-vgpu, a100-sriov, h100-hgx, ada-vf-vgpu, intel-gvt,
// amd-sriov, broken, large, t4-empty, large-empty, stock-debian,
// mdev-no-parent, mdev-virtual, passthrough.
std::vector<std::string> ProfileNames();

// OK if BuildProfile(name, options) would be attempted: NotFound for an
// unknown name, listing the known ones; InvalidArgument for options out of
// range (checked for `large`, `large-empty` and `passthrough` only; other
// profiles ignore the options).
absl::Status CheckProfile(absl::string_view name,
                          const ProfileOptions& options = {});

// Populates a fresh SimHost with a named profile. Fails as CheckProfile
// does before touching the host.
absl::Status BuildProfile(SimHost& host, absl::string_view name,
                          const ProfileOptions& options = {});

}  // namespace vgpu::simhost

#endif  // VGPU_PKG_SIMHOST_SIM_HOST_H_
