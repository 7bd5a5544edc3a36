// End to end: runs the built `vgpuctl` binary against simulated hosts and
// checks the table, and that --json parses back to the documented schema
// (docs/vgpuctl.md). Exit codes and usage: main_test.cc.
#include <sys/wait.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/simhost/profiles.h"
#include "pkg/simhost/sim_host.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::IsOk;

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr together.
};

Result RunVgpuctl(const std::string& args) {
  Result r;
  const std::string cmd = std::string(VGPUCTL_PATH) + " " + args + " 2>&1";
  std::FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) r.out.append(buf, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A minimal JSON reader for checking the output: values keep their kind
// and text, objects their members.
struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject } kind = kNull;
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> members;
  const Json& operator[](const std::string& key) const {
    static const Json kMissing;
    auto it = members.find(key);
    return it == members.end() ? kMissing : it->second;
  }
};

class JsonReader {
 public:
  explicit JsonReader(const std::string& s) : s_(s) {}
  bool Parse(Json& out) {
    if (!Value(out)) return false;
    Skip();
    return i_ == s_.size();
  }

 private:
  void Skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) {
      ++i_;
    }
  }
  bool Eat(char c) {
    Skip();
    if (i_ >= s_.size() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  bool Literal(const char* word, Json::Kind kind, Json& out) {
    const std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    out.kind = kind;
    out.text = w;
    return true;
  }
  bool String(std::string& out) {
    if (!Eat('"')) return false;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (static_cast<unsigned char>(s_[i_]) < 0x20) return false;
      if (s_[i_] == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          if (i_ + 4 >= s_.size()) return false;
          out += '?';
          i_ += 4;
        } else if (std::string("\"\\/bfnrt").find(e) == std::string::npos) {
          return false;
        } else {
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        ++i_;
        continue;
      }
      out += s_[i_++];
    }
    return Eat('"');
  }
  bool Value(Json& out) {
    Skip();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return Object(out);
    if (c == '[') return Array(out);
    if (c == '"') {
      out.kind = Json::kString;
      return String(out.text);
    }
    if (c == 't') return Literal("true", Json::kBool, out);
    if (c == 'f') return Literal("false", Json::kBool, out);
    if (c == 'n') return Literal("null", Json::kNull, out);
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      ++i_;
    }
    out.kind = Json::kNumber;
    out.text = s_.substr(start, i_ - start);
    return !out.text.empty() && out.text != "-";
  }
  bool Array(Json& out) {
    out.kind = Json::kArray;
    Eat('[');
    if (Eat(']')) return true;
    do {
      out.items.emplace_back();
      if (!Value(out.items.back())) return false;
    } while (Eat(','));
    return Eat(']');
  }
  bool Object(Json& out) {
    out.kind = Json::kObject;
    Eat('{');
    if (Eat('}')) return true;
    do {
      std::string key;
      if (!String(key) || !Eat(':')) return false;
      if (out.members.count(key) != 0) return false;  // Duplicate key.
      if (!Value(out.members[key])) return false;
    } while (Eat(','));
    return Eat('}');
  }
  const std::string& s_;
  size_t i_ = 0;
};

class VgpuctlDiscoverTest : public ::testing::Test {
 protected:
  std::string BuildProfile(const std::string& name) {
    const std::string root = dir_.path() + "/" + name;
    auto host = simhost::SimHost::Create(root);
    EXPECT_THAT(host, IsOk());
    if (host.ok()) {
      EXPECT_THAT(simhost::BuildProfile(**host, name, {2, 2}), IsOk());
    }
    return root;
  }
  ::vgpu::testing::TempDir dir_;
};

TEST_F(VgpuctlDiscoverTest, TableShowsUnitsViabilityAndReasons) {
  const std::string root = BuildProfile("workstation");
  Result r = RunVgpuctl("discover --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Passthrough units (IOMMU groups):"));
  EXPECT_THAT(r.out, HasSubstr("0000:42:00.0  0000:42:00.0  gpu"));
  EXPECT_THAT(r.out,
              HasSubstr("no: 0000:61:00.1 is bound to snd_hda_intel, not "
                        "vfio-pci"));
  EXPECT_THAT(r.out, HasSubstr("(10de:2230)"));  // Model with its ids.
  EXPECT_THAT(r.out, Not(HasSubstr("no GPUs found")));
}

TEST_F(VgpuctlDiscoverTest, TableListsMdevTypesAndInstances) {
  const std::string root = BuildProfile("t4-vgpu");
  Result r =
      RunVgpuctl("discover --pci-ids /nonexistent/pci.ids --host-root=" + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("warning: open pci.ids /nonexistent/pci.ids"));
  EXPECT_THAT(r.out, HasSubstr("nvidia-230  GRID T4-1Q   14         2"));
  EXPECT_THAT(r.out, HasSubstr("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"));
}

TEST_F(VgpuctlDiscoverTest, JsonParsesBackToTheSchema) {
  const std::string root = BuildProfile("ada-vf-vgpu");
  Result r = RunVgpuctl("discover --json --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Json doc;
  ASSERT_TRUE(JsonReader(r.out).Parse(doc)) << r.out;
  EXPECT_EQ(doc["schemaVersion"].text, "1");
  EXPECT_EQ(doc["iommufd"].text, "true");
  ASSERT_EQ(doc["units"].items.size(), 1u);
  const Json& unit = doc["units"].items[0];
  EXPECT_EQ(unit["iommuGroup"].text, "40");
  EXPECT_EQ(unit["viable"].text, "false");
  EXPECT_EQ(unit["notViableReason"].text,
            "0000:81:00.0 is bound to nvidia, not vfio-pci");
  ASSERT_EQ(doc["functions"].items.size(), 12u);
  const Json& vf = doc["functions"].items[2];
  EXPECT_EQ(vf["bdf"].text, "0000:01:00.4");
  EXPECT_EQ(vf["vendorId"].text, "0x10de");
  EXPECT_EQ(vf["physfn"].text, "0000:01:00.0");
  EXPECT_EQ(vf["vfioCdev"].text, "vfio0");
  EXPECT_EQ(vf["nvidiaVgpu"]["currentType"].text, "1148");
  EXPECT_EQ(doc["functions"].items[0]["nvidiaVgpu"].kind, Json::kNull);
  EXPECT_EQ(doc["mdevParents"].kind, Json::kArray);
  EXPECT_EQ(doc["mdevs"].kind, Json::kArray);
  EXPECT_EQ(doc["problems"].kind, Json::kArray);
}

TEST_F(VgpuctlDiscoverTest, JsonOfBrokenHostCarriesProblems) {
  const std::string root = BuildProfile("broken");
  Result r = RunVgpuctl("discover --json --host-root " + root);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  Json doc;
  ASSERT_TRUE(JsonReader(r.out).Parse(doc)) << r.out;
  ASSERT_GE(doc["problems"].items.size(), 7u);
  EXPECT_EQ(doc["problems"].items[0]["object"].text, "0000:08:00.0");
  EXPECT_EQ(doc["problems"].items[0]["reason"].text,
            "vendor: id \"10de\\n\": want 0x and 4 hex digits");
  EXPECT_EQ(doc["mdevs"].items[0]["uuid"].text,
            "c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff");
}

// The layout `vgpuctl discover` met on a real cloud machine (an H200 in a
// Firecracker guest, read 2026-12-04, docs/real-hosts.md): no vIOMMU, so no
// iommu_groups and no dev/vfio; the GPU on `nvidia`, the rest virtio. The
// GPU must still be listed, with why it cannot be passed through.
TEST_F(VgpuctlDiscoverTest, GpuWithoutIommuGroupIsListedWithTheReason) {
  const std::string root = dir_.path() + "/h200-guest";
  auto host = simhost::SimHost::Create(root);
  ASSERT_THAT(host, IsOk());
  // No iommu_group link anywhere, as in the guest.
  auto add = [&](const std::string& bdf, uint16_t vendor, uint16_t device,
                 uint32_t class_code, const std::string& driver) {
    return (*host)->AddFunction(simhost::internal::Endpoint(
        bdf, vendor, device, class_code, driver, std::nullopt, -1));
  };
  ASSERT_THAT(add("0000:00:00.0", 0x8086, 0x0d57, 0x060000, ""), IsOk());
  ASSERT_THAT(add("0000:00:01.0", 0x1af4, 0x1042, 0x018000, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:02.0", 0x1af4, 0x1042, 0x018000, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:03.0", 0x1af4, 0x1041, 0x020000, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:04.0", 0x1af4, 0x1053, 0xffff00, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:05.0", 0x1af4, 0x1044, 0xffff00, "virtio-pci"),
              IsOk());
  ASSERT_THAT(add("0000:00:06.0", 0x10de, 0x2335, 0x030200, "nvidia"), IsOk());

  Result table =
      RunVgpuctl("discover --pci-ids /nonexistent --host-root " + root);
  ASSERT_EQ(table.exit_code, 0) << table.out;
  EXPECT_THAT(table.out, HasSubstr("7 PCI functions, VFIO container no"));
  EXPECT_THAT(table.out, Not(HasSubstr("no GPUs found")));
  EXPECT_THAT(table.out, Not(HasSubstr("Passthrough units")));
  EXPECT_THAT(table.out, HasSubstr("GPUs outside passthrough units:"));
  EXPECT_THAT(table.out,
              HasSubstr("0000:00:06.0  gpu   10de:2335  nvidia  -     -      "
                        "no IOMMU group: not usable for passthrough"))
      << table.out;

  Result json = RunVgpuctl("discover --json --host-root " + root);
  ASSERT_EQ(json.exit_code, 0) << json.out;
  Json doc;
  ASSERT_TRUE(JsonReader(json.out).Parse(doc)) << json.out;
  EXPECT_TRUE(doc["units"].items.empty());
  ASSERT_EQ(doc["functions"].items.size(), 7u);
  const Json& gpu = doc["functions"].items[6];
  EXPECT_EQ(gpu["role"].text, "gpu");
  EXPECT_EQ(gpu["classCode"].text, "0x030200");
  EXPECT_EQ(gpu["driver"].text, "nvidia");
  EXPECT_EQ(gpu["iommuGroup"].kind, Json::kNull);
  ASSERT_EQ(doc["problems"].items.size(), 1u);
  EXPECT_EQ(doc["problems"].items[0]["object"].text, "0000:00:06.0");
}

TEST_F(VgpuctlDiscoverTest, SaysSoWhenThereAreNoGpus) {
  ::vgpu::testing::TempDir empty;
  Result r = RunVgpuctl("discover --host-root " + empty.path());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("no GPUs found on this host"));
}

}  // namespace
}  // namespace vgpu
