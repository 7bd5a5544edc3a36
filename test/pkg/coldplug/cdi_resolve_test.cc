#include "pkg/coldplug/cdi_resolve.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/kata/cdi_spec.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::coldplug {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::vgpu::testing::StatusIs;

std::string Spec(const std::string& kind, const std::string& name,
                 const std::string& node) {
  return absl::StrCat("{\"cdiVersion\":\"0.5.0\",\"kind\":\"", kind,
                      "\",\"devices\":[{\"name\":\"", name,
                      "\",\"containerEdits\":{\"deviceNodes\":[{\"path\":\"",
                      node, "\"}]}}]}");
}

class CdiResolveTest : public ::testing::Test {
 protected:
  std::string Dir(const std::string& name) {
    const std::string dir = tmp_.path() + "/" + name;
    std::filesystem::create_directories(dir);
    return dir;
  }
  std::string Write(const std::string& dir, const std::string& file,
                    const std::string& content) {
    const std::string path = Dir(dir) + "/" + file;
    std::ofstream(path) << content;
    return path;
  }
  vgpu::testing::TempDir tmp_;
};

TEST_F(CdiResolveTest, ParsesSpecWideAndDeviceNodes) {
  auto spec = ParseCdiSpecFile(R"({
    "cdiVersion": "0.6.0", "kind": "nvidia.com/pgpu",
    "containerEdits": {"deviceNodes": [{"path": "/dev/vfio/vfio"}]},
    "devices": [{"name": "0", "annotations": {"a": "b"},
                 "containerEdits": {"deviceNodes": [
                   {"path": "/dev/vfio/7", "hostPath": "/dev/vfio/8",
                    "permissions": "rw"}]}}]})",
                               "/etc/cdi/x.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->kind, "nvidia.com/pgpu");
  ASSERT_EQ(spec->devices.size(), 1u);
  EXPECT_EQ(spec->devices[0].qualified_name, "nvidia.com/pgpu=0");
  EXPECT_EQ(spec->devices[0].spec_file, "/etc/cdi/x.json");
  ASSERT_EQ(spec->devices[0].device_nodes.size(), 2u);
  EXPECT_EQ(spec->devices[0].device_nodes[0].path, "/dev/vfio/vfio");
  EXPECT_EQ(spec->devices[0].device_nodes[0].host_path, "/dev/vfio/vfio");
  EXPECT_EQ(spec->devices[0].device_nodes[1].path, "/dev/vfio/7");
  EXPECT_EQ(spec->devices[0].device_nodes[1].host_path, "/dev/vfio/8");
}

TEST_F(CdiResolveTest, RejectsWhatTheCdiLibraryRejects) {
  struct Case {
    const char* content;
    const char* message;
  };
  const Case cases[] = {
      {"{",
       "f.json: parse error at line 1, column 2: syntax error while parsing "
       "object key - unexpected end of input; expected string literal"},
      {"[]", "f.json: want an object, got array"},
      {R"({"cdiVersion":"0.7.0","kind":"a.com/b"})",
       "f.json: invalid cdiVersion \"0.7.0\" (Kata's CDI v0.6.0 reads 0.1.0 "
       "to 0.6.0)"},
      {R"({"cdiVersion":"0.5.0","kind":"a.com/b","extra":1})",
       "f.json: unknown field \"extra\""},
      {R"({"cdiVersion":"0.5.0","kind":"a.com/b","kind":"a.com/b"})",
       "f.json: duplicate key \"kind\""},
      {R"({"cdiVersion":"0.5.0","kind":"a.com"})",
       "f.json: invalid CDI kind \"a.com\": want vendor/class"},
      {R"({"cdiVersion":"0.5.0","kind":"a.com/b","devices":[{"name":"x/y",
          "containerEdits":{"env":["A=1"]}}]})",
       "f.json: devices[0]: invalid CDI device name \"x/y\": has invalid "
       "character '/'"},
      {R"({"cdiVersion":"0.5.0","kind":"a.com/b","devices":[{"name":"x"}]})",
       "f.json: devices[0]: invalid device, empty device edits"},
      {R"({"cdiVersion":"0.5.0","kind":"a.com/b","devices":[{"name":"x",
          "containerEdits":{"deviceNodes":[{"hostPath":"/dev/x"}]}}]})",
       "f.json: devices[0].containerEdits.deviceNodes[0]: invalid (empty) "
       "device path"},
      {R"({"cdiVersion":"0.5.0","kind":"a.com/b","devices":[
          {"name":"x","containerEdits":{"env":["A=1"]}},
          {"name":"x","containerEdits":{"env":["A=1"]}}]})",
       "f.json: device \"x\" defined twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content);
    EXPECT_THAT(ParseCdiSpecFile(c.content, "f.json"),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST_F(CdiResolveTest, OurRenderedSpecsParse) {
  resources::Pool pool;
  pool.resource_name = "nvidia.com/pgpu";
  resources::PoolDevice d;
  d.id = "0000:42:00.0";
  d.vfio_nodes = {"/dev/vfio/25"};
  pool.devices = {d};
  auto spec = ParseCdiSpecFile(kata::RenderCdiSpec(pool), "p.json");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->devices.size(), 1u);
  EXPECT_EQ(spec->devices[0].device_nodes[0].path, "/dev/vfio/25");
}

TEST_F(CdiResolveTest, LaterDirOverridesAndSameDirConflicts) {
  const std::string low =
      Write("etc", "a.json", Spec("nvidia.com/pgpu", "1", "/dev/vfio/1"));
  const std::string high =
      Write("run", "b.json", Spec("nvidia.com/pgpu", "1", "/dev/vfio/2"));
  auto registry = LoadCdiRegistry({Dir("etc"), Dir("run"), Dir("absent")});
  ASSERT_TRUE(registry.ok()) << registry.status();
  auto device = registry->Resolve("nvidia.com/pgpu=1");
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_EQ((*device)->spec_file, high);
  EXPECT_EQ((*device)->device_nodes[0].path, "/dev/vfio/2");
  EXPECT_THAT(registry->warnings,
              ElementsAre(absl::StrCat("nvidia.com/pgpu=1: ", high,
                                       " overrides ", low)));

  const std::string twin =
      Write("run", "c.json", Spec("nvidia.com/pgpu", "1", "/dev/vfio/3"));
  EXPECT_THAT(LoadCdiRegistry({Dir("etc"), Dir("run")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat("conflicting CDI device "
                                              "nvidia.com/pgpu=1 defined in ",
                                              high, " and ", twin))));
}

TEST_F(CdiResolveTest, ReportsEveryInvalidFileAndSkipsOtherNames) {
  Write("d", "good.json", Spec("a.com/b", "1", "/dev/vfio/1"));
  const std::string bad1 = Write("d", "bad1.json", "{");
  const std::string bad2 = Write("d", "bad2.json", "{\"kind\":\"a.com/b\"}");
  Write("d", "notes.txt", "not a spec");
  Write("d", "old.json.tmp", "{");
  std::filesystem::create_directories(Dir("d") + "/sub.json");
  auto registry = LoadCdiRegistry({Dir("d")});
  EXPECT_THAT(
      registry.status(),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          absl::StrCat(
              "CDI registry refresh failed (Kata fails on "
              "this too):\n",
              bad1,
              ": parse error at line 1, column 2: syntax error while parsing "
              "object key - unexpected end of input; expected string literal\n",
              bad2,
              ": invalid cdiVersion \"\" (Kata's "
              "CDI v0.6.0 reads 0.1.0 to 0.6.0)")));
}

// nvidia-ctk writes YAML specs (/etc/cdi/nvidia.yaml); the CDI library
// reads them, so a name defined there, a clash with it and a broken YAML
// file count here too.
TEST_F(CdiResolveTest, YamlSpecsAreReadLikeJson) {
  Write("d", "json-in.yaml", Spec("a.com/b", "1", "/dev/vfio/1"));
  Write("d", "gpu.yaml",
        "---\n"
        "cdiVersion: \"0.5.0\"\n"
        "kind: nvidia.com/gpu\n"
        "devices:\n"
        "  - name: \"0\"\n"
        "    containerEdits:\n"
        "      deviceNodes:\n"
        "        - path: /dev/nvidia0\n"
        "          major: 195\n"
        "          fileMode: 0666\n"
        "  - name: all\n"
        "    containerEdits:\n"
        "      deviceNodes: [{path: /dev/nvidiactl}]\n");
  auto registry = LoadCdiRegistry({Dir("d")});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_TRUE(registry->Resolve("a.com/b=1").ok());
  auto gpu0 = registry->Resolve("nvidia.com/gpu=0");
  ASSERT_TRUE(gpu0.ok()) << gpu0.status();
  ASSERT_EQ((*gpu0)->device_nodes.size(), 1u);
  EXPECT_EQ((*gpu0)->device_nodes[0].path, "/dev/nvidia0");
  EXPECT_TRUE(registry->Resolve("nvidia.com/gpu=all").ok());
  EXPECT_THAT(registry->warnings, IsEmpty());
}

TEST_F(CdiResolveTest, YamlClashesAndBrokenYamlAreProblems) {
  const std::string json =
      Write("d", "vgpu-device-plugin_nvidia.com_pgpu.json",
            Spec("nvidia.com/pgpu", "0000:42:00.0", "/dev/vfio/25"));
  const std::string yaml =
      Write("d", "zz-old.yaml",
            "cdiVersion: 0.5.0\nkind: nvidia.com/pgpu\ndevices:\n"
            "- name: \"0000:42:00.0\"\n  containerEdits:\n"
            "    deviceNodes:\n    - path: /dev/vfio/7\n");
  auto clash = LoadCdiRegistry({Dir("d")});
  EXPECT_THAT(clash.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(absl::StrCat(
                           "conflicting CDI device nvidia.com/pgpu=0000:42:00.0"
                           " defined in ",
                           json, " and ", yaml))));
  std::filesystem::remove(yaml);
  const std::string broken = Write("d", "broken.yaml", "kind: [unclosed\n");
  auto bad = LoadCdiRegistry({Dir("d")});
  EXPECT_THAT(bad.status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid CDI spec " + broken + ": 2:1: ")));
}

TEST_F(CdiResolveTest, MissingDirsGiveAnEmptyRegistry) {
  auto registry = LoadCdiRegistry({tmp_.path() + "/none"});
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_THAT(registry->devices, IsEmpty());
}

}  // namespace
}  // namespace vgpu::coldplug
