#include "pkg/metrics/daemon_metrics.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "pkg/resources/vgpu_capacity.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace vgpu::metrics {
namespace {

using prometheus::Labels;
using SeriesValues = std::map<Labels, double>;

// A gauge family whose series are replaced as a whole on each snapshot.
class SnapshotGauge {
 public:
  explicit SnapshotGauge(prometheus::Family<prometheus::Gauge>& family)
      : family_(family) {}

  // Sets every series in `values` and removes the ones last set but absent
  // now. Callers hold the Impl mutex that guards this object.
  void Replace(const SeriesValues& values) {
    for (const Labels& labels : present_) {
      if (values.count(labels) == 0) family_.Remove(&family_.Add(labels));
    }
    present_.clear();
    for (const auto& [labels, value] : values) {
      family_.Add(labels).Set(value);
      present_.insert(labels);
    }
  }

 private:
  prometheus::Family<prometheus::Gauge>& family_;
  std::set<Labels> present_;
};

prometheus::Family<prometheus::Gauge>& Gauges(prometheus::Registry& registry,
                                              const std::string& name,
                                              const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

prometheus::Family<prometheus::Counter>& Counters(
    prometheus::Registry& registry, const std::string& name,
    const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Family<prometheus::Histogram>& Histograms(
    prometheus::Registry& registry, const std::string& name,
    const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

SeriesValues DeviceSeries(const resources::PoolSet& pools,
                          const std::set<std::string>& known) {
  SeriesValues out;
  for (const std::string& resource : known) {
    out[{{"resource", resource}, {"health", "healthy"}}] = 0;
    out[{{"resource", resource}, {"health", "unhealthy"}}] = 0;
  }
  for (const resources::Pool& pool : pools.pools) {
    int healthy = 0;
    for (const resources::PoolDevice& device : pool.devices) {
      if (device.healthy) ++healthy;
    }
    const int unhealthy = static_cast<int>(pool.devices.size()) - healthy;
    out[{{"resource", pool.resource_name}, {"health", "healthy"}}] = healthy;
    out[{{"resource", pool.resource_name}, {"health", "unhealthy"}}] =
        unhealthy;
  }
  return out;
}

}  // namespace

const std::vector<double>& AllocateDurationBuckets() {
  static const std::vector<double> kBuckets{
      10e-6,  25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3,
      2.5e-3, 5e-3,  10e-3, 25e-3,  50e-3,  100e-3};
  return kBuckets;
}

const std::vector<double>& DiscoveryDurationBuckets() {
  static const std::vector<double> kBuckets{
      1e-3,   2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3,
      250e-3, 500e-3, 1,    2.5,   5,     10};
  return kBuckets;
}

struct DaemonMetrics::Impl {
  explicit Impl(const std::string& version)
      : registry(std::make_shared<prometheus::Registry>()),
        devices(Gauges(*registry, "vgpu_device_plugin_devices",
                       "Devices advertised to the kubelet, by resource and "
                       "health.")),
        allocated(Gauges(*registry, "vgpu_device_plugin_allocated_devices",
                         "Devices held by pods now, from the kubelet "
                         "PodResources API.")),
        instances(Gauges(*registry, "vgpu_device_plugin_vgpu_instances",
                         "vGPU instances that exist, by physical GPU and "
                         "type.")),
        available(Gauges(*registry,
                         "vgpu_device_plugin_vgpu_available_instances",
                         "vGPU instances that can still be created, by "
                         "physical GPU and type.")),
        framebuffer(Gauges(*registry,
                           "vgpu_device_plugin_vgpu_framebuffer_bytes",
                           "Framebuffer of a physical GPU held by vGPU "
                           "instances (state=allocated) or usable by the type "
                           "in use (state=total).")),
        allocations(Counters(*registry, "vgpu_device_plugin_allocations_total",
                             "Successful Allocate calls.")),
        allocation_errors(Counters(*registry,
                                   "vgpu_device_plugin_allocation_errors_total",
                                   "Failed Allocate calls, by reason.")),
        health_transitions(
            Counters(*registry, "vgpu_device_plugin_health_transitions_total",
                     "Device health changes, by the state entered.")),
        registrations(Counters(*registry,
                               "vgpu_device_plugin_kubelet_registrations_total",
                               "Successful registrations with the kubelet.")),
        registered(Gauges(*registry, "vgpu_device_plugin_kubelet_registered",
                          "1 while the resource is registered with the "
                          "kubelet, 0 while it waits to be (again).")),
        allocate_duration(Histograms(
            *registry, "vgpu_device_plugin_allocate_duration_seconds",
            "Time to answer an Allocate call.")),
        discovery_duration(Histograms(
            *registry, "vgpu_device_plugin_discovery_duration_seconds",
            "Time to discover the host's devices.")),
        discovered_gpus(Gauges(*registry, "vgpu_device_plugin_discovered_gpus",
                               "GPU PCI functions discovered on the host, "
                               "advertised or not.")
                            .Add({})),
        devices_snapshot(devices),
        instances_snapshot(instances),
        available_snapshot(available),
        framebuffer_snapshot(framebuffer),
        allocated_snapshot(allocated) {
    Gauges(*registry, "vgpu_device_plugin_build_info",
           "Always 1; the version label names the running build.")
        .Add({{"version", version}})
        .Set(1);
    discovery_duration.Add({}, DiscoveryDurationBuckets());
  }

  const std::shared_ptr<prometheus::Registry> registry;
  prometheus::Family<prometheus::Gauge>& devices;
  prometheus::Family<prometheus::Gauge>& allocated;
  prometheus::Family<prometheus::Gauge>& instances;
  prometheus::Family<prometheus::Gauge>& available;
  prometheus::Family<prometheus::Gauge>& framebuffer;
  prometheus::Family<prometheus::Counter>& allocations;
  prometheus::Family<prometheus::Counter>& allocation_errors;
  prometheus::Family<prometheus::Counter>& health_transitions;
  prometheus::Family<prometheus::Counter>& registrations;
  prometheus::Family<prometheus::Gauge>& registered;
  prometheus::Family<prometheus::Histogram>& allocate_duration;
  prometheus::Family<prometheus::Histogram>& discovery_duration;
  prometheus::Gauge& discovered_gpus;

  absl::Mutex inventory_mu;  // Serializes UpdateInventory.
  SnapshotGauge devices_snapshot ABSL_GUARDED_BY(inventory_mu);
  SnapshotGauge instances_snapshot ABSL_GUARDED_BY(inventory_mu);
  SnapshotGauge available_snapshot ABSL_GUARDED_BY(inventory_mu);
  SnapshotGauge framebuffer_snapshot ABSL_GUARDED_BY(inventory_mu);
  // Configured and ever advertised resources.
  std::set<std::string> known_resources ABSL_GUARDED_BY(inventory_mu);
  absl::Mutex allocated_mu;  // Serializes SetAllocated.
  SnapshotGauge allocated_snapshot ABSL_GUARDED_BY(allocated_mu);
  bool allocated_polled ABSL_GUARDED_BY(allocated_mu) = false;
};

DaemonMetrics::DaemonMetrics(std::string version)
    : impl_(std::make_unique<Impl>(version)) {}

DaemonMetrics::~DaemonMetrics() = default;

std::shared_ptr<prometheus::Registry> DaemonMetrics::registry() const {
  return impl_->registry;
}

void DaemonMetrics::UpdateInventory(const inventory::Inventory& inventory,
                                    const resources::PoolSet& pools) {
  SeriesValues instances;
  SeriesValues available;
  SeriesValues framebuffer;
  for (const resources::VgpuTypeCapacity& c :
       resources::VgpuCapacity(inventory)) {
    const Labels labels = {{"parent", c.parent}, {"type", c.type}};
    instances[labels] = c.instances;
    if (c.available.has_value()) available[labels] = *c.available;
  }
  for (const inventory::MdevParent& gpu :
       resources::MdevParentsByPhysicalGpu(inventory)) {
    const resources::FramebufferUsage usage =
        resources::ComputeFramebuffer(gpu);
    if (usage.has_allocated) {
      framebuffer[{{"parent", gpu.name}, {"state", "allocated"}}] =
          static_cast<double>(usage.allocated);
    }
    if (usage.has_total) {
      framebuffer[{{"parent", gpu.name}, {"state", "total"}}] =
          static_cast<double>(usage.total);
    }
  }

  double gpus = 0;
  for (const inventory::PciFunction& fn : inventory.functions) {
    if (fn.role == inventory::FunctionRole::kGpu) ++gpus;
  }
  impl_->discovered_gpus.Set(gpus);

  absl::MutexLock lock(&impl_->inventory_mu);
  impl_->devices_snapshot.Replace(DeviceSeries(pools, impl_->known_resources));
  for (const resources::Pool& pool : pools.pools) {
    impl_->known_resources.insert(pool.resource_name);
  }
  impl_->instances_snapshot.Replace(instances);
  impl_->available_snapshot.Replace(available);
  impl_->framebuffer_snapshot.Replace(framebuffer);
  for (const resources::Pool& pool : pools.pools) {
    impl_->allocations.Add({{"resource", pool.resource_name}});
    impl_->registrations.Add({{"resource", pool.resource_name}});
    impl_->registered.Add({{"resource", pool.resource_name}});  // 0 if new.
  }
  absl::MutexLock allocated_lock(&impl_->allocated_mu);
  if (!impl_->allocated_polled) {
    SeriesValues zeros;
    for (const resources::Pool& pool : pools.pools) {
      zeros[{{"resource", pool.resource_name}}] = 0;
    }
    impl_->allocated_snapshot.Replace(zeros);
  }
}

void DaemonMetrics::SetConfiguredResources(
    const std::vector<std::string>& resources) {
  absl::MutexLock lock(&impl_->inventory_mu);
  impl_->known_resources.insert(resources.begin(), resources.end());
}

void DaemonMetrics::SetAllocated(const std::map<std::string, int>& per_resource,
                                 bool known) {
  SeriesValues values;
  if (known) {
    for (const auto& [resource, count] : per_resource) {
      values[{{"resource", resource}}] = count;
    }
  }
  absl::MutexLock lock(&impl_->allocated_mu);
  impl_->allocated_polled = true;
  impl_->allocated_snapshot.Replace(values);
}

void DaemonMetrics::RecordAllocate(const std::string& resource, bool ok,
                                   const std::string& error_reason,
                                   absl::Duration took) {
  if (ok) {
    impl_->allocations.Add({{"resource", resource}}).Increment();
  } else {
    const std::string reason = error_reason.empty() ? "unknown" : error_reason;
    impl_->allocation_errors.Add({{"resource", resource}, {"reason", reason}})
        .Increment();
  }
  impl_->allocate_duration
      .Add({{"resource", resource}}, AllocateDurationBuckets())
      .Observe(absl::ToDoubleSeconds(took));
}

void DaemonMetrics::RecordHealthTransition(const std::string& resource,
                                           bool to_healthy) {
  impl_->health_transitions
      .Add({{"resource", resource},
            {"to", to_healthy ? "healthy" : "unhealthy"}})
      .Increment();
}

void DaemonMetrics::RecordRegistration(const std::string& resource) {
  impl_->registrations.Add({{"resource", resource}}).Increment();
  impl_->registered.Add({{"resource", resource}}).Set(1);
}

void DaemonMetrics::RecordUnregistered(const std::string& resource) {
  impl_->registered.Add({{"resource", resource}}).Set(0);
}

void DaemonMetrics::ObserveDiscovery(absl::Duration took) {
  impl_->discovery_duration.Add({}, DiscoveryDurationBuckets())
      .Observe(absl::ToDoubleSeconds(took));
}

}  // namespace vgpu::metrics
