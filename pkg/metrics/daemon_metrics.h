// DaemonMetrics: every Prometheus series the daemon exports, over one
// prometheus::Registry. Thread-safe (prometheus-cpp metrics are atomic; the
// gauges replaced on each snapshot are guarded by a mutex). Names are a
// contract (prefix vgpu_device_plugin_, base units, _total counters); no
// per-node label: the scrape adds it. docs/observability.md lists them all.
//
// Recording never waits on a scrape for longer than prometheus-cpp's own
// per-family lock, and a scrape reads only the registry, never daemon state.
#ifndef VGPU_PKG_METRICS_DAEMON_METRICS_H_
#define VGPU_PKG_METRICS_DAEMON_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pkg/inventory/inventory.h"
#include "pkg/resources/pools.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace vgpu::metrics {

// Upper bounds of the allocate_duration_seconds buckets: 10 us .. 100 ms.
const std::vector<double>& AllocateDurationBuckets();
// Upper bounds of the discovery_duration_seconds buckets: 1 ms .. 10 s.
const std::vector<double>& DiscoveryDurationBuckets();

class DaemonMetrics {
 public:
  explicit DaemonMetrics(std::string version);
  ~DaemonMetrics();
  DaemonMetrics(const DaemonMetrics&) = delete;
  DaemonMetrics& operator=(const DaemonMetrics&) = delete;

  std::shared_ptr<prometheus::Registry> registry() const;

  // Resources whose devices series exist (at 0) even before and after
  // they have devices: the config's rules. Call before UpdateInventory.
  void SetConfiguredResources(const std::vector<std::string>& resources);

  // Replaces the snapshot gauges; series of parents or types that vanished
  // are removed:
  //  - devices{resource,health="healthy"|"unhealthy"}: both per pool, per
  //    configured resource and per resource advertised before (at 0 once
  //    it has no devices, so that an alert on 0 can fire);
  //  - discovered_gpus: GPU functions discovery found (physical GPUs and
  //    SR-IOV VFs alike; no labels), advertised or not;
  //  - allocated_devices{resource}: at 0 for a new pool until the first
  //    PodResources poll (SetAllocated) says otherwise;
  //  - vgpu_instances{parent,type} / vgpu_available_instances{parent,type}:
  //    per entry of resources::VgpuCapacity (available only where known);
  //  - vgpu_framebuffer_bytes{parent,state="allocated"|"total"}: per
  //    physical GPU with mdev types (resources::MdevParentsByPhysicalGpu),
  //    see resources::ComputeFramebuffer.
  // Also creates allocations_total, kubelet_registrations_total and
  // kubelet_registered at 0 for every pool so rate() and absent() work
  // before the first event.
  void UpdateInventory(const inventory::Inventory& inventory,
                       const resources::PoolSet& pools);
  // vgpu_device_plugin_allocated_devices{resource}; nullopt-like: pass
  // `known=false` to drop the gauge (no PodResources socket).
  void SetAllocated(const std::map<std::string, int>& per_resource, bool known);
  // ok: allocations_total{resource}++; otherwise
  // allocation_errors_total{resource,reason}++ (reason: a snake_case code
  // from deviceplugin::AllocateErrorReason, "unknown" when empty). Both observe
  // allocate_duration_seconds.
  void RecordAllocate(const std::string& resource, bool ok,
                      const std::string& error_reason, absl::Duration took);
  // health_transitions_total{resource,to="healthy"|"unhealthy"}++.
  void RecordHealthTransition(const std::string& resource, bool to_healthy);
  // kubelet_registrations_total{resource}++ after a successful Register,
  // and kubelet_registered{resource} = 1.
  void RecordRegistration(const std::string& resource);
  // kubelet_registered{resource} = 0: the server (re)starts or must
  // register again (kubelet restart), until RecordRegistration.
  void RecordUnregistered(const std::string& resource);
  // discovery_duration_seconds (histogram, no labels).
  void ObserveDiscovery(absl::Duration took);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vgpu::metrics

#endif  // VGPU_PKG_METRICS_DAEMON_METRICS_H_
