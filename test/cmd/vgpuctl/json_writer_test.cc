// vgpuctl's JSON writer (cmd/vgpuctl/json_writer.h): layout and escaping.
#include "cmd/vgpuctl/json_writer.h"

#include <string>

#include "gtest/gtest.h"

namespace vgpu::vgpuctl {
namespace {

TEST(JsonWriterTest, NestsWithTwoSpaceIndentation) {
  JsonWriter w;
  w.BeginObject();
  w.Key("a").Int(-3);
  w.Key("b").BeginArray().String("x").Bool(true).Null().EndArray();
  w.Key("c").BeginObject().EndObject();
  w.Key("d").StringArray({});
  w.Key("e").StringOrNull("").Key("f").IntOrNull(7);
  w.EndObject();
  EXPECT_EQ(w.Finish(),
            "{\n"
            "  \"a\": -3,\n"
            "  \"b\": [\n"
            "    \"x\",\n"
            "    true,\n"
            "    null\n"
            "  ],\n"
            "  \"c\": {},\n"
            "  \"d\": [],\n"
            "  \"e\": null,\n"
            "  \"f\": 7\n"
            "}\n");
}

TEST(JsonWriterTest, EscapesControlQuotesAndInvalidUtf8) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\r"), "\"a\\\"b\\\\c\\n\\t\\r\"");
  EXPECT_EQ(JsonQuote(std::string("\x01\x7f", 2)), "\"\\u0001\\u007f\"");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // Valid UTF-8.
  EXPECT_EQ(JsonQuote("\xff"), "\"\\ufffd\"");
  EXPECT_EQ(JsonQuote("\xc3"), "\"\\ufffd\"");             // Truncated.
  EXPECT_EQ(JsonQuote("\xc0\xaf"), "\"\\ufffd\\ufffd\"");  // Overlong.
  EXPECT_EQ(JsonQuote("\xed\xa0\x80"),
            "\"\\ufffd\\ufffd\\ufffd\"");  // Surrogate.
  EXPECT_EQ(JsonQuote(std::string("\0", 1)), "\"\\u0000\"");
}

}  // namespace
}  // namespace vgpu::vgpuctl
