// The one boundary between this project and the host filesystem.
// Every read and write of /sys, /dev and /proc goes through a Sysfs, whose
// paths are relative to a host root ("/" in production, a temp dir in tests
// and the demo): "sys/bus/pci/devices/0000:3b:00.0/vendor", "dev/vfio/25".
// A path, or a symlink met while resolving it, that would leave the root is
// an error; nothing outside the root is ever read or written.
// Implementations are thread-safe: they hold no mutable state.
#ifndef VGPU_PKG_SYSFS_SYSFS_H_
#define VGPU_PKG_SYSFS_SYSFS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::sysfs {

enum class FileType { kRegular, kDirectory, kSymlink, kCharDevice, kOther };

struct FileInfo {
  FileType type = FileType::kOther;
  uint32_t mode = 0;        // Permission bits (st_mode & 07777).
  uint32_t rdev_major = 0;  // For kCharDevice.
  uint32_t rdev_minor = 0;
};

class Sysfs {
 public:
  virtual ~Sysfs() = default;

  // Whole content of a file, read until EOF (sysfs st_size is meaningless).
  // NotFound if absent or the device vanished (ENOENT/ENODEV),
  // PermissionDenied for write-only attributes, and so on: the message names
  // the path.
  virtual absl::StatusOr<std::string> ReadFile(absl::string_view path) = 0;

  // Entry names of a directory, without "." and "..", sorted bytewise.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) = 0;

  // Target of the symlink `path` as stored (usually relative). The last
  // component is not followed; InvalidArgument if it is not a symlink.
  virtual absl::StatusOr<std::string> ReadLink(absl::string_view path) = 0;

  // Writes `data` with exactly one write(2) on a fresh descriptor, so kernel
  // store errors (EEXIST, ENOSPC, EBUSY, EINVAL...) come back as the status.
  // A short write is an error.
  virtual absl::Status WriteFile(absl::string_view path,
                                 absl::string_view data) = 0;

  // Metadata of `path` without following its last component (lstat).
  virtual absl::StatusOr<FileInfo> Lstat(absl::string_view path) = 0;

  // Metadata of what `path` resolves to (stat). Never opens device nodes for
  // I/O, so it is safe on exclusive-open nodes such as /dev/vfio/N.
  virtual absl::StatusOr<FileInfo> Stat(absl::string_view path) = 0;

  // Root-relative canonical path with every symlink resolved
  // ("sys/devices/pci0000:40/0000:40:03.1/0000:42:00.0"). "" is the root.
  virtual absl::StatusOr<std::string> RealPath(absl::string_view path) = 0;

  // Absolute path of `path` on this machine, without resolving it; for APIs
  // that need a real path (inotify). Never used to open files.
  virtual std::string HostPath(absl::string_view path) const = 0;

  // Absolute, canonical host root.
  virtual const std::string& root() const = 0;
};

// A Sysfs over the real filesystem under `root`. Every open resolves the
// path with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) from a directory
// descriptor of the root, so ".." or a symlink that leaves the root fails
// with PermissionDenied ("escapes host root"), and a symlink loop with
// FailedPrecondition (ELOOP). NotFound if `root` is not a directory.
absl::StatusOr<std::unique_ptr<Sysfs>> NewHostSysfs(absl::string_view root);

// Forwards every call to a target; a test double overrides one method.
// Does not own the target, which must outlive the wrapper.
class SysfsWrapper : public Sysfs {
 public:
  explicit SysfsWrapper(Sysfs& target) : target_(target) {}

  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    return target_.ReadFile(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    return target_.ListDir(path);
  }
  absl::StatusOr<std::string> ReadLink(absl::string_view path) override {
    return target_.ReadLink(path);
  }
  absl::Status WriteFile(absl::string_view path,
                         absl::string_view data) override {
    return target_.WriteFile(path, data);
  }
  absl::StatusOr<FileInfo> Lstat(absl::string_view path) override {
    return target_.Lstat(path);
  }
  absl::StatusOr<FileInfo> Stat(absl::string_view path) override {
    return target_.Stat(path);
  }
  absl::StatusOr<std::string> RealPath(absl::string_view path) override {
    return target_.RealPath(path);
  }
  std::string HostPath(absl::string_view path) const override {
    return target_.HostPath(path);
  }
  const std::string& root() const override { return target_.root(); }

  Sysfs& target() { return target_; }

 private:
  Sysfs& target_;
};

// Joins root-relative path parts with '/', skipping empty parts.
std::string JoinPath(absl::string_view a, absl::string_view b);

// Resolves a relative symlink `target` found in directory `dir` (both
// root-relative) lexically: "sys/bus/pci/devices" + "../../../devices/x" ->
// "sys/devices/x". OutOfRange if the result would leave the root; absolute
// targets are rejected with InvalidArgument.
absl::StatusOr<std::string> ResolveRelative(absl::string_view dir,
                                            absl::string_view target);

// Last component of a path ("../../kernel/iommu_groups/25" -> "25").
absl::string_view Basename(absl::string_view path);

// The path without its last component ("a/b/c" -> "a/b", "a" -> "").
absl::string_view Dirname(absl::string_view path);

}  // namespace vgpu::sysfs

#endif  // VGPU_PKG_SYSFS_SYSFS_H_
