#include "pkg/config/yaml_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::config {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::StatusIs;

std::string Json(const std::string& yaml) {
  absl::StatusOr<std::string> json = YamlToJson(yaml);
  EXPECT_TRUE(json.ok()) << json.status();
  return json.ok() ? *json : "";
}

TEST(YamlToJsonTest, MapsSequencesAndStrings) {
  EXPECT_EQ(
      Json("kind: nvidia.com/gpu\ndevices:\n- name: a\n- {name: \"b\"}\n"),
      R"({"kind":"nvidia.com/gpu","devices":[{"name":"a"},{"name":"b"}]})");
  EXPECT_EQ(Json("s: 'it''s \"x\"\\n'\n"), R"({"s":"it's \"x\"\\n"})");
  EXPECT_EQ(Json(""), "null");
  EXPECT_EQ(Json("[]"), "[]");
}

// go-yaml (YAML 1.1) is what the CDI library reads YAML with.
TEST(YamlToJsonTest, PlainScalarsResolveLikeYaml11) {
  EXPECT_EQ(Json("[~, null, '', true, no, On, 'yes']"),
            R"([null,null,"",true,false,true,"yes"])");
  EXPECT_EQ(Json("[195, -3, +4, 0644, 0o17, 0x1F, 0, 1.5]"),
            "[195,-3,4,420,15,31,0,1.5]");
  // Not octal, so go-yaml reads 09 as the float 9.
  EXPECT_EQ(Json("['195', 0.5.0, 09, 1e, 0x, abc]"),
            R"(["195","0.5.0",9,"1e","0x","abc"])");
}

TEST(YamlToJsonTest, ErrorsSayWhere) {
  EXPECT_THAT(YamlToJson("a: [1, 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("2:1: ")));
  EXPECT_THAT(YamlToJson("? [a]\n: 1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("map key is not a scalar")));
  EXPECT_THAT(YamlToJson("a: 1\n---\nb: 2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("want one YAML document, found 2")));
}

}  // namespace
}  // namespace vgpu::config
