#include "pkg/base/json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::StatusIs;

std::string Quoted(const std::string& s) {
  return DumpJson(Json(s), JsonStyle::kCompact);
}

TEST(JsonTest, PrettyDumpKeepsOrderWithTwoSpaceIndent) {
  Json o = Json::object();
  o["z"] = "a\"b\\c\n\x01";
  o["a"] = -42;
  o["list"] = Json::array({"x", "y"});
  o["empty"] = Json::array();
  o["obj"] = Json::object();
  o["t"] = true;
  o["n"] = nullptr;
  o["nested"] = Json::array({Json::object({{"k", 1u}}), Json::array()});
  EXPECT_EQ(DumpJson(o), R"({
  "z": "a\"b\\c\n\u0001",
  "a": -42,
  "list": [
    "x",
    "y"
  ],
  "empty": [],
  "obj": {},
  "t": true,
  "n": null,
  "nested": [
    {
      "k": 1
    },
    []
  ]
}
)");
}

TEST(JsonTest, CompactDumpIsOneLineWithoutSpaces) {
  Json o = Json::object();
  o["a"] = Json::array({1, "two", nullptr});
  o["b"] = Json::object();
  EXPECT_EQ(DumpJson(o, JsonStyle::kCompact), R"({"a":[1,"two",null],"b":{}})");
}

TEST(JsonTest, EscapesControlQuotesAndInvalidUtf8) {
  EXPECT_EQ(Quoted("a\"b\\c\n\t\r\b\f"), "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(Quoted(std::string("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
  EXPECT_EQ(Quoted("caf\xc3\xa9 \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");  // Valid UTF-8.
  EXPECT_EQ(Quoted("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(Quoted("\xc3"), "\"\\ufffd\"");             // Truncated.
  EXPECT_EQ(Quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");  // Overlong.
  EXPECT_EQ(Quoted("\xed\xa0\x80"),
            "\"\\ufffd\\ufffd\\ufffd\"");  // Surrogate.
  EXPECT_EQ(Quoted(std::string("\0", 1)), "\"\\u0000\"");
}

TEST(JsonTest, FindsFirstInvalidUtf8) {
  EXPECT_EQ(FirstInvalidUtf8("plain caf\xc3\xa9 \xf0\x9f\x98\x80"), 16u);
  EXPECT_EQ(FirstInvalidUtf8("ab\xff"), 2u);
  EXPECT_EQ(FirstInvalidUtf8("a\xed\xa0\x80"), 1u);  // Surrogate.
  EXPECT_EQ(FirstInvalidUtf8(""), 0u);
}

TEST(JsonTest, ParsesWhatItDumps) {
  Json o = Json::object();
  o["s"] = "tab\there \xc3\xa9";
  o["arr"] = Json::array({1.5e-3, -7, 18446744073709551615u});
  absl::StatusOr<Json> parsed = ParseJson(DumpJson(o));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(DumpJson(*parsed), DumpJson(o));
  EXPECT_EQ((*parsed)["s"], "tab\there \xc3\xa9");
  EXPECT_EQ(parsed->begin().key(), "s");  // Order kept.
}

TEST(JsonTest, DecodesUnicodeEscapesAndSurrogates) {
  absl::StatusOr<Json> v = ParseJson(R"(["\u00e9\u20ac\ud83d\ude00\/"])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)[0], "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/");
}

TEST(JsonTest, ErrorsNameLineAndColumn) {
  struct Case {
    const char* text;
    const char* where;
  };
  const Case cases[] = {
      {"{\n  \"a\" 1}", "line 2, column 7"},
      {"[1,]", "line 1, column 4"},
      {"{} x", "line 1, column 4"},
      {"\"abc", "line 1, column 5"},
      {"01", "line 1, column 2"},
      {"[\"\\ud800\"]", "line 1, column 9"},
      {"", "line 1, column 1"},
      {"{\"a\":tru}", "line 1, column 9"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(ParseJson(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(absl::StrCat("at ", c.where, ": "))));
  }
}

TEST(JsonTest, RejectsDuplicateKeysAtAnyDepth) {
  EXPECT_THAT(
      ParseJson(R"({"a": 1, "b": 2, "a": 3})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "duplicate key \"a\""));
  EXPECT_THAT(
      ParseJson(R"({"x": [{"k": 1, "k": 2}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, "duplicate key \"k\""));
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseJson(R"([{"k": 1}, {"k": 2, "o": {"k": 3}}])").ok());
}

TEST(JsonTest, RejectsDeepNesting) {
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseJson(ok).ok());
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_THAT(ParseJson(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                        "nesting deeper than 64"));
}

}  // namespace
}  // namespace vgpu
