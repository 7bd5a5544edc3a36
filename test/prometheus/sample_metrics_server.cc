// sample-metrics-server: serves DaemonMetrics filled from the hand-built
// sample host (test/testing/sample_host.h) on 127.0.0.1:<free port> for
// the real-scrape test. Prints "port=<N>" on stdout once listening, then
// serves until its stdin reaches EOF.
#include <unistd.h>

#include <cstdio>

#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/metrics_server.h"
#include "test/testing/sample_host.h"

int main() {
  vgpu::metrics::DaemonMetrics metrics("0.1.0-sample");
  metrics.UpdateInventory(vgpu::testing::SampleInventory(),
                          vgpu::testing::SamplePools());
  metrics.SetAllocated({{"nvidia.com/pgpu", 1}, {"nvidia.com/GRID_A100-4C", 0}},
                       true);
  metrics.RecordRegistration("nvidia.com/pgpu");
  metrics.RecordRegistration("nvidia.com/GRID_A100-4C");
  for (int i = 0; i < 3; ++i) {
    metrics.RecordAllocate("nvidia.com/pgpu", true, "",
                           absl::Microseconds(40 + i));
  }
  metrics.RecordAllocate("nvidia.com/pgpu", false, "unhealthy_device",
                         absl::Microseconds(15));
  metrics.RecordHealthTransition("nvidia.com/pgpu", false);
  metrics.ObserveDiscovery(absl::Milliseconds(12));

  auto server = vgpu::metrics::MetricsServer::Start(
      "127.0.0.1:0", metrics.registry(), nullptr, nullptr);
  if (!server.ok()) {
    std::fprintf(stderr, "sample-metrics-server: %s\n",
                 server.status().ToString().c_str());
    return 1;
  }
  std::printf("port=%d\n", (*server)->port());
  std::fflush(stdout);
  char buf[256];
  while (::read(0, buf, sizeof(buf)) > 0) {
  }
  return 0;
}
