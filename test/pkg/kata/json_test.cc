#include "pkg/kata/json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::kata {
namespace {

using ::vgpu::testing::StatusIs;

TEST(JsonTest, SerializesInInsertionOrderWithEscapes) {
  JsonValue o = JsonValue::Object();
  o.Set("z", JsonValue::String("a\"b\\c\n\x01"));
  o.Set("a", JsonValue::Number(-42));
  o.Set("list", JsonValue::StringArray({"x", "y"}));
  o.Set("empty", JsonValue::Array());
  o.Set("obj", JsonValue::Object());
  o.Set("t", JsonValue::Bool(true));
  o.Set("n", JsonValue());
  EXPECT_EQ(SerializeJson(o), R"({
  "z": "a\"b\\c\n\u0001",
  "a": -42,
  "list": [
    "x",
    "y"
  ],
  "empty": [],
  "obj": {},
  "t": true,
  "n": null
}
)");
}

TEST(JsonTest, ParsesWhatItWrites) {
  JsonValue o = JsonValue::Object();
  o.Set("s", JsonValue::String("tab\there \xc3\xa9"));
  o.Set("arr", JsonValue::Array()).Append(JsonValue::NumberLiteral("1.5e-3"));
  auto parsed = ParseJson(SerializeJson(o));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(SerializeJson(*parsed), SerializeJson(o));
  ASSERT_NE(parsed->Find("s"), nullptr);
  EXPECT_EQ(parsed->Find("s")->text(), "tab\there \xc3\xa9");
  EXPECT_EQ(parsed->Find("arr")->items()[0].text(), "1.5e-3");
  EXPECT_EQ(parsed->Find("missing"), nullptr);
}

TEST(JsonTest, DecodesUnicodeEscapesAndSurrogates) {
  auto v = ParseJson(R"(["\u00e9\u20ac\ud83d\ude00\/"])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->items()[0].text(), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/");
}

TEST(JsonTest, ErrorsNameLineAndColumn) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"{\n  \"a\" 1}", "line 2 col 7: expected ':'"},
      {"[1,]", "line 1 col 4: unexpected character ']'"},
      {"{} x", "line 1 col 4: unexpected data after the value"},
      {"\"abc", "line 1 col 5: unterminated string"},
      {"01", "line 1 col 2: leading zero in number"},
      {"[\"\\ud800\"]", "line 1 col 9: lone high surrogate"},
      {"", "line 1 col 1: unexpected end of input"},
      {"{\"a\":tru}", "line 1 col 6: unexpected character 't'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(ParseJson(c.text),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(JsonTest, RejectsDeepNesting) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_THAT(ParseJson(deep),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "line 1 col 66: nesting deeper than 64"));
}

}  // namespace
}  // namespace vgpu::kata
