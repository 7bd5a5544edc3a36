// The kubelet-emulator binary's command line (cmd/kubelet-emulator/main.cc):
// --help exits 0, bad usage exits 2 naming the flag, and --plugin-dir (its
// first spelling) still means --device-plugin-dir.
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
using ::vgpu::testing::CommandResult;
using ::vgpu::testing::IsOk;

class EmulatorMainTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), VGPU_EMULATOR_BINARY);
    absl::StatusOr<CommandResult> result = ::vgpu::testing::RunCommand(
        args, "", tmp_.path() + "/out", tmp_.path() + "/err");
    EXPECT_THAT(result.status(), IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  ::vgpu::testing::TempDir tmp_;
};

TEST_F(EmulatorMainTest, HelpNamesTheFlagAndItsAlias) {
  CommandResult r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("--device-plugin-dir=VALUE"));
  EXPECT_THAT(r.output, HasSubstr("also --plugin-dir"));
  EXPECT_THAT(r.output, Not(HasSubstr("main.cc")));
}

// With no plugin registering it gives up after --timeout (exit 1): the
// directory flag was accepted in every spelling.
TEST_F(EmulatorMainTest, EverySpellingOfThePluginDirIsAccepted) {
  for (const char* flag : {"--device-plugin-dir", "--device_plugin_dir",
                           "--plugin-dir", "--plugin_dir"}) {
    SCOPED_TRACE(flag);
    CommandResult r = Run({flag, tmp_.path(), "--timeout=10ms"});
    EXPECT_EQ(r.exit_code, 1) << r.error;
    EXPECT_THAT(r.error, HasSubstr("fewer than 1 resources"));
    EXPECT_THAT(r.output, HasSubstr("== kubelet sees 0 resource(s)"));
  }
}

TEST_F(EmulatorMainTest, BadUsageExitsTwoNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--timeout=soon"}, "bad value \"soon\" for flag --timeout"},
      {{"--wait-resources"}, "flag --wait-resources needs a value"},
      {{"--allocate=nopod"}, "--allocate \"nopod\""},
      {{"extra"}, "unexpected argument \"extra\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    CommandResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.error, HasSubstr("kubelet-emulator: " + c.message));
  }
}

}  // namespace
}  // namespace vgpu
