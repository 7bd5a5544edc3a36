// Daemon::Rescan and what it publishes: discovery -> pools -> CDI -> servers.
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/base/logging.h"
#include "pkg/daemon/daemon.h"
#include "pkg/daemon/pool_diff.h"
#include "pkg/deviceplugin/plugin_manager.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/host_signature.h"
#include "pkg/kata/allocate_response.h"
#include "pkg/kata/cdi_spec.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::daemon {

bool Daemon::PeriodicRescanNeeded() {
  if (++periods_since_full_ >= options_.full_rescan_every) return true;
  if (cdi_retry_) return true;
  if (last_signature_.empty()) return true;
  absl::StatusOr<std::string> signature =
      inventory::HostSignature(*sysfs_, nvidia_vfs_);
  return !signature.ok() || *signature != last_signature_;
}

absl::Status Daemon::Rescan(bool startup) {
  absl::Time start = absl::Now();
  // Taken before discovery: a change in between makes the next periodic
  // check differ, never hides it.
  absl::StatusOr<std::string> signature =
      inventory::HostSignature(*sysfs_, nvidia_vfs_);
  periods_since_full_ = 0;
  // Freed first: two inventories at once would raise the heap's peak.
  last_inventory_.reset();
  inventory::DiscoverOptions discover_options;
  discover_options.pci_ids = pci_ids_.get();
  // Big hosts: the reads spread over the CPUs (start-up waits on them).
  discover_options.workers = 0;
  auto inventory = inventory::Discover(*sysfs_, discover_options);
  metrics_->ObserveDiscovery(absl::Now() - start);
  MarkStartup("discovery");
  absl::StatusOr<resources::PoolSet> pools =
      inventory.ok() ? resources::BuildPools(*inventory, options_.config)
                     : absl::StatusOr<resources::PoolSet>(inventory.status());
  if (!pools.ok()) {
    absl::Status status(pools.status().code(),
                        absl::StrCat("scan host ", options_.host_root, ": ",
                                     pools.status().message()));
    if (startup) return status;
    // Keep serving the last good snapshot; say so once per distinct error.
    if (last_scan_error_ != status.message()) {
      last_scan_error_ = std::string(status.message());
      VGPU_LOG(ERROR) << last_scan_error_ << "; keeping the last inventory";
    }
    return absl::OkStatus();
  }
  last_scan_error_.clear();
  std::optional<resources::PoolSet> cdi_pools;
  if (reconciler_ != nullptr) {
    cdi_pools = *pools;
    FilterForLayout(*inventory, *pools);
  }
  std::vector<std::string> nvidia_vfs = inventory::NvidiaVfs(*inventory);
  if (nvidia_vfs != nvidia_vfs_) {
    // The signature read other VFs than this inventory has: retake it.
    nvidia_vfs_ = std::move(nvidia_vfs);
    signature = inventory::HostSignature(*sysfs_, nvidia_vfs_);
  }
  last_signature_ = signature.ok() ? *std::move(signature) : "";
  bool new_vendor = false;
  for (const inventory::PciFunction& fn : inventory->functions) {
    if (fn.role != inventory::FunctionRole::kGpu &&
        fn.role != inventory::FunctionRole::kNvSwitch) {
      continue;
    }
    if (gpu_vendors_.insert(fn.vendor_id).second && pci_ids_ != nullptr &&
        !pci_ids_->Covers(fn.vendor_id)) {
      new_vendor = true;
    }
  }
  if (new_vendor) {
    // Names for it on the next pass; this one publishes without them.
    absl::MutexLock lock(&mu_);
    events_.load_pci_ids = true;
  }
  LogProblemsOnce(inventory->problems, "discovery problem");
  LogProblemsOnce(pools->skipped, "not advertised");
  if (std::string cause = inventory::NoGpuCause(*sysfs_, *inventory);
      cause != last_no_gpu_cause_) {
    if (!cause.empty()) VGPU_LOG(WARNING) << "advertising nothing: " << cause;
    last_no_gpu_cause_ = std::move(cause);
  }
  WarnMdevOnce(*pools);
  bool first;
  {
    absl::MutexLock lock(&mu_);
    first = !first_scan_published_;
  }
  const bool changed = first || cdi_retry_ || !SamePools(published_, *pools);
  MarkStartup("pools");
  if (changed) {
    published_ = Publish(*std::move(pools), cdi_pools ? &*cdi_pools : nullptr);
  }
  // Instance counts change without any pool changing; keep them current.
  // From what was advertised, which CDI failures may have degraded.
  metrics_->UpdateInventory(*inventory, published_);
  last_inventory_ =
      std::make_unique<inventory::Inventory>(*std::move(inventory));
  if (!changed) return absl::OkStatus();
  UpdatePolledResources();
  absl::MutexLock lock(&mu_);
  first_scan_published_ = true;
  return absl::OkStatus();
}

void Daemon::WarnMdevOnce(const resources::PoolSet& pools) {
  if (mdev_warning_logged_) return;
  for (const resources::Pool& pool : pools.pools) {
    for (const resources::PoolDevice& device : pool.devices) {
      if (kata::KataCanColdPlug(device)) continue;
      VGPU_LOG(WARNING).With("resource", pool.resource_name)
          << kata::kMdevColdPlugWarning;
      mdev_warning_logged_ = true;
      return;
    }
  }
}

namespace {

constexpr size_t kMaxLinesPerKind = 8;

const char* Verb(DeviceChange::Kind kind) {
  switch (kind) {
    case DeviceChange::Kind::kAdded:
      return "device found";
    case DeviceChange::Kind::kRemoved:
      return "device gone";
    case DeviceChange::Kind::kBecameHealthy:
      return "device healthy again";
    case DeviceChange::Kind::kBecameUnhealthy:
      return "device unhealthy";
  }
  return "device changed";
}

// One line per change, or, past kMaxLinesPerKind changes of one kind on one
// resource (startup on a big host, a whole GPU vanishing), one summary line.
void LogChanges(const std::vector<DeviceChange>& changes) {
  using Kind = DeviceChange::Kind;
  std::map<std::pair<std::string, Kind>, std::vector<const DeviceChange*>>
      groups;
  for (const DeviceChange& c : changes) {
    groups[{c.resource, c.kind}].push_back(&c);
  }
  for (const auto& [key, group] : groups) {
    const auto& [resource, kind] = key;
    bool bad = false;
    for (const DeviceChange* c : group) bad = bad || IsWarning(*c);
    auto level = bad ? logging::Level::kWarning : logging::Level::kInfo;
    if (level < logging::MinLevel()) continue;
    if (group.size() > kMaxLinesPerKind) {
      std::vector<std::string> ids;
      for (size_t i = 0; i < 3; ++i) ids.push_back(group[i]->id);
      size_t unhealthy = 0;
      for (const DeviceChange* c : group) unhealthy += c->healthy ? 0 : 1;
      logging::LogMessage(level, __FILE__, __LINE__)
              .With("resource", resource)
              .With("count", static_cast<long long>(group.size()))
              .With("first", absl::StrJoin(ids, ","))
          << Verb(kind) << " x" << group.size()
          << (kind == Kind::kAdded
                  ? absl::StrCat(" (", unhealthy, " unhealthy)")
                  : "");
      if (kind != Kind::kAdded) continue;
    }
    for (const DeviceChange* c : group) {
      if (group.size() > kMaxLinesPerKind && c->healthy) continue;
      const auto line_level =
          IsWarning(*c) ? logging::Level::kWarning : logging::Level::kInfo;
      if (line_level < logging::MinLevel()) continue;
      logging::LogMessage(line_level, __FILE__, __LINE__)
              .With("resource", resource)
              .With("device", c->id)
              .With("health", c->healthy ? "Healthy" : "Unhealthy")
          << Verb(kind) << (c->reason.empty() ? "" : ": ") << c->reason;
    }
  }
}

// What makes a CDI failure "the same" as the last one, so that a retry every
// period logs it once: the resources that failed, not the message, which
// names a random temp file.
std::string CdiErrorKey(const absl::Status& status,
                        const std::map<std::string, std::string>& failed) {
  if (failed.empty()) return std::string(status.message());
  std::string key = "resources:";
  for (const auto& [resource, why] : failed)
    absl::StrAppend(&key, " ", resource);
  return key;
}

}  // namespace

resources::PoolSet Daemon::Publish(resources::PoolSet pools,
                                   const resources::PoolSet* cdi_pools) {
  // CDI specs first: a device the kubelet can pick must already resolve.
  absl::Status cdi = cdi_->Sync(cdi_pools != nullptr ? *cdi_pools : pools);
  MarkStartup("cdi");
  cdi_retry_ = !cdi_->failed().empty();
  if (cdi.ok()) {
    if (!last_cdi_error_.empty()) {
      VGPU_LOG(INFO) << "cdi specs in " << options_.cdi_dir << " written again";
    }
    last_cdi_error_.clear();
  } else if (std::string key = CdiErrorKey(cdi, cdi_->failed());
             key != last_cdi_error_) {
    last_cdi_error_ = std::move(key);
    VGPU_LOG(ERROR) << "cdi specs in " << options_.cdi_dir << " not updated"
                    << (cdi_retry_ ? " (their devices stay Unhealthy; "
                                     "retrying every rescan period)"
                                   : "")
                    << ": " << cdi.message();
  }
  std::vector<std::string> unready;
  for (resources::Pool& pool : pools.pools) {
    auto failed = cdi_->failed().find(pool.resource_name);
    if (failed == cdi_->failed().end()) continue;
    bool any_healthy = false;
    for (resources::PoolDevice& device : pool.devices) {
      if (!device.healthy) continue;  // Keeps its own reason.
      any_healthy = true;
      device.healthy = false;
      device.unhealthy_reason =
          absl::StrCat("CDI spec not written: ", failed->second);
    }
    // Only the daemon's failure stands between the pool and its pods.
    if (any_healthy) {
      unready.push_back(absl::StrCat("CDI spec not written for ",
                                     pool.resource_name, ": ", failed->second));
    }
  }
  {
    absl::MutexLock lock(&mu_);
    cdi_unready_ = absl::StrJoin(unready, "; ");
  }
  std::vector<DeviceChange> changes = DiffPools(published_, pools);
  LogChanges(changes);
  for (const DeviceChange& c : changes) {
    if (c.kind == DeviceChange::Kind::kBecameHealthy ||
        c.kind == DeviceChange::Kind::kBecameUnhealthy) {
      metrics_->RecordHealthTransition(
          c.resource, c.kind == DeviceChange::Kind::kBecameHealthy);
    }
  }
  absl::Status status = manager_->Apply(pools);
  if (!status.ok()) VGPU_LOG(ERROR) << status.message();
  MarkStartup("serve");
  return pools;
}

void Daemon::LogProblemsOnce(const std::vector<inventory::Problem>& problems,
                             absl::string_view what) {
  for (const inventory::Problem& p : problems) {
    std::string key = absl::StrCat(what, "\n", p.object, "\n", p.reason);
    if (!logged_problems_.insert(key).second) continue;
    VGPU_LOG(WARNING).With("object", p.object) << what << ": " << p.reason;
  }
}

}  // namespace vgpu::daemon
