#include "pkg/metrics/process_metrics.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::metrics {
namespace {

using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

// A comm with spaces and a ")" of its own, as the kernel writes it.
constexpr char kSelfStat[] =
    "4242 (vgpu (plugin) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 10 5 0 0 "
    "20 0 9 0 12345 200000000 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 "
    "0 0 0 17 3 0 0 0 0 0\n";
constexpr char kProcStat[] =
    "cpu  1 2 3 4\nintr 1 2\nctxt 99\nbtime 1764900000\nprocesses 7\n";

TEST(ProcessMetricsTest, ParsesRssAndStartTime) {
  absl::StatusOr<ProcessStats> stats =
      ParseProcessStats(kSelfStat, kProcStat, 4096, 100);
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->resident_memory_bytes, 2500.0 * 4096);
  EXPECT_EQ(stats->start_time_seconds, 1764900000 + 123.45);
}

TEST(ProcessMetricsTest, RejectsTextsNotInTheKernelsFormat) {
  EXPECT_THAT(ParseProcessStats("4242 vgpu S 1", kProcStat, 4096, 100),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseProcessStats("4242 (x) S 1 2", kProcStat, 4096, 100),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseProcessStats(kSelfStat, "cpu 1\n", 4096, 100),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProcessMetricsTest, CollectsTheThreeGaugesOfThisProcess) {
  std::set<std::string> names;
  for (const prometheus::MetricFamily& family : CollectProcessMetrics()) {
    names.insert(family.name);
    ASSERT_EQ(family.metric.size(), 1u);
    EXPECT_GT(family.metric[0].gauge.value, 0) << family.name;
  }
  EXPECT_EQ(names, (std::set<std::string>{"process_open_fds",
                                          "process_resident_memory_bytes",
                                          "process_start_time_seconds"}));
}

}  // namespace
}  // namespace vgpu::metrics
