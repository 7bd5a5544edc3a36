// RunChecks over whole simulated hosts and the two renderings
// (pkg/doctor/doctor.cc).
#include "pkg/doctor/doctor.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/json.h"
#include "test/pkg/doctor/doctor_fixture.h"

namespace vgpu::doctor {
namespace {

using ::testing::HasSubstr;

class DoctorTest : public DoctorFixture {
 protected:
  Inputs HealthyInputs() {
    Inputs in;
    in.cdi.dirs = {"/etc/cdi", "/var/run/cdi"};
    in.device_plugins.dir = "/var/lib/kubelet/device-plugins";
    in.pod_resources = {"/s", true, absl::NotFoundError("not found")};
    return in;
  }
};

TEST_F(DoctorTest, HealthyHostHasNoFailure) {
  Build("h100-hgx");
  Report report = RunChecks(sysfs(), HealthyInputs());
  EXPECT_FALSE(report.HasFailure()) << RenderTable(report);
  EXPECT_EQ(report.host_root, sysfs().root());
}

TEST_F(DoctorTest, BrokenHostFails) {
  Build("broken");
  Report report = RunChecks(sysfs(), HealthyInputs());
  EXPECT_TRUE(report.HasFailure());
  EXPECT_THAT(RenderTable(report), HasSubstr("FAIL  vfio-modules"));
}

TEST_F(DoctorTest, TableEndsWithTheSummary) {
  Build("workstation");
  std::string table = RenderTable(RunChecks(sysfs(), HealthyInputs()));
  EXPECT_THAT(table, HasSubstr("FAIL  unit-viable             group 10"));
  EXPECT_THAT(table,
              ::testing::EndsWith("10 passed, 1 info, 0 warnings, 1 failed\n"));
}

TEST_F(DoctorTest, JsonHasEveryFindingAndTheSummary) {
  Build("workstation");
  Report report = RunChecks(sysfs(), HealthyInputs());
  absl::StatusOr<Json> doc = ParseJson(RenderJson(report));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["host_root"], sysfs().root());
  ASSERT_EQ((*doc)["checks"].size(), report.findings.size());
  const Json& viable = (*doc)["checks"][2];
  EXPECT_EQ(viable["verdict"], "FAIL");
  EXPECT_EQ(viable["check"], "unit-viable");
  EXPECT_THAT(viable["fix"].get<std::string>(),
              HasSubstr("/sys/bus/pci/drivers_probe"));
  EXPECT_EQ((*doc)["summary"]["fail"], 1);
  EXPECT_EQ((*doc)["summary"]["pass"], 10);
}

}  // namespace
}  // namespace vgpu::doctor
