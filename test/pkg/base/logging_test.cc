#include "pkg/base/logging.h"

#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::logging {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

TEST(LoggingTest, ParsesLevels) {
  EXPECT_THAT(ParseLevel("debug"), IsOkAndHolds(Level::kDebug));
  EXPECT_THAT(ParseLevel("INFO"), IsOkAndHolds(Level::kInfo));
  EXPECT_THAT(ParseLevel("warn"), IsOkAndHolds(Level::kWarning));
  EXPECT_THAT(ParseLevel("error"), IsOkAndHolds(Level::kError));
  EXPECT_THAT(ParseLevel("loud"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("\"loud\"")));
}

TEST(LoggingTest, ParsesFormats) {
  EXPECT_THAT(ParseFormat("text"), IsOkAndHolds(Format::kText));
  EXPECT_THAT(ParseFormat("json"), IsOkAndHolds(Format::kJson));
  EXPECT_THAT(ParseFormat("xml"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LoggingTest, TextLineHasLevelMessageAndQuotedFields) {
  std::string line =
      FormatLine(Level::kWarning, Format::kText, "unhealthy",
                 {{"device", "0000:42:00.0"}, {"reason", "driver unbound"}});
  EXPECT_THAT(line, HasSubstr(" WARNING unhealthy device=0000:42:00.0 "
                              "reason=\"driver unbound\"\n"));
}

TEST(LoggingTest, JsonLineEscapes) {
  std::string line =
      FormatLine(Level::kInfo, Format::kJson, "a \"b\"\n", {{"k", "v\\"}});
  EXPECT_THAT(line, StartsWith("{\"ts\":"));
  EXPECT_THAT(line, HasSubstr("\"level\":\"info\",\"msg\":\"a \\\"b\\\"\\n\","
                              "\"k\":\"v\\\\\"}\n"));
}

TEST(LoggingTest, MacroWritesOneLineAndRespectsMinLevel) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  SetOutputFdForTest(fds[1]);
  SetMinLevel(Level::kInfo);
  VGPU_LOG(DEBUG) << "hidden";
  VGPU_LOG(INFO).With("n", 3) << "shown " << 42;
  SetOutputFdForTest(2);
  ::close(fds[1]);
  char buf[512];
  ssize_t n = ::read(fds[0], buf, sizeof(buf));
  ::close(fds[0]);
  ASSERT_GT(n, 0);
  std::string out(buf, static_cast<size_t>(n));
  EXPECT_THAT(out, HasSubstr("INFO shown 42 n=3\n"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("hidden")));
}

}  // namespace
}  // namespace vgpu::logging
