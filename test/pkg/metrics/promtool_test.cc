// Checks the exposition and the shipped alert rules with Debian's promtool.
// Skipped only when promtool is absent outside CI; in CI (CI=true) an absent
// promtool fails.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/metrics/daemon_metrics.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "test/testing/run_command.h"
#include "test/testing/sample_host.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::metrics {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using testing::RunCommand;
using ::vgpu::testing::IsOk;

class PromtoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::InPath("promtool")) return;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") {
      FAIL() << "promtool is not installed (Debian package prometheus)";
    }
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  }

  CommandResult Promtool(const std::vector<std::string>& args,
                         const std::string& stdin_path = "") {
    std::vector<std::string> argv = {"promtool"};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result =
        RunCommand(argv, stdin_path, dir_.path() + "/promtool.out");
    EXPECT_THAT(result.status(), IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  vgpu::testing::TempDir dir_;
  const std::string source_dir_ = VGPU_SOURCE_DIR;
};

TEST_F(PromtoolTest, ExpositionPassesCheckMetrics) {
  DaemonMetrics metrics("0.1.0");
  metrics.UpdateInventory(testing::SampleInventory(), testing::SamplePools());
  metrics.SetAllocated({{"nvidia.com/pgpu", 1}}, true);
  metrics.RecordAllocate("nvidia.com/pgpu", true, "", absl::Microseconds(80));
  metrics.RecordAllocate("nvidia.com/pgpu", false, "unknown_device",
                         absl::Microseconds(20));
  metrics.RecordHealthTransition("nvidia.com/pgpu", false);
  metrics.RecordRegistration("nvidia.com/pgpu");
  metrics.ObserveDiscovery(absl::Milliseconds(4));
  const std::string path = dir_.path() + "/metrics.txt";
  {
    std::ofstream out(path);
    prometheus::TextSerializer().Serialize(out, metrics.registry()->Collect());
  }
  const CommandResult result = Promtool({"check", "metrics"}, path);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "");
}

TEST_F(PromtoolTest, BadExpositionFailsCheckMetrics) {
  // Guards the test above: promtool really lints what it reads.
  const std::string path = dir_.path() + "/bad.txt";
  std::ofstream(path) << "# HELP x_count c\n# TYPE x_count counter\n"
                         "x_count 1\n";
  const CommandResult result = Promtool({"check", "metrics"}, path);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("_total"));
}

TEST_F(PromtoolTest, AlertRulesPassCheckRules) {
  const CommandResult result =
      Promtool({"check", "rules", source_dir_ + "/monitoring/alerts.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("SUCCESS: 7 rules found"));
}

TEST_F(PromtoolTest, AlertRuleUnitTestsPass) {
  const CommandResult result =
      Promtool({"test", "rules", source_dir_ + "/monitoring/alerts_test.yaml"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("SUCCESS"));
}

}  // namespace
}  // namespace vgpu::metrics
