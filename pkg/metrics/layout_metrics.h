// LayoutMetrics: the series of the daemon's vGPU layout reconcile
// (`vgpu.manage: true`), on the daemon's registry; created only when the
// daemon manages a layout, so a node without it exports none of them.
// Thread-safe (prometheus-cpp metrics are atomic). docs/observability.md
// lists them.
#ifndef VGPU_PKG_METRICS_LAYOUT_METRICS_H_
#define VGPU_PKG_METRICS_LAYOUT_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace vgpu::metrics {

// The `reason` label values of vgpu_layout_blocked.
inline constexpr char kBlockedInUse[] = "in_use";
inline constexpr char kBlockedNotOwned[] = "not_owned";
inline constexpr char kBlockedCapacity[] = "capacity";

class LayoutMetrics {
 public:
  explicit LayoutMetrics(prometheus::Registry& registry);
  ~LayoutMetrics();
  LayoutMetrics(const LayoutMetrics&) = delete;
  LayoutMetrics& operator=(const LayoutMetrics&) = delete;

  // vgpu_layout_actions_total{action,result}++: `action` a
  // layout::ActionKindName ("create", "remove", ...), `result` "ok" or
  // "error".
  void RecordAction(const std::string& action, bool ok);
  // vgpu_layout_blocked{reason} for every reason (absent ones are 0),
  // vgpu_layout_converged, vgpu_layout_last_reconcile_timestamp_seconds.
  void RecordReconcile(const std::map<std::string, int>& blocked,
                       bool converged, absl::Time when);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgpu::metrics

#endif  // VGPU_PKG_METRICS_LAYOUT_METRICS_H_
