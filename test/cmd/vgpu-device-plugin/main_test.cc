// The vgpu-device-plugin binary's command line (cmd/vgpu-device-plugin/
// main.cc): --help and --version exit 0, bad usage exits 2 naming the flag
// before anything starts. Runs that start the daemon: test/integration.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/run_command.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::vgpu::testing::CommandResult;
using ::vgpu::testing::IsOk;

class DaemonMainTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), VGPU_DAEMON_BINARY);
    absl::StatusOr<CommandResult> result = ::vgpu::testing::RunCommand(
        args, "", tmp_.path() + "/out", tmp_.path() + "/err");
    EXPECT_THAT(result.status(), IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  ::vgpu::testing::TempDir tmp_;
};

TEST_F(DaemonMainTest, HelpListsEveryFlagWithoutBuildPaths) {
  for (const char* help : {"--help", "-h", "--helpfull"}) {
    SCOPED_TRACE(help);
    CommandResult r = Run({help});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_THAT(r.output, StartsWith("Kubernetes device plugin"));
    for (const char* flag :
         {"--host-root=", "--device-plugin-dir=", "--config=", "--log-level=",
          "--log-format=", "--cdi-dir=", "--pci-ids=", "--metrics-address=",
          "--pod-resources-socket="}) {
      EXPECT_THAT(r.output, HasSubstr(flag));
    }
    EXPECT_THAT(r.output, Not(HasSubstr("main.cc")));
    EXPECT_EQ(r.error, "");
  }
}

TEST_F(DaemonMainTest, VersionExitsZeroAfterCheckingEveryFlag) {
  CommandResult r = Run({"--host_root=/", "--log-level", "debug", "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, std::string("vgpu-device-plugin ") + VGPU_VERSION + "\n");
  // The chart's contract check relies on this: a bad flag before --version
  // still fails.
  EXPECT_EQ(Run({"--no-such-flag=1", "--version"}).exit_code, 2);
}

// A fatal error after startup is a log line in the chosen format, without
// absl's code prefix or errno payloads.
TEST_F(DaemonMainTest, FatalErrorFollowsTheLogFormat) {
  CommandResult r =
      Run({"--host-root=" + tmp_.path() + "/nowhere", "--log-format=json",
           "--device-plugin-dir=" + tmp_.path() + "/dp",
           "--cdi-dir=" + tmp_.path() + "/cdi",
           "--metrics-address=", "--pod-resources-socket="});
  EXPECT_EQ(r.exit_code, 1);
  const size_t last = r.error.rfind('\n', r.error.size() - 2);
  const std::string line =
      r.error.substr(last == std::string::npos ? 0 : last + 1);
  EXPECT_THAT(line, StartsWith("{\"ts\":"));
  EXPECT_THAT(line, HasSubstr("\"level\":\"error\""));
  EXPECT_THAT(line, HasSubstr("/nowhere"));
  EXPECT_THAT(r.error, Not(HasSubstr("vgpu.errno")));
  EXPECT_THAT(r.error, Not(HasSubstr("NOT_FOUND:")));
}

TEST_F(DaemonMainTest, BadUsageExitsTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--no-such-flag=1"}, "unknown flag --no-such-flag"},
      {{"--host-root=/x", "host-root=/elsewhere"},
       "unexpected argument \"host-root=/elsewhere\""},
      {{"--config"}, "flag --config needs a value"},
      {{"--log-level=loud"}, "--log-level"},
      {{"--log-format=xml"}, "--log-format"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    CommandResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.error, StartsWith("vgpu-device-plugin: "));
    EXPECT_THAT(r.error, HasSubstr(c.message));
    // The user reads the reason, not absl's status code or payloads.
    EXPECT_THAT(r.error, Not(HasSubstr("INVALID_ARGUMENT")));
    EXPECT_THAT(r.error, Not(HasSubstr("[vgpu.")));
    EXPECT_EQ(r.output, "");
  }
}

}  // namespace
}  // namespace vgpu
