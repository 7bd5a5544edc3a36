// Replaces a file of the daemon's own filesystem (CDI specs, the layout
// state; never a host sysfs path) so that readers, and the file after a
// crash, hold the old content or the new, never a mix.
#ifndef VGPU_PKG_BASE_ATOMIC_FILE_H_
#define VGPU_PKG_BASE_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vgpu {

// Writes `content` to a temp file in the directory of `path` (named
// ".<basename>.XXXXXX.tmp", so readers of *.json / *.yaml never parse it),
// fsyncs it, sets `mode`, renames it over `path` and fsyncs the directory.
// The temp file is removed on failure. Errors name the step and the path.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content,
                                 unsigned int mode = 0644);

// fsyncs the directory `dir`, so that a rename or unlink in it survives a
// crash. Errors name the step and the directory.
absl::Status FsyncDirectory(const std::string& dir);

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_ATOMIC_FILE_H_
