// The vgpu-simhost command (cmd/vgpu-simhost/main.cc): exit codes and what
// it writes.
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/run_command.h"
#include "test/testing/temp_dir.h"

namespace vgpu::simhost {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Output of one run; exit_code -1 when it could not run.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class SimhostCliTest : public ::testing::Test {
 protected:
  RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), VGPU_SIMHOST_BIN);
    auto r = ::vgpu::testing::RunCommand(args, "", tmp_.path() + "/stdout",
                                         tmp_.path() + "/stderr");
    if (!r.ok()) return RunResult{};
    return RunResult{r->exit_code, r->output, r->error};
  }

  bool Exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  ::vgpu::testing::TempDir tmp_;
};

TEST_F(SimhostCliTest, ListsProfiles) {
  RunResult r = Run({"--list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "workstation\nt4-vgpu\na100-sriov\nh100-hgx\nada-vf-vgpu\n"
            "intel-gvt\namd-sriov\nbroken\nlarge\nt4-empty\nlarge-empty\n"
            "stock-debian\nmdev-no-parent\nmdev-virtual\npassthrough\n");
}

TEST_F(SimhostCliTest, WritesAProfile) {
  const std::string root = tmp_.path() + "/host";
  RunResult r = Run({"--profile", "workstation", "--out", root});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("wrote simulated host \"workstation\""));
  EXPECT_TRUE(Exists(root + "/sys/bus/pci/devices/0000:42:00.0"));
  EXPECT_TRUE(Exists(root + "/dev/vfio/25"));
}

TEST_F(SimhostCliTest, WritesLargeWithOptions) {
  const std::string root = tmp_.path() + "/large";
  RunResult r =
      Run({"--profile=large", "--gpus=2", "--vfs", "1", "--out=" + root});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Exists(root + "/sys/bus/pci/devices/0000:02:00.4"));
  EXPECT_FALSE(Exists(root + "/sys/bus/pci/devices/0000:03:00.0"));
}

TEST_F(SimhostCliTest, BadUsageExitsTwo) {
  const std::string root = tmp_.path() + "/h";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--profile", "nope", "--out", root}, "unknown profile \"nope\""},
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--profile", "workstation"}, "--out is required"},
      {{"--out", root}, "--profile is required"},
      {{"--profile", "large", "--gpus", "abc", "--out", root}, "--gpus"},
      {{"--profile", "large", "--gpus", "0", "--out", root}, "1..248 gpus"},
      {{"--profile", "workstation", "--out", root, "stray"}, "stray"},
      {{"--profile"}, "needs a value"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    RunResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr(c.message));
  }
  EXPECT_FALSE(Exists(root));  // Nothing written on bad usage.
}

TEST_F(SimhostCliTest, NonEmptyOutIsAnErrorNamingIt) {
  const std::string root = tmp_.path() + "/busy";
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  std::ofstream(root + "/file") << "x";
  RunResult r = Run({"--profile", "workstation", "--out", root});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(root));
  EXPECT_THAT(r.err, HasSubstr("not empty"));
}

TEST_F(SimhostCliTest, HelpExitsZeroWithoutBuildPaths) {
  RunResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--profile=VALUE"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("main.cc")));
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace vgpu::simhost
