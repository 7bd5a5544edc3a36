// PodResourcesPoller's thread lifecycle without gRPC traffic (the socket is
// absent), so it runs clean under TSan (ctest label "tsan"); the List path
// is covered by pod_resources_poller_test.
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/metrics/pod_resources_poller.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "test/testing/temp_dir.h"

namespace vgpu::metrics {
namespace {

std::string Exposition(const DaemonMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  return out.str();
}

TEST(PodResourcesPollerThreadTest, DropsTheGaugeWhileTheSocketIsAbsent) {
  vgpu::testing::TempDir dir;
  DaemonMetrics metrics("test");
  metrics.SetAllocated({{"nvidia.com/pgpu", 3}}, true);
  PodResourcesPoller::Options options;
  options.socket_path = dir.path() + "/absent.sock";
  options.period = absl::Milliseconds(1);
  PodResourcesPoller poller(options, metrics);
  poller.Start();
  poller.Start();  // No-op while running.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (Exposition(metrics).find("allocated_devices{") != std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(Exposition(metrics).find("allocated_devices{"), std::string::npos);
  poller.Stop();
  poller.Stop();
  poller.Start();  // Restartable after Stop.
  poller.Stop();
}

TEST(PodResourcesPollerThreadTest, StopInterruptsALongWait) {
  DaemonMetrics metrics("test");
  PodResourcesPoller::Options options;
  options.socket_path = "/nonexistent/kubelet.sock";
  options.period = absl::Hours(1);
  PodResourcesPoller poller(options, metrics);
  poller.Start();
  const absl::Time start = absl::Now();
  poller.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

}  // namespace
}  // namespace vgpu::metrics
