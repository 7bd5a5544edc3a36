#include "pkg/metrics/layout_metrics.h"

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace vgpu::metrics {

struct LayoutMetrics::Impl {
  explicit Impl(prometheus::Registry& registry);
  prometheus::Family<prometheus::Counter>& actions;
  prometheus::Family<prometheus::Gauge>& blocked;
  prometheus::Gauge& converged_gauge;
  prometheus::Gauge& last_reconcile;
};

LayoutMetrics::Impl::Impl(prometheus::Registry& registry)
    : actions(prometheus::BuildCounter()
                  .Name("vgpu_device_plugin_vgpu_layout_actions_total")
                  .Help("vGPU layout actions written to sysfs, by action "
                        "and result (ok, error)")
                  .Register(registry)),
      blocked(prometheus::BuildGauge()
                  .Name("vgpu_device_plugin_vgpu_layout_blocked")
                  .Help("vGPU layout actions blocked at the last reconcile, "
                        "by reason (in_use, not_owned, capacity)")
                  .Register(registry)),
      converged_gauge(prometheus::BuildGauge()
                          .Name("vgpu_device_plugin_vgpu_layout_converged")
                          .Help("1 if the node matched its vGPU layout at the "
                                "last reconcile, else 0")
                          .Register(registry)
                          .Add({})),
      last_reconcile(prometheus::BuildGauge()
                         .Name("vgpu_device_plugin_vgpu_layout_last_reconcile_"
                               "timestamp_seconds")
                         .Help("Unix time of the last vGPU layout reconcile")
                         .Register(registry)
                         .Add({})) {
  for (const char* reason :
       {kBlockedInUse, kBlockedNotOwned, kBlockedCapacity}) {
    blocked.Add({{"reason", reason}}).Set(0);
  }
}

LayoutMetrics::LayoutMetrics(prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(registry)) {}

LayoutMetrics::~LayoutMetrics() = default;

void LayoutMetrics::RecordAction(const std::string& action, bool ok) {
  impl_->actions.Add({{"action", action}, {"result", ok ? "ok" : "error"}})
      .Increment();
}

void LayoutMetrics::RecordReconcile(const std::map<std::string, int>& blocked,
                                    bool converged, absl::Time when) {
  for (const char* reason :
       {kBlockedInUse, kBlockedNotOwned, kBlockedCapacity}) {
    auto it = blocked.find(reason);
    impl_->blocked.Add({{"reason", reason}})
        .Set(it == blocked.end() ? 0 : it->second);
  }
  impl_->converged_gauge.Set(converged ? 1 : 0);
  impl_->last_reconcile.Set(absl::ToDoubleSeconds(when - absl::UnixEpoch()));
}

}  // namespace vgpu::metrics
