// SimHost: skeleton, PCI functions, SR-IOV links and raw escape hatches.
// Driver binding, IOMMU groups and removal live in sim_host_bind.cc; mdev
// and NVIDIA vGPU in sim_host_mdev.cc.
#include "pkg/simhost/sim_host.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/status_macros.h"
#include "pkg/simhost/pci_format.h"
#include "pkg/simhost/sim_paths.h"
#include "pkg/simhost/tree_ops.h"

namespace vgpu::simhost {
namespace {

using internal::MakeDirs;
using internal::MakeRelativeSymlink;
using internal::WriteFileMode;

// Root-relative paths given to the raw escape hatches must stay below root.
absl::Status CheckRelPath(absl::string_view path) {
  if (path.empty() || path.front() == '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", path, "\" must be relative to the host root"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat("path \"", path, "\" must not contain \"..\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SimHost>> SimHost::Create(
    absl::string_view root) {
  if (root.empty()) return absl::InvalidArgumentError("empty host root");
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(std::string(root), ec);
  if (!ec) std::filesystem::create_directories(abs, ec);
  if (ec) return ErrnoStatus(ec.value(), "create host root", root);
  bool empty = std::filesystem::is_empty(abs, ec);
  if (ec) return ErrnoStatus(ec.value(), "list host root", root);
  if (!empty) {
    return absl::FailedPreconditionError(
        absl::StrCat("host root ", root, " is not empty"));
  }
  std::string canonical = std::filesystem::canonical(abs, ec).string();
  if (ec) return ErrnoStatus(ec.value(), "resolve host root", root);
  auto host = absl::WrapUnique(new SimHost(canonical));
  for (const char* dir : {kSysDevices, kPciDevices, kPciDrivers, kIommuGroups,
                          "sys/class", "dev"}) {
    VGPU_RETURN_IF_ERROR(MakeDirs(host->root_, dir));
  }
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(host->root_, "sys/bus/pci/drivers_probe", "", 0200));
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(host->root_, "sys/bus/pci/rescan", "", 0200));
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(host->root_, "sys/bus/pci/drivers_autoprobe", "1\n"));
  return host;
}

absl::Status SimHost::SetLegacyVfioContainer(bool present) {
  if (!present) return internal::RemoveTree(root_, kVfioContainer);
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, kDevVfio));
  return WriteFileMode(root_, kVfioContainer, "", 0666);
}

absl::Status SimHost::SetIommufd(bool present) {
  if (!present) return internal::RemoveTree(root_, kIommufd);
  return WriteFileMode(root_, kIommufd, "", 0660);
}

absl::Status SimHost::CheckNewFunction(const FunctionSpec& spec) const {
  VGPU_ASSIGN_OR_RETURN(internal::Bdf bdf, internal::ParseBdf(spec.bdf));
  if (internal::FormatBdf(bdf) != spec.bdf) {
    return absl::InvalidArgumentError(
        absl::StrCat("pci address \"", spec.bdf, "\" is not canonical"));
  }
  if (functions_.count(spec.bdf) > 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("pci function ", spec.bdf, " already exists"));
  }
  if (absl::StrContains(spec.driver, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad driver name \"", spec.driver, "\" for ", spec.bdf));
  }
  if (spec.iommu_group.has_value() && *spec.iommu_group < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative iommu group for ", spec.bdf));
  }
  if (spec.physfn.empty()) return absl::OkStatus();
  auto pf = functions_.find(spec.physfn);
  if (pf == functions_.end() || !pf->second.sriov_totalvfs.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "physfn ", spec.physfn, " of ", spec.bdf, " is not an SR-IOV PF"));
  }
  auto vfs = vfs_.find(spec.physfn);
  size_t count = vfs == vfs_.end() ? 0 : vfs->second.size();
  if (static_cast<int>(count) >= *pf->second.sriov_totalvfs) {
    return absl::FailedPreconditionError(
        absl::StrCat("pf ", spec.physfn, " already has sriov_totalvfs VFs"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SimHost::ComputeDevicePath(
    const FunctionSpec& s) const {
  if (!s.physfn.empty()) {
    const FunctionSpec& pf = functions_.at(s.physfn);
    if (!s.parent_bridges.empty() && s.parent_bridges != pf.parent_bridges) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vf ", s.bdf, " must sit behind the bridges of its pf ", s.physfn));
    }
    return absl::StrCat(internal::ParentOf(device_paths_.at(s.physfn)), "/",
                        s.bdf);
  }
  if (s.parent_bridges.empty()) {
    std::string base = kSysDevices;
    if (!s.root_bus_parent.empty()) {
      VGPU_ASSIGN_OR_RETURN(base, DevicePath(s.root_bus_parent));
    }
    VGPU_ASSIGN_OR_RETURN(internal::Bdf bdf, internal::ParseBdf(s.bdf));
    return absl::StrCat(base, "/", internal::RootBusDir(bdf), "/", s.bdf);
  }
  if (!s.root_bus_parent.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        s.bdf, ": root_bus_parent is for root-bus functions only"));
  }
  std::string prev;
  for (const std::string& bridge : s.parent_bridges) {
    auto it = device_paths_.find(bridge);
    if (it == device_paths_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bridge ", bridge, " of ", s.bdf, " was not added"));
    }
    if (!prev.empty() && internal::ParentOf(it->second) != prev) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bridge ", bridge, " of ", s.bdf, " is not below the bridge before"));
    }
    prev = it->second;
  }
  return absl::StrCat(prev, "/", s.bdf);
}

absl::Status SimHost::AddFunction(const FunctionSpec& spec) {
  VGPU_RETURN_IF_ERROR(CheckNewFunction(spec));
  VGPU_ASSIGN_OR_RETURN(std::string dir, ComputeDevicePath(spec));
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, dir));
  VGPU_RETURN_IF_ERROR(WriteFunctionFiles(spec, dir));
  device_paths_[spec.bdf] = dir;
  functions_[spec.bdf] = spec;
  VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
      root_, absl::StrCat(kPciDevices, "/", spec.bdf), dir));
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root_, absl::StrCat(dir, "/subsystem"), kPciBus));
  if (spec.sriov_totalvfs.has_value()) {
    VGPU_RETURN_IF_ERROR(WriteSriovPf(spec, dir));
  }
  if (!spec.physfn.empty()) VGPU_RETURN_IF_ERROR(LinkVfToPf(spec, dir));
  if (spec.iommu_group.has_value()) {
    VGPU_RETURN_IF_ERROR(EnsureGroup(*spec.iommu_group));
    VGPU_RETURN_IF_ERROR(LinkGroupMember(*spec.iommu_group, dir));
  }
  if (!spec.driver.empty()) {
    VGPU_RETURN_IF_ERROR(LinkDriver(spec));
    VGPU_RETURN_IF_ERROR(AttachVfio(spec));
  }
  return absl::OkStatus();
}

absl::Status SimHost::WriteFunctionFiles(const FunctionSpec& spec,
                                         const std::string& dir) {
  for (const auto& [name, content] : internal::PciAttributes(spec)) {
    VGPU_RETURN_IF_ERROR(
        WriteFileMode(root_, absl::StrCat(dir, "/", name), content));
  }
  // remove is 0220 on every kernel; reset exists only with a reset method.
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(root_, absl::StrCat(dir, "/remove"), "", 0220));
  VGPU_RETURN_IF_ERROR(
      WriteFileMode(root_, absl::StrCat(dir, "/rescan"), "", 0200));
  if (!spec.reset_method.empty()) {
    VGPU_RETURN_IF_ERROR(
        WriteFileMode(root_, absl::StrCat(dir, "/reset"), "", 0200));
  }
  return WriteFileMode(root_, absl::StrCat(dir, "/uevent"),
                       internal::UeventText(spec, spec.driver));
}

absl::Status SimHost::WriteUevent(const FunctionSpec& spec) {
  const std::string& dir = device_paths_.at(spec.bdf);
  VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/uevent"),
                                     internal::UeventText(spec, spec.driver)));
  VGPU_RETURN_IF_ERROR(WriteFileMode(root_, absl::StrCat(dir, "/power_state"),
                                     internal::PowerStateText(spec)));
  return WriteFileMode(root_, absl::StrCat(dir, "/enable"),
                       internal::EnableText(spec));
}

absl::Status SimHost::WriteSriovPf(const FunctionSpec& spec,
                                   const std::string& dir) {
  if (*spec.sriov_totalvfs < 0 || spec.sriov_offset < 1 ||
      spec.sriov_stride < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad sr-iov parameters for ", spec.bdf));
  }
  uint16_t vf_device =
      spec.sriov_vf_device != 0 ? spec.sriov_vf_device : spec.device;
  const std::pair<const char*, std::string> attrs[] = {
      {"sriov_totalvfs", internal::IntLine(*spec.sriov_totalvfs)},
      {"sriov_numvfs", "0\n"},
      {"sriov_offset", internal::IntLine(spec.sriov_offset)},
      {"sriov_stride", internal::IntLine(spec.sriov_stride)},
      {"sriov_vf_device", absl::StrFormat("%x\n", vf_device)},
      {"sriov_drivers_autoprobe", "1\n"},
  };
  for (const auto& [name, content] : attrs) {
    VGPU_RETURN_IF_ERROR(
        WriteFileMode(root_, absl::StrCat(dir, "/", name), content));
  }
  return absl::OkStatus();
}

absl::Status SimHost::LinkVfToPf(const FunctionSpec& vf,
                                 const std::string& dir) {
  const std::string& pf_dir = device_paths_.at(vf.physfn);
  std::vector<std::string>& vfs = vfs_[vf.physfn];
  VGPU_RETURN_IF_ERROR(
      MakeRelativeSymlink(root_, absl::StrCat(dir, "/physfn"), pf_dir));
  VGPU_RETURN_IF_ERROR(MakeRelativeSymlink(
      root_, absl::StrCat(pf_dir, "/virtfn", vfs.size()), dir));
  vfs.push_back(vf.bdf);
  return WriteFileMode(root_, absl::StrCat(pf_dir, "/sriov_numvfs"),
                       internal::IntLine(static_cast<int64_t>(vfs.size())));
}

absl::Status SimHost::WriteRaw(absl::string_view path,
                               absl::string_view content) {
  VGPU_RETURN_IF_ERROR(CheckRelPath(path));
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, internal::ParentOf(path)));
  return WriteFileMode(root_, path, content);
}

absl::Status SimHost::SymlinkRaw(absl::string_view path,
                                 absl::string_view target) {
  VGPU_RETURN_IF_ERROR(CheckRelPath(path));
  VGPU_RETURN_IF_ERROR(MakeDirs(root_, internal::ParentOf(path)));
  return internal::MakeSymlink(root_, path, target);
}

absl::Status SimHost::RemoveRaw(absl::string_view path) {
  VGPU_RETURN_IF_ERROR(CheckRelPath(path));
  if (!internal::Exists(root_, path)) {
    return absl::NotFoundError(absl::StrCat("remove ", path, ": not found"));
  }
  return internal::RemoveTree(root_, path);
}

absl::Status SimHost::ChmodRaw(absl::string_view path, uint32_t mode) {
  VGPU_RETURN_IF_ERROR(CheckRelPath(path));
  return internal::ChangeMode(root_, path, mode);
}

absl::StatusOr<std::string> SimHost::DevicePath(absl::string_view bdf) const {
  auto it = device_paths_.find(std::string(bdf));
  if (it == device_paths_.end()) {
    return absl::NotFoundError(absl::StrCat("no pci function ", bdf));
  }
  return it->second;
}

const FunctionSpec* SimHost::FindFunction(absl::string_view bdf) const {
  auto it = functions_.find(std::string(bdf));
  return it == functions_.end() ? nullptr : &it->second;
}

std::vector<std::string> SimHost::FunctionBdfs() const {
  std::vector<std::string> bdfs;
  for (const auto& [bdf, spec] : functions_) bdfs.push_back(bdf);
  return bdfs;
}

std::vector<std::string> SimHost::VirtualFunctionsOf(
    absl::string_view pf_bdf) const {
  std::vector<std::string> vfs;
  auto it = vfs_.find(std::string(pf_bdf));
  if (it == vfs_.end()) return vfs;
  for (const std::string& vf : it->second) {
    if (!vf.empty()) vfs.push_back(vf);
  }
  return vfs;
}

std::vector<MdevTypeSpec> SimHost::MdevTypesOf(
    absl::string_view parent_bdf) const {
  std::vector<MdevTypeSpec> types;
  auto it = mdev_types_.find(std::string(parent_bdf));
  if (it == mdev_types_.end()) return types;
  for (const auto& [id, spec] : it->second) types.push_back(spec);
  return types;
}

std::vector<SimHost::MdevInfo> SimHost::Mdevs() const {
  std::vector<MdevInfo> mdevs;
  for (const auto& [uuid, state] : mdevs_) {
    mdevs.push_back(MdevInfo{uuid, state.parent, state.type, state.group});
  }
  return mdevs;
}

absl::Status SimHost::DisableVfs(absl::string_view pf_bdf) {
  if (functions_.count(std::string(pf_bdf)) == 0) {
    return absl::NotFoundError(absl::StrCat("no pci function ", pf_bdf));
  }
  std::vector<std::string> vfs = VirtualFunctionsOf(pf_bdf);
  for (auto vf = vfs.rbegin(); vf != vfs.rend(); ++vf) {
    VGPU_RETURN_IF_ERROR(RemoveFunction(*vf));
  }
  vfs_.erase(std::string(pf_bdf));
  return WriteFileMode(
      root_,
      absl::StrCat(device_paths_.at(std::string(pf_bdf)), "/sriov_numvfs"),
      "0\n");
}

absl::StatusOr<std::string> VfBdf(absl::string_view pf_bdf, int offset,
                                  int stride, int index) {
  VGPU_ASSIGN_OR_RETURN(internal::Bdf pf, internal::ParseBdf(pf_bdf));
  if (offset < 1 || stride < 1 || index < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad vf parameters for ", pf_bdf, ": offset ", offset,
                     " stride ", stride, " index ", index));
  }
  int rid = internal::RoutingId(pf) + offset + index * stride;
  if (rid > 0xffff) {
    return absl::InvalidArgumentError(
        absl::StrCat("vf ", index, " of ", pf_bdf, " is past bus 0xff"));
  }
  internal::Bdf vf{pf.domain, static_cast<uint32_t>(rid >> 8),
                   static_cast<uint32_t>((rid >> 3) & 0x1f),
                   static_cast<uint32_t>(rid & 7)};
  return internal::FormatBdf(vf);
}

}  // namespace vgpu::simhost
