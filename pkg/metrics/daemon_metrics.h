// DaemonMetrics: every Prometheus series the daemon exports, over one
// prometheus::Registry. Thread-safe (prometheus-cpp metrics are atomic; the
// gauges replaced on each snapshot are guarded by a mutex). Names are a
// contract (prefix vgpu_device_plugin_, base units, _total counters); no
// per-node label: the scrape adds it.
#ifndef VGPU_PKG_METRICS_DAEMON_METRICS_H_
#define VGPU_PKG_METRICS_DAEMON_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "pkg/inventory/inventory.h"
#include "pkg/resources/pools.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace vgpu::metrics {

class DaemonMetrics {
 public:
  explicit DaemonMetrics(std::string version);
  ~DaemonMetrics();

  std::shared_ptr<prometheus::Registry> registry() const;

  // vgpu_device_plugin_devices{resource,health}, vgpu_instances{parent,type},
  // vgpu_available_instances{parent,type}, framebuffer gauges.
  void UpdateInventory(const inventory::Inventory& inventory,
                       const resources::PoolSet& pools);
  // vgpu_device_plugin_allocated_devices{resource}; nullopt-like: pass
  // `known=false` to drop the gauge (no PodResources socket).
  void SetAllocated(const std::map<std::string, int>& per_resource,
                    bool known);
  // allocations_total / allocation_errors_total{reason} /
  // allocate_duration_seconds.
  void RecordAllocate(const std::string& resource, bool ok,
                      const std::string& error_reason, absl::Duration took);
  void RecordHealthTransition(const std::string& resource, bool to_healthy);
  void RecordRegistration(const std::string& resource);
  void ObserveDiscovery(absl::Duration took);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgpu::metrics

#endif  // VGPU_PKG_METRICS_DAEMON_METRICS_H_
