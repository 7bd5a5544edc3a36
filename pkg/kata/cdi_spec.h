// CDI specs: one JSON file per resource in the CDI dir, cdiVersion "0.5.0",
// kind = resource name, one device per pool device (name = device ID) whose
// deviceNodes are exactly its VFIO handles. Files are written atomically
// (temp file, fsync, rename) and removed when their pool disappears, so every
// file is valid at every instant. File names cannot collide with another
// vendor's: "vgpu-device-plugin_<vendor>_<class>.json".
#ifndef VGPU_PKG_KATA_CDI_SPEC_H_
#define VGPU_PKG_KATA_CDI_SPEC_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/resources/pools.h"

namespace vgpu::kata {

inline constexpr char kCdiVersion[] = "0.5.0";

// The spec JSON for one pool. Pure. Lists every device of the pool, healthy
// or not (the kubelet allocates only healthy ones, and a device that turns
// unhealthy while a pod uses it must stay resolvable), in pool order, with
// its vfio_nodes deduplicated in order, except a device CdiListsDevice
// rejects: the CDI library fails the whole file on one bad device.
std::string RenderCdiSpec(const resources::Pool& pool);
// Whether RenderCdiSpec lists the device: its ID is a valid CDI device name
// and it has at least one VFIO handle.
bool CdiListsDevice(const resources::PoolDevice& device);

// CDI name rules (container-device-interface pkg/cdi/qualified-device.go).
// Kind "vendor/class": vendor [A-Za-z0-9_.-] starting with a letter, class
// [A-Za-z0-9_-] starting with a letter, both ending alphanumeric.
// InvalidArgument naming the kind and the rule otherwise.
absl::Status ValidateCdiKind(absl::string_view kind);
// Device name: [A-Za-z0-9_.:-], alphanumeric at both ends.
absl::Status ValidateCdiDeviceName(absl::string_view name);
// "nvidia.com/pgpu" -> "vgpu-device-plugin_nvidia.com_pgpu.json".
std::string CdiSpecFileName(const std::string& resource_name);

// Keeps the CDI dir in step with a PoolSet. Not thread-safe: call from the
// daemon loop only. The dir is the daemon's own (--cdi-dir), not host sysfs.
class CdiWriter {
 public:
  explicit CdiWriter(std::string cdi_dir) : dir_(std::move(cdi_dir)) {}
  // Writes every changed spec, removes specs of pools that are gone or list
  // no device (only files this writer's naming scheme owns, plus temp files
  // a crashed writer left). Creates the dir if missing. An unchanged file is
  // not rewritten. A pool whose kind is invalid is not written (and its old
  // file removed): InvalidArgument naming it. A pool whose file cannot be
  // written does not stop the others. Every failure is in the returned
  // status (I/O errors name the path) and, per resource, in failed().
  absl::Status Sync(const resources::PoolSet& pools);
  // Resources whose spec is not current after the last Sync -> why. Their
  // devices may not resolve through CDI: the daemon must not offer them.
  const std::map<std::string, std::string>& failed() const { return failed_; }
  // Removes every spec this writer owns (on shutdown, optional).
  absl::Status RemoveAll();

 private:
  std::string dir_;
  std::set<std::string> written_;  // File names written by Sync.
  std::map<std::string, std::string> failed_;
};

}  // namespace vgpu::kata

#endif  // VGPU_PKG_KATA_CDI_SPEC_H_
