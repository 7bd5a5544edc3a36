// The vgpuctl binary's command line (cmd/vgpuctl/main.cc and each
// subcommand's flags): exit codes 0/1/2 and the messages naming the problem.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/run_command.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::vgpuctl {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vgpu::testing::CommandResult;
using ::vgpu::testing::IsOk;

class VgpuctlMainTest : public ::testing::Test {
 protected:
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), VGPUCTL_PATH);
    absl::StatusOr<CommandResult> result = ::vgpu::testing::RunCommand(
        args, "", tmp_.path() + "/out", tmp_.path() + "/err");
    EXPECT_THAT(result.status(), IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  ::vgpu::testing::TempDir tmp_;
};

TEST_F(VgpuctlMainTest, HelpAndVersionExitZero) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"help"},
                                             {"--help"},
                                             {"-h"},
                                             {"discover", "--help"},
                                             {"coldplug-plan", "-help"},
                                             {"version", "--help"},
                                             {"help", "discover"},
                                             {"help", "help"}}) {
    SCOPED_TRACE(args.front() + " " + args.back());
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.error;
    EXPECT_THAT(r.output, StartsWith("usage: vgpuctl"));
    EXPECT_EQ(r.error, "");
  }
  EXPECT_THAT(Run({"discover", "--help"}).output, HasSubstr("--host-root"));
  EXPECT_EQ(Run({"help", "coldplug-plan"}).output,
            Run({"coldplug-plan", "--help"}).output);
  EXPECT_THAT(Run({"coldplug-plan", "--help"}).output,
              HasSubstr("--cdi-dir=VALUE  (repeatable)"));
  for (const char* arg : {"version", "--version"}) {
    CommandResult r = Run({arg});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.output, std::string("vgpuctl ") + VGPU_VERSION + "\n");
  }
}

TEST_F(VgpuctlMainTest, BadUsageExitsTwoNamingTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{}, "usage: vgpuctl <command>"},
      {{"frobnicate"}, "vgpuctl: unknown command \"frobnicate\""},
      {{"help", "frobnicate"}, "vgpuctl help: unknown command \"frobnicate\""},
      {{"help", "discover", "plan"}, "vgpuctl help: one command at a time"},
      {{"--frob"}, "vgpuctl: unknown flag --frob"},
      {{"version", "extra"}, "vgpuctl version: unexpected argument \"extra\""},
      {{"discover", "--bogus"}, "vgpuctl discover: unknown flag --bogus"},
      {{"discover", "--host-root"}, "flag --host-root needs a value"},
      {{"discover", "--host-root="}, "flag --host-root needs a value"},
      {{"discover", "--json=maybe"}, "bad value \"maybe\" for flag --json"},
      {{"discover", "stray"}, "unexpected argument \"stray\""},
      // Each subcommand takes only its own flags.
      {{"discover", "--pod", "ns/p"}, "vgpuctl discover: unknown flag --pod"},
      {{"coldplug-plan", "--pci-ids=x"}, "unknown flag --pci-ids"},
      {{"coldplug-plan", "--pod", "p"}, "--pod \"p\": want NAMESPACE/NAME"},
      {{"coldplug-plan", "--pcie-root-port=x", "--pod=a/b"},
       "bad value \"x\" for flag --pcie-root-port"},
      {{"coldplug-plan", "--runtime=kotlin", "--pod=a/b"},
       "--runtime \"kotlin\": want go or rs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    CommandResult r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.error, HasSubstr(c.message));
    EXPECT_EQ(r.output, "");
  }
}

TEST_F(VgpuctlMainTest, FlagsTakeEitherSpellingAndForm) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"discover", "--host-root", tmp_.path()},
           {"discover", "--host_root=" + tmp_.path(), "--json=false"},
           {"discover", "-host-root", tmp_.path(), "--nojson"}}) {
    SCOPED_TRACE(args[1]);
    CommandResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.error;
    EXPECT_THAT(r.output, HasSubstr("no GPUs found on this host"));
  }
}

TEST_F(VgpuctlMainTest, ErrorsExitOne) {
  CommandResult r = Run({"discover", "--host-root", "/nonexistent/root"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.error, HasSubstr("vgpuctl discover: "));
  EXPECT_THAT(r.error, HasSubstr("/nonexistent/root"));
}

}  // namespace
}  // namespace vgpu::vgpuctl
