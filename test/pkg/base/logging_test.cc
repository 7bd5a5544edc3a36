#include "pkg/base/logging.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

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

// Every line with its timestamp replaced by TS, so it can be compared.
std::string WithoutTimestamp(std::string line) {
  const size_t ts = line.find("20");
  if (ts != std::string::npos) line.replace(ts, 24, "TS");
  return line;
}

// JSON (and quoted text) log lines stay byte-for-byte what they were:
// test/testdata/golden/logs/lines.golden. VGPU_UPDATE_GOLDEN=1 rewrites it.
TEST(LoggingTest, LinesMatchGolden) {
  static constexpr char kControl[] = "nul\0 bel\x07 del\x7f tab\t cr\r";
  const std::vector<LogField> fields = {
      {"device", "0000:42:00.0"},
      {"quote\"key", "back\\slash"},
      {"ctl", std::string(kControl, sizeof(kControl) - 1)},
      {"utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"bad", "\xff \xc3 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80"},
      {"empty", ""}};
  std::string got;
  for (Format format : {Format::kJson, Format::kText}) {
    got += WithoutTimestamp(FormatLine(Level::kInfo, format, "plain", {}));
    got += WithoutTimestamp(
        FormatLine(Level::kError, format, "msg \"q\"\nnext", fields));
    got += WithoutTimestamp(
        FormatLine(Level::kWarning, format, "\xe2\x9c\x93 \xfe", fields));
  }
  const std::string path = VGPU_GOLDEN_DIR "/logs/lines.golden";
  if (const char* update = std::getenv("VGPU_UPDATE_GOLDEN");
      update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << got;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str());
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

TEST(LoggingTest, JsonNumbersAreNumbers) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  SetOutputFdForTest(fds[1]);
  SetFormat(Format::kJson);
  SetMinLevel(Level::kInfo);
  VGPU_LOG(INFO)
          .With("port", 9400)
          .With("count", size_t{3})
          .With("duration_ms", 1.5)
          .With("id", "7")
          .With("nan", std::nan(""))
      << "numbers";
  SetFormat(Format::kText);
  VGPU_LOG(INFO).With("port", 9400).With("duration_ms", 1.5) << "text";
  SetOutputFdForTest(2);
  ::close(fds[1]);
  char buf[1024];
  ssize_t n = ::read(fds[0], buf, sizeof(buf));
  ::close(fds[0]);
  ASSERT_GT(n, 0);
  std::string out(buf, static_cast<size_t>(n));
  EXPECT_THAT(out, HasSubstr("\"msg\":\"numbers\",\"port\":9400,\"count\":3,"
                             "\"duration_ms\":1.5,\"id\":\"7\","
                             "\"nan\":\"nan\"}\n"));
  EXPECT_THAT(out, HasSubstr("INFO text port=9400 duration_ms=1.5\n"));
  EXPECT_THAT(
      FormatLine(Level::kInfo, Format::kJson, "m",
                 {{"big", "18446744073709551615", LogField::Kind::kInteger}}),
      HasSubstr("\"big\":18446744073709551615}"));
}

}  // namespace
}  // namespace vgpu::logging
