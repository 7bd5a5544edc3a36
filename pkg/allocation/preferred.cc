#include "pkg/allocation/preferred.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"

namespace vgpu::allocation {
namespace {

using resources::DeviceType;
using resources::PoolDevice;
using Devices = std::vector<const PoolDevice*>;
// Group key: (NUMA node, "") or (0, switch BDF); devices without a switch
// share the key (1, "").
using Key = std::pair<int, std::string>;
using KeyFn = std::function<Key(const PoolDevice&)>;

struct Request {
  const resources::Pool& pool;
  Devices must;
  std::set<std::string> available;
  bool vgpu = false;
  config::VgpuPolicy policy = config::VgpuPolicy::kBinpack;
  // vGPU pools: each candidate's position in the policy's order.
  std::map<const PoolDevice*, size_t> rank;
};

Key NumaKey(const PoolDevice& d) { return {d.numa_node, ""}; }

Key SwitchKey(const PoolDevice& d) {
  return d.pcie_switch.empty() ? Key{1, ""} : Key{0, d.pcie_switch};
}

// The key most must-include devices share (ties: smallest key).
std::optional<Key> PreferredKey(const Devices& must, const KeyFn& key_of) {
  std::map<Key, int> counts;
  for (const PoolDevice* d : must) ++counts[key_of(*d)];
  std::optional<Key> best;
  int best_count = 0;
  for (const auto& [key, count] : counts) {
    if (count > best_count) {
      best = key;
      best_count = count;
    }
  }
  return best;
}

// The fitting group a request picks from: for vGPU the one holding the
// device the policy ranks first; else the smallest (best fit), then by key.
bool BetterFit(const Request& r, const Devices& a, const Key& key_a,
               const Devices& b, const Key& key_b) {
  if (!r.rank.empty()) {
    auto best_rank = [&](const Devices& g) {
      size_t best = r.rank.size();
      for (const PoolDevice* d : g) best = std::min(best, r.rank.at(d));
      return best;
    };
    return best_rank(a) < best_rank(b);
  }
  return a.size() != b.size() ? a.size() < b.size() : key_a < key_b;
}

// Splits `devices` (id order kept) into groups and orders them for filling
// `k` picks: the preferred group if it holds k, else the BetterFit group
// among those that hold k alone, else the preferred group; then the others
// by size descending, key ascending.
std::vector<Devices> OrderGroups(const Request& r, const Devices& devices,
                                 const KeyFn& key_of,
                                 const std::optional<Key>& preferred,
                                 size_t k) {
  std::map<Key, Devices> groups;
  for (const PoolDevice* d : devices) groups[key_of(*d)].push_back(d);
  std::vector<Key> keys;
  for (const auto& [key, members] : groups) keys.push_back(key);
  std::stable_sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    return groups[a].size() > groups[b].size();
  });
  const bool has_preferred = preferred && groups.count(*preferred) > 0;
  std::optional<Key> first;
  if (has_preferred && groups[*preferred].size() >= k) {
    first = preferred;
  } else {
    for (const Key& key : keys) {
      if (groups[key].size() >= k &&
          (!first || BetterFit(r, groups[key], key, groups[*first], *first))) {
        first = key;
      }
    }
  }
  if (!first && has_preferred) first = preferred;
  std::vector<Devices> ordered;
  if (first) ordered.push_back(groups[*first]);
  for (const Key& key : keys) {
    if (!first || key != *first) ordered.push_back(groups[key]);
  }
  return ordered;
}

// Devices on each physical GPU that are in use: not available, or
// must-include.
std::map<std::string, int> InUseByGpu(const Request& r) {
  std::map<std::string, int> in_use;
  for (const PoolDevice& d : r.pool.devices) {
    if (!r.available.count(d.id)) ++in_use[d.physical_gpu];
  }
  for (const PoolDevice* d : r.must) ++in_use[d->physical_gpu];
  return in_use;
}

// Candidates in the order the vGPU policy takes them.
Devices PolicyOrder(const Request& r, const Devices& devices) {
  if (!r.vgpu) return devices;
  std::map<std::string, Devices> by_gpu;
  for (const PoolDevice* d : devices) by_gpu[d->physical_gpu].push_back(d);
  std::map<std::string, int> in_use = InUseByGpu(r);
  std::vector<std::string> gpus;
  for (const auto& [gpu, members] : by_gpu) gpus.push_back(gpu);
  const bool spread = r.policy == config::VgpuPolicy::kSpread;
  std::stable_sort(gpus.begin(), gpus.end(), [&](const auto& a, const auto& b) {
    size_t free_a = by_gpu[a].size(), free_b = by_gpu[b].size();
    int used_a = in_use[a], used_b = in_use[b];
    if (spread) {
      return used_a != used_b ? used_a < used_b : free_a > free_b;
    }
    return free_a != free_b ? free_a < free_b : used_a > used_b;
  });
  Devices out;
  if (!spread) {
    for (const std::string& gpu : gpus) {
      out.insert(out.end(), by_gpu[gpu].begin(), by_gpu[gpu].end());
    }
    return out;
  }
  for (size_t round = 0; out.size() < devices.size(); ++round) {
    for (const std::string& gpu : gpus) {
      if (round < by_gpu[gpu].size()) out.push_back(by_gpu[gpu][round]);
    }
  }
  return out;
}

void Append(const Devices& from, size_t n, Devices& out) {
  out.insert(out.end(), from.begin(),
             from.begin() + static_cast<std::ptrdiff_t>(n));
}

Devices PickInNode(const Request& r, const Devices& devices, size_t k) {
  Devices out;
  if (r.vgpu && r.policy == config::VgpuPolicy::kSpread) {
    Append(PolicyOrder(r, devices), k, out);
    return out;
  }
  Devices must_with_switch;
  for (const PoolDevice* d : r.must) {
    if (!d->pcie_switch.empty()) must_with_switch.push_back(d);
  }
  for (const Devices& group :
       OrderGroups(r, devices, SwitchKey,
                   PreferredKey(must_with_switch, SwitchKey), k)) {
    if (out.size() == k) break;
    Append(PolicyOrder(r, group), std::min(k - out.size(), group.size()), out);
  }
  return out;
}

Devices Pick(const Request& r, const Devices& candidates, size_t k) {
  Devices out;
  for (const Devices& node :
       OrderGroups(r, candidates, NumaKey, PreferredKey(r.must, NumaKey), k)) {
    if (out.size() == k) break;
    Devices picked = PickInNode(r, node, std::min(k - out.size(), node.size()));
    out.insert(out.end(), picked.begin(), picked.end());
  }
  return out;
}

// Looks each id up; InvalidArgument naming the first unknown one, or, with
// `skip_unknown`, leaves unknown ids out.
absl::StatusOr<Devices> Resolve(const resources::Pool& pool,
                                const std::vector<std::string>& ids,
                                const char* what, bool skip_unknown) {
  Devices out;
  std::set<std::string> seen;
  for (const std::string& id : ids) {
    const PoolDevice* d = pool.Find(id);
    if (d == nullptr && skip_unknown) continue;
    if (d == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown device id \"", id, "\" in ", what,
                       " devices of ", pool.resource_name));
    }
    if (seen.insert(id).second) out.push_back(d);
  }
  std::sort(
      out.begin(), out.end(),
      [](const PoolDevice* a, const PoolDevice* b) { return a->id < b->id; });
  return out;
}

// Must-include devices are available; must <= size <= available.
absl::Status CheckSizes(const Request& r, size_t available, int size) {
  for (const PoolDevice* d : r.must) {
    if (!r.available.count(d->id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("must-include device \"", d->id,
                       "\" is not among the available devices"));
    }
  }
  const size_t n = static_cast<size_t>(size);
  if (n < r.must.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("allocation size ", size, " is smaller than the ",
                     r.must.size(), " must-include devices"));
  }
  if (n > available) {
    return absl::InvalidArgumentError(
        absl::StrCat("allocation size ", size, " is larger than the ",
                     available, " available devices"));
  }
  return absl::OkStatus();
}

bool IsVgpuPool(const resources::Pool& pool) {
  return !pool.devices.empty() &&
         std::all_of(pool.devices.begin(), pool.devices.end(),
                     [](const PoolDevice& d) {
                       return d.type == DeviceType::kMdev ||
                              d.type == DeviceType::kVfVgpu;
                     });
}

}  // namespace

absl::StatusOr<std::vector<std::string>> PreferredAllocation(
    const resources::Pool& pool, const std::vector<std::string>& available,
    const std::vector<std::string>& must_include, int size,
    config::VgpuPolicy policy) {
  if (size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("allocation size ", size, " is negative"));
  }
  // The kubelet's list of available devices trails ListAndWatch: a device
  // this daemon just withdrew may still be in it. An error here would fail
  // the pod's admission, so such ids are simply not preferred.
  VGPU_ASSIGN_OR_RETURN(Devices avail,
                        Resolve(pool, available, "available", true));
  VGPU_ASSIGN_OR_RETURN(Devices must,
                        Resolve(pool, must_include, "must-include", false));
  Request r{pool, must, {}, IsVgpuPool(pool), policy, {}};
  for (const PoolDevice* d : avail) r.available.insert(d->id);
  VGPU_RETURN_IF_ERROR(CheckSizes(r, avail.size(), size));
  Devices candidates;
  for (const PoolDevice* d : avail) {
    if (std::find(must.begin(), must.end(), d) == must.end()) {
      candidates.push_back(d);
    }
  }
  if (r.vgpu) {
    Devices order = PolicyOrder(r, candidates);
    for (size_t i = 0; i < order.size(); ++i) r.rank[order[i]] = i;
  }
  std::vector<std::string> result;
  for (const PoolDevice* d : must) result.push_back(d->id);
  for (const PoolDevice* d :
       Pick(r, candidates, static_cast<size_t>(size) - must.size())) {
    result.push_back(d->id);
  }
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace vgpu::allocation
