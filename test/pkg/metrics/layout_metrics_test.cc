#include "pkg/metrics/layout_metrics.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace vgpu::metrics {
namespace {

using ::testing::HasSubstr;

std::string Scrape(prometheus::Registry& registry) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry.Collect());
  return out.str();
}

TEST(LayoutMetricsTest, ActionsBlockedConvergedAndLastReconcile) {
  prometheus::Registry registry;
  LayoutMetrics metrics(registry);
  // Every blocked reason exists at 0 before the first reconcile.
  EXPECT_THAT(Scrape(registry),
              HasSubstr("vgpu_device_plugin_vgpu_layout_blocked{reason="
                        "\"capacity\"} 0"));
  metrics.RecordAction("create", true);
  metrics.RecordAction("create", true);
  metrics.RecordAction("remove", false);
  metrics.RecordReconcile({{kBlockedInUse, 2}}, false,
                          absl::FromUnixSeconds(1764900000));
  const std::string text = Scrape(registry);
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_layout_actions_total{"
                              "action=\"create\",result=\"ok\"} 2"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_layout_actions_total{"
                              "action=\"remove\",result=\"error\"} 1"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_layout_blocked{"
                              "reason=\"in_use\"} 2"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_layout_blocked{"
                              "reason=\"not_owned\"} 0"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_layout_converged 0"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_vgpu_layout_last_reconcile_"
                              "timestamp_seconds 1764900000"));
  metrics.RecordReconcile({}, true, absl::FromUnixSeconds(1764900060));
  EXPECT_THAT(Scrape(registry),
              HasSubstr("vgpu_device_plugin_vgpu_layout_converged 1"));
}

}  // namespace
}  // namespace vgpu::metrics
