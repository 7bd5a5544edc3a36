// DaemonMetrics under concurrent recording, snapshot replacement and
// scraping (run under TSan in CI, ctest label "tsan").
#include <atomic>
#include <sstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/metrics/daemon_metrics.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "test/testing/sample_host.h"

namespace vgpu::metrics {
namespace {

using ::testing::HasSubstr;

std::string Exposition(const DaemonMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  return out.str();
}

TEST(DaemonMetricsConcurrencyTest, ScrapesWhileRecordingAndReplacing) {
  DaemonMetrics metrics("test");
  const inventory::Inventory full = testing::SampleInventory();
  inventory::Inventory smaller = full;
  smaller.mdev_parents.resize(1);
  const resources::PoolSet pools = testing::SamplePools();
  constexpr int kAllocations = 2000;
  constexpr int kSnapshots = 200;
  std::atomic<int> writers_done{0};

  std::thread snapshots([&] {
    for (int i = 0; i < kSnapshots; ++i) {
      metrics.UpdateInventory(i % 2 == 0 ? full : smaller, pools);
      metrics.SetAllocated({{"nvidia.com/pgpu", i}}, i % 3 != 0);
    }
    metrics.UpdateInventory(full, pools);
    writers_done.fetch_add(1);
  });
  std::thread allocations([&] {
    for (int i = 0; i < kAllocations; ++i) {
      metrics.RecordAllocate("nvidia.com/pgpu", i % 4 != 0, "unknown_device",
                             absl::Microseconds(i % 100));
      if (i % 100 == 0) metrics.RecordHealthTransition("nvidia.com/pgpu", true);
    }
    writers_done.fetch_add(1);
  });
  int scrapes = 0;
  while (writers_done.load() < 2) {
    EXPECT_THAT(Exposition(metrics),
                HasSubstr("vgpu_device_plugin_build_info"));
    ++scrapes;
  }
  snapshots.join();
  allocations.join();

  const std::string text = Exposition(metrics);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocations_total{resource="
                              "\"nvidia.com/pgpu\"} 1500\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocation_errors_total{"
                              "reason=\"unknown_device\",resource="
                              "\"nvidia.com/pgpu\"} 500\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocate_duration_seconds_"
                              "count{resource=\"nvidia.com/pgpu\"} 2000\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_health_transitions_total{"
                              "resource=\"nvidia.com/pgpu\",to=\"healthy\"} "
                              "20\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_instances{parent="
                              "\"0000:3b:00.0\",type=\"GRID A100-4C\"} 2\n"));
  // The last SetAllocated (i = 199, 199 % 3 != 0) left the gauge at 199.
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                              "\"nvidia.com/pgpu\"} 199\n"));
  EXPECT_GT(scrapes, 0);
}

}  // namespace
}  // namespace vgpu::metrics
