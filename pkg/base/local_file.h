// Reads a file of the daemon's own filesystem (config, pci.ids, CDI specs):
// never a host sysfs/devfs path, which go through pkg/sysfs.
#ifndef VGPU_PKG_BASE_LOCAL_FILE_H_
#define VGPU_PKG_BASE_LOCAL_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu {

// The whole content of `path`, read until EOF. Errors come from
// ErrnoStatus("<what> <path>") with "open"/"read" as `op_prefix` + " ":
// e.g. NotFound "open pci.ids /x: No such file or directory". Reading a
// directory fails (EISDIR).
absl::StatusOr<std::string> ReadLocalFile(const std::string& path,
                                          absl::string_view what = "");

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_LOCAL_FILE_H_
