#include "pkg/config/yaml_json.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::config {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::StatusIs;

// `yaml` converted, as compact JSON text.
std::string AsJson(const std::string& yaml) {
  absl::StatusOr<Json> json = YamlToJson(yaml);
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? DumpJson(*json, JsonStyle::kCompact) : "";
}

TEST(YamlToJsonTest, MapsSequencesAndStrings) {
  EXPECT_EQ(
      AsJson("kind: nvidia.com/gpu\ndevices:\n- name: a\n- {name: \"b\"}\n"),
      R"({"kind":"nvidia.com/gpu","devices":[{"name":"a"},{"name":"b"}]})");
  EXPECT_EQ(AsJson("s: 'it''s \"x\"\\n'\n"), R"({"s":"it's \"x\"\\n"})");
  EXPECT_EQ(AsJson(""), "null");
  EXPECT_EQ(AsJson("[]"), "[]");
}

// go-yaml (YAML 1.1) is what the CDI library reads YAML with.
TEST(YamlToJsonTest, PlainScalarsResolveLikeYaml11) {
  EXPECT_EQ(AsJson("[~, null, '', true, no, On, 'yes']"),
            R"([null,null,"",true,false,true,"yes"])");
  EXPECT_EQ(AsJson("[195, -3, +4, 0644, 0o17, 0x1F, 0, 1.5]"),
            "[195,-3,4,420,15,31,0,1.5]");
  // Not octal, so go-yaml reads 09 as the float 9.
  EXPECT_EQ(AsJson("['195', 0.5.0, 09, 1e, 0x, abc]"),
            R"(["195","0.5.0",9.0,"1e","0x","abc"])");
  EXPECT_EQ(AsJson("[-9223372036854775808, 18446744073709551615, y, N]"),
            "[-9223372036854775808,18446744073709551615,true,false]");
}

TEST(YamlToJsonTest, KeepsKeyOrderAndEveryStringByte) {
  EXPECT_EQ(AsJson("z: 1\na: 2\nm: \"caf\\u00e9\"\n"),
            "{\"z\":1,\"a\":2,\"m\":\"caf\xc3\xa9\"}");
}

// Nested aliases would expand exponentially ("billion laughs").
TEST(YamlToJsonTest, AliasExpansionIsBounded) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    yaml += absl::StrCat("a", i, ": &a", i, " [");
    for (int k = 0; k < 10; ++k)
      absl::StrAppend(&yaml, k ? ", " : "", "*a", i - 1);
    yaml += "]\n";
  }
  EXPECT_THAT(YamlToJson(yaml), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("more than 100000 nodes")));
  EXPECT_EQ(AsJson("a: &x [1]\nb: *x\n"), R"({"a":[1],"b":[1]})");
}

TEST(YamlToJsonTest, ErrorsSayWhere) {
  EXPECT_THAT(YamlToJson("a: [1, 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2:1: ")));
  EXPECT_THAT(YamlToJson("? [a]\n: 1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("map key is not a scalar")));
  EXPECT_THAT(
      YamlToJson("a: 1\nb: 2\na: 3\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, "3:1: duplicate key \"a\""));
  EXPECT_THAT(YamlToJson(std::string(100, '[') + std::string(100, ']')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("nesting deeper than 64")));
  // fuzz/cdi_spec_fuzzer: yaml-cpp looped on this, go-yaml rejects it.
  EXPECT_THAT(
      YamlToJson("# A CD\xff\xff{\n   ,\n  ai"),
      StatusIs(absl::StatusCode::kInvalidArgument, "1:7: invalid UTF-8"));
  EXPECT_THAT(
      YamlToJson("a: caf\xc3\xa9\nb: \xc3"),
      StatusIs(absl::StatusCode::kInvalidArgument, "2:4: invalid UTF-8"));
  EXPECT_THAT(YamlToJson("a: 1\n---\nb: 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want one YAML document, found more")));
}

// yaml-cpp's LoadAll makes empty documents without end from a stray flow
// indicator at the top level; the document count stops at two.
TEST(YamlToJsonTest, StrayFlowIndicatorEndsWithAnError) {
  for (const char* text : {",3", ",", ",\n,"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(YamlToJson(text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("want one YAML document")));
  }
}

}  // namespace
}  // namespace vgpu::config
