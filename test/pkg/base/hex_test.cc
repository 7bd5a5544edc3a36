#include "pkg/base/hex.h"

#include <optional>

#include "gtest/gtest.h"

namespace vgpu {
namespace {

TEST(HexTest, ReadsDigitsOfEitherCase) {
  EXPECT_EQ(ParseHexDigits("10de", 4), 0x10deu);
  EXPECT_EQ(ParseHexDigits("10DE", 4), 0x10deu);
  EXPECT_EQ(ParseHexDigits("f", 1), 0xfu);
  EXPECT_EQ(ParseHexDigits("ffffffff", 8), 0xffffffffu);
}

TEST(HexTest, RejectsEmptyTooLongAndNonDigits) {
  EXPECT_EQ(ParseHexDigits("", 4), std::nullopt);
  EXPECT_EQ(ParseHexDigits("10de0", 4), std::nullopt);
  EXPECT_EQ(ParseHexDigits("0x10", 4), std::nullopt);
  EXPECT_EQ(ParseHexDigits("10 d", 4), std::nullopt);
  EXPECT_EQ(ParseHexDigits("-1", 4), std::nullopt);
  EXPECT_EQ(ParseHexDigits("1g", 4), std::nullopt);
}

}  // namespace
}  // namespace vgpu
