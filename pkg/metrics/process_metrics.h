// The process series of the Prometheus client conventions, which
// prometheus-cpp 1.0 does not provide: process_resident_memory_bytes,
// process_open_fds and process_start_time_seconds, read from the daemon's
// own /proc/self at each scrape (not a host path: no Sysfs). Thread-safe.
#ifndef VGPU_PKG_METRICS_PROCESS_METRICS_H_
#define VGPU_PKG_METRICS_PROCESS_METRICS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/metric_family.h"

namespace vgpu::metrics {

struct ProcessStats {
  double resident_memory_bytes = 0;
  double start_time_seconds = 0;  // Unix time.
};

// From the text of /proc/self/stat and /proc/stat (its "btime" line),
// page size in bytes and clock ticks per second. InvalidArgument naming the
// field when a text is not in the kernel's format.
absl::StatusOr<ProcessStats> ParseProcessStats(absl::string_view self_stat,
                                               absl::string_view proc_stat,
                                               long page_size, long clk_tck);

// The three gauge families, now; a series whose source cannot be read is
// left out rather than failing the scrape.
std::vector<prometheus::MetricFamily> CollectProcessMetrics();

}  // namespace vgpu::metrics

#endif  // VGPU_PKG_METRICS_PROCESS_METRICS_H_
