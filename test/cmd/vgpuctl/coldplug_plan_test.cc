// The real `vgpuctl coldplug-plan` on the simulated workstation host with a
// CDI spec for its GPU (0000:42:00.0 and its audio function, group 25):
// where the number of root ports comes from. The plan itself:
// test/pkg/coldplug/plan_test.cc and the golden files.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/simhost/profiles.h"
#include "pkg/simhost/sim_host.h"
#include "test/testing/run_command.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::vgpuctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::CommandResult;
using ::vgpu::testing::IsOk;

constexpr char kSpec[] = R"({"cdiVersion": "0.6.0", "kind": "nvidia.com/pgpu",
  "devices": [{"name": "0000:42:00.0",
    "containerEdits": {"deviceNodes": [{"path": "/dev/vfio/25"}]}}]})";

class ColdplugPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/host";
    absl::StatusOr<std::unique_ptr<simhost::SimHost>> host =
        simhost::SimHost::Create(root_);
    ASSERT_THAT(host, IsOk());
    ASSERT_THAT(simhost::BuildProfile(**host, "workstation", {2, 2}), IsOk());
    WriteFile("cdi/pgpu.json", kSpec);
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    std::filesystem::create_directories(
        std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }

  CommandResult Plan(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {
        VGPUCTL_PATH,  "coldplug-plan",
        "--host-root", root_,
        "--cdi-dir",   dir_.path() + "/cdi",
        "--device",    "nvidia.com/pgpu=0000:42:00.0"};
    args.insert(args.end(), extra.begin(), extra.end());
    absl::StatusOr<CommandResult> result = ::vgpu::testing::RunCommand(
        args, "", dir_.path() + "/out", dir_.path() + "/err");
    EXPECT_THAT(result.status(), IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  ::vgpu::testing::TempDir dir_;
  std::string root_;
};

TEST_F(ColdplugPlanTest, DefaultsToTheNvidiaKataConfigurationsEightPorts) {
  CommandResult r = Plan({});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_THAT(r.output, HasSubstr("2 functions, 8 root ports"));
  EXPECT_THAT(r.output, HasSubstr("pcie-root-port,id=rp7,"));
  EXPECT_THAT(r.output, Not(HasSubstr("id=rp8,")));
}

TEST_F(ColdplugPlanTest, ReadsPcieRootPortFromTheKataConfig) {
  const std::string toml =
      WriteFile("kata.toml",
                "[hypervisor.qemu]\ncold_plug_vfio = \"root-port\"\n"
                "pcie_root_port = 5\n");
  CommandResult r = Plan({"--kata-config", toml});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_THAT(r.output, HasSubstr("2 functions, 5 root ports"));
}

TEST_F(ColdplugPlanTest, KataConfigWithoutTheKeyMeansKatasDefaultZero) {
  const std::string toml = WriteFile("kata.toml", "[hypervisor.qemu]\n");
  CommandResult r = Plan({"--kata-config", toml});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_THAT(r.output, HasSubstr("2 functions, 2 root ports"));
}

TEST_F(ColdplugPlanTest, ExplicitFlagWinsOverTheKataConfig) {
  const std::string toml =
      WriteFile("kata.toml", "[hypervisor.qemu]\npcie_root_port = 5\n");
  CommandResult r = Plan({"--kata-config", toml, "--pcie-root-port", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_THAT(r.output, HasSubstr("2 functions, 3 root ports"));
  r = Plan({"--pcie-root-port=0"});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_THAT(r.output, HasSubstr("2 functions, 2 root ports"));
}

TEST_F(ColdplugPlanTest, BadKataConfigIsAnErrorNamingTheFile) {
  const std::string toml = WriteFile("kata.toml", "[hypervisor.qemu\n");
  CommandResult r = Plan({"--kata-config", toml});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.error, HasSubstr("vgpuctl coldplug-plan: " + toml + ":1:"));
  r = Plan({"--kata-config", dir_.path() + "/absent.toml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.error, HasSubstr("absent.toml"));
  r = Plan({"--kata-config", toml, "--kata-config", toml});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.error, HasSubstr("give at most one --kata-config"));
}

}  // namespace
}  // namespace vgpu::vgpuctl
