// SimHost: mdev parents, types and instances; NVIDIA vendor-VFIO vGPU files.
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/base/status_macros.h"
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

// The mdev driver that binds instances of a parent on driver `parent_driver`
// (6.x names; 5.x kernels used vfio_mdev for all).
std::string MdevDriverFor(absl::string_view parent_driver) {
  if (parent_driver == "nvidia") return "nvidia-vgpu-vfio";
  if (parent_driver == "i915") return "intel_vgpu_mdev";
  return "vfio_mdev";
}

std::string WithNewline(absl::string_view text) {
  if (absl::EndsWith(text, "\n")) return std::string(text);
  return absl::StrCat(text, "\n");
}

absl::Status EnsureMdevDriver(const std::string& root,
                              const std::string& drv_dir) {
  if (internal::Exists(root, drv_dir)) return absl::OkStatus();
  VGPU_RETURN_IF_ERROR(MakeDirs(root, drv_dir));
  for (const char* name : {"bind", "unbind"}) {
    VGPU_RETURN_IF_ERROR(
        WriteFileMode(root, absl::StrCat(drv_dir, "/", name), "", 0200));
  }
  return absl::OkStatus();
}

// The instance directory <parent>/<uuid> with its links and files.
absl::Status WriteMdevDir(const std::string& root, const std::string& dir,
                          const std::string& type_dir,
                          const std::string& driver) {
  const std::string drv_dir = absl::StrCat(kMdevDrivers, "/", driver);
  VGPU_RETURN_IF_ERROR(MakeDirs(root, dir));
  VGPU_RETURN_IF_ERROR(EnsureMdevDriver(root, drv_dir));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root, absl::StrCat(dir, "/mdev_type"), type_dir));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root, absl::StrCat(dir, "/subsystem"), kMdevBus));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root, absl::StrCat(dir, "/driver"), drv_dir));
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(root, absl::StrCat(dir, "/remove"), "", 0200));
  // The kernel's mdev uevent names only the driver (no MDEV_TYPE=).
  VGPU_RETURN_IF_ERROR(WriteFileMode(root, absl::StrCat(dir, "/uevent"),
                                     absl::StrCat("DRIVER=", driver, "\n")));
  if (driver == "nvidia-vgpu-vfio") {
    VGPU_RETURN_IF_ERROR(MakeDirs(root, absl::StrCat(dir, "/nvidia")));
    return WriteFileMode(root, absl::StrCat(dir, "/nvidia/vgpu_params"), "");
  }
  if (driver == "intel_vgpu_mdev") {
    return MakeDirs(root, absl::StrCat(dir, "/intel_vgpu"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SimHost::LoadMdevCore() {
  for (const char* dir : {kMdevClass, kMdevDevices, kMdevDrivers}) {
    VGPU_RETURN_IF_ERROR(MakeDirs(root_, dir));
  }
  return absl::OkStatus();
}

absl::Status SimHost::AddVirtualMdevParent(absl::string_view class_name,
                                           absl::string_view name,
                                           absl::string_view mdev_driver) {
  for (absl::string_view part : {class_name, name, mdev_driver}) {
    if (part.empty() || absl::StrContains(part, '/') || part == "." ||
        part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("bad virtual mdev parent ",
                                                     class_name, "/", name,
                                                     " (", mdev_driver, ")"));
    }
  }
  const std::string key(name);
  if (virtual_parents_.count(key) > 0 || functions_.count(key) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("mdev parent ", name, " already exists"));
  }
  const std::string dir =
      absl::StrCat(kSysDevices, "/virtual/", class_name, "/", name);
  const std::string class_dir = absl::StrCat("sys/class/", class_name);
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, absl::StrCat(dir, "/power")));
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, class_dir));
  VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/uevent"), ""));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root_, absl::StrCat(dir, "/subsystem"), class_dir));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root_, absl::StrCat(class_dir, "/", name), dir));
  virtual_parents_[key] = VirtualParent{dir, std::string(mdev_driver)};
  return absl::OkStatus();
}

absl::StatusOr<std::string> SimHost::MdevParentPath(
    absl::string_view name) const {
  auto it = virtual_parents_.find(std::string(name));
  if (it != virtual_parents_.end()) return it->second.dir;
  return DevicePath(name);
}

std::vector<std::string> SimHost::VirtualMdevParents() const {
  std::vector<std::string> names;
  for (const auto& [name, parent] : virtual_parents_) names.push_back(name);
  return names;
}

std::string SimHost::MdevDriverOf(const std::string& parent) const {
  auto it = virtual_parents_.find(parent);
  if (it != virtual_parents_.end()) return it->second.mdev_driver;
  return MdevDriverFor(functions_.at(parent).driver);
}

absl::Status SimHost::AddMdevType(absl::string_view parent_bdf,
                                  const MdevTypeSpec& type) {
  VGPU_ASSIGN_OR_RETURN(std::string parent_dir, MdevParentPath(parent_bdf));
  if (type.id.empty() || absl::StrContains(type.id, '/') ||
      type.available_instances < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad mdev type \"", type.id, "\" on ", parent_bdf));
  }
  auto& types = mdev_types_[std::string(parent_bdf)];
  if (types.count(type.id) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("mdev type ", type.id, " already exists on ", parent_bdf));
  }
  const std::string dir =
      absl::StrCat(parent_dir, "/mdev_supported_types/", type.id);
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, absl::StrCat(dir, "/devices")));
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(root_, absl::StrCat(dir, "/create"), "", 0200));
  VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/device_api"),
                                     WithNewline(type.device_api)));
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(root_, absl::StrCat(dir, "/available_instances"),
                    internal::IntLine(type.available_instances)));
  if (!type.name.empty()) {
    VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/name"),
                                       WithNewline(type.name)));
  }
  if (!type.description.empty()) {
    VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/description"),
                                       WithNewline(type.description)));
  }
  if (types.empty()) {
    VGPU_RETURN_IF_ERROR(LoadMdevCore());
    VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
        root_, absl::StrCat(kMdevClass, "/", parent_bdf), parent_dir));
  }
  types[type.id] = type;
  return absl::OkStatus();
}

absl::Status SimHost::AddMdev(absl::string_view uuid_text,
                              absl::string_view parent_bdf,
                              absl::string_view type_id, int iommu_group) {
  VGPU_ASSIGN_OR_RETURN(std::string uuid, internal::CanonicalUuid(uuid_text));
  if (mdevs_.count(uuid) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("mdev ", uuid, " exists"));
  }
  VGPU_ASSIGN_OR_RETURN(std::string parent_dir, MdevParentPath(parent_bdf));
  auto types = mdev_types_.find(std::string(parent_bdf));
  if (types == mdev_types_.end() ||
      types->second.count(std::string(type_id)) == 0) {
    return absl::NotFoundError(absl::StrCat("no mdev type ", type_id, " on ",
                                            parent_bdf, " for ", uuid));
  }
  if (iommu_group < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative iommu group for mdev ", uuid));
  }
  const std::string dir = absl::StrCat(parent_dir, "/", uuid);
  const std::string type_dir =
      absl::StrCat(parent_dir, "/mdev_supported_types/", type_id);
  const std::string driver = MdevDriverOf(std::string(parent_bdf));
  const std::string drv_dir = absl::StrCat(kMdevDrivers, "/", driver);
  VGPU_RETURN_IF_ERROR(WriteMdevDir(root_, dir, type_dir, driver));
  for (const std::string& link : {absl::StrCat(type_dir, "/devices/", uuid),
                                  absl::StrCat(kMdevDevices, "/", uuid),
                                  absl::StrCat(drv_dir, "/", uuid)}) {
    VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(root_, link, dir));
  }
  mdevs_[uuid] =
      MdevState{std::string(parent_bdf), std::string(type_id), iommu_group};
  VGPU_RETURN_IF_ERROR(EnsureGroup(iommu_group, /*mdev=*/true));
  VGPU_RETURN_IF_ERROR(LinkGroupMember(iommu_group, dir));
  return EnsureVfioNode(iommu_group);
}

absl::Status SimHost::RemoveMdev(absl::string_view uuid_text) {
  VGPU_ASSIGN_OR_RETURN(std::string uuid, internal::CanonicalUuid(uuid_text));
  auto it = mdevs_.find(uuid);
  if (it == mdevs_.end()) {
    return absl::NotFoundError(absl::StrCat("no mdev ", uuid));
  }
  const MdevState mdev = it->second;
  VGPU_ASSIGN_OR_RETURN(const std::string parent_dir,
                        MdevParentPath(mdev.parent));
  const std::string driver = MdevDriverOf(mdev.parent);
  for (const std::string& path :
       {absl::StrCat(parent_dir, "/mdev_supported_types/", mdev.type,
                     "/devices/", uuid),
        absl::StrCat(kMdevDevices, "/", uuid),
        absl::StrCat(kMdevDrivers, "/", driver, "/", uuid),
        absl::StrCat(parent_dir, "/", uuid)}) {
    VGPU_RETURN_IF_ERROR(RemoveTree(root_, path));
  }
  mdevs_.erase(it);
  VGPU_RETURN_IF_ERROR(DropGroupMember(mdev.group, uuid));
  return DropVfioNodeIfUnused(mdev.group);
}

absl::StatusOr<std::string> SimHost::MdevPath(absl::string_view uuid) const {
  VGPU_ASSIGN_OR_RETURN(std::string lower, internal::CanonicalUuid(uuid));
  auto it = mdevs_.find(lower);
  if (it == mdevs_.end())
    return absl::NotFoundError(absl::StrCat("no mdev ", lower));
  VGPU_ASSIGN_OR_RETURN(std::string parent_dir,
                        MdevParentPath(it->second.parent));
  return absl::StrCat(parent_dir, "/", lower);
}

absl::Status SimHost::SetAvailableInstances(absl::string_view parent_bdf,
                                            absl::string_view type_id,
                                            int count) {
  auto types = mdev_types_.find(std::string(parent_bdf));
  if (types == mdev_types_.end() ||
      types->second.count(std::string(type_id)) == 0) {
    return absl::NotFoundError(
        absl::StrCat("no mdev type ", type_id, " on ", parent_bdf));
  }
  if (count < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "negative available_instances for ", type_id, " on ", parent_bdf));
  }
  types->second[std::string(type_id)].available_instances = count;
  VGPU_ASSIGN_OR_RETURN(std::string parent_dir, MdevParentPath(parent_bdf));
  return WriteFileMode(root_,
                       absl::StrCat(parent_dir, "/mdev_supported_types/",
                                    type_id, "/available_instances"),
                       internal::IntLine(count));
}

absl::Status SimHost::UnregisterMdevParent(absl::string_view bdf) {
  std::vector<std::string> doomed;
  for (const auto& [uuid, mdev] : mdevs_) {
    if (mdev.parent == bdf) doomed.push_back(uuid);
  }
  for (const std::string& uuid : doomed) {
    VGPU_RETURN_IF_ERROR(RemoveMdev(uuid));
  }
  if (mdev_types_.erase(std::string(bdf)) == 0) return absl::OkStatus();
  VGPU_RETURN_IF_ERROR(
      RemoveTree(root_, absl::StrCat(device_paths_.at(std::string(bdf)),
                                     "/mdev_supported_types")));
  return RemoveTree(root_, absl::StrCat(kMdevClass, "/", bdf));
}

absl::Status SimHost::SetNvidiaVgpu(absl::string_view vf_bdf,
                                    const std::map<int, std::string>& creatable,
                                    int current_type) {
  auto it = functions_.find(std::string(vf_bdf));
  if (it == functions_.end()) {
    return absl::NotFoundError(absl::StrCat("vgpu: no pci function ", vf_bdf));
  }
  FunctionSpec& spec = it->second;
  if (spec.driver.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("vgpu: ", vf_bdf, " is not bound to a driver"));
  }
  if (current_type < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("vgpu: negative current type for ", vf_bdf));
  }
  std::string types = "ID    : vGPU Name\n";
  for (const auto& [id, name] : creatable) {
    absl::StrAppendFormat(&types, "%-5d : %s\n", id, name);
  }
  const std::string dir = absl::StrCat(device_paths_.at(spec.bdf), "/nvidia");
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, dir));
  VGPU_RETURN_IF_ERROR(WriteFileMode(
      root_, absl::StrCat(dir, "/creatable_vgpu_types"), types, 0444));
  VGPU_RETURN_IF_ERROR(WriteFileMode(root_,
                                     absl::StrCat(dir, "/current_vgpu_type"),
                                     internal::IntLine(current_type), 0644));
  spec.vendor_vfio = true;
  VGPU_RETURN_IF_ERROR(WriteUevent(spec));
  return AttachVfio(spec);
}

}  // namespace vgpu::simhost
