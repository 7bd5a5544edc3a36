// SimHost: driver binding, IOMMU groups, VFIO nodes and hot-unplug.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"
#include "pkg/inventory/vfio_driver.h"
#include "pkg/simhost/pci_format.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/simhost/sim_paths.h"
#include "pkg/simhost/tree_ops.h"

namespace vgpu::simhost {
namespace {

using internal::MakeDirs;
using internal::MakeRelativeSymlink;
using internal::RemoveTree;
using internal::WriteFileMode;

// The simulated kernel gives VFIO nodes to the drivers the daemon counts as
// VFIO drivers, by the one rule both share.
bool VfioOwned(const FunctionSpec& spec) {
  return !spec.driver.empty() &&
         inventory::IsVfioDriver(spec.driver, spec.vendor_vfio);
}

std::string GroupDir(int group) {
  return absl::StrCat(kIommuGroups, "/", group);
}

std::string GroupNode(int group) { return absl::StrCat(kDevVfio, "/", group); }

}  // namespace

absl::Status SimHost::LinkDriver(const FunctionSpec& spec) {
  const std::string drv_dir = absl::StrCat(kPciDrivers, "/", spec.driver);
  if (!internal::Exists(root_, drv_dir)) {
    VGPU_RETURN_IF_ERROR(MakeDirs(root_, drv_dir));
    for (const char* name : {"bind", "unbind", "new_id", "remove_id"}) {
      VGPU_RETURN_IF_ERROR(
          WriteFileMode(root_, absl::StrCat(drv_dir, "/", name), "", 0200));
    }
  }
  const std::string& dir = device_paths_.at(spec.bdf);
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root_, absl::StrCat(dir, "/driver"), drv_dir));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root_, absl::StrCat(drv_dir, "/", spec.bdf), dir));
  return WriteUevent(spec);
}

absl::Status SimHost::UnlinkDriver(const FunctionSpec& spec) {
  const std::string& dir = device_paths_.at(spec.bdf);
  VGPU_RETURN_IF_ERROR(RemoveTree(root_, absl::StrCat(dir, "/driver")));
  return RemoveTree(root_,
                    absl::StrCat(kPciDrivers, "/", spec.driver, "/", spec.bdf));
}

// An mdev instance's group is the emulated-IOMMU group VFIO allocates for
// it: named "vfio-noiommu", type "unknown", no reserved region.
absl::Status SimHost::EnsureGroup(int group, bool mdev) {
  const std::string dir = GroupDir(group);
  if (internal::Exists(root_, dir)) return absl::OkStatus();
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, absl::StrCat(dir, "/devices")));
  if (mdev) {
    VGPU_RETURN_IF_ERROR(
        WriteFileMode(root_, absl::StrCat(dir, "/name"), "vfio-noiommu\n"));
  }
  VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/type"),
                                     mdev ? "unknown\n" : "DMA\n"));
  return WriteFileMode(
      root_, absl::StrCat(dir, "/reserved_regions"),
      mdev ? "" : "0x00000000fee00000 0x00000000feefffff msi\n");
}

absl::Status SimHost::LinkGroupMember(int group,
                                      const std::string& member_dir) {
  const std::string dir = GroupDir(group);
  VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
      root_, absl::StrCat(member_dir, "/iommu_group"), dir));
  const std::string member = member_dir.substr(member_dir.rfind('/') + 1);
  return MakeRelativeSymlink(root_, absl::StrCat(dir, "/devices/", member),
                             member_dir);
}

absl::Status SimHost::DropGroupMember(int group, absl::string_view member) {
  if (!GroupHasMember(group)) return RemoveTree(root_, GroupDir(group));
  return RemoveTree(root_, absl::StrCat(GroupDir(group), "/devices/", member));
}

bool SimHost::GroupHasVfioMember(int group) const {
  for (const auto& [bdf, spec] : functions_) {
    if (spec.iommu_group == group && VfioOwned(spec)) return true;
  }
  for (const auto& [uuid, mdev] : mdevs_) {
    if (mdev.group == group) return true;
  }
  return false;
}

bool SimHost::GroupHasMember(int group) const {
  for (const auto& [bdf, spec] : functions_) {
    if (spec.iommu_group == group) return true;
  }
  for (const auto& [uuid, mdev] : mdevs_) {
    if (mdev.group == group) return true;
  }
  return false;
}

int SimHost::NextFreeIommuGroup() const {
  std::set<int> used;
  for (const auto& [bdf, spec] : functions_) {
    if (spec.iommu_group.has_value()) used.insert(*spec.iommu_group);
  }
  for (const auto& [uuid, mdev] : mdevs_) used.insert(mdev.group);
  int group = 0;
  while (used.count(group) > 0) ++group;
  return group;
}

absl::Status SimHost::EnsureVfioNode(int group) {
  if (internal::Exists(root_, GroupNode(group))) return absl::OkStatus();
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, kDevVfio));
  return WriteFileMode(root_, GroupNode(group), "", 0600);
}

absl::Status SimHost::DropVfioNodeIfUnused(int group) {
  if (GroupHasVfioMember(group)) return absl::OkStatus();
  return RemoveTree(root_, GroupNode(group));
}

absl::Status SimHost::AttachVfio(const FunctionSpec& spec) {
  if (!VfioOwned(spec)) return absl::OkStatus();
  if (spec.vfio_cdev.has_value()) {
    // vfio-dev/vfioN is registered for every VFIO device since 6.1; only a
    // kernel with CONFIG_VFIO_DEVICE_CDEV gives it `dev` and a node.
    const std::string name = absl::StrCat("vfio", *spec.vfio_cdev);
    const std::string cdev_dir =
        absl::StrCat(device_paths_.at(spec.bdf), "/vfio-dev/", name);
    VGPU_RETURN_IF_ERROR(MakeDirs(root_, cdev_dir));
    VGPU_RETURN_IF_ERROR(MakeDirs(root_, kVfioDevClass));
    VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
        root_, absl::StrCat(kVfioDevClass, "/", name), cdev_dir));
    // As the kernel lists it (lab §9 #2): the device, the class, and a
    // uevent naming the node only when there is one.
    VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
        root_, absl::StrCat(cdev_dir, "/device"), device_paths_.at(spec.bdf)));
    VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
        root_, absl::StrCat(cdev_dir, "/subsystem"), kVfioDevClass));
    VGPU_RETURN_IF_ERROR(WriteFileMode(
        root_, absl::StrCat(cdev_dir, "/uevent"),
        vfio_cdev_support_ ? absl::StrCat("MAJOR=", kVfioCdevMajor,
                                          "\nMINOR=", *spec.vfio_cdev,
                                          "\nDEVNAME=vfio/devices/", name, "\n")
                           : std::string()));
    if (vfio_cdev_support_) {
      VGPU_RETURN_IF_ERROR(WriteFileMode(
          root_, absl::StrCat(cdev_dir, "/dev"),
          absl::StrCat(kVfioCdevMajor, ":", *spec.vfio_cdev, "\n")));
      VGPU_RETURN_IF_ERROR(MakeDirs(root_, kDevVfioDevices));
      VGPU_RETURN_IF_ERROR(WriteFileMode(
          root_, absl::StrCat(kDevVfioDevices, "/", name), "", 0600));
    }
  }
  if (spec.iommu_group.has_value()) {
    VGPU_RETURN_IF_ERROR(EnsureVfioNode(*spec.iommu_group));
  }
  return absl::OkStatus();
}

absl::Status SimHost::DetachVfio(const FunctionSpec& spec) {
  if (!VfioOwned(spec) || !spec.vfio_cdev.has_value()) {
    return absl::OkStatus();
  }
  const std::string name = absl::StrCat("vfio", *spec.vfio_cdev);
  VGPU_RETURN_IF_ERROR(
      RemoveTree(root_, absl::StrCat(device_paths_.at(spec.bdf), "/vfio-dev")));
  VGPU_RETURN_IF_ERROR(
      RemoveTree(root_, absl::StrCat(kVfioDevClass, "/", name)));
  return RemoveTree(root_, absl::StrCat(kDevVfioDevices, "/", name));
}

absl::Status SimHost::BindDriver(absl::string_view bdf,
                                 absl::string_view driver) {
  auto it = functions_.find(std::string(bdf));
  if (it == functions_.end()) {
    return absl::NotFoundError(absl::StrCat("bind: no pci function ", bdf));
  }
  FunctionSpec& spec = it->second;
  if (driver.empty() || driver.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bind ", bdf, ": bad driver name \"", driver, "\""));
  }
  if (!spec.driver.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "bind ", bdf, " to ", driver, ": already bound to ", spec.driver));
  }
  spec.driver = std::string(driver);
  spec.vendor_vfio = false;
  VGPU_RETURN_IF_ERROR(LinkDriver(spec));
  return AttachVfio(spec);
}

absl::Status SimHost::UnbindDriver(absl::string_view bdf) {
  auto it = functions_.find(std::string(bdf));
  if (it == functions_.end()) {
    return absl::NotFoundError(absl::StrCat("unbind: no pci function ", bdf));
  }
  FunctionSpec& spec = it->second;
  if (spec.driver.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("unbind ", bdf, ": not bound to a driver"));
  }
  VGPU_RETURN_IF_ERROR(UnregisterMdevParent(bdf));
  VGPU_RETURN_IF_ERROR(
      RemoveTree(root_, absl::StrCat(device_paths_.at(spec.bdf), "/nvidia")));
  VGPU_RETURN_IF_ERROR(DetachVfio(spec));
  VGPU_RETURN_IF_ERROR(UnlinkDriver(spec));
  spec.driver.clear();
  spec.vendor_vfio = false;
  VGPU_RETURN_IF_ERROR(WriteUevent(spec));
  if (!spec.iommu_group.has_value()) return absl::OkStatus();
  return DropVfioNodeIfUnused(*spec.iommu_group);
}

absl::Status SimHost::RemoveVfioGroupNode(int group) {
  if (!internal::Exists(root_, GroupNode(group))) {
    return absl::NotFoundError(
        absl::StrCat("remove ", GroupNode(group), ": not found"));
  }
  return RemoveTree(root_, GroupNode(group));
}

absl::Status SimHost::RestoreVfioGroupNode(int group) {
  if (group < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("restore vfio node: negative group ", group));
  }
  return EnsureVfioNode(group);
}

std::vector<std::string> SimHost::FunctionsToRemove(
    absl::string_view bdf) const {
  const std::string prefix = device_paths_.at(std::string(bdf)) + "/";
  std::set<std::string> doomed = {std::string(bdf)};
  for (const auto& [other, path] : device_paths_) {
    if (path.compare(0, prefix.size(), prefix) == 0) doomed.insert(other);
  }
  for (const auto& [other, spec] : functions_) {
    if (doomed.count(spec.physfn) > 0) doomed.insert(other);
  }
  std::vector<std::string> order(doomed.begin(), doomed.end());
  // Deepest first, and VFs before their PF (same depth), as the kernel does.
  auto rank = [&](const std::string& b) {
    const std::string& p = device_paths_.at(b);
    int depth = static_cast<int>(std::count(p.begin(), p.end(), '/'));
    return depth * 2 + (functions_.at(b).physfn.empty() ? 0 : 1);
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) {
                     return rank(a) > rank(b);
                   });
  return order;
}

absl::Status SimHost::RemoveFunction(absl::string_view bdf) {
  if (functions_.count(std::string(bdf)) == 0) {
    return absl::NotFoundError(absl::StrCat("remove: no pci function ", bdf));
  }
  for (const std::string& victim : FunctionsToRemove(bdf)) {
    VGPU_RETURN_IF_ERROR(RemoveOneFunction(victim));
  }
  return absl::OkStatus();
}

absl::Status SimHost::RemoveOneFunction(const std::string& bdf) {
  const FunctionSpec spec = functions_.at(bdf);
  const std::string dir = device_paths_.at(bdf);
  VGPU_RETURN_IF_ERROR(UnregisterMdevParent(bdf));
  if (!spec.driver.empty()) {
    VGPU_RETURN_IF_ERROR(DetachVfio(spec));
    VGPU_RETURN_IF_ERROR(UnlinkDriver(spec));
  }
  VGPU_RETURN_IF_ERROR(RemoveTree(root_, absl::StrCat(kPciDevices, "/", bdf)));
  if (!spec.physfn.empty()) {
    std::vector<std::string>& siblings = vfs_[spec.physfn];
    auto pos = std::find(siblings.begin(), siblings.end(), bdf);
    if (pos != siblings.end()) {
      VGPU_RETURN_IF_ERROR(
          RemoveTree(root_, absl::StrCat(device_paths_.at(spec.physfn),
                                         "/virtfn", pos - siblings.begin())));
      pos->clear();  // Keeps the virtfn numbering of the other VFs.
    }
  }
  vfs_.erase(bdf);
  VGPU_RETURN_IF_ERROR(RemoveTree(root_, dir));
  functions_.erase(bdf);
  device_paths_.erase(bdf);
  if (!spec.iommu_group.has_value()) return absl::OkStatus();
  VGPU_RETURN_IF_ERROR(DropGroupMember(*spec.iommu_group, bdf));
  return DropVfioNodeIfUnused(*spec.iommu_group);
}

}  // namespace vgpu::simhost
