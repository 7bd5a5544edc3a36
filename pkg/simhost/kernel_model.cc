#include "pkg/simhost/kernel_model.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pkg/simhost/pci_format.h"
#include "pkg/simhost/profiles.h"
#include "pkg/simhost/tree_ops.h"

namespace vgpu::simhost {
namespace {

constexpr char kTypesDir[] = "mdev_supported_types";

// kstrtoul/kstrtoint: optional sign (signed only), decimal, 0x hex or
// leading-0 octal, one optional trailing newline, nothing else.
std::optional<int64_t> ParseKernelInt(absl::string_view text, bool is_signed) {
  absl::ConsumeSuffix(&text, "\n");
  bool negative = false;
  if (is_signed && absl::ConsumePrefix(&text, "-")) negative = true;
  int base = 10;
  if (absl::ConsumePrefix(&text, "0x") || absl::ConsumePrefix(&text, "0X")) {
    base = 16;
  } else if (text.size() > 1 && text.front() == '0') {
    base = 8;
  }
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && absl::ascii_isxdigit(c)) {
      digit = absl::ascii_tolower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    value = value * base + digit;
  }
  return negative ? -value : value;
}

// "key=N" or "key: NMB" in a type description; nullopt when absent.
std::optional<int64_t> DescriptionNumber(absl::string_view description,
                                         absl::string_view key) {
  for (absl::string_view field :
       absl::StrSplit(description, absl::ByAnyChar(",\n"))) {
    field = absl::StripAsciiWhitespace(field);
    if (!absl::ConsumePrefix(&field, key)) continue;
    if (!absl::ConsumePrefix(&field, "=") &&
        !absl::ConsumePrefix(&field, ":")) {
      continue;
    }
    field = absl::StripAsciiWhitespace(field);
    absl::ConsumeSuffix(&field, "MB");
    int64_t value = 0;
    if (absl::SimpleAtoi(field, &value)) return value;
  }
  return std::nullopt;
}

// MIG-backed NVIDIA types are named "<board>-<slices>-<fb>C" (A100-1-5C).
bool IsMigBacked(absl::string_view name) {
  std::vector<absl::string_view> words = absl::StrSplit(name, ' ');
  return absl::StrContains(words.back(), '-') &&
         std::count(words.back().begin(), words.back().end(), '-') >= 2;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "ID    : vGPU Name\n1148  : NVIDIA L40S-2Q\n" -> {1148: "NVIDIA L40S-2Q"}.
std::map<int, std::string> ParseCreatable(absl::string_view text) {
  std::map<int, std::string> types;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(line, absl::MaxSplits(" : ", 1));
    int id = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(parts.first), &id)) {
      types[id] = std::string(parts.second);
    }
  }
  return types;
}

// What one instance of a sample driver's type takes from its parent's
// pool (lab §5): mbochs "virtual display, 16 MB video memory" 16 MB of
// `count`; mtty-N N of 24 ports.
std::optional<int64_t> SampleCost(const MdevTypeSpec& type) {
  for (absl::string_view field : absl::StrSplit(type.description, ',')) {
    field = absl::StripAsciiWhitespace(field);
    int64_t mb = 0;
    if (absl::ConsumeSuffix(&field, " MB video memory") &&
        absl::SimpleAtoi(field, &mb) && mb > 0) {
      return mb;
    }
  }
  absl::string_view id = type.id;
  int64_t ports = 0;
  if (absl::ConsumePrefix(&id, "mtty-") && absl::SimpleAtoi(id, &ports) &&
      ports > 0) {
    return ports;
  }
  return std::nullopt;
}

}  // namespace

// A pool when every type of `parent` has a cost: what is free now is the
// most any type's available_instances accounts for.
void KernelModel::LearnPool(
    const std::string& parent, const std::vector<MdevTypeSpec>& types,
    const std::function<std::optional<int64_t>(const MdevTypeSpec&)>& cost) {
  SharedPool pool;
  for (const MdevTypeSpec& type : types) {
    std::optional<int64_t> units = cost(type);
    if (!units.has_value() || *units <= 0) return;
    pool.cost[type.id] = *units;
    pool.free = std::max(pool.free, *units * type.available_instances);
  }
  if (!pool.cost.empty()) pools_[parent] = std::move(pool);
}

KernelModel::KernelModel(SimHost& host) : host_(host) {
  for (const std::string& bdf : host_.FunctionBdfs()) {
    const FunctionSpec* spec = host_.FindFunction(bdf);
    auto dir = host_.DevicePath(bdf);
    if (spec == nullptr || !dir.ok()) continue;
    const std::string vgpu_dir =
        absl::StrCat(host_.root(), "/", *dir, "/nvidia/");
    if (!spec->physfn.empty() &&
        internal::Exists(host_.root(),
                         absl::StrCat(*dir, "/nvidia/current_vgpu_type"))) {
      VfVgpu& vgpu = vgpus_[bdf];
      auto current = ParseKernelInt(ReadWhole(vgpu_dir + "current_vgpu_type"),
                                    /*is_signed=*/true);
      vgpu.current = current.has_value() ? static_cast<int>(*current) : 0;
      VfTemplate& tmpl = templates_[spec->physfn];
      tmpl.vgpu = true;
      tmpl.vfio_cdev = tmpl.vfio_cdev || spec->vfio_cdev.has_value();
      for (auto& [id, name] :
           ParseCreatable(ReadWhole(vgpu_dir + "creatable_vgpu_types"))) {
        tmpl.vgpu_types[id] = name;
      }
    }
    std::vector<MdevTypeSpec> types = host_.MdevTypesOf(bdf);
    if (types.empty()) continue;
    if (!spec->physfn.empty()) {
      VfTemplate& tmpl = templates_[spec->physfn];
      if (tmpl.mdev_types.empty()) tmpl.mdev_types = types;
    }
    for (const MdevTypeSpec& type : types) {
      int used = 0;
      for (const SimHost::MdevInfo& mdev : host_.Mdevs()) {
        if (mdev.parent == bdf && mdev.type == type.id) ++used;
      }
      learned_max_[{bdf, type.id}] = type.available_instances + used;
    }
    if (spec->driver == "i915") {
      LearnPool(bdf, types, [](const MdevTypeSpec& t) {
        return DescriptionNumber(t.description, "low_gm_size");
      });
    }
  }
  for (const std::string& parent : host_.VirtualMdevParents()) {
    LearnPool(parent, host_.MdevTypesOf(parent), SampleCost);
  }
  LearnTemplatesOfPfsWithoutVfs();
}

// A PF with no VF enabled has nothing of its own to learn from: its VFs
// will look like those of another PF of the same board (vendor:device).
void KernelModel::LearnTemplatesOfPfsWithoutVfs() {
  std::map<std::string, VfTemplate> learned;
  for (const std::string& bdf : host_.FunctionBdfs()) {
    const FunctionSpec* pf = host_.FindFunction(bdf);
    if (pf == nullptr || !pf->sriov_totalvfs.has_value() ||
        templates_.count(bdf) > 0) {
      continue;
    }
    for (const auto& [other_bdf, tmpl] : templates_) {
      const FunctionSpec* other = host_.FindFunction(other_bdf);
      if (other != nullptr && other->vendor == pf->vendor &&
          other->device == pf->device) {
        learned[bdf] = tmpl;
        break;
      }
    }
  }
  templates_.insert(learned.begin(), learned.end());
}

void KernelModel::SetInUse(absl::string_view device, bool in_use) {
  std::string lower = absl::AsciiStrToLower(device);
  if (in_use) {
    in_use_.insert(lower);
  } else {
    in_use_.erase(lower);
  }
}

std::optional<KernelModel::Target> KernelModel::Classify(
    absl::string_view path) const {
  absl::ConsumePrefix(&path, "/");
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  const size_t n = parts.size();
  auto is_device_dir = [&](size_t count) {
    // parts[0..count) is the directory of function (or virtual mdev
    // parent) parts[count-1].
    if (count == 0 || count > n) return false;
    auto dir = host_.MdevParentPath(parts[count - 1]);
    return dir.ok() &&
           *dir == absl::StrJoin(parts.begin(), parts.begin() + count, "/");
  };
  if (n >= 4 && parts[n - 1] == "create" && parts[n - 3] == kTypesDir &&
      is_device_dir(n - 3)) {
    return Target{Kind::kCreate, parts[n - 4], parts[n - 2]};
  }
  if (n >= 3 && parts[n - 1] == "remove" && is_device_dir(n - 2) &&
      internal::CanonicalUuid(parts[n - 2]).ok()) {
    return Target{Kind::kRemove, parts[n - 2], ""};
  }
  if (n >= 2 && parts[n - 1] == "sriov_numvfs" && is_device_dir(n - 1)) {
    const FunctionSpec* pf = host_.FindFunction(parts[n - 2]);
    if (pf != nullptr && pf->sriov_totalvfs.has_value()) {
      return Target{Kind::kNumVfs, parts[n - 2], ""};
    }
  }
  if (n >= 3 && parts[n - 1] == "current_vgpu_type" &&
      parts[n - 2] == "nvidia" && is_device_dir(n - 2) &&
      vgpus_.count(parts[n - 3]) > 0) {
    return Target{Kind::kVgpuType, parts[n - 3], ""};
  }
  return std::nullopt;
}

bool KernelModel::Handles(absl::string_view path) const {
  return Classify(path).has_value();
}

int KernelModel::Write(absl::string_view path, absl::string_view data) {
  std::optional<Target> target = Classify(path);
  if (!target.has_value()) return EINVAL;
  switch (target->kind) {
    case Kind::kCreate:
      return Create(target->object, target->type, data);
    case Kind::kRemove:
      return Remove(target->object, data);
    case Kind::kNumVfs:
      return SetNumVfs(target->object, data);
    case Kind::kVgpuType:
      return SetVgpuType(target->object, data);
  }
  return EINVAL;
}

int KernelModel::Create(const std::string& parent, const std::string& type,
                        absl::string_view data) {
  if (data.empty()) return 0;  // the kernel ignores a 0-byte write
  // 36 characters, or 37 whatever the last one is (lab §9 #13).
  if (data.size() != 36 && data.size() != 37) return EINVAL;
  auto uuid = internal::CanonicalUuid(data.substr(0, 36));
  if (!uuid.ok()) return EINVAL;
  const bool is_virtual = host_.IsVirtualMdevParent(parent);
  const FunctionSpec* spec = host_.FindFunction(parent);
  if (!is_virtual && (spec == nullptr || spec->driver.empty())) return ENODEV;
  std::optional<MdevTypeSpec> found;
  for (const MdevTypeSpec& t : host_.MdevTypesOf(parent)) {
    if (t.id == type) found = t;
  }
  if (!found.has_value()) return ENODEV;
  for (const SimHost::MdevInfo& mdev : host_.Mdevs()) {
    if (mdev.uuid == *uuid) return EEXIST;
  }
  if (found->available_instances <= 0) {
    // The samples (virtual parents), nvidia and i915 refuse in their probe;
    // the core counter of any other driver gives EUSERS.
    if (is_virtual) return ENOSPC;
    return spec->driver == "nvidia" || spec->driver == "i915" ? ENOSPC : EUSERS;
  }
  if (!host_.AddMdev(*uuid, parent, type, host_.NextFreeIommuGroup()).ok()) {
    return EIO;
  }
  return Recount(parent, type, +1);
}

int KernelModel::Remove(const std::string& uuid_text, absl::string_view data) {
  std::optional<int64_t> value = ParseKernelInt(data, /*is_signed=*/false);
  if (!value.has_value()) return EINVAL;
  if (*value == 0) return 0;
  auto uuid = internal::CanonicalUuid(uuid_text);
  if (!uuid.ok()) return ENODEV;
  std::optional<SimHost::MdevInfo> found;
  for (const SimHost::MdevInfo& mdev : host_.Mdevs()) {
    if (mdev.uuid == *uuid) found = mdev;
  }
  if (!found.has_value()) return ENODEV;
  if (in_use_.count(*uuid) > 0) return EBUSY;
  if (!host_.RemoveMdev(*uuid).ok()) return EIO;
  return Recount(found->parent, found->type, -1);
}

int KernelModel::MaxInstances(const std::string& parent,
                              const MdevTypeSpec& type) const {
  auto max = DescriptionNumber(type.description, "max_instance");
  if (max.has_value()) return static_cast<int>(*max);
  auto learned = learned_max_.find({parent, type.id});
  return learned == learned_max_.end() ? 0 : learned->second;
}

int KernelModel::Recount(const std::string& parent, const std::string& type,
                         int delta) {
  const FunctionSpec* spec = host_.FindFunction(parent);
  if (spec == nullptr && !host_.IsVirtualMdevParent(parent)) return EIO;
  if (spec != nullptr && spec->driver == "nvidia") {
    return spec->physfn.empty() ? RecountTimeSliced(parent)
                                : RecountVfs(spec->physfn);
  }
  auto pool = pools_.find(parent);
  std::vector<MdevTypeSpec> types = host_.MdevTypesOf(parent);
  if (pool != pools_.end()) {
    // One pool (GVT-g aperture, mbochs memory, mtty ports): every type's
    // count follows what is free.
    SharedPool& p = pool->second;
    p.free -= delta * p.cost[type];
    for (const MdevTypeSpec& t : types) {
      const int64_t cost = p.cost[t.id];
      const int count = cost > 0 ? static_cast<int>(p.free / cost) : 0;
      if (!host_.SetAvailableInstances(parent, t.id, std::max(count, 0)).ok()) {
        return EIO;
      }
    }
    return 0;
  }
  // Other drivers: the core counter of the one type.
  for (const MdevTypeSpec& t : types) {
    if (t.id != type) continue;
    int count = std::max(t.available_instances - delta, 0);
    if (!host_.SetAvailableInstances(parent, t.id, count).ok()) return EIO;
  }
  return 0;
}

// Pre-Ampere NVIDIA: with no vGPU every type reads max_instance; after one,
// only its type is creatable (max - created), every other type reads 0.
int KernelModel::RecountTimeSliced(const std::string& parent) {
  std::map<std::string, int> used;
  for (const SimHost::MdevInfo& mdev : host_.Mdevs()) {
    if (mdev.parent == parent) ++used[mdev.type];
  }
  for (const MdevTypeSpec& t : host_.MdevTypesOf(parent)) {
    int max = MaxInstances(parent, t);
    int count = used.empty() ? max
                : used.size() == 1 && used.count(t.id) > 0
                    ? std::max(max - used.at(t.id), 0)
                    : 0;
    if (!host_.SetAvailableInstances(parent, t.id, count).ok()) return EIO;
  }
  return 0;
}

// Ampere SR-IOV: a VF reads 1 for a type iff it holds no mdev, the GPU's
// vGPUs are all of that type (or there are none), fewer than max_instance
// exist, and the type is not MIG-backed (MIG is off).
int KernelModel::RecountVfs(const std::string& pf) {
  const std::vector<std::string> vfs = host_.VirtualFunctionsOf(pf);
  std::map<std::string, int> used;
  std::set<std::string> busy_vfs;
  for (const SimHost::MdevInfo& mdev : host_.Mdevs()) {
    for (const std::string& vf : vfs) {
      if (mdev.parent == vf) {
        ++used[mdev.type];
        busy_vfs.insert(vf);
      }
    }
  }
  for (const std::string& vf : vfs) {
    for (const MdevTypeSpec& t : host_.MdevTypesOf(vf)) {
      auto same = used.find(t.id);
      bool compatible =
          used.empty() || (used.size() == 1 && same != used.end());
      int created = same == used.end() ? 0 : same->second;
      int count = busy_vfs.count(vf) == 0 && compatible &&
                          !IsMigBacked(t.name) && created < MaxInstances(vf, t)
                      ? 1
                      : 0;
      if (!host_.SetAvailableInstances(vf, t.id, count).ok()) return EIO;
    }
  }
  return 0;
}

int KernelModel::SetNumVfs(const std::string& pf_bdf, absl::string_view data) {
  std::optional<int64_t> value = ParseKernelInt(data, /*is_signed=*/false);
  if (!value.has_value() || *value > 0xffff) return EINVAL;
  const FunctionSpec* found = host_.FindFunction(pf_bdf);
  if (found == nullptr) return ENODEV;
  const FunctionSpec pf = *found;
  const int wanted = static_cast<int>(*value);
  if (pf.driver.empty()) return ENOENT;  // "no driver bound to device"
  if (wanted > pf.sriov_totalvfs.value_or(0)) return ERANGE;
  const std::vector<std::string> current = host_.VirtualFunctionsOf(pf_bdf);
  const int enabled = static_cast<int>(current.size());
  if (wanted == enabled) return 0;
  if (wanted == 0) {
    for (const std::string& vf : current) vgpus_.erase(vf);
    return host_.DisableVfs(pf_bdf).ok() ? 0 : EIO;
  }
  if (enabled != 0) return EBUSY;
  const VfTemplate tmpl = templates_[pf_bdf];
  int next_cdev = 0;
  for (const std::string& bdf : host_.FunctionBdfs()) {
    const FunctionSpec* other = host_.FindFunction(bdf);
    if (other != nullptr && other->vfio_cdev.has_value()) {
      next_cdev = std::max(next_cdev, *other->vfio_cdev + 1);
    }
  }
  for (int i = 0; i < wanted; ++i) {
    auto vf =
        internal::VirtualFunction(pf, i, pf.driver, host_.NextFreeIommuGroup());
    if (!vf.ok()) return EIO;
    if (tmpl.vfio_cdev) vf->vfio_cdev = next_cdev++;
    if (!host_.AddFunction(*vf).ok()) return EIO;
    for (MdevTypeSpec type : tmpl.mdev_types) {
      type.available_instances = 0;
      if (!host_.AddMdevType(vf->bdf, type).ok()) return EIO;
    }
    if (tmpl.vgpu) vgpus_[vf->bdf] = VfVgpu{};
  }
  if (tmpl.vgpu) return RewriteVgpuFiles(pf_bdf);
  return tmpl.mdev_types.empty() ? 0 : RecountVfs(pf_bdf);
}

// §3.7: a VF with a vGPU lists nothing; once some VF of the GPU runs a type
// the others list only that type; with none, the whole catalogue.
std::map<int, std::string> KernelModel::CreatableOn(
    const std::string& pf, const std::string& vf) const {
  auto own = vgpus_.find(vf);
  if (own == vgpus_.end() || own->second.current != 0) return {};
  auto tmpl = templates_.find(pf);
  if (tmpl == templates_.end()) return {};
  std::set<int> running;
  for (const std::string& sibling : host_.VirtualFunctionsOf(pf)) {
    auto state = vgpus_.find(sibling);
    if (state != vgpus_.end() && state->second.current != 0) {
      running.insert(state->second.current);
    }
  }
  if (running.empty()) return tmpl->second.vgpu_types;
  std::map<int, std::string> only;
  if (running.size() == 1) {
    auto type = tmpl->second.vgpu_types.find(*running.begin());
    if (type != tmpl->second.vgpu_types.end()) only.insert(*type);
  }
  return only;
}

int KernelModel::RewriteVgpuFiles(const std::string& pf) {
  // Compute every list first: writing one VF must not change another's.
  std::map<std::string, std::map<int, std::string>> lists;
  for (const std::string& vf : host_.VirtualFunctionsOf(pf)) {
    if (vgpus_.count(vf) > 0) lists[vf] = CreatableOn(pf, vf);
  }
  for (const auto& [vf, list] : lists) {
    if (!host_.SetNvidiaVgpu(vf, list, vgpus_[vf].current).ok()) return EIO;
  }
  return 0;
}

int KernelModel::SetVgpuType(const std::string& vf_bdf,
                             absl::string_view data) {
  std::optional<int64_t> value = ParseKernelInt(data, /*is_signed=*/true);
  if (!value.has_value()) return EINVAL;
  const FunctionSpec* vf = host_.FindFunction(vf_bdf);
  auto state = vgpus_.find(vf_bdf);
  if (vf == nullptr || vf->driver.empty() || state == vgpus_.end()) {
    return ENODEV;
  }
  const std::string pf = vf->physfn;
  if (*value == 0) {
    if (state->second.current == 0) return 0;
    if (in_use_.count(vf_bdf) > 0) return EBUSY;
    state->second.current = 0;
    return RewriteVgpuFiles(pf);
  }
  if (state->second.current != 0) return EBUSY;
  if (CreatableOn(pf, vf_bdf).count(static_cast<int>(*value)) == 0) {
    return EINVAL;
  }
  state->second.current = static_cast<int>(*value);
  return RewriteVgpuFiles(pf);
}

}  // namespace vgpu::simhost
