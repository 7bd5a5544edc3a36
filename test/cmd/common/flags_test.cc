// cmd/common/flags.h: the one command-line parser, on flags of this file.
#include "cmd/common/flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

ABSL_FLAG(std::string, host_root, "/", "host root");
ABSL_FLAG(std::string, device_plugin_dir, "/plugins", "plugin dir");
ABSL_FLAG(bool, json, false, "print JSON");
ABSL_FLAG(int, gpus, 16, "number of GPUs");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30), "give up after");
ABSL_FLAG(std::vector<std::string>, cdi_dir, {}, "CDI dir (repeatable)");
ABSL_FLAG(std::string, other_command_flag, "", "not in the command line");

namespace vgpu::cmd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

class FlagsTest : public ::testing::Test {
 protected:
  FlagsTest() {
    line_.program = "tool sub";
    line_.usage = "usage: tool sub [flags]";
    line_.flags = {"host_root", "device_plugin_dir", "json",
                   "gpus",      "timeout",           "cdi_dir"};
    line_.aliases = {{"plugin_dir", "device_plugin_dir"}};
  }

  absl::StatusOr<ParsedFlags> Parse(const std::vector<std::string>& args) {
    return ParseFlags(line_, args);
  }

  absl::FlagSaver saver_;  // Every test starts from the defaults.
  CommandLine line_;
};

TEST_F(FlagsTest, TakesValuesAfterEqualsOrAsTheNextArgument) {
  ASSERT_THAT(Parse({"--host-root=/a", "--gpus", "4", "--timeout=5s"}).status(),
              IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_host_root), "/a");
  EXPECT_EQ(absl::GetFlag(FLAGS_gpus), 4);
  EXPECT_EQ(absl::GetFlag(FLAGS_timeout), absl::Seconds(5));
}

TEST_F(FlagsTest, DashesUnderscoresAndOneDashAreTheSameFlag) {
  ASSERT_THAT(Parse({"--host_root", "/b", "-device-plugin-dir=/d"}).status(),
              IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_host_root), "/b");
  EXPECT_EQ(absl::GetFlag(FLAGS_device_plugin_dir), "/d");
}

TEST_F(FlagsTest, AliasSetsTheFlagInEitherSpelling) {
  ASSERT_THAT(Parse({"--plugin_dir=/p"}).status(), IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_device_plugin_dir), "/p");
  ASSERT_THAT(Parse({"--plugin-dir", "/q"}).status(), IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_device_plugin_dir), "/q");
}

TEST_F(FlagsTest, BoolsNeedNoValue) {
  ASSERT_THAT(Parse({"--json"}).status(), IsOk());
  EXPECT_TRUE(absl::GetFlag(FLAGS_json));
  ASSERT_THAT(Parse({"--nojson"}).status(), IsOk());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
  ASSERT_THAT(Parse({"--json=true", "--no-json"}).status(), IsOk());
  EXPECT_FALSE(absl::GetFlag(FLAGS_json));
}

TEST_F(FlagsTest, RepeatedListFlagCollectsEveryValue) {
  ASSERT_THAT(
      Parse({"--cdi-dir", "/etc/cdi", "--cdi_dir=/var/run/cdi"}).status(),
      IsOk());
  EXPECT_THAT(absl::GetFlag(FLAGS_cdi_dir),
              ElementsAre("/etc/cdi", "/var/run/cdi"));
}

TEST_F(FlagsTest, RepeatedScalarFlagKeepsTheLast) {
  ASSERT_THAT(Parse({"--gpus=1", "--gpus=2"}).status(), IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_gpus), 2);
}

TEST_F(FlagsTest, EmptyValueIsAllowedUnlessTheCommandSaysNot) {
  ASSERT_THAT(Parse({"--host-root="}).status(), IsOk());
  EXPECT_EQ(absl::GetFlag(FLAGS_host_root), "");
  line_.allow_empty_values = false;
  EXPECT_THAT(Parse({"--host-root="}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "flag --host-root needs a value"));
}

TEST_F(FlagsTest, BadUsageNamesTheFlagAsTyped) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--bogus-flag"}, "unknown flag --bogus-flag"},
      {{"--other_command_flag=x"}, "unknown flag --other_command_flag"},
      {{"--gpus"}, "flag --gpus needs a value"},
      {{"--gpus=many"}, "bad value \"many\" for flag --gpus"},
      {{"--nogpus"}, "unknown flag --nogpus"},
      {{"--timeout", "soon"}, "bad value \"soon\" for flag --timeout"},
      {{"stray"}, "unexpected argument \"stray\""},
      {{"-"}, "unexpected argument \"-\""},
      {{"--", "after"}, "unexpected argument \"after\""},
      {{"--version"}, "unknown flag --version"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_THAT(Parse(c.args).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST_F(FlagsTest, HelpStopsParsing) {
  for (const char* help : {"--help", "-h", "-help", "--helpshort"}) {
    SCOPED_TRACE(help);
    absl::StatusOr<ParsedFlags> parsed = Parse({"--gpus=3", help, "--bogus"});
    ASSERT_THAT(parsed.status(), IsOk());
    EXPECT_TRUE(parsed->help);
  }
}

TEST_F(FlagsTest, VersionOnlyWhenTheCommandHasOne) {
  line_.version = "tool 1.0";
  absl::StatusOr<ParsedFlags> parsed = Parse({"--version", "--gpus=3"});
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_TRUE(parsed->version);
  EXPECT_EQ(absl::GetFlag(FLAGS_gpus), 3);
  EXPECT_THAT(Parse({"--version", "--bogus"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(FlagsTest, DoubleDashEndsTheFlags) {
  EXPECT_THAT(Parse({"--json", "--"}).status(), IsOk());
}

TEST_F(FlagsTest, ListingAnUndefinedFlagIsInternal) {
  line_.flags.push_back("never_defined");
  EXPECT_THAT(Parse({}).status(), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(FlagsTest, HelpTextListsFlagsDashedWithDefaultsAndAliases) {
  const std::string help = HelpText(line_);
  EXPECT_THAT(help,
              ::testing::StartsWith("usage: tool sub [flags]\n\nflags:\n"));
  EXPECT_THAT(help, HasSubstr("  --host-root=VALUE  (default \"/\")\n"
                              "      host root\n"));
  EXPECT_THAT(help, HasSubstr("  --device-plugin-dir=VALUE  (default "
                              "\"/plugins\")  also --plugin-dir\n"));
  EXPECT_THAT(help, HasSubstr("  --json  (default false)\n"));
  EXPECT_THAT(help, HasSubstr("  --cdi-dir=VALUE  (repeatable)\n"));
  EXPECT_THAT(help, Not(HasSubstr("other")));
  EXPECT_THAT(help, Not(HasSubstr("flags_test.cc")));
}

TEST_F(FlagsTest, HelpTextWithoutFlagsIsTheUsage) {
  line_.flags.clear();
  EXPECT_EQ(HelpText(line_), "usage: tool sub [flags]\n");
}

}  // namespace
}  // namespace vgpu::cmd
