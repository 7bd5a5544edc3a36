#include "pkg/daemon/daemon.h"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/logging.h"
#include "pkg/base/status_macros.h"
#include "pkg/daemon/layout_reconciler.h"
#include "pkg/daemon/pool_diff.h"
#include "pkg/deviceplugin/plugin_manager.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/pci_ids.h"
#include "pkg/kata/cdi_spec.h"
#include "pkg/kubelet/registrar.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/layout_metrics.h"
#include "pkg/metrics/metrics_server.h"
#include "pkg/metrics/pod_resources_poller.h"
#include "pkg/resources/naming.h"
#include "pkg/sysfs/sysfs.h"
#include "pkg/watch/dir_watcher.h"

namespace vgpu::daemon {
namespace {

std::string TrimSlash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

deviceplugin::PluginManagerOptions ManagerOptions(
    const DaemonOptions& options, const std::string& plugin_dir,
    metrics::DaemonMetrics* metrics) {
  deviceplugin::PluginManagerOptions out;
  out.plugin_dir = plugin_dir;
  out.allocate.cdi_annotations = options.config.cdi_annotations;
  out.allocate.vmm_in_container = options.config.vmm_in_container;
  out.allocate.kubevirt_env = options.config.kubevirt_env;
  out.vgpu_policy = options.config.vgpu_policy;
  out.metrics = metrics;
  return out;
}

// Gives the heap's free pages back to the kernel after big temporaries (the
// pci.ids text, a discovery), which glibc would otherwise keep mapped.
void ReturnFreedMemory() { ::malloc_trim(0); }

std::unique_ptr<inventory::PciIds> LoadPciIds(
    const std::string& path, const std::set<uint16_t>& vendors) {
  std::vector<std::string> candidates;
  if (!path.empty()) {
    candidates.push_back(path);
  } else {
    for (const char* p : inventory::kDefaultPciIdsPaths)
      candidates.push_back(p);
  }
  for (const std::string& candidate : candidates) {
    auto ids = inventory::PciIds::Load(candidate, vendors);
    if (ids.ok()) {
      auto table = std::make_unique<inventory::PciIds>(*std::move(ids));
      ReturnFreedMemory();
      return table;
    }
    if (!path.empty()) {
      VGPU_LOG(WARNING) << "pci.ids unusable, using numeric names: "
                        << ids.status().message();
    }
  }
  return nullptr;
}

// A phase's length for the start-up and re-registration lines; 0 for an
// end that came before its start (a registration that completed while the
// servers were still being handed over).
double Ms(absl::Duration d) {
  return absl::ToDoubleMilliseconds(std::max(d, absl::ZeroDuration()));
}

// The directories of the config file and of the vgpu-device-manager file
// it names, when the daemon manages a layout: watched for a ConfigMap swap.
std::set<std::string> ConfigDirs(const DaemonOptions& options) {
  std::set<std::string> out;
  if (!options.config.vgpu.manage) return out;
  for (const std::string& file :
       {options.config_path, options.config.vgpu.config_file}) {
    if (file.empty()) continue;
    std::filesystem::path dir =
        std::filesystem::absolute(file).lexically_normal().parent_path();
    out.insert(TrimSlash(dir.string()));
  }
  return out;
}

}  // namespace

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)),
      plugin_dir_(TrimSlash(options_.device_plugin_dir)),
      metrics_(std::make_unique<metrics::DaemonMetrics>(options_.version)),
      config_dirs_(ConfigDirs(options_)) {
  std::vector<std::string> configured;
  for (const config::ResourceRule& rule : options_.config.rules) {
    configured.push_back(rule.resource_name);
  }
  metrics_->SetConfiguredResources(configured);
  kubelet::RegistrarOptions registrar_options;
  registrar_options.kubelet_socket =
      plugin_dir_ + "/" + kubelet::kKubeletSocketName;
  registrar_ = std::make_unique<kubelet::Registrar>(
      registrar_options, [this](const std::string& resource) {
        manager_->MarkRegistered(resource);
        if (!manager_->AllRegistered()) return;
        {
          absl::MutexLock lock(&mu_);
          if (registered_at_ == absl::InfinitePast()) {
            registered_at_ = absl::Now();
          }
        }
        LogStartupIfDone();
        LogReregisteredIfDone();
        StartDeferredWork();
      });
  manager_ = std::make_unique<deviceplugin::PluginManager>(
      ManagerOptions(options_, plugin_dir_, metrics_.get()), *registrar_);
  watcher_ = std::make_unique<watch::DirWatcher>(
      [this](const watch::DirEvent& event) { OnDirEvent(event); });
}

Daemon::~Daemon() {
  watcher_->Stop();
  registrar_->Stop();
  manager_->StopAll();
}

void Daemon::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
}

void Daemon::RequestRestart() {
  absl::MutexLock lock(&mu_);
  events_.restart_all = true;
}

bool Daemon::Ready() const {
  {
    absl::MutexLock lock(&mu_);
    if (!first_scan_published_ || !cdi_unready_.empty()) return false;
  }
  return manager_->AllRegistered();
}

std::string Daemon::CdiUnreadyReason() const {
  absl::MutexLock lock(&mu_);
  return cdi_unready_;
}

absl::Time Daemon::LastLoopTick() const {
  absl::MutexLock lock(&mu_);
  return last_tick_;
}

absl::Status Daemon::Run() {
  absl::Status status = Start();
  if (status.ok()) Loop();
  watcher_->Stop();
  registrar_->Stop();
  manager_->StopAll();
  StopObservability();
  VGPU_LOG(INFO) << "stopped; sockets removed";
  return status;
}

absl::Status Daemon::Start() {
  MarkStartup("init");
  VGPU_RETURN_IF_ERROR(StartObservability());
  MarkStartup("observability");
  VGPU_ASSIGN_OR_RETURN(sysfs_, sysfs::NewHostSysfs(options_.host_root));
  std::error_code ec;
  std::filesystem::create_directories(plugin_dir_, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("device plugin dir ", plugin_dir_, ": ", ec.message()));
  }
  // Model names only name resources with per-model naming; otherwise they
  // are cosmetic, and parsing pci.ids (and the rescan that applies the
  // names) waits until every resource is registered, so the kubelet sees
  // the devices sooner (pci_ids_deferred_).
  bool names_matter = options_.config.naming == config::Naming::kPerModel;
  // Only the vendors that can name a resource now; the host's other vendors
  // join once discovery has seen them (Rescan).
  if (names_matter) {
    pci_ids_ = LoadPciIds(options_.pci_ids_path, resources::DomainVendors());
  }
  cdi_ = std::make_unique<kata::CdiWriter>(options_.cdi_dir);
  if (!names_matter) {
    // Before the first scan: registrations may complete inside it.
    absl::MutexLock lock(&mu_);
    pci_ids_deferred_ = true;
  }
  VGPU_RETURN_IF_ERROR(watcher_->Start());
  registrar_->Start();
  EnsureWatches(/*startup=*/true);
  VGPU_RETURN_IF_ERROR(StartLayout());
  MarkStartup("setup");
  VGPU_RETURN_IF_ERROR(Rescan(/*startup=*/true));
  if (manager_->AllRegistered()) {  // Nothing to register: no resource.
    absl::MutexLock lock(&mu_);
    if (registered_at_ == absl::InfinitePast()) registered_at_ = absl::Now();
  }
  LogStartupIfDone();
  ReturnFreedMemory();
  return absl::OkStatus();
}

void Daemon::MarkStartup(const char* phase) {
  absl::MutexLock lock(&mu_);
  if (first_scan_published_) return;  // Startup is over.
  startup_marks_.emplace_back(phase, absl::Now());
}

void Daemon::LogStartupIfDone() {
  std::vector<std::pair<const char*, absl::Time>> marks;
  absl::Time registered;
  {
    absl::MutexLock lock(&mu_);
    if (startup_logged_ || !first_scan_published_ ||
        registered_at_ == absl::InfinitePast()) {
      return;
    }
    startup_logged_ = true;
    marks = std::move(startup_marks_);
    registered = registered_at_;
  }
  if (logging::Level::kInfo < logging::MinLevel()) return;
  // Each phase from the end of the one before; "register" from the last
  // phase (the servers handed to the registrar) to the last registration.
  logging::LogMessage line(logging::Level::kInfo, __FILE__, __LINE__);
  line.With("total_ms", Ms(registered - options_.started_at));
  absl::Time before = options_.started_at;
  for (const auto& [phase, end] : marks) {
    line.With(absl::StrCat(phase, "_ms"), Ms(end - before));
    before = std::max(before, end);
  }
  line.With("register_ms", Ms(registered - before));
  line << "startup: every resource registered";
}

void Daemon::LogReregisteredIfDone() {
  absl::Time back, queued;
  {
    absl::MutexLock lock(&mu_);
    if (kubelet_back_at_ == absl::InfinitePast() ||
        reregister_queued_at_ == absl::InfinitePast()) {
      return;
    }
    back = std::exchange(kubelet_back_at_, absl::InfinitePast());
    queued = std::exchange(reregister_queued_at_, absl::InfinitePast());
  }
  const absl::Time now = absl::Now();
  VGPU_LOG(INFO)
          .With("total_ms", Ms(now - back))
          .With("restart_ms", Ms(queued - back))
          .With("register_ms", Ms(now - std::max(queued, back)))
      << "kubelet restart: every resource registered again";
}

void Daemon::StartDeferredWork() {
  absl::MutexLock lock(&mu_);
  if (!pci_ids_deferred_) return;
  pci_ids_deferred_ = false;
  events_.load_pci_ids = true;
}

void Daemon::Loop() {
  absl::Time next_rescan = absl::Now() + options_.config.rescan_period;
  for (;;) {
    Events events;
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || events_.rescan || events_.kubelet_socket_created ||
               events_.restart_all || events_.load_pci_ids ||
               !events_.deleted_sockets.empty() || !events_.gone_dirs.empty() ||
               events_.config_changed || events_.reconcile ||
               !events_.vfio_nodes.empty();
      };
      mu_.AwaitWithDeadline(absl::Condition(&woken), next_rescan);
      if (stop_) return;
      events = std::move(events_);
      events_ = Events();
      last_tick_ = absl::Now();
    }
    if (absl::Now() >= next_rescan) {
      events.periodic = true;
      // No kubelet yet: name the devices anyway.
      StartDeferredWork();
      RestartMissingSockets();
      next_rescan = absl::Now() + options_.config.rescan_period;
    }
    Handle(events);
  }
}

void Daemon::Handle(const Events& events) {
  for (const std::string& dir : events.gone_dirs) {
    watched_dirs_.erase(dir);
    if (dir == plugin_dir_) {
      VGPU_LOG(WARNING) << "device plugin dir " << dir
                        << " removed; waiting for it to return";
    }
  }
  for (const std::string& name : events.deleted_sockets) {
    std::string resource = manager_->ResourceForSocket(name);
    if (!resource.empty()) manager_->RestartIfSocketLost(resource);
  }
  if (events.restart_all) {
    VGPU_LOG(INFO) << "restart requested: restarting every server";
    manager_->StopAll();
    manager_->RestartMissingAndReregister();
  } else if (events.kubelet_socket_created) {
    int restarted = manager_->RestartMissingAndReregister();
    {
      absl::MutexLock lock(&mu_);
      reregister_queued_at_ = absl::Now();
    }
    VGPU_LOG(INFO).With("restarted", restarted)
        << "kubelet.sock re-created: registering again";
    // The registrations may all have completed before the line above.
    if (manager_->AllRegistered()) LogReregisteredIfDone();
  }
  if (events.kubelet_socket_created) registrar_->RetryNow();
  bool rescan = events.rescan || (events.periodic && PeriodicRescanNeeded());
  if (events.load_pci_ids) {
    std::set<uint16_t> vendors = gpu_vendors_;
    if (options_.config.naming == config::Naming::kPerModel) {
      vendors.merge(resources::DomainVendors());
    }
    pci_ids_ = LoadPciIds(options_.pci_ids_path, vendors);
    rescan = rescan || pci_ids_ != nullptr;
  }
  // A rescan reads the nodes anyway; otherwise they alone, when that
  // decides it.
  bool updated = false;
  if (!rescan && !events.vfio_nodes.empty()) {
    updated = UpdateForVfioNodes(events.vfio_nodes);
    rescan = !updated;
  }
  if (rescan) {
    EnsureWatches(/*startup=*/false);
    absl::Status status = Rescan(/*startup=*/false);
    if (!status.ok()) VGPU_LOG(ERROR) << status.message();
    // A discovery's temporaries (a few MiB on big hosts) would otherwise
    // stay in the heap until the next one.
    ReturnFreedMemory();
  }
  if (reconciler_ == nullptr) return;
  // Converged: a round per host change, config change, and every
  // full_rescan_every periods; otherwise every period.
  bool reconcile =
      events.reconcile || rescan || updated || events.config_changed;
  if (events.periodic &&
      (!layout_converged_ ||
       ++periods_since_reconcile_ >= options_.full_rescan_every)) {
    reconcile = true;
  }
  if (events.config_changed || (events.periodic && reconcile)) {
    ReloadLayoutConfig();
  }
  if (reconcile) ReconcileLayout();
}

void Daemon::RestartMissingSockets() {
  for (const std::string& resource : manager_->ResourceNames()) {
    manager_->RestartIfSocketLost(resource);
  }
}

void Daemon::OnDirEvent(const watch::DirEvent& event) {
  using Kind = watch::DirEvent::Kind;
  absl::MutexLock lock(&mu_);
  if (event.kind == Kind::kOverflow) {
    events_.rescan = true;
    events_.kubelet_socket_created = true;
    return;
  }
  if (config_dirs_.count(event.dir) != 0) {
    events_.config_changed = true;  // A ConfigMap swap, an edit.
    return;
  }
  if (event.kind == Kind::kDirGone) events_.gone_dirs.insert(event.dir);
  if (event.dir != plugin_dir_) {
    // dev/vfio or dev/vfio/devices changed: a node (UpdateForVfioNodes),
    // or a directory, whose new watch must come first (a full discovery).
    using Dir = inventory::VfioNodeEvent::Dir;
    Dir dir =
        absl::EndsWith(event.dir, "/devices") ? Dir::kCdevs : Dir::kGroups;
    if (event.kind == Kind::kDirGone ||
        (dir == Dir::kGroups && event.name == "devices")) {
      events_.rescan = true;
      return;
    }
    events_.vfio_nodes.insert({dir, event.name});
    return;
  }
  if (event.kind == Kind::kCreated &&
      event.name == kubelet::kKubeletSocketName) {
    events_.kubelet_socket_created = true;
    if (startup_logged_) kubelet_back_at_ = absl::Now();
  } else if (event.kind == Kind::kDeleted &&
             event.name != kubelet::kKubeletSocketName) {
    events_.deleted_sockets.insert(event.name);
  }
}

void Daemon::EnsureWatches(bool startup) {
  for (const std::string& dir : {plugin_dir_, sysfs_->HostPath("dev/vfio"),
                                 sysfs_->HostPath("dev/vfio/devices")}) {
    struct stat st;
    bool present = ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (!present) {
      watched_dirs_.erase(dir);
      continue;
    }
    if (watched_dirs_.count(dir) != 0) continue;
    absl::Status status = watcher_->AddDir(dir);
    if (!status.ok()) {
      VGPU_LOG(WARNING) << "cannot watch " << dir << ": " << status.message();
      continue;
    }
    watched_dirs_.insert(dir);
    if (startup) continue;  // The first scan follows anyway.
    // A (re)created directory may hold entries made before the watch.
    absl::MutexLock lock(&mu_);
    if (dir == plugin_dir_) {
      events_.kubelet_socket_created = true;
    } else {
      events_.rescan = true;
    }
  }
}

}  // namespace vgpu::daemon
