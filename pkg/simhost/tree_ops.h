// POSIX file operations SimHost uses to write below its root. Every path is
// root-relative ("sys/bus/pci/devices"); errors name that relative path.
// Internal to pkg/simhost. Stateless, hence thread-compatible.
#ifndef VGPU_PKG_SIMHOST_TREE_OPS_H_
#define VGPU_PKG_SIMHOST_TREE_OPS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vgpu::simhost::internal {

// mkdir -p of root/rel.
absl::Status MakeDirs(const std::string& root, absl::string_view rel);

// Creates or truncates root/rel with exactly `content` and then sets `mode`
// (so 0200 and 0000 are exact whatever the umask). Parent must exist.
absl::Status WriteFileMode(const std::string& root, absl::string_view rel,
                           absl::string_view content, uint32_t mode = 0644);

// Creates symlink root/rel -> target, replacing an existing entry that is
// not a directory.
absl::Status MakeSymlink(const std::string& root, absl::string_view rel,
                         absl::string_view target);

// Symlink at `link_rel` whose relative target reaches `target_rel`, the way
// the kernel computes sysfs links (depth depends on both ends).
absl::Status MakeRelativeSymlink(const std::string& root,
                                 absl::string_view link_rel,
                                 absl::string_view target_rel);

// Removes root/rel recursively without following symlinks. OK if absent.
absl::Status RemoveTree(const std::string& root, absl::string_view rel);

// True if root/rel exists (lstat).
bool Exists(const std::string& root, absl::string_view rel);

// chmod root/rel (the entry itself must not be a symlink).
absl::Status ChangeMode(const std::string& root, absl::string_view rel,
                        uint32_t mode);

// Relative target from directory `from_dir` to `to` (both root-relative):
// ("sys/bus/pci/devices", "sys/devices/pci0000:00/0000:00:02.0") ->
// "../../../devices/pci0000:00/0000:00:02.0".
std::string RelativeTarget(absl::string_view from_dir, absl::string_view to);

// Parent directory of a root-relative path ("a/b/c" -> "a/b", "a" -> "").
std::string ParentOf(absl::string_view rel);

}  // namespace vgpu::simhost::internal

#endif  // VGPU_PKG_SIMHOST_TREE_OPS_H_
