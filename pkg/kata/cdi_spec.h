// CDI specs: one JSON file per resource in the CDI dir, cdiVersion "0.5.0",
// kind = resource name, one device per pool device (name = device ID) whose
// deviceNodes are exactly its VFIO handles. Files are written atomically
// (temp file, fsync, rename) and removed when their pool disappears, so every
// file is valid at every instant. File names cannot collide with another
// vendor's: "vgpu-device-plugin_<vendor>_<class>.json".
#ifndef VGPU_PKG_KATA_CDI_SPEC_H_
#define VGPU_PKG_KATA_CDI_SPEC_H_

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkg/resources/pools.h"

namespace vgpu::kata {

inline constexpr char kCdiVersion[] = "0.5.0";

// The spec JSON for one pool. Pure.
std::string RenderCdiSpec(const resources::Pool& pool);
// "nvidia.com/pgpu" -> "vgpu-device-plugin_nvidia.com_pgpu.json".
std::string CdiSpecFileName(const std::string& resource_name);

// Keeps the CDI dir in step with a PoolSet. Not thread-safe: call from the
// daemon loop only. The dir is the daemon's own (--cdi-dir), not host sysfs.
class CdiWriter {
 public:
  explicit CdiWriter(std::string cdi_dir) : dir_(std::move(cdi_dir)) {}
  // Writes every changed spec, removes specs of pools that are gone (only
  // files this writer's naming scheme owns). Creates the dir if missing.
  absl::Status Sync(const resources::PoolSet& pools);
  // Removes every spec this writer owns (on shutdown, optional).
  absl::Status RemoveAll();

 private:
  std::string dir_;
  std::set<std::string> written_;  // File names written by Sync.
};

}  // namespace vgpu::kata

#endif  // VGPU_PKG_KATA_CDI_SPEC_H_
