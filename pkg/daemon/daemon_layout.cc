// Daemon's vGPU layout wiring (vgpu.manage; docs/vgpu-layouts.md): the
// reconciler's start, its rounds between publishes, live config reloads,
// and what the pools leave out while the layout changes.
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "pkg/base/local_file.h"
#include "pkg/base/logging.h"
#include "pkg/config/config.h"
#include "pkg/daemon/daemon.h"
#include "pkg/daemon/layout_reconciler.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/inventory.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/layout_metrics.h"
#include "pkg/sysfs/sysfs.h"
#include "pkg/watch/dir_watcher.h"

namespace vgpu::daemon {
namespace {

struct LayoutConfig {
  std::string name;
  config::VgpuLayouts layouts;
};

// The layout a config selects, with its layouts (inline, or the
// vgpu-device-manager file it names).
absl::StatusOr<LayoutConfig> SelectLayout(const config::Config& config,
                                          const DaemonOptions& options) {
  LayoutConfig out;
  out.layouts = config.vgpu.configs;
  if (!config.vgpu.config_file.empty()) {
    absl::StatusOr<config::VgpuLayouts> file =
        config::LoadVgpuConfigFile(config.vgpu.config_file);
    if (!file.ok()) return file.status();
    out.layouts = *std::move(file);
  }
  out.name = config::SelectLayoutName(
      config.vgpu.layout, options.vgpu_layout_env, options.vgpu_layout_flag);
  if (out.name.empty()) {
    return absl::InvalidArgumentError(
        "vgpu.manage is true but no layout is named: set vgpu.layout, "
        "VGPU_CONFIG or --vgpu-layout");
  }
  return out;
}

// The text of the config file and of the layout file it names: a reload
// with the same text changes nothing.
std::string ConfigText(const std::string& path) {
  absl::StatusOr<std::string> text = ReadLocalFile(path, "config");
  if (!text.ok()) return std::string(text.status().message());
  absl::StatusOr<config::Config> parsed = config::ParseConfig(*text);
  if (parsed.ok() && !parsed->vgpu.config_file.empty()) {
    absl::StatusOr<std::string> file =
        ReadLocalFile(parsed->vgpu.config_file, "vgpu config file");
    absl::StrAppend(&*text, "\n---\n",
                    file.ok() ? *file : file.status().message());
  }
  return *std::move(text);
}

}  // namespace

absl::Status Daemon::StartLayout() {
  if (!options_.config.vgpu.manage) return absl::OkStatus();
  absl::StatusOr<LayoutConfig> selected =
      SelectLayout(options_.config, options_);
  if (!selected.ok()) return selected.status();
  layout_metrics_ =
      std::make_unique<metrics::LayoutMetrics>(*metrics_->registry());
  LayoutReconcilerOptions reconciler_options;
  reconciler_options.state_dir = options_.state_dir;
  reconciler_options.pod_resources_socket = options_.pod_resources_socket;
  const std::string& feature_file = options_.config.vgpu.node_feature_file;
  if (!feature_file.empty()) {
    reconciler_options.node_feature_file = sysfs_->HostPath(
        absl::string_view(feature_file).substr(feature_file[0] == '/'));
  }
  absl::StatusOr<std::unique_ptr<LayoutReconciler>> reconciler =
      LayoutReconciler::Create(*sysfs_, std::move(reconciler_options),
                               layout_metrics_.get());
  if (!reconciler.ok()) return reconciler.status();
  reconciler_ = *std::move(reconciler);
  reconciler_->SetLayout(selected->name, std::move(selected->layouts));
  if (!options_.config_path.empty()) {
    layout_config_text_ = ConfigText(options_.config_path);
  }
  for (const std::string& dir : config_dirs_) {
    if (absl::Status s = watcher_->AddDir(dir); !s.ok()) {
      VGPU_LOG(WARNING) << "cannot watch config dir " << dir
                        << " (changes apply within a minute): " << s.message();
    }
  }
  VGPU_LOG(INFO)
          .With("layout", reconciler_->layout_name())
          .With("state_dir", options_.state_dir)
      << "managing the vGPU layout " << reconciler_->layout_name();
  // The first round counts every vGPU as advertised: before the first
  // publish nothing is removed, and what the layout no longer wants is
  // withdrawn, so never advertised by this process.
  layout::DeviceSet every;
  if (absl::StatusOr<inventory::Inventory> inv =
          inventory::Discover(*sysfs_, {});
      inv.ok()) {
    for (const inventory::MdevDevice& m : inv->mdevs) every.insert(m.uuid);
    for (const inventory::PciFunction& fn : inv->functions) {
      if (fn.nvidia_vgpu && fn.nvidia_vgpu->current_type != 0) {
        every.insert(fn.bdf);
      }
    }
  }
  layout_converged_ = reconciler_->Reconcile(every).converged;
  absl::MutexLock lock(&mu_);
  events_.reconcile = true;
  return absl::OkStatus();
}

void Daemon::ReloadLayoutConfig() {
  if (options_.config_path.empty()) return;
  std::string text = ConfigText(options_.config_path);
  if (text == layout_config_text_) return;
  layout_config_text_ = std::move(text);
  const std::string& path = options_.config_path;
  const std::string& current = reconciler_->layout_name();
  absl::StatusOr<config::Config> config = config::LoadConfigFile(path);
  absl::StatusOr<LayoutConfig> selected =
      config.ok() ? SelectLayout(*config, options_)
                  : absl::StatusOr<LayoutConfig>(config.status());
  absl::Status check =
      selected.ok() ? reconciler_->Check(selected->name, selected->layouts)
                    : selected.status();
  if (!check.ok()) {
    VGPU_LOG(ERROR).With("config_file", path).With("layout", current)
        << "new config rejected, keeping layout " << current << ": "
        << check.message();
    return;
  }
  if (!config->vgpu.manage) {
    VGPU_LOG(WARNING).With("config_file", path)
        << "vgpu.manage: false takes effect at the next restart";
  }
  VGPU_LOG(INFO)
          .With("config_file", path)
          .With("layout", selected->name)
          .With("previous", current)
      << "config changed: vGPU layout " << selected->name
      << " (other keys take effect at the next restart)";
  reconciler_->SetLayout(selected->name, std::move(selected->layouts));
}

void Daemon::ReconcileLayout() {
  layout::DeviceSet advertised;
  for (const resources::Pool& pool : published_.pools) {
    for (const resources::PoolDevice& d : pool.devices) {
      advertised.insert(d.id);
    }
  }
  const ReconcileRound round = reconciler_->Reconcile(advertised);
  periods_since_reconcile_ = 0;
  layout_converged_ = round.converged;
  if (round.withdrawn_changed || round.wrote) {
    // Withdrawals reach ListAndWatch before any removal; what a step
    // created is advertised once it is complete.
    if (absl::Status s = Rescan(/*startup=*/false); !s.ok()) {
      VGPU_LOG(ERROR) << s.message();
    }
  }
  if (round.more) {
    absl::MutexLock lock(&mu_);
    events_.reconcile = true;
  }
}

void Daemon::FilterForLayout(const inventory::Inventory& inventory,
                             resources::PoolSet& pools) const {
  std::set<std::string> nodes;
  for (int group : inventory.vfio_group_nodes) {
    nodes.insert(absl::StrCat("/dev/vfio/", group));
  }
  for (const std::string& cdev : inventory.vfio_cdev_nodes) {
    nodes.insert(absl::StrCat("/dev/vfio/devices/", cdev));
  }
  const layout::DeviceSet& withdrawn = reconciler_->withdrawn();
  const layout::DeviceSet& owned = reconciler_->owned();
  for (resources::Pool& pool : pools.pools) {
    std::erase_if(pool.devices, [&](const resources::PoolDevice& d) {
      if (withdrawn.count(d.id) != 0) return true;
      if (owned.count(d.id) == 0) return false;
      for (const std::string& node : d.vfio_nodes) {
        if (nodes.count(node) == 0) return true;  // Not complete yet.
      }
      return d.vfio_nodes.empty();
    });
  }
}

}  // namespace vgpu::daemon
