// The vgpu-simhost command: exit codes and what it writes.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/temp_dir.h"

extern char** environ;

namespace vgpu::simhost {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class SimhostCliTest : public ::testing::Test {
 protected:
  std::string ReadAll(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  RunResult Run(std::vector<std::string> args) {
    const std::string out = tmp_.path() + "/stdout";
    const std::string err = tmp_.path() + "/stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    args.insert(args.begin(), VGPU_SIMHOST_BIN);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    RunResult result;
    int rc = posix_spawn(&pid, VGPU_SIMHOST_BIN, &actions, nullptr, argv.data(),
                         environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return result;
    int status = 0;
    if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    }
    result.out = ReadAll(out);
    result.err = ReadAll(err);
    return result;
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
            "intel-gvt\namd-sriov\nbroken\nlarge\nt4-empty\n");
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

TEST_F(SimhostCliTest, HelpExitsZero) {
  RunResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--profile"));
}

}  // namespace
}  // namespace vgpu::simhost
