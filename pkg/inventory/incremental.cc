// What a VFIO node event can change without discovery seeing more: only
// whether the node exists. The kernel makes and removes dev/vfio/N as the
// first VFIO device of group N binds and the last unbinds, and the cdev
// dev/vfio/devices/vfioN with its device's VFIO binding; a node vanishing
// while its devices stay bound is what a health check sees (a broken
// device, an admin or a test removing it). So the members are checked
// against the last inventory (driver and IOMMU group links, a readlink
// each) and, when unchanged, only the node lists are patched; any other
// change (a bind, an unbind, a new device) takes a full discovery.
#include "pkg/inventory/incremental.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"
#include "pkg/inventory/sysfs_parsers.h"

namespace vgpu::inventory {
namespace {

using sysfs::JoinPath;

constexpr absl::string_view kIommuGroups = "sys/kernel/iommu_groups";
constexpr absl::string_view kMdevDevices = "sys/bus/mdev/devices";

absl::Status Undecidable(absl::string_view object, absl::string_view why) {
  return absl::FailedPreconditionError(absl::StrCat(object, ": ", why));
}

// The driver link's basename; "" when unbound.
absl::StatusOr<std::string> ReadDriver(sysfs::Sysfs& sysfs,
                                       const std::string& dir) {
  absl::StatusOr<std::string> target = sysfs.ReadLink(JoinPath(dir, "driver"));
  if (absl::IsNotFound(target.status())) return std::string();
  if (!target.ok()) return target.status();
  return std::string(sysfs::Basename(*target));
}

// The group the iommu_group link names; nullopt when there is no link.
// InvalidArgument when it names no IOMMU group (discovery's Problem).
absl::StatusOr<std::optional<int>> ReadGroup(sysfs::Sysfs& sysfs,
                                             const std::string& dir) {
  absl::StatusOr<std::string> target =
      sysfs.ReadLink(JoinPath(dir, "iommu_group"));
  if (absl::IsNotFound(target.status())) return std::optional<int>();
  if (!target.ok()) return target.status();
  VGPU_ASSIGN_OR_RETURN(std::string resolved,
                        sysfs::ResolveRelative(dir, *target));
  absl::StatusOr<int> group = ParseNonNegativeInt(sysfs::Basename(resolved));
  if (sysfs::Dirname(resolved) != kIommuGroups || !group.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("iommu_group link ", *target, " names no group"));
  }
  return std::optional<int>(*group);
}

// OK when the device in `dir` still has `driver` and `group`.
absl::Status CheckLinks(sysfs::Sysfs& sysfs, const std::string& object,
                        const std::string& dir, const std::string& driver,
                        const std::optional<int>& group) {
  absl::StatusOr<std::string> now_driver = ReadDriver(sysfs, dir);
  if (!now_driver.ok()) {
    return Undecidable(object, now_driver.status().message());
  }
  if (*now_driver != driver) {
    return Undecidable(object, absl::StrCat("driver \"", driver, "\" is now \"",
                                            *now_driver, "\""));
  }
  absl::StatusOr<std::optional<int>> now_group = ReadGroup(sysfs, dir);
  if (!now_group.ok()) return Undecidable(object, now_group.status().message());
  if (*now_group != group) return Undecidable(object, "iommu group changed");
  return absl::OkStatus();
}

// The directory of an mdev: under its PCI parent's, else where its bus
// entry points.
absl::StatusOr<std::string> MdevDir(sysfs::Sysfs& sysfs, const Inventory& inv,
                                    const MdevDevice& mdev) {
  if (const PciFunction* parent = inv.FindFunction(mdev.parent)) {
    return JoinPath(parent->sysfs_path, mdev.uuid);
  }
  VGPU_ASSIGN_OR_RETURN(std::string target,
                        sysfs.ReadLink(JoinPath(kMdevDevices, mdev.uuid)));
  return sysfs::ResolveRelative(kMdevDevices, target);
}

// OK when group `group` has members in `inv` and each is unchanged.
absl::Status CheckGroup(sysfs::Sysfs& sysfs, const Inventory& inv, int group) {
  bool known = false;
  for (const PciFunction& fn : inv.functions) {
    if (fn.iommu_group != group) continue;
    known = true;
    VGPU_RETURN_IF_ERROR(
        CheckLinks(sysfs, fn.bdf, fn.sysfs_path, fn.driver, fn.iommu_group));
  }
  for (const MdevDevice& mdev : inv.mdevs) {
    if (mdev.iommu_group != group) continue;
    known = true;
    absl::StatusOr<std::string> dir = MdevDir(sysfs, inv, mdev);
    if (!dir.ok()) return Undecidable(mdev.uuid, dir.status().message());
    VGPU_RETURN_IF_ERROR(
        CheckLinks(sysfs, mdev.uuid, *dir, mdev.driver, mdev.iommu_group));
  }
  if (!known) {
    return Undecidable(absl::StrCat("dev/vfio/", group),
                       "no device of the last inventory is in the group");
  }
  return absl::OkStatus();
}

absl::Status CheckCdev(sysfs::Sysfs& sysfs, const Inventory& inv,
                       const std::string& name) {
  for (const PciFunction& fn : inv.functions) {
    if (fn.vfio_cdev != name) continue;
    return CheckLinks(sysfs, fn.bdf, fn.sysfs_path, fn.driver, fn.iommu_group);
  }
  return Undecidable(absl::StrCat("dev/vfio/devices/", name),
                     "no function of the last inventory has the cdev");
}

absl::StatusOr<bool> Exists(sysfs::Sysfs& sysfs, const std::string& path) {
  absl::StatusOr<sysfs::FileInfo> info = sysfs.Lstat(path);
  if (info.ok()) return true;
  if (absl::IsNotFound(info.status())) return false;
  return Undecidable(path, info.status().message());
}

// Adds or removes `value` in the sorted `values`; true when that changed it.
template <typename T>
bool SetMember(std::vector<T>& values, const T& value, bool present) {
  auto it = std::lower_bound(values.begin(), values.end(), value);
  const bool there = it != values.end() && *it == value;
  if (there == present) return false;
  if (present) {
    values.insert(it, value);
  } else {
    values.erase(it);
  }
  return true;
}

// One node's state, read and checked before anything is patched.
struct NodeState {
  const VfioNodeEvent* event;
  int group = -1;  // For a group node.
  bool exists = false;
};

// nullopt for a name discovery ignores (neither a group number, "vfio",
// nor a "vfio*" cdev).
absl::StatusOr<std::optional<NodeState>> ReadNode(sysfs::Sysfs& sysfs,
                                                  const Inventory& inv,
                                                  const VfioNodeEvent& event) {
  NodeState state{&event};
  if (event.dir == VfioNodeEvent::Dir::kCdevs) {
    if (!absl::StartsWith(event.name, "vfio")) return std::nullopt;
    VGPU_RETURN_IF_ERROR(CheckCdev(sysfs, inv, event.name));
    VGPU_ASSIGN_OR_RETURN(state.exists,
                          Exists(sysfs, "dev/vfio/devices/" + event.name));
    return state;
  }
  const std::string path = "dev/vfio/" + event.name;
  if (event.name == "vfio") {
    VGPU_ASSIGN_OR_RETURN(state.exists, Exists(sysfs, path));
    return state;
  }
  absl::StatusOr<int> group = ParseNonNegativeInt(event.name);
  if (!group.ok() || std::to_string(*group) != event.name) return std::nullopt;
  state.group = *group;
  VGPU_RETURN_IF_ERROR(CheckGroup(sysfs, inv, *group));
  VGPU_ASSIGN_OR_RETURN(state.exists, Exists(sysfs, path));
  return state;
}

}  // namespace

absl::StatusOr<bool> UpdateVfioNodes(sysfs::Sysfs& sysfs,
                                     absl::Span<const VfioNodeEvent> events,
                                     Inventory& inventory) {
  std::vector<NodeState> states;
  for (const VfioNodeEvent& event : events) {
    VGPU_ASSIGN_OR_RETURN(std::optional<NodeState> state,
                          ReadNode(sysfs, inventory, event));
    if (state.has_value()) states.push_back(*state);
  }
  bool changed = false;
  for (const NodeState& s : states) {
    if (s.event->dir == VfioNodeEvent::Dir::kCdevs) {
      changed = SetMember(inventory.vfio_cdev_nodes, s.event->name, s.exists) ||
                changed;
    } else if (s.group >= 0) {
      changed =
          SetMember(inventory.vfio_group_nodes, s.group, s.exists) || changed;
    } else {
      changed = changed || inventory.vfio_container != s.exists;
      inventory.vfio_container = s.exists;
    }
  }
  return changed;
}

}  // namespace vgpu::inventory
