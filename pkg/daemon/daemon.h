// Daemon: the device plugin's wiring and run loop, testable without main().
// Run() discovers the host, builds pools, syncs CDI specs, serves one
// ResourceServer per pool and registers each with the kubelet; then it
// rescans on a period and on inotify events from dev/vfio, pushes changed
// snapshots, and restarts/re-registers servers when the kubelet restarts
// (kubelet.sock re-created, or one of our sockets deleted). Watchers and
// the registrar run on their own threads and only post events; all state
// changes happen on the thread that called Run(). Stop(), RequestRestart(),
// Ready() and LastLoopTick() are thread-safe.
#ifndef VGPU_PKG_DAEMON_DAEMON_H_
#define VGPU_PKG_DAEMON_DAEMON_H_

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pkg/config/config.h"
#include "pkg/inventory/incremental.h"
#include "pkg/resources/pools.h"

namespace vgpu::sysfs {
class Sysfs;
}  // namespace vgpu::sysfs
namespace vgpu::kubelet {
class Registrar;
}  // namespace vgpu::kubelet
namespace vgpu::watch {
class DirWatcher;
struct DirEvent;
}  // namespace vgpu::watch
namespace vgpu::deviceplugin {
class PluginManager;
}  // namespace vgpu::deviceplugin
namespace vgpu::metrics {
class DaemonMetrics;
class LayoutMetrics;
class MetricsServer;
class PodResourcesPoller;
}  // namespace vgpu::metrics
namespace vgpu::inventory {
class PciIds;
struct Inventory;
struct Problem;
}  // namespace vgpu::inventory
namespace vgpu::kata {
class CdiWriter;
}  // namespace vgpu::kata

namespace vgpu::daemon {

class LayoutReconciler;

struct DaemonOptions {
  // Root of the host's /sys and /dev ("/" in production).
  std::string host_root = "/";
  // Where kubelet.sock lives and our sockets go; created if missing.
  std::string device_plugin_dir = "/var/lib/kubelet/device-plugins";
  // CDI spec directory (the daemon's own filesystem).
  std::string cdi_dir = "/var/run/cdi";
  // pci.ids file; "" searches inventory::kDefaultPciIdsPaths.
  std::string pci_ids_path;
  // The effective configuration (flag > file > default, merged by main).
  config::Config config;
  // Wired by the metrics listener: address for /metrics, /healthz, /readyz
  // ("" disables it) and the kubelet PodResources socket it polls.
  std::string metrics_address = ":9402";
  std::string pod_resources_socket =
      "/var/lib/kubelet/pod-resources/kubelet.sock";
  std::string version = VGPU_VERSION;
  // A periodic rescan whose host signature is unchanged skips discovery,
  // except every this many periods (a safety net for what the signature
  // cannot see; one minute at the default 5 s period).
  int full_rescan_every = 12;
  // vGPU layouts (config.vgpu.manage; daemon_layout.cc): the config file
  // re-read when its directory changes ("" = none), the layout name from
  // the environment (VGPU_CONFIG) and the flag (--vgpu-layout), and the
  // state dir shared with `vgpuctl apply`.
  std::string config_path;
  std::string vgpu_layout_env;
  std::string vgpu_layout_flag;
  std::string state_dir = "/var/lib/vgpu-device-plugin";
  // When the process began (main sets it first thing): the startup phases
  // logged once every resource is registered are timed from it.
  absl::Time started_at = absl::Now();
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves until Stop(); on return every server is stopped and every socket
  // of ours removed. Errors only at startup: host root unusable (NotFound),
  // plugin dir not creatable, pools invalid (InvalidArgument naming the
  // resource name). Call once.
  absl::Status Run();
  // Makes Run() return soon. Safe from any thread, before or during Run().
  void Stop();
  // Restarts every server and registers again (SIGHUP).
  void RequestRestart();

  // Readiness: the first scan is published, every pool is registered, and
  // no pool has every device Unhealthy for a failure of the daemon's own
  // (its CDI spec not written; CdiUnreadyReason says which).
  bool Ready() const;
  // "" or why pools are not usable because of the daemon: "CDI spec not
  // written for <resource>: <why>; ...".
  std::string CdiUnreadyReason() const;
  // Liveness: when the run loop last woke (at least once per rescan period).
  absl::Time LastLoopTick() const;
  metrics::DaemonMetrics& metrics() { return *metrics_; }
  const DaemonOptions& options() const { return options_; }

 private:
  struct Events {
    bool rescan = false;
    bool kubelet_socket_created = false;
    bool restart_all = false;
    bool load_pci_ids = false;  // Deferred past the first publish.
    // The rescan period elapsed: a full discovery only if the host
    // signature changed (or every full_rescan_every periods).
    bool periodic = false;
    std::set<std::string> deleted_sockets;
    std::set<std::string> gone_dirs;  // Watched dirs removed (watch lost).
    bool config_changed = false;      // An entry of a config dir changed.
    bool reconcile = false;           // The layout has steps left.
    // Entries of dev/vfio and dev/vfio/devices created or deleted: handled
    // by UpdateForVfioNodes unless a full discovery is due anyway.
    std::set<inventory::VfioNodeEvent> vfio_nodes;
  };

  absl::Status Start();
  void Loop();
  void Handle(const Events& events);
  // Discovers and publishes; `startup` makes pool errors fatal.
  absl::Status Rescan(bool startup);
  // daemon_events.cc: re-reads only the VFIO nodes `nodes` name and what
  // they concern (inventory::UpdateVfioNodes) into last_inventory_, and
  // publishes the pools built from it; false when that cannot be decided
  // and a full Rescan() must run instead.
  bool UpdateForVfioNodes(const std::set<inventory::VfioNodeEvent>& nodes);
  // Queues what waits for registration (see pci_ids_deferred_).
  void StartDeferredWork();
  // Periodic: whether the host may have changed since the last discovery.
  bool PeriodicRescanNeeded();
  // Writes the CDI specs, then hands the pools to the servers; returns what
  // was advertised: the devices of a resource whose spec could not be
  // written go out Unhealthy (their CDI names would not resolve), and the
  // next period retries (cdi_retry_).
  // With a layout, `cdi_pools` (what exists, withdrawn vGPUs included, so
  // that a pod holding one can restart a container) is what the CDI specs
  // hold; null: `pools`.
  resources::PoolSet Publish(resources::PoolSet pools,
                             const resources::PoolSet* cdi_pools = nullptr);
  // Adds inotify watches on the plugin dir, dev/vfio, dev/vfio/devices
  // when present and not yet watched.
  void EnsureWatches(bool startup);
  void RestartMissingSockets();
  void OnDirEvent(const watch::DirEvent& event);
  // Startup phases: MarkStartup(phase) notes that `phase` ended now, until
  // the startup line is logged; LogStartupIfDone() logs it once both the
  // first publish and the registration of every resource happened:
  // "startup: every resource registered" with each phase's ms.
  void MarkStartup(const char* phase);
  void LogStartupIfDone();
  // A kubelet restart's re-registration, timed the same way: from the
  // kubelet.sock event (OnDirEvent) through the servers restarted (Handle)
  // to the last registration, logged once per restart as "kubelet restart:
  // every resource registered again".
  void LogReregisteredIfDone();
  // Logs each (what, object, reason) once per process: discovery problems,
  // and devices the pools skipped (no vendor domain, duplicate ID).
  void LogProblemsOnce(const std::vector<inventory::Problem>& problems,
                       absl::string_view what);
  // Logs kata::kMdevColdPlugWarning once per process if any pool has an
  // mdev device (Kata cannot cold-plug those).
  void WarnMdevOnce(const resources::PoolSet& pools);
  // daemon_observability.cc: the metrics listener and PodResources poller.
  absl::Status StartObservability();
  void UpdatePolledResources();
  void StopObservability();
  // daemon_layout.cc: the vGPU layout reconcile (vgpu.manage).
  absl::Status StartLayout();
  // Re-reads the config file; a new valid vGPU layout replaces the old.
  void ReloadLayoutConfig();
  // One reconcile round, then publishes what it changed.
  void ReconcileLayout();
  // Leaves out of `pools` the vGPUs the layout withdrew and those we
  // created whose VFIO node does not exist yet.
  void FilterForLayout(const inventory::Inventory& inventory,
                       resources::PoolSet& pools) const;

  // Immutable after construction.
  const DaemonOptions options_;
  const std::string plugin_dir_;  // Absolute, no trailing '/'.
  std::unique_ptr<metrics::DaemonMetrics> metrics_;
  std::unique_ptr<kubelet::Registrar> registrar_;
  std::unique_ptr<deviceplugin::PluginManager> manager_;
  std::unique_ptr<watch::DirWatcher> watcher_;
  // Set by StartObservability(); Run() stops both before it returns, so the
  // probes (which call Ready()) never outlive what they read.
  std::unique_ptr<metrics::PodResourcesPoller> pod_resources_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  // Directories of the config files, watched when the daemon manages a
  // layout (a ConfigMap update swaps a symlink there).
  const std::set<std::string> config_dirs_;

  // Touched only by the Run() thread.
  std::unique_ptr<sysfs::Sysfs> sysfs_;
  std::unique_ptr<inventory::PciIds> pci_ids_;
  std::unique_ptr<kata::CdiWriter> cdi_;
  resources::PoolSet published_;
  // The inventory of the last successful Rescan(), as UpdateForVfioNodes
  // patched it since; null when the last scan failed (the next event then
  // takes a full discovery).
  std::unique_ptr<inventory::Inventory> last_inventory_;
  // Vendors of the GPUs and NVSwitches discovery has seen: the only
  // functions whose names the daemon uses (pool models, per-model resource
  // names). pci_ids_ keeps only these (and, for per-model naming, every
  // vendor that names resources) and is reloaded when a new one appears.
  std::set<uint16_t> gpu_vendors_;
  // The host signature taken at the last full discovery ("" when it could
  // not be taken), the NVIDIA VFs it reads, and periods since then.
  std::string last_signature_;
  std::vector<std::string> nvidia_vfs_;
  int periods_since_full_ = 0;
  std::set<std::string> watched_dirs_;
  std::set<std::string> logged_problems_;
  std::string last_scan_error_;
  // Set while some resource's CDI spec is not current: every period
  // rescans and publishes again until it is. What the last error was about
  // (CdiErrorKey), so that it is logged once.
  bool cdi_retry_ = false;
  std::string last_cdi_error_;
  // Set once the "Kata cannot cold-plug mdev" warning was logged.
  bool mdev_warning_logged_ = false;
  // The layout reconcile, when vgpu.manage; the config text it was last
  // given (to skip reloads of the same text); periods since its last round
  // and whether that round found the node converged.
  std::unique_ptr<metrics::LayoutMetrics> layout_metrics_;
  std::unique_ptr<LayoutReconciler> reconciler_;
  std::string layout_config_text_;
  int periods_since_reconcile_ = 0;
  bool layout_converged_ = false;

  mutable absl::Mutex mu_;
  Events events_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool first_scan_published_ ABSL_GUARDED_BY(mu_) = false;
  std::string cdi_unready_ ABSL_GUARDED_BY(mu_);
  // "" or why the daemon warned that it advertises nothing (logged once
  // per cause).
  std::string last_no_gpu_cause_;
  // With default naming, pci.ids names are cosmetic: loading them (and the
  // rescan that applies them) waits until every resource is registered, or
  // the first rescan period, so that it never delays the kubelet.
  bool pci_ids_deferred_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_tick_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Ends of the startup phases in order (MarkStartup), when every resource
  // was first registered, and whether the startup line was logged.
  std::vector<std::pair<const char*, absl::Time>> startup_marks_
      ABSL_GUARDED_BY(mu_);
  absl::Time registered_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool startup_logged_ ABSL_GUARDED_BY(mu_) = false;
  // The re-registration in progress: when kubelet.sock was seen again and
  // when the servers were restarted and queued for registration
  // (InfinitePast: none).
  absl::Time kubelet_back_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time reregister_queued_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace vgpu::daemon

#endif  // VGPU_PKG_DAEMON_DAEMON_H_
