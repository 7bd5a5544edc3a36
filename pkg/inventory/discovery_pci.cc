// PCI functions: one bus/pci/devices entry at a time, in BDF order, so a PF
// (whose VFs always have higher routing IDs) is scanned before its VFs.
// Attributes and links are opened directly rather than found by listing the
// device directory: a listing costs several times a failed open, and the
// optional entries (vfio-dev/, nvidia/) are probed only where they can be.
// A VF is known as one from its PF's virtfnN links; a VF whose PF is not on
// the bus (a guest) has no physfn link either.
// NotFound on an optional entry means "absent". A device that vanishes
// mid-scan fails its identity reads, or loses both its driver and
// iommu_group links, in which case its directory is checked once.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pkg/base/parallel.h"
#include "pkg/base/status_macros.h"
#include "pkg/inventory/discovery_internal.h"
#include "pkg/inventory/sysfs_parsers.h"
#include "pkg/inventory/vfio_driver.h"

namespace vgpu::inventory::internal {
namespace {

using sysfs::JoinPath;

// A device that disappears mid-scan (hot-unplug) reads as NotFound: it is
// skipped without a Problem, as if it had been gone before the scan.
class FunctionScanner {
 public:
  FunctionScanner(ScanContext& ctx, PciFunction& fn) : ctx_(ctx), fn_(fn) {}

  // NotFound when the device vanished; any other error skips the device
  // with that message as the Problem.
  absl::Status Scan() {
    VGPU_RETURN_IF_ERROR(ReadIdentity());
    ReadOptional("subsystem_vendor", ParseHexId, fn_.subsystem_vendor_id);
    ReadOptional("subsystem_device", ParseHexId, fn_.subsystem_device_id);
    ReadOptional("numa_node", ParseNumaNode, fn_.numa_node);
    const bool has_driver = ReadDriver();
    const bool has_group = ReadIommuGroup();
    if (!has_driver && !has_group) {
      // Both links absent: an unbound device without IOMMU, or one that
      // vanished after its identity was read.
      absl::StatusOr<sysfs::FileInfo> dir = ctx_.sysfs.Lstat(fn_.sysfs_path);
      if (!dir.ok()) return dir.status();
    }
    VGPU_RETURN_IF_ERROR(ReadVirtfns());
    // nvidia/ exists only on NVIDIA VFs bound to nvidia, vfio-dev/ only
    // while a VFIO driver owns the device, and neither on an mdev parent
    // (docs/sysfs.md, "VFIO device nodes" and "NVIDIA vendor VFIO"): probe
    // only where they can be.
    if (has_driver && !ctx_.IsMdevParent(fn_.bdf)) {
      if (fn_.driver == "nvidia" && !fn_.physfn.empty()) ReadNvidiaVgpu();
      if (MayBeVfio()) ReadVfioCdev();
    }
    fn_.on_vfio_driver = IsVfioDriver(fn_.driver, has_vfio_dev_,
                                      ctx_.options.extra_vfio_drivers);
    return absl::OkStatus();
  }

 private:
  std::string Path(absl::string_view name) const {
    return JoinPath(fn_.sysfs_path, name);
  }

  // NotFound on `vendor`, `device` or `class`: vanished if the directory is
  // gone too, otherwise the file is missing.
  template <typename T, typename Parser>
  absl::Status ReadRequired(absl::string_view name, Parser parse, T& out) {
    absl::StatusOr<std::string> text = ctx_.sysfs.ReadFile(Path(name));
    if (!text.ok()) {
      if (!absl::IsNotFound(text.status())) return text.status();
      absl::StatusOr<sysfs::FileInfo> dir = ctx_.sysfs.Lstat(fn_.sysfs_path);
      if (!dir.ok()) return dir.status();
      return absl::FailedPreconditionError(absl::StrCat("no ", name, " file"));
    }
    auto value = parse(*text);
    if (!value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": ", value.status().message()));
    }
    out = *value;
    return absl::OkStatus();
  }

  absl::Status ReadIdentity() {
    VGPU_RETURN_IF_ERROR(ReadRequired("vendor", ParseHexId, fn_.vendor_id));
    VGPU_RETURN_IF_ERROR(ReadRequired("device", ParseHexId, fn_.device_id));
    return ReadRequired("class", ParseClassCode, fn_.class_code);
  }

  // Absent keeps the default; unreadable or garbage is a Problem.
  template <typename T, typename Parser>
  bool ReadOptional(absl::string_view name, Parser parse, T& out) {
    absl::StatusOr<std::string> text = ctx_.sysfs.ReadFile(Path(name));
    if (!text.ok()) {
      NoteError(text.status());
      return false;
    }
    auto value = parse(*text);
    if (!value.ok()) {
      ctx_.AddProblem(fn_.bdf,
                      absl::StrCat(name, ": ", value.status().message()));
      return false;
    }
    out = *value;
    return true;
  }

  // False for drivers known not to be VFIO drivers (and nvidia without
  // nvidia/, i.e. not in vendor VFIO mode).
  bool MayBeVfio() const {
    static constexpr absl::string_view kHostDrivers[] = {
        "nvidia", "nouveau",       "amdgpu",   "radeon",    "i915",
        "xe",     "snd_hda_intel", "pcieport", "mlx5_core", "xhci_hcd"};
    if (fn_.nvidia_vgpu.has_value()) return true;
    return std::find(std::begin(kHostDrivers), std::end(kHostDrivers),
                     fn_.driver) == std::end(kHostDrivers);
  }

  // NotFound is "absent"; anything else is a Problem.
  void NoteError(const absl::Status& status) {
    if (!absl::IsNotFound(status)) {
      ctx_.AddProblem(fn_.bdf, std::string(status.message()));
    }
  }

  // False when there is no driver link (unbound).
  bool ReadDriver() {
    absl::StatusOr<std::string> target = ctx_.sysfs.ReadLink(Path("driver"));
    if (!target.ok()) {
      NoteError(target.status());
      return false;
    }
    fn_.driver = std::string(sysfs::Basename(*target));
    return true;
  }

  // False when there is no iommu_group link at all.
  bool ReadIommuGroup() {
    absl::StatusOr<std::optional<int>> group =
        ReadGroupLink(ctx_, fn_.sysfs_path);
    if (!group.ok()) {
      ctx_.AddProblem(fn_.bdf, std::string(group.status().message()));
      ctx_.broken_group_links.insert(fn_.bdf);
      return true;
    }
    fn_.iommu_group = *group;
    return group->has_value();
  }

  // A PF with VFs enabled: sriov_numvfs > 0 and links virtfn0..N-1. Each
  // VF's BDF, physfn and directory (the link target: VFs sit next to their
  // PF) are recorded for when the scan reaches the VF, which saves the VF a
  // readlink of its bus entry and of its physfn link.
  absl::Status ReadVirtfns() {
    int count = 0;
    if (!fn_.physfn.empty()) return absl::OkStatus();  // A VF is no PF.
    if (!ReadOptional("sriov_numvfs", ParseNonNegativeInt, count)) {
      return absl::OkStatus();
    }
    ReadOptional("sriov_totalvfs", ParseNonNegativeInt, fn_.sriov_totalvfs);
    for (int i = 0; i < count; ++i) {
      const std::string name = absl::StrCat("virtfn", i);
      absl::StatusOr<std::string> target = ctx_.sysfs.ReadLink(Path(name));
      if (!target.ok()) {
        if (absl::IsNotFound(target.status())) break;  // VFs going away.
        return target.status();
      }
      absl::StatusOr<std::string> vf = ParseBdf(sysfs::Basename(*target));
      absl::StatusOr<std::string> dir =
          sysfs::ResolveRelative(fn_.sysfs_path, *target);
      if (!vf.ok() || !dir.ok()) {
        ctx_.AddProblem(fn_.bdf, absl::StrCat(name, ": ",
                                              vf.ok() ? dir.status().message()
                                                      : vf.status().message()));
        continue;
      }
      fn_.virtfns.push_back(*vf);
      ctx_.known_vfs[*vf] = {fn_.bdf, *dir};
    }
    return absl::OkStatus();
  }

  void ReadVfioCdev() {
    absl::StatusOr<std::vector<std::string>> names =
        ctx_.sysfs.ListDir(Path("vfio-dev"));
    if (!names.ok()) {
      NoteError(names.status());
      return;
    }
    for (const std::string& name : *names) {
      if (name.rfind("vfio", 0) != 0) continue;
      has_vfio_dev_ = true;
      // Since 6.1 every VFIO device registers vfio-dev/vfioN, but only a
      // kernel with CONFIG_VFIO_DEVICE_CDEV gives it `dev` and a
      // dev/vfio/devices/vfioN node (docs/sysfs.md, "VFIO device nodes").
      absl::StatusOr<sysfs::FileInfo> dev =
          ctx_.sysfs.Lstat(Path(absl::StrCat("vfio-dev/", name, "/dev")));
      if (dev.ok()) {
        fn_.vfio_cdev = name;
      } else {
        NoteError(dev.status());
      }
      break;
    }
  }

  // nvidia/ exists only on NVIDIA vendor-VFIO VFs; current_vgpu_type is
  // always there, so it doubles as the probe.
  void ReadNvidiaVgpu() {
    NvidiaVgpuState state;
    absl::StatusOr<std::string> current =
        ctx_.sysfs.ReadFile(Path("nvidia/current_vgpu_type"));
    if (!current.ok()) {
      NoteError(current.status());
      return;
    }
    absl::StatusOr<int> type = ParseNonNegativeInt(*current);
    if (type.ok()) {
      state.current_type = *type;
    } else {
      ctx_.AddProblem(fn_.bdf, absl::StrCat("nvidia/current_vgpu_type: ",
                                            type.status().message()));
    }
    ReadOptional("nvidia/creatable_vgpu_types", ParseCreatableVgpuTypes,
                 state.creatable_types);
    auto it = state.creatable_types.find(state.current_type);
    if (it != state.creatable_types.end()) state.current_type_name = it->second;
    fn_.nvidia_vgpu = std::move(state);
  }

  ScanContext& ctx_;
  PciFunction& fn_;
  bool has_vfio_dev_ = false;  // vfio-dev/vfioN listed, with or without dev.
};

// BDF components of "sys/devices/pci0000:40/0000:40:03.1/0000:42:00.0"
// above the device itself.
std::vector<std::string> ParentBridges(absl::string_view real_path) {
  std::vector<absl::string_view> parts = absl::StrSplit(real_path, '/');
  std::vector<std::string> bridges;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    // Cheap shape test first: a failed parse builds an error message.
    if (parts[i].size() < 12 || parts[i][parts[i].size() - 2] != '.') continue;
    absl::StatusOr<std::string> bdf = ParseBdf(parts[i]);
    if (bdf.ok()) bridges.push_back(*std::move(bdf));
  }
  return bridges;
}

// Real directory of a bus entry. sysfs bus entries are relative symlinks
// into sys/devices, whose directories are never links themselves, so the
// link target resolved lexically is the real path; this costs one readlink
// on a short path where RealPath walks the whole device path. An entry that
// is not a symlink (some fixtures) is resolved with RealPath.
absl::StatusOr<std::string> DeviceDir(ScanContext& ctx,
                                      const std::string& link) {
  absl::StatusOr<std::string> target = ctx.sysfs.ReadLink(link);
  if (target.ok()) return sysfs::ResolveRelative(kPciDevices, *target);
  if (absl::IsInvalidArgument(target.status())) {
    return ctx.sysfs.RealPath(link);
  }
  return target.status();
}

// Scans one bus entry; nullopt when skipped (with a Problem unless it
// vanished).
std::optional<PciFunction> ScanEntry(ScanContext& ctx,
                                     const std::string& entry) {
  const std::string link = JoinPath(kPciDevices, entry);
  absl::StatusOr<std::string> bdf = ParseBdf(entry);
  if (!bdf.ok()) {
    ctx.AddProblem(link, std::string(bdf.status().message()));
    return std::nullopt;
  }
  PciFunction fn;
  fn.bdf = *bdf;
  auto vf = ctx.known_vfs.find(fn.bdf);
  absl::StatusOr<std::string> real =
      vf != ctx.known_vfs.end() ? vf->second.dir : DeviceDir(ctx, link);
  if (vf != ctx.known_vfs.end()) fn.physfn = vf->second.pf;
  absl::Status status = real.status();
  if (status.ok()) {
    fn.sysfs_path = *real;
    fn.parent_bridges = ParentBridges(*real);
    status = FunctionScanner(ctx, fn).Scan();
  }
  if (status.ok()) return fn;
  if (!absl::IsNotFound(status)) {
    ctx.AddProblem(fn.bdf, std::string(status.message()));
  }
  return std::nullopt;
}

FunctionRole ClassRole(const PciFunction& fn) {
  const uint32_t base = fn.class_code >> 16;
  const uint32_t sub = fn.class_code >> 8;
  if (base == 0x03 || base == 0x12) return FunctionRole::kGpu;
  if (fn.vendor_id == 0x10de && sub == 0x0680) return FunctionRole::kNvSwitch;
  if (sub == 0x0600 || sub == 0x0604) return FunctionRole::kBridge;
  return FunctionRole::kOther;
}

void AssignRoles(Inventory& inventory) {
  std::set<int> gpu_groups;
  for (PciFunction& fn : inventory.functions) {
    fn.role = ClassRole(fn);
    if (fn.role == FunctionRole::kGpu || fn.role == FunctionRole::kNvSwitch) {
      if (fn.iommu_group.has_value()) gpu_groups.insert(*fn.iommu_group);
    }
  }
  for (PciFunction& fn : inventory.functions) {
    if (fn.role == FunctionRole::kOther && fn.iommu_group.has_value() &&
        gpu_groups.count(*fn.iommu_group) != 0) {
      fn.role = FunctionRole::kCompanion;
    }
  }
}

void AddModelNames(const PciIds* ids, Inventory& inventory) {
  if (ids == nullptr) return;
  for (PciFunction& fn : inventory.functions) {
    fn.vendor_name = ids->VendorName(fn.vendor_id).value_or("");
    fn.device_name = ids->DeviceName(fn.vendor_id, fn.device_id).value_or("");
  }
}

// "DDDD:BB" of a bus entry's name, "" when it is too short for a BDF.
absl::string_view BusOf(absl::string_view entry) {
  return entry.size() >= 7 ? entry.substr(0, 7) : absl::string_view();
}

// Chunk boundaries for `workers` threads over the sorted bus entries that
// never split a PF from its VFs: a VF is known as one only from its PF's
// virtfnN links, read when the scan reaches the PF. A VF sorts after its
// PF, on the PF's bus or on buses the PF's bridge reserves for VFs, so a
// boundary may fall only on an entry that starts a new bus and has no
// `physfn` link (is no VF); one that does not is moved forward.
std::vector<size_t> FamilyBounds(ScanContext& ctx,
                                 const std::vector<std::string>& entries,
                                 int workers) {
  std::vector<size_t> bounds = EvenBounds(entries.size(), workers);
  for (size_t c = 1; c + 1 < bounds.size(); ++c) {
    size_t& at = bounds[c];
    at = std::max(at, bounds[c - 1]);
    while (at > 0 && at < entries.size()) {
      if (BusOf(entries[at]) != BusOf(entries[at - 1]) &&
          absl::IsNotFound(
              ctx.sysfs
                  .Lstat(JoinPath(JoinPath(kPciDevices, entries[at]), "physfn"))
                  .status())) {
        break;
      }
      ++at;
    }
  }
  return bounds;
}

}  // namespace

absl::Status ScanPciFunctions(ScanContext& ctx) {
  absl::StatusOr<std::vector<std::string>> entries =
      ctx.sysfs.ListDir(kPciDevices);
  if (!entries.ok()) {
    if (absl::IsNotFound(entries.status())) return absl::OkStatus();
    return entries.status();
  }
  // What one chunk found, merged in chunk order: the same inventory and
  // problems, in the same order, as one pass over every entry.
  struct Chunk {
    std::vector<PciFunction> functions;
    std::vector<Problem> problems;
    std::set<std::string> broken_group_links;
    std::map<std::string, ScanContext::KnownVf> known_vfs;
  };
  const std::vector<size_t> bounds =
      FamilyBounds(ctx, *entries, ctx.WorkersFor(entries->size()));
  std::vector<Chunk> chunks(bounds.size() - 1);
  ForEachChunk(bounds, [&](size_t c, size_t begin, size_t end) {
    Chunk& chunk = chunks[c];
    ScanContext chunk_ctx = ctx.ForChunk(&chunk.problems);
    for (size_t i = begin; i < end; ++i) {
      std::optional<PciFunction> fn = ScanEntry(chunk_ctx, (*entries)[i]);
      if (fn.has_value()) chunk.functions.push_back(*std::move(fn));
    }
    chunk.broken_group_links = std::move(chunk_ctx.broken_group_links);
    chunk.known_vfs = std::move(chunk_ctx.known_vfs);
  });
  for (Chunk& chunk : chunks) {
    for (PciFunction& fn : chunk.functions) {
      ctx.inventory.functions.push_back(std::move(fn));
    }
    for (Problem& p : chunk.problems) {
      ctx.AddProblem(std::move(p.object), std::move(p.reason));
    }
    ctx.broken_group_links.merge(chunk.broken_group_links);
    ctx.known_vfs.merge(chunk.known_vfs);
  }
  std::sort(
      ctx.inventory.functions.begin(), ctx.inventory.functions.end(),
      [](const PciFunction& a, const PciFunction& b) { return a.bdf < b.bdf; });
  AssignRoles(ctx.inventory);
  AddModelNames(ctx.options.pci_ids, ctx.inventory);
  return absl::OkStatus();
}

}  // namespace vgpu::inventory::internal
