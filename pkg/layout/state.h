// Which vGPUs we created: the ownership record in the state dir (default
// /var/lib/vgpu-device-plugin, a directory of the daemon's own filesystem,
// not under the host root), and the lock that keeps two appliers (vgpuctl
// apply, the daemon) from racing. An intent ("creating") is written before
// the sysfs write and confirmed ("created") after it, each time atomically
// (temp file, fsync, rename, fsync of the dir), so a crash never leaves a
// vGPU that exists and is not recorded. Not thread-safe: one applier holds
// the lock.
//
// File `vgpu-layout.state`, one vGPU a line after a header:
//   # vgpu-device-plugin layout state v1
//   created mdev 1f0e...-uuid 0000:3b:00.0 nvidia-230
//   creating vf 0000:01:00.6 - 1148
//   vf-type 1148 NVIDIA L40S-2Q
// The `vf-type` lines remember the names of NVIDIA VF vGPU types: a VF
// lists only what it can create now, so on a fully used card no VF names
// the type its vGPUs run, and a layout naming it could not be resolved.
#ifndef VGPU_PKG_LAYOUT_STATE_H_
#define VGPU_PKG_LAYOUT_STATE_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/inventory/inventory.h"
#include "pkg/layout/plan.h"

namespace vgpu::layout {

inline constexpr char kDefaultStateDir[] = "/var/lib/vgpu-device-plugin";
inline constexpr char kStateFileName[] = "vgpu-layout.state";
inline constexpr char kLockFileName[] = "vgpu-layout.lock";

struct OwnedVgpu {
  enum class Phase { kCreating, kCreated };
  enum class Kind { kMdev, kVf };
  Phase phase = Phase::kCreating;
  Kind kind = Kind::kMdev;
  std::string device;  // mdev UUID or VF address.
  std::string parent;  // mdev parent; "" for a VF.
  std::string type_id;
};

struct OwnershipState {
  std::map<std::string, OwnedVgpu> by_device;
  std::map<int, std::string> vf_type_names;  // VF vGPU type id -> name.

  // Remembers every VF vGPU type name `inventory` shows; true if new.
  bool LearnTypeNames(const inventory::Inventory& inventory);
  // Names the current type of each VF whose name sysfs does not show.
  void FillTypeNames(inventory::Inventory& inventory) const;

  // Every recorded device, intents included: an intent whose device exists
  // is ours (the crash came after the sysfs write).
  DeviceSet Owned() const;
  // Drops the records whose vGPU does not exist in `inventory` (an mdev
  // gone or on another parent than recorded, a VF whose current_vgpu_type
  // is 0): after a host reboot the same
  // UUIDs are recorded again when re-created, and a VF we no longer hold is
  // not claimed if someone else sets its type. Returns whether it changed.
  bool Prune(const inventory::Inventory& inventory);
};

std::string FormatState(const OwnershipState& state);
// InvalidArgument naming the line for anything FormatState does not write.
absl::StatusOr<OwnershipState> ParseState(absl::string_view text);

// The exclusive lock of a state dir; released on destruction.
class StateLock {
 public:
  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  ~StateLock();

 private:
  friend class StateDir;
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class StateDir {
 public:
  // Creates `dir` (mode 0700) if missing. Errors name the path.
  static absl::StatusOr<StateDir> Open(const std::string& dir);

  // flock(LOCK_EX | LOCK_NB) on the lock file: FailedPrecondition
  // ("held by another applier") when taken.
  absl::StatusOr<StateLock> Lock() const;
  // An absent file is an empty state.
  absl::StatusOr<OwnershipState> Load() const;
  absl::Status Save(const OwnershipState& state) const;

  const std::string& dir() const { return dir_; }

 private:
  explicit StateDir(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_STATE_H_
