// KernelModel: what the kernel does, synchronously, when a process writes a
// control file of a simulated host (docs/sysfs.md: mdev, NVIDIA vendor
// VFIO; where a simulator and the kernel differ, the kernel wins):
//   <parent>/mdev_supported_types/<type>/create  UUID -> a new instance
//   <parent>/<uuid>/remove                       non-zero -> instance gone
//   <pf>/sriov_numvfs                            N -> VFs 0..N-1, 0 -> none
//   <vf>/nvidia/current_vgpu_type                id -> vGPU on, 0 -> off
// Paths are root-relative real paths (no symlink in them), as a FUSE server
// receives them. Side effects go through SimHost's writers, so an instance a
// write creates looks exactly like one a profile adds; available_instances
// and creatable_vgpu_types follow the vendor rules of §3.6/§3.7. Write()
// returns 0 or the errno the writer's write(2) must get. The model learns
// type capacities and VF templates from the host when constructed, so
// construct it after the profile is built. Not thread-safe.
#ifndef VGPU_PKG_SIMHOST_KERNEL_MODEL_H_
#define VGPU_PKG_SIMHOST_KERNEL_MODEL_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pkg/simhost/sim_host.h"

namespace vgpu::simhost {

class KernelModel {
 public:
  // `host` must outlive the model.
  explicit KernelModel(SimHost& host);

  // True if a write to `path` is a kernel action (one of the files above
  // on a real parent, instance, PF or vGPU-capable VF).
  bool Handles(absl::string_view path) const;

  // One write(2) of `data` to `path`: 0 or a positive errno. A path that
  // Handles() rejects gets EINVAL. Errnos:
  //   create: EINVAL (length not 36/37 or not a UUID), EEXIST (UUID in use
  //     on any parent, compared case-insensitively), ENODEV (parent gone or
  //     type not registered), ENOSPC (nvidia/i915 or virtual parent, as
  //     the mbochs/mtty samples, with available_instances 0: the vendor
  //     probe refuses), EUSERS (any other PCI parent's driver: the 6.1+
  //     core counter is 0). An empty write is a no-op; the 37th byte may be
  //     anything.
  //   remove: EINVAL (not a number), ENODEV (no such instance), EBUSY
  //     (marked in use by SetInUse); 0 is a no-op.
  //   sriov_numvfs: EINVAL (not a number), ENOENT (PF has no driver),
  //     ERANGE (> sriov_totalvfs), EBUSY (non-zero while VFs are enabled
  //     with another count).
  //   current_vgpu_type: EINVAL (not a number, or not creatable on this VF
  //     now), EBUSY (a vGPU is already set, write 0 first; or 0 written
  //     while the VF is marked in use), ENODEV (VF gone or unbound).
  //   EIO when updating the tree fails (a simulator bug).
  int Write(absl::string_view path, absl::string_view data);

  // A vGPU whose device a VMM holds open, by mdev UUID or VF address: an
  // mdev's `remove` gets EBUSY (the vendor remove() callback refusing,
  // pre-6.x ABI), as does writing 0 to the VF's current_vgpu_type.
  void SetInUse(absl::string_view device, bool in_use);

 private:
  enum class Kind { kCreate, kRemove, kNumVfs, kVgpuType };
  struct Target {
    Kind kind;
    std::string object;  // parent bdf, uuid, PF bdf or VF bdf
    std::string type;    // mdev type id (kCreate only)
  };
  // A VF vGPU (§3.7) as the model tracks it.
  struct VfVgpu {
    int current = 0;
  };
  // What new VFs of a PF look like, learned from its VFs at construction.
  struct VfTemplate {
    std::vector<MdevTypeSpec> mdev_types;   // Ampere: mdev types per VF
    std::map<int, std::string> vgpu_types;  // Ada: creatable catalogue
    bool vgpu = false;                      // VFs carry nvidia/ files
    bool vfio_cdev = false;
  };

  void LearnTemplatesOfPfsWithoutVfs();
  void LearnPool(
      const std::string& parent, const std::vector<MdevTypeSpec>& types,
      const std::function<std::optional<int64_t>(const MdevTypeSpec&)>& cost);
  std::optional<Target> Classify(absl::string_view path) const;
  int Create(const std::string& parent, const std::string& type,
             absl::string_view data);
  int Remove(const std::string& uuid, absl::string_view data);
  int SetNumVfs(const std::string& pf, absl::string_view data);
  int SetVgpuType(const std::string& vf, absl::string_view data);

  // Rewrites available_instances of every type `parent` (and, for an
  // Ampere VF parent, its sibling VFs) offers after one instance of `type`
  // was created (delta +1) or removed (-1); 0 or EIO.
  int Recount(const std::string& parent, const std::string& type, int delta);
  int RecountTimeSliced(const std::string& parent);
  int RecountVfs(const std::string& pf);
  int RewriteVgpuFiles(const std::string& pf);
  std::map<int, std::string> CreatableOn(const std::string& pf,
                                         const std::string& vf) const;
  int MaxInstances(const std::string& parent, const MdevTypeSpec& type) const;

  SimHost& host_;
  std::set<std::string> in_use_;
  std::map<std::string, VfVgpu> vgpus_;          // VF bdf -> state
  std::map<std::string, VfTemplate> templates_;  // PF bdf -> template
  // Parents whose types draw on one pool: i915 (GVT-g aperture, MB),
  // the samples mbochs (video memory, MB) and mtty (serial ports).
  struct SharedPool {
    int64_t free = 0;
    std::map<std::string, int64_t> cost;  // type id -> units per instance
  };
  std::map<std::string, SharedPool> pools_;
  // (parent, type) -> max instances when the description does not say.
  std::map<std::pair<std::string, std::string>, int> learned_max_;
};

}  // namespace vgpu::simhost

#endif  // VGPU_PKG_SIMHOST_KERNEL_MODEL_H_
