#include "pkg/inventory/sysfs_parsers.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::inventory {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

template <typename T>
struct Case {
  std::string name;
  std::string input;
  bool ok;
  T want;
};

TEST(SysfsParsersTest, TrimsAsciiWhitespaceOnly) {
  EXPECT_EQ(TrimSysfsValue(" \t0x10de\r\n"), "0x10de");
  EXPECT_EQ(TrimSysfsValue("\n\n"), "");
  EXPECT_EQ(TrimSysfsValue("a b\n"), "a b");
}

TEST(SysfsParsersTest, HexIds) {
  const std::vector<Case<uint16_t>> cases = {
      {"kernel format", "0x10de\n", true, 0x10de},
      {"no newline", "0x2230", true, 0x2230},
      {"crlf", "0x2230\r\n", true, 0x2230},
      {"upper case", "0x10DE\n", true, 0x10de},
      {"upper X", "0X10de\n", true, 0x10de},
      {"zero", "0x0000\n", true, 0},
      {"no prefix", "10de\n", false, 0},
      {"truncated", "0x10d\n", false, 0},
      {"too long", "0x10de0\n", false, 0},
      {"empty", "", false, 0},
      {"not hex", "0x10dg\n", false, 0},
      {"inner space", "0x10 de", false, 0},
      {"sign", "-0x10de", false, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_THAT(ParseHexId(c.input), IsOkAndHolds(c.want));
    } else {
      EXPECT_THAT(ParseHexId(c.input),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("want 0x and 4 hex digits")));
    }
  }
}

TEST(SysfsParsersTest, ErrorQuotesTheBadValueEscaped) {
  EXPECT_THAT(ParseHexId("10de\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "id \"10de\\n\": want 0x and 4 hex digits"));
  EXPECT_THAT(ParseClassCode(std::string(100, 'z')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"" + std::string(64, 'z') + "...\"")));
}

TEST(SysfsParsersTest, ClassCodes) {
  const std::vector<Case<uint32_t>> cases = {
      {"vga", "0x030000\n", true, 0x030000},
      {"3d", "0x030200\n", true, 0x030200},
      {"nvswitch", "0x068000", true, 0x068000},
      {"upper", "0x0C0330\n", true, 0x0c0330},
      {"uevent style", "30000\n", false, 0},
      {"short", "0x0300\n", false, 0},
      {"empty", "", false, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_THAT(ParseClassCode(c.input), IsOkAndHolds(c.want));
    } else {
      EXPECT_THAT(ParseClassCode(c.input),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("want 0x and 6 hex digits")));
    }
  }
}

TEST(SysfsParsersTest, Integers) {
  const std::vector<Case<int>> numa = {
      {"node 0", "0\n", true, 0},
      {"node 1", "1\n", true, 1},
      {"none", "-1\n", true, -1},
      {"below -1", "-2\n", false, 0},
      {"garbage", "one\n", false, 0},
      {"empty", "", false, 0},
      {"overflow", "99999999999", false, 0},
      {"lone minus", "-", false, 0},
  };
  for (const auto& c : numa) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_THAT(ParseNumaNode(c.input), IsOkAndHolds(c.want));
    } else {
      EXPECT_THAT(ParseNumaNode(c.input),
                  StatusIs(absl::StatusCode::kInvalidArgument));
    }
  }
  EXPECT_THAT(ParseDecimalInt("-2147483648"), IsOkAndHolds(-2147483647 - 1));
  EXPECT_THAT(ParseDecimalInt("2147483647"), IsOkAndHolds(2147483647));
  EXPECT_THAT(ParseDecimalInt("2147483648"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseNonNegativeInt("16\n"), IsOkAndHolds(16));
  EXPECT_THAT(ParseNonNegativeInt("-0"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseNonNegativeInt("+3"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SysfsParsersTest, Bdfs) {
  const std::vector<Case<std::string>> cases = {
      {"plain", "0000:42:00.0", true, "0000:42:00.0"},
      {"newline", "0000:42:00.1\n", true, "0000:42:00.1"},
      {"upper", "0000:3B:1F.7", true, "0000:3b:1f.7"},
      {"vmd domain", "10000:e1:00.0", true, "10000:e1:00.0"},
      {"8 digit domain", "ffffffff:00:00.0", true, "ffffffff:00:00.0"},
      {"9 digit domain", "fffffffff:00:00.0", false, ""},
      {"short domain", "000:42:00.0", false, ""},
      {"function 8", "0000:42:00.8", false, ""},
      {"no domain", "42:00.0", false, ""},
      {"bad bus", "0000:4g:00.0", false, ""},
      {"dot missing", "0000:42:000", false, ""},
      {"pci root", "pci0000:00", false, ""},
      {"empty", "", false, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    if (c.ok) {
      EXPECT_THAT(ParseBdf(c.input), IsOkAndHolds(c.want));
    } else {
      EXPECT_THAT(ParseBdf(c.input),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           HasSubstr("want DDDD:BB:DD.F")));
    }
  }
}

TEST(SysfsParsersTest, Uuids) {
  EXPECT_THAT(ParseUuid("C0FFEE00-AAAA-4BBB-8CCC-DDDDEEEEFFFF\n"),
              IsOkAndHolds("c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff"));
  for (const char* bad :
       {"c0ffee00aaaa4bbb8cccddddeeeeffff", "{c0ffee00-aaaa-4bbb-8ccc-dddd}",
        "c0ffee00-aaaa-4bbb-8ccc-ddddeeeefffg",
        "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff0", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseUuid(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("UUID")));
  }
}

TEST(SysfsParsersTest, NvidiaDescription) {
  auto d = ParseNvidiaMdevDescription(
      "num_heads=4, frl_config=60, framebuffer=1024M, "
      "max_resolution=5120x2880, max_instance=16\n");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->num_heads, 4);
  EXPECT_EQ(d->frl_config, 60);
  EXPECT_EQ(d->framebuffer_bytes, 1024ull << 20);
  EXPECT_EQ(d->max_resolution_width, 5120);
  EXPECT_EQ(d->max_resolution_height, 2880);
  EXPECT_EQ(d->max_instance, 16);
  auto big = ParseNvidiaMdevDescription("framebuffer=48G,max_instance=1");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->framebuffer_bytes, 48ull << 30);
  EXPECT_THAT(ParseNvidiaMdevDescription("num_heads=4, frl_config=60"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("framebuffer= and max_instance=")));
  EXPECT_THAT(ParseNvidiaMdevDescription("framebuffer=lots, max_instance=1"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "framebuffer \"lots\": want a size such as 1024M"));
  EXPECT_THAT(ParseNvidiaMdevDescription("framebuffer=1M, max_instance=x"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_instance \"x\"")));
  EXPECT_THAT(
      ParseNvidiaMdevDescription("framebuffer=1M, max_instance"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key=value")));
  EXPECT_THAT(ParseNvidiaMdevDescription("framebuffer=99999999999999999999G, "
                                         "max_instance=1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SysfsParsersTest, GvtgDescription) {
  auto d = ParseGvtgDescription(
      "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\n"
      "resolution: 1024x768\nweight: 2\n");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->low_gm_bytes, 64ull << 20);
  EXPECT_EQ(d->high_gm_bytes, 384ull << 20);
  EXPECT_EQ(d->fence, 4);
  EXPECT_EQ(d->resolution, "1024x768");
  EXPECT_EQ(d->weight, 2);
  EXPECT_THAT(ParseGvtgDescription("fence: 4\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("low_gm_size: and high_gm_size:")));
  EXPECT_THAT(
      ParseGvtgDescription("low_gm_size 64MB\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key: value")));
  EXPECT_THAT(ParseGvtgDescription("low_gm_size: 64MB\nhigh_gm_size: 1TB"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("high_gm_size \"1TB\"")));
}

TEST(SysfsParsersTest, CreatableVgpuTypes) {
  auto types = ParseCreatableVgpuTypes(
      "ID    : vGPU Name\n1147  : NVIDIA L40S-1Q\n1148  : NVIDIA L40S-2Q\n");
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(*types, (std::map<int, std::string>{{1147, "NVIDIA L40S-1Q"},
                                                {1148, "NVIDIA L40S-2Q"}}));
  EXPECT_THAT(ParseCreatableVgpuTypes("ID    : vGPU Name\n"),
              IsOkAndHolds(std::map<int, std::string>()));
  EXPECT_THAT(ParseCreatableVgpuTypes(""),
              IsOkAndHolds(std::map<int, std::string>()));
  EXPECT_THAT(
      ParseCreatableVgpuTypes("ID : vGPU Name\nabc : x\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"abc : x\"")));
  EXPECT_THAT(
      ParseCreatableVgpuTypes("ID : vGPU Name\n1147\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ID : name")));
  EXPECT_THAT(ParseCreatableVgpuTypes("1147 :\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vgpu::inventory
