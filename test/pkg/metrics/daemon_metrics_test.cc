#include "pkg/metrics/daemon_metrics.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "test/testing/sample_host.h"

namespace vgpu::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::SampleInventory;
using testing::SamplePools;

std::string Exposition(const DaemonMetrics& metrics) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  return out.str();
}

class DaemonMetricsTest : public ::testing::Test {
 protected:
  DaemonMetrics metrics_{"1.2.3"};
};

TEST_F(DaemonMetricsTest, ExportsBuildInfo) {
  EXPECT_THAT(Exposition(metrics_),
              HasSubstr("\nvgpu_device_plugin_build_info{version=\"1.2.3\"} "
                        "1\n"));
}

TEST_F(DaemonMetricsTest, CountsDevicesByResourceAndHealth) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  const std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"healthy\","
                              "resource=\"nvidia.com/pgpu\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"unhealthy\","
                              "resource=\"nvidia.com/pgpu\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"healthy\","
                              "resource=\"nvidia.com/GRID_A100-4C\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"unhealthy\","
                              "resource=\"nvidia.com/GRID_A100-4C\"} 0\n"));
}

TEST_F(DaemonMetricsTest, ExportsVgpuInstancesPerParentAndType) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  const std::string text = Exposition(metrics_);
  const struct {
    const char* series;
    int value;
  } cases[] = {
      {"vgpu_instances{parent=\"0000:3b:00.0\",type=\"GRID A100-4C\"}", 2},
      {"vgpu_instances{parent=\"0000:3b:00.0\",type=\"GRID A100-8C\"}", 0},
      {"vgpu_instances{parent=\"0000:af:00.0\",type=\"GRID A100-4C\"}", 0},
      {"vgpu_instances{parent=\"0000:00:02.0\",type=\"GVTg_V5_4\"}", 1},
      {"vgpu_instances{parent=\"0000:c1:00.0\",type=\"NVIDIA L40S-4Q\"}", 1},
      {"vgpu_instances{parent=\"0000:c1:00.0\",type=\"NVIDIA L40S-8Q\"}", 0},
      {"vgpu_instances{parent=\"0000:41:00.0\",type=\"GRID A100D-4C\"}", 1},
      {"vgpu_available_instances{parent=\"0000:41:00.0\","
       "type=\"GRID A100D-4C\"}",
       1},
      {"vgpu_available_instances{parent=\"0000:3b:00.0\","
       "type=\"GRID A100-4C\"}",
       8},
      {"vgpu_available_instances{parent=\"0000:3b:00.0\","
       "type=\"GRID A100-8C\"}",
       0},
      {"vgpu_available_instances{parent=\"0000:af:00.0\","
       "type=\"GRID A100-4C\"}",
       10},
      {"vgpu_available_instances{parent=\"0000:00:02.0\","
       "type=\"GVTg_V5_4\"}",
       1},
      {"vgpu_available_instances{parent=\"0000:c1:00.0\","
       "type=\"NVIDIA L40S-4Q\"}",
       1},
      {"vgpu_available_instances{parent=\"0000:c1:00.0\","
       "type=\"NVIDIA L40S-8Q\"}",
       1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.series);
    EXPECT_THAT(
        text, HasSubstr("\nvgpu_device_plugin_" + std::string(c.series) + " " +
                        std::to_string(c.value) + "\n"));
  }
}

TEST_F(DaemonMetricsTest, ExportsFramebufferAllocatedAndTotal) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  const std::string text = Exposition(metrics_);
  // 2 x 4 GiB in use; total follows the type in use: 4 GiB x 10.
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_framebuffer_bytes{"
                              "parent=\"0000:3b:00.0\",state=\"allocated\"} "
                              "8589934592\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_framebuffer_bytes{"
                              "parent=\"0000:3b:00.0\",state=\"total\"} "
                              "42949672960\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_framebuffer_bytes{"
                              "parent=\"0000:af:00.0\",state=\"allocated\"} "
                              "0\n"));
  // VF parents add up on their PF: 1 x 4 GiB of 4 GiB x 10.
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_framebuffer_bytes{"
                              "parent=\"0000:41:00.0\",state=\"allocated\"} "
                              "4294967296\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_framebuffer_bytes{"
                              "parent=\"0000:41:00.0\",state=\"total\"} "
                              "42949672960\n"));
  EXPECT_THAT(text, Not(HasSubstr("0000:41:00.4")));
  EXPECT_THAT(text, Not(HasSubstr("0000:41:00.5")));
  // No framebuffer in the Intel type's description: no series.
  EXPECT_THAT(text,
              Not(HasSubstr("framebuffer_bytes{parent=\"0000:00:02.0\"")));
}

TEST_F(DaemonMetricsTest, DropsSeriesThatVanished) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  inventory::Inventory smaller = SampleInventory();
  smaller.mdev_parents.resize(1);  // Only the Intel parent is left.
  smaller.functions.clear();
  resources::PoolSet pools = SamplePools();
  pools.pools.resize(1);  // Only nvidia.com/GRID_A100-4C is left.
  metrics_.UpdateInventory(smaller, pools);
  const std::string text = Exposition(metrics_);
  // A pool once advertised stays at 0, so VgpuPoolHasNoDevices can fire.
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"healthy\","
                              "resource=\"nvidia.com/pgpu\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"healthy\","
                              "resource=\"nvidia.com/GRID_A100-4C\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("0000:3b:00.0")));
  EXPECT_THAT(text, Not(HasSubstr("0000:c1:00.0")));
  EXPECT_THAT(text, Not(HasSubstr("0000:41:00.0")));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_instances{parent="
                              "\"0000:00:02.0\",type=\"GVTg_V5_4\"} 1\n"));
}

TEST_F(DaemonMetricsTest, ConfiguredPoolsAndDiscoveredGpusWithoutDevices) {
  metrics_.SetConfiguredResources({"nvidia.com/a10-pt"});
  metrics_.UpdateInventory(inventory::Inventory{}, resources::PoolSet{});
  const std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health=\"healthy\","
                              "resource=\"nvidia.com/a10-pt\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_devices{health="
                              "\"unhealthy\",resource=\"nvidia.com/a10-pt\"}"
                              " 0\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_discovered_gpus 0\n"));
  inventory::Inventory one_gpu;
  one_gpu.functions.emplace_back();
  one_gpu.functions.back().role = inventory::FunctionRole::kGpu;
  metrics_.UpdateInventory(one_gpu, resources::PoolSet{});
  EXPECT_THAT(Exposition(metrics_),
              HasSubstr("vgpu_device_plugin_discovered_gpus 1\n"));
}

TEST_F(DaemonMetricsTest, AllocatedDevicesAtZeroUntilTheFirstPoll) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  EXPECT_THAT(Exposition(metrics_),
              HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                        "\"nvidia.com/pgpu\"} 0\n"));
  metrics_.SetAllocated({}, /*known=*/false);
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  EXPECT_THAT(Exposition(metrics_),
              Not(HasSubstr("vgpu_device_plugin_allocated_devices{")));
}

TEST_F(DaemonMetricsTest, SetsAndDropsAllocatedDevices) {
  metrics_.SetAllocated({{"nvidia.com/pgpu", 1}, {"nvidia.com/x", 0}}, true);
  std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                              "\"nvidia.com/pgpu\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                              "\"nvidia.com/x\"} 0\n"));
  metrics_.SetAllocated({{"nvidia.com/pgpu", 2}}, true);
  text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                              "\"nvidia.com/pgpu\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("resource=\"nvidia.com/x\"")));
  metrics_.SetAllocated({{"nvidia.com/pgpu", 2}}, false);
  EXPECT_THAT(Exposition(metrics_),
              Not(HasSubstr("vgpu_device_plugin_allocated_devices{")));
}

TEST_F(DaemonMetricsTest, CountsAllocationsErrorsAndDurations) {
  metrics_.RecordAllocate("nvidia.com/pgpu", true, "", absl::Microseconds(40));
  metrics_.RecordAllocate("nvidia.com/pgpu", true, "", absl::Milliseconds(3));
  metrics_.RecordAllocate("nvidia.com/pgpu", false, "unknown_device",
                          absl::Microseconds(5));
  metrics_.RecordAllocate("nvidia.com/pgpu", false, "", absl::Microseconds(5));
  const std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocations_total{resource="
                              "\"nvidia.com/pgpu\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocation_errors_total{"
                              "reason=\"unknown_device\",resource="
                              "\"nvidia.com/pgpu\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocation_errors_total{"
                              "reason=\"unknown\",resource="
                              "\"nvidia.com/pgpu\"} 1\n"));
  const std::string h = "vgpu_device_plugin_allocate_duration_seconds_";
  EXPECT_THAT(text, HasSubstr(h + "count{resource=\"nvidia.com/pgpu\"} 4\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{resource=\"nvidia.com/pgpu\","
                                  "le=\"1e-05\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{resource=\"nvidia.com/pgpu\","
                                  "le=\"5e-05\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{resource=\"nvidia.com/pgpu\","
                                  "le=\"0.0025\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{resource=\"nvidia.com/pgpu\","
                                  "le=\"0.005\"} 4\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{resource=\"nvidia.com/pgpu\","
                                  "le=\"+Inf\"} 4\n"));
}

TEST_F(DaemonMetricsTest, StartsPerPoolCountersAtZero) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  const std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocations_total{resource="
                              "\"nvidia.com/pgpu\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_kubelet_registrations_total"
                              "{resource=\"nvidia.com/GRID_A100-4C\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_kubelet_registered"
                              "{resource=\"nvidia.com/GRID_A100-4C\"} 0\n"));
}

// The gauge follows the registration state both ways; the counter only
// counts, so after a kubelet restart that never re-registers it stays 1.
TEST_F(DaemonMetricsTest, RegisteredGaugeDropsUntilRegisteredAgain) {
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  metrics_.RecordRegistration("nvidia.com/pgpu");
  const std::string g =
      "vgpu_device_plugin_kubelet_registered{resource="
      "\"nvidia.com/pgpu\"} ";
  EXPECT_THAT(Exposition(metrics_), HasSubstr(g + "1\n"));
  metrics_.RecordUnregistered("nvidia.com/pgpu");
  metrics_.UpdateInventory(SampleInventory(), SamplePools());
  std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr(g + "0\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_kubelet_registrations_total"
                              "{resource=\"nvidia.com/pgpu\"} 1\n"));
  metrics_.RecordRegistration("nvidia.com/pgpu");
  EXPECT_THAT(Exposition(metrics_), HasSubstr(g + "1\n"));
}

TEST_F(DaemonMetricsTest, CountsHealthTransitionsAndRegistrations) {
  metrics_.RecordHealthTransition("nvidia.com/pgpu", false);
  metrics_.RecordHealthTransition("nvidia.com/pgpu", false);
  metrics_.RecordHealthTransition("nvidia.com/pgpu", true);
  metrics_.RecordRegistration("nvidia.com/pgpu");
  const std::string text = Exposition(metrics_);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_health_transitions_total{"
                              "resource=\"nvidia.com/pgpu\",to=\"unhealthy\"} "
                              "2\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_health_transitions_total{"
                              "resource=\"nvidia.com/pgpu\",to=\"healthy\"} "
                              "1\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_kubelet_registrations_total"
                              "{resource=\"nvidia.com/pgpu\"} 1\n"));
}

TEST_F(DaemonMetricsTest, ObservesDiscoveryDuration) {
  EXPECT_THAT(Exposition(metrics_),
              HasSubstr("vgpu_device_plugin_discovery_duration_seconds_count "
                        "0\n"));
  metrics_.ObserveDiscovery(absl::Milliseconds(30));
  const std::string text = Exposition(metrics_);
  const std::string h = "vgpu_device_plugin_discovery_duration_seconds_";
  EXPECT_THAT(text, HasSubstr(h + "count 1\n"));
  EXPECT_THAT(text, HasSubstr(h + "sum 0.03\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{le=\"0.025\"} 0\n"));
  EXPECT_THAT(text, HasSubstr(h + "bucket{le=\"0.05\"} 1\n"));
}

}  // namespace
}  // namespace vgpu::metrics
