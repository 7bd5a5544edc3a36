// Mediated devices: parents from sys/class/mdev_bus (absent until the first
// parent registers, so optional), their mdev_supported_types, and the
// instances. Instances come from sys/bus/mdev/devices, one listing for the
// whole host (each entry links to <parent dir>/<uuid>, whose mdev_type link
// names the type); where sys/bus/mdev is missing, from each type's devices/
// directory instead.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/parallel.h"
#include "pkg/inventory/discovery_internal.h"
#include "pkg/inventory/sysfs_parsers.h"

namespace vgpu::inventory::internal {
namespace {

using sysfs::JoinPath;

constexpr absl::string_view kMdevDevices = "sys/bus/mdev/devices";

// A parent with the directory its types and instances live in.
struct ParentEntry {
  MdevParent parent;
  std::string dir;
};

// Content of an optional attribute; nullopt when absent or unreadable
// (unreadable is a Problem on `object`).
std::optional<std::string> ReadOptional(ScanContext& ctx,
                                        const std::string& object,
                                        const std::string& path) {
  absl::StatusOr<std::string> text = ctx.sysfs.ReadFile(path);
  if (text.ok()) return *std::move(text);
  if (!absl::IsNotFound(text.status())) {
    ctx.AddProblem(object, std::string(text.status().message()));
  }
  return std::nullopt;
}

void ParseDescription(MdevType& type) {
  if (absl::StrContains(type.description, "framebuffer=")) {
    auto nv = ParseNvidiaMdevDescription(type.description);
    if (nv.ok()) {
      type.framebuffer_bytes = nv->framebuffer_bytes;
      type.max_instances = nv->max_instance;
    }
  } else if (absl::StrContains(type.description, "low_gm_size")) {
    auto gvt = ParseGvtgDescription(type.description);
    if (gvt.ok())
      type.framebuffer_bytes = gvt->low_gm_bytes + gvt->high_gm_bytes;
  }
}

// The instance in `dir` (UUID already parsed); group and driver links.
MdevDevice ReadInstance(ScanContext& ctx, const MdevParent& parent,
                        const MdevType& type, const std::string& uuid,
                        const std::string& dir) {
  MdevDevice mdev;
  mdev.uuid = uuid;
  mdev.parent = parent.name;
  mdev.type_id = type.id;
  mdev.type_name = type.name;
  mdev.numa_node = parent.numa_node;
  absl::StatusOr<std::optional<int>> group = ReadGroupLink(ctx, dir);
  if (!group.ok()) {
    ctx.AddProblem(mdev.uuid, std::string(group.status().message()));
  } else {
    mdev.iommu_group = *group;
  }
  mdev.driver = ReadDriverLink(ctx, dir);
  return mdev;
}

// nullopt when the type vanished mid-scan.
std::optional<MdevType> ScanType(ScanContext& ctx, const MdevParent& parent,
                                 const std::string& types_dir,
                                 const std::string& id) {
  const std::string dir = JoinPath(types_dir, id);
  MdevType type;
  type.id = id;
  absl::StatusOr<std::string> avail =
      ctx.sysfs.ReadFile(JoinPath(dir, "available_instances"));
  if (!avail.ok() && absl::IsNotFound(avail.status())) return std::nullopt;
  absl::StatusOr<int> count =
      avail.ok() ? ParseNonNegativeInt(*avail) : avail.status();
  if (count.ok()) {
    type.available_instances = *count;
  } else {
    ctx.AddProblem(parent.name,
                   absl::StrCat("mdev type ", id, ": available_instances: ",
                                count.status().message()));
  }
  const std::string object = absl::StrCat(parent.name, " ", id);
  type.name = std::string(TrimSysfsValue(
      ReadOptional(ctx, object, JoinPath(dir, "name")).value_or(id)));
  type.description = std::string(TrimSysfsValue(
      ReadOptional(ctx, object, JoinPath(dir, "description")).value_or("")));
  type.device_api = std::string(TrimSysfsValue(
      ReadOptional(ctx, object, JoinPath(dir, "device_api")).value_or("")));
  ParseDescription(type);
  return type;
}

// The directory of a parent: the PCI function's, else the class link's.
std::optional<std::string> ParentDir(ScanContext& ctx, MdevParent& parent) {
  absl::StatusOr<std::string> bdf = ParseBdf(parent.name);
  PciFunction* fn =
      bdf.ok() ? FindFunctionMutable(ctx.inventory, *bdf) : nullptr;
  if (fn != nullptr) {
    parent.is_pci = true;
    parent.numa_node = fn->numa_node;
    fn->is_mdev_parent = true;
    return fn->sysfs_path;
  }
  absl::StatusOr<std::string> real =
      ctx.sysfs.RealPath(JoinPath(kMdevBus, parent.name));
  if (!real.ok()) {
    if (!absl::IsNotFound(real.status())) {
      ctx.AddProblem(parent.name, std::string(real.status().message()));
    }
    return std::nullopt;
  }
  std::optional<std::string> numa =
      ReadOptional(ctx, parent.name, JoinPath(*real, "numa_node"));
  if (numa.has_value()) parent.numa_node = ParseNumaNode(*numa).value_or(-1);
  return *std::move(real);
}

std::optional<ParentEntry> ScanParent(ScanContext& ctx,
                                      const std::string& name) {
  ParentEntry entry;
  entry.parent.name = name;
  std::optional<std::string> dir = ParentDir(ctx, entry.parent);
  if (!dir.has_value()) return std::nullopt;
  entry.dir = *dir;
  const std::string types_dir = JoinPath(*dir, "mdev_supported_types");
  absl::StatusOr<std::vector<std::string>> ids = ctx.sysfs.ListDir(types_dir);
  if (!ids.ok()) {  // NotFound: the parent is unregistering.
    if (!absl::IsNotFound(ids.status())) {
      ctx.AddProblem(name, std::string(ids.status().message()));
    }
    return std::nullopt;
  }
  for (const std::string& id : *ids) {
    std::optional<MdevType> type = ScanType(ctx, entry.parent, types_dir, id);
    if (type.has_value()) entry.parent.types.push_back(*std::move(type));
  }
  return entry;
}

MdevType* FindType(MdevParent& parent, absl::string_view id) {
  for (MdevType& type : parent.types) {
    if (type.id == id) return &type;
  }
  return nullptr;
}

// The type of the instance in `dir` under `parent`. An instance is always
// of one of its parent's types, so a parent with a single type needs no
// readlink of mdev_type. nullptr (with a Problem unless the instance
// vanished) when it cannot be told.
MdevType* InstanceType(ScanContext& ctx, ParentEntry& parent,
                       const std::string& uuid, const std::string& dir) {
  if (parent.parent.types.size() == 1) return &parent.parent.types[0];
  absl::StatusOr<std::string> link =
      ctx.sysfs.ReadLink(JoinPath(dir, "mdev_type"));
  if (!link.ok()) {
    if (!absl::IsNotFound(link.status())) {
      ctx.AddProblem(uuid, std::string(link.status().message()));
    }
    return nullptr;
  }
  MdevType* type = FindType(parent.parent, sysfs::Basename(*link));
  if (type == nullptr) {
    ctx.AddProblem(uuid,
                   absl::StrCat("mdev_type ", sysfs::Basename(*link),
                                " is not a type of ", parent.parent.name));
  }
  return type;
}

// An instance read from sys/bus/mdev/devices, and the type it is of.
struct BusInstance {
  MdevType* type;
  MdevDevice mdev;
};

// One sys/bus/mdev/devices entry; nullopt when it vanished or cannot be
// placed (a Problem then). Reads only: the caller adds what it returns.
std::optional<BusInstance> ScanBusInstance(
    ScanContext& ctx, std::vector<ParentEntry>& parents,
    const std::map<std::string, size_t>& by_dir, const std::string& name) {
  const std::string link = JoinPath(kMdevDevices, name);
  absl::StatusOr<std::string> uuid = ParseUuid(name);
  absl::StatusOr<std::string> target =
      uuid.ok() ? ctx.sysfs.ReadLink(link) : uuid.status();
  absl::StatusOr<std::string> dir =
      target.ok() ? sysfs::ResolveRelative(kMdevDevices, *target)
                  : target.status();
  if (!dir.ok()) {
    if (!absl::IsNotFound(dir.status())) {
      ctx.AddProblem(link, std::string(dir.status().message()));
    }
    return std::nullopt;
  }
  const absl::string_view parent_dir = sysfs::Dirname(*dir);
  auto it = by_dir.find(std::string(parent_dir));
  if (it == by_dir.end()) {
    ctx.AddProblem(*uuid, absl::StrCat("parent ", sysfs::Basename(parent_dir),
                                       " is not a registered mdev parent"));
    return std::nullopt;
  }
  ParentEntry& parent = parents[it->second];
  MdevType* type = InstanceType(ctx, parent, *uuid, *dir);
  if (type == nullptr) return std::nullopt;
  return BusInstance{type,
                     ReadInstance(ctx, parent.parent, *type, *uuid, *dir)};
}

// Runs scan(chunk_ctx, i) for every i in [0, n) over ctx.WorkersFor(n)
// chunks; each chunk's problems join ctx's in chunk order, as one pass
// would have added them.
template <typename Scan>
void ScanChunked(ScanContext& ctx, size_t n, Scan scan) {
  const std::vector<size_t> bounds = EvenBounds(n, ctx.WorkersFor(n));
  std::vector<std::vector<Problem>> problems(bounds.size() - 1);
  ForEachChunk(bounds, [&](size_t c, size_t begin, size_t end) {
    ScanContext chunk_ctx = ctx.ForChunk(&problems[c]);
    for (size_t i = begin; i < end; ++i) scan(chunk_ctx, i);
  });
  for (std::vector<Problem>& chunk : problems) {
    for (Problem& p : chunk) {
      ctx.AddProblem(std::move(p.object), std::move(p.reason));
    }
  }
}

// Without sys/bus/mdev: the instances each type lists under devices/.
void ScanTypeInstances(ScanContext& ctx, ParentEntry& entry) {
  for (MdevType& type : entry.parent.types) {
    absl::StatusOr<std::vector<std::string>> names = ctx.sysfs.ListDir(JoinPath(
        entry.dir, absl::StrCat("mdev_supported_types/", type.id, "/devices")));
    if (!names.ok()) continue;
    for (const std::string& name : *names) {
      absl::StatusOr<std::string> uuid = ParseUuid(name);
      if (!uuid.ok()) {
        ctx.AddProblem(
            entry.parent.name,
            absl::StrCat("mdev type ", type.id, ": ", uuid.status().message()));
        continue;
      }
      type.instance_uuids.push_back(*uuid);
      ctx.inventory.mdevs.push_back(ReadInstance(ctx, entry.parent, type, *uuid,
                                                 JoinPath(entry.dir, name)));
    }
  }
}

}  // namespace

void ListMdevParents(ScanContext& ctx) {
  absl::StatusOr<std::vector<std::string>> names = ctx.sysfs.ListDir(kMdevBus);
  if (names.ok()) {
    ctx.mdev_bus_names = *std::move(names);
  } else if (!absl::IsNotFound(names.status())) {
    ctx.AddProblem(std::string(kMdevBus),
                   std::string(names.status().message()));
  }
}

void ScanMdevs(ScanContext& ctx) {
  if (ctx.mdev_bus_names.empty()) return;
  // Parents at once: each marks only its own PCI function as a parent.
  std::vector<std::optional<ParentEntry>> scanned(ctx.mdev_bus_names.size());
  ScanChunked(ctx, scanned.size(), [&](ScanContext& chunk_ctx, size_t i) {
    scanned[i] = ScanParent(chunk_ctx, ctx.mdev_bus_names[i]);
  });
  std::vector<ParentEntry> parents;
  std::map<std::string, size_t> by_dir;
  for (std::optional<ParentEntry>& entry : scanned) {
    if (!entry.has_value()) continue;
    by_dir[entry->dir] = parents.size();
    parents.push_back(*std::move(entry));
  }
  absl::StatusOr<std::vector<std::string>> bus =
      ctx.sysfs.ListDir(kMdevDevices);
  if (bus.ok()) {
    std::vector<std::optional<BusInstance>> found(bus->size());
    ScanChunked(ctx, found.size(), [&](ScanContext& chunk_ctx, size_t i) {
      found[i] = ScanBusInstance(chunk_ctx, parents, by_dir, (*bus)[i]);
    });
    for (std::optional<BusInstance>& instance : found) {
      if (!instance.has_value()) continue;
      instance->type->instance_uuids.push_back(instance->mdev.uuid);
      ctx.inventory.mdevs.push_back(std::move(instance->mdev));
    }
  } else {
    for (ParentEntry& entry : parents) ScanTypeInstances(ctx, entry);
  }
  for (ParentEntry& entry : parents) {
    for (MdevType& type : entry.parent.types) {
      std::sort(type.instance_uuids.begin(), type.instance_uuids.end());
    }
    ctx.inventory.mdev_parents.push_back(std::move(entry.parent));
  }
  std::sort(
      ctx.inventory.mdevs.begin(), ctx.inventory.mdevs.end(),
      [](const MdevDevice& a, const MdevDevice& b) { return a.uuid < b.uuid; });
}

}  // namespace vgpu::inventory::internal
