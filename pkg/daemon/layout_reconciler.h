// LayoutReconciler: the daemon's vGPU layout controller (`vgpu.manage:
// true`, docs/vgpu-layouts.md). Each Reconcile() observes the host, plans
// with pkg/layout and performs at most one step (layout::Apply with
// max_runs 1, under the state dir's lock that `vgpuctl apply` takes too):
// one SR-IOV enable, or the removals one plan holds, or its creations
// (recorded as intents in one save before the first write; each write
// checked by the kernel's answer), so the daemon re-reads sysfs, and
// publishes, between steps.
//
// Advertising follows the layout in the safe order. A vGPU we created that
// the layout no longer wants is first withdrawn (withdrawn(): the daemon
// leaves it out of ListAndWatch); it is removed only by a later round, once
// it is no longer advertised, PodResources lists no pod holding it and no
// process holds its VFIO node; until then its removal is `blocked`. The
// daemon advertises a vGPU we created only once its VFIO node exists, and
// writes the CDI specs before it advertises anything.
//
// After each round it writes the state dir's status file (layout::
// LayoutStatus, read by `vgpuctl status`), the NFD local feature file when
// one is configured, the layout metrics and a log line per write naming the
// action, the vGPU and the kernel's answer. Not thread-safe: used only by
// the daemon's Run() thread.
#ifndef VGPU_PKG_DAEMON_LAYOUT_RECONCILER_H_
#define VGPU_PKG_DAEMON_LAYOUT_RECONCILER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkg/config/config.h"
#include "pkg/layout/apply.h"
#include "pkg/layout/plan.h"
#include "pkg/layout/state.h"
#include "pkg/layout/status.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::metrics {
class LayoutMetrics;
}  // namespace vgpu::metrics

namespace vgpu::daemon {

struct LayoutReconcilerOptions {
  std::string state_dir = layout::kDefaultStateDir;
  // PodResources socket; "" = no kubelet (no pod holds anything).
  std::string pod_resources_socket;
  // NFD local feature file, absolute on this machine (the host root
  // applied); "" = none.
  std::string node_feature_file;
};

// What one round did, for the daemon's scheduling.
struct ReconcileRound {
  bool withdrawn_changed = false;  // Publish before the next round.
  bool wrote = false;              // A sysfs write happened: rescan.
  bool more = false;               // Steps left: run again at once.
  bool converged = false;          // The node matches the layout.
};

class LayoutReconciler {
 public:
  // Opens (creates) the state dir. Errors name it.
  static absl::StatusOr<std::unique_ptr<LayoutReconciler>> Create(
      sysfs::Sysfs& host, LayoutReconcilerOptions options,
      metrics::LayoutMetrics* metrics);

  // Checks that layout `name` of `layouts` resolves against the host now
  // (NotFound / InvalidArgument listing every problem, as `vgpuctl plan`).
  absl::Status Check(const std::string& name,
                     const config::VgpuLayouts& layouts) const;
  void SetLayout(std::string name, config::VgpuLayouts layouts);
  const std::string& layout_name() const { return name_; }

  // vGPUs withheld from ListAndWatch, and those the state dir records as
  // ours (as of the last round).
  const layout::DeviceSet& withdrawn() const { return withdrawn_; }
  const layout::DeviceSet& owned() const { return owned_; }

  // One round; `advertised`: the device IDs ListAndWatch offers now,
  // counted as in use (never removed while the kubelet may hand them out).
  // A vGPU the round finds unwanted (its removal blocked only because it is
  // advertised) joins withdrawn(); the daemon publishes without it, and a
  // later round removes it if nothing holds it.
  ReconcileRound Reconcile(const layout::DeviceSet& advertised);

 private:
  LayoutReconciler(sysfs::Sysfs& host, LayoutReconcilerOptions options,
                   layout::StateDir state, metrics::LayoutMetrics* metrics)
      : host_(host),
        options_(std::move(options)),
        state_(std::move(state)),
        metrics_(metrics) {}

  // Device IDs PodResources lists; nullopt when the kubelet cannot be asked
  // (then nothing is removed).
  std::optional<layout::DeviceSet> Allocated();
  // withdrawn_ from `plan`; true if it changed.
  bool UpdateWithdrawn(const std::vector<layout::Action>& plan);
  void Report(const std::string& outcome, const std::string& error,
              const std::vector<layout::Action>& plan);
  void WriteFeatureFile(const layout::LayoutStatus& status);
  void LogOnce(std::string& last, const std::string& message, bool error);

  sysfs::Sysfs& host_;
  const LayoutReconcilerOptions options_;
  const layout::StateDir state_;
  metrics::LayoutMetrics* const metrics_;  // May be null.
  std::string name_;
  config::VgpuLayouts layouts_;
  layout::DeviceSet withdrawn_;
  layout::DeviceSet owned_;
  // Last things logged, so each is logged once until it changes.
  std::string last_error_;
  std::string last_blocked_;
  std::string last_kubelet_error_;
  std::string last_feature_error_;
  std::string last_feature_file_;
};

// The NFD local feature file's text for `status` (docs/vgpu-layouts.md):
//   vgpu-device-plugin.layout=<layout>
//   vgpu-device-plugin.layout.state=success|pending|failed
//   vgpu-device-plugin.type.<type>=<count>   (per type present)
// Names and values keep [A-Za-z0-9._-] (others become '-'), at most 63
// characters; a type is named without its vendor word ("GRID T4-4Q" ->
// "T4-4Q").
std::string FeatureFileText(const layout::LayoutStatus& status);

}  // namespace vgpu::daemon

#endif  // VGPU_PKG_DAEMON_LAYOUT_RECONCILER_H_
