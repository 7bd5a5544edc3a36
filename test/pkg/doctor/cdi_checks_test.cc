// CDI checks (pkg/doctor/cdi_checks.cc): every spec parses, no qualified
// name twice (other vendors' files included), and our specs match the
// plugin sockets present, device by device. One broken fixture per check.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/doctor/doctor.h"
#include "test/pkg/doctor/doctor_fixture.h"

namespace vgpu::doctor {
namespace {

using ::testing::ElementsAre;

constexpr char kEtc[] = "/etc/cdi";
constexpr char kRun[] = "/var/run/cdi";

std::string Spec(const std::string& kind, const std::string& device) {
  return absl::StrCat("{\"cdiVersion\": \"0.5.0\", \"kind\": \"", kind,
                      "\", \"devices\": [{\"name\": \"", device,
                      "\", \"containerEdits\": {\"deviceNodes\": [{\"path\": "
                      "\"/dev/vfio/25\"}]}}]}");
}

// nvidia-ctk's YAML spec naming the same device as ours.
constexpr char kNvidiaYaml[] = R"(cdiVersion: 0.5.0
kind: nvidia.com/pgpu
devices:
  - name: "0000:42:00.0"
    containerEdits:
      deviceNodes:
        - path: /dev/vfio/25
)";

class CdiChecksTest : public ::testing::Test {
 protected:
  void AddFile(const std::string& dir, const std::string& name,
               const std::string& content) {
    const std::string path = absl::StrCat(dir, "/", name);
    cdi_.files.push_back(
        {dir, path, coldplug::ParseCdiSpecFile(content, path)});
  }

  // Our pgpu spec listing 0000:42:00.0, and its plugin socket answering
  // ListAndWatch with `advertised` (IDs, or the RPC's error).
  void PgpuSpecAndSocket(absl::StatusOr<std::vector<std::string>> advertised) {
    AddFile(kRun, "vgpu-device-plugin_nvidia.com_pgpu.json",
            Spec("nvidia.com/pgpu", "0000:42:00.0"));
    plugins_.sockets = {"vgpu-nvidia.com-pgpu.sock"};
    plugins_.advertised.emplace("vgpu-nvidia.com-pgpu.sock",
                                std::move(advertised));
  }

  std::vector<std::string> Check() {
    std::vector<Finding> out;
    CheckCdi(cdi_, plugins_, out);
    return Lines(out);
  }

  CdiInput cdi_{{kEtc, kRun}, {}, {}};
  DevicePluginDirInput plugins_{
      "/var/lib/kubelet/device-plugins", absl::OkStatus(), {}, {}};
};

TEST_F(CdiChecksTest, OurSpecWithItsSocketPasses) {
  PgpuSpecAndSocket(std::vector<std::string>{"0000:42:00.0"});
  EXPECT_THAT(Check(),
              ElementsAre("PASS  cdi-parse               1 CDI spec files "
                          "parse (/etc/cdi, /var/run/cdi)",
                          "PASS  cdi-duplicates          1 CDI device names, "
                          "none defined twice",
                          "PASS  cdi-advertised          1 devices advertised "
                          "by 1 plugin sockets, each in its CDI spec"));
}

TEST_F(CdiChecksTest, AdvertisedDeviceMissingFromSpecFails) {
  PgpuSpecAndSocket(std::vector<std::string>{"0000:42:00.0", "0000:43:00.0"});
  EXPECT_THAT(Check()[2],
              "FAIL  cdi-advertised          nvidia.com/pgpu: 1 advertised "
              "devices are not in its CDI spec (0000:43:00.0): Kata cannot "
              "resolve them. Fix: restart the daemon (it writes its specs "
              "again); if they stay missing, read its log for the CDI write "
              "error");
}

TEST_F(CdiChecksTest, SpecDeviceNotAdvertisedIsInfo) {
  PgpuSpecAndSocket(std::vector<std::string>{});
  const std::vector<std::string> lines = Check();
  EXPECT_THAT(
      std::vector<std::string>(lines.begin() + 2, lines.end()),
      ElementsAre("INFO  cdi-advertised          nvidia.com/pgpu: 1 devices "
                  "in its CDI spec are not advertised (0000:42:00.0): the "
                  "daemon keeps a withdrawn device's entry while the device "
                  "exists, so a pod that holds it starts.",
                  "PASS  cdi-advertised          0 devices advertised by 1 "
                  "plugin sockets, each in its CDI spec"));
}

TEST_F(CdiChecksTest, SocketThatDoesNotAnswerWarns) {
  PgpuSpecAndSocket(absl::UnavailableError("ListAndWatch: failed to connect"));
  EXPECT_THAT(Check()[2],
              "WARN  cdi-advertised          vgpu-nvidia.com-pgpu.sock does "
              "not answer (ListAndWatch: failed to connect): its devices are "
              "not compared with "
              "/var/run/cdi/vgpu-device-plugin_nvidia.com_pgpu.json. Fix: "
              "check that the daemon runs (its log), then run the doctor "
              "again");
}

TEST(CheckAdvertisedDevicesTest, NamesFiveIdsThenCounts) {
  std::vector<Finding> out;
  CheckAdvertisedDevices(
      {{"nvidia.com/vgpu", {"a1", "a2", "a3", "a4", "a5", "a6", "a7"}}}, {},
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(FormatFinding(out[0]),
            "FAIL  cdi-advertised          nvidia.com/vgpu: 7 advertised "
            "devices are not in its CDI spec (a1, a2, a3, a4, a5, and 2 "
            "more): Kata cannot resolve them. Fix: restart the daemon (it "
            "writes its specs again); if they stay missing, read its log for "
            "the CDI write error");
}

TEST_F(CdiChecksTest, InvalidSpecFails) {
  AddFile(kEtc, "broken.json", "{\"cdiVersion\": \"0.5.0\", \"kind\": ");
  EXPECT_THAT(Check()[0],
              ::testing::MatchesRegex(
                  "FAIL  cdi-parse               /etc/cdi/broken.json: .*: "
                  "Kata fails every sandbox while one spec in its CDI dirs is "
                  "invalid. Fix: fix or remove /etc/cdi/broken.json"));
}

TEST_F(CdiChecksTest, InvalidYamlSpecFails) {
  AddFile(kEtc, "nvidia.yaml", "cdiVersion: 0.5.0\nkind: [\n");
  EXPECT_THAT(Check()[0], ::testing::StartsWith(
                              "FAIL  cdi-parse               invalid CDI spec "
                              "/etc/cdi/nvidia.yaml: "));
}

TEST_F(CdiChecksTest, SameNameTwiceInOneDirFails) {
  AddFile(kRun, "nvidia.yaml", kNvidiaYaml);
  AddFile(kRun, "vgpu-device-plugin_nvidia.com_pgpu.json",
          Spec("nvidia.com/pgpu", "0000:42:00.0"));
  plugins_.sockets = {"vgpu-nvidia.com-pgpu.sock"};
  EXPECT_THAT(Check()[1],
              "FAIL  cdi-duplicates          nvidia.com/pgpu=0000:42:00.0 is "
              "defined in both /var/run/cdi/nvidia.yaml and "
              "/var/run/cdi/vgpu-device-plugin_nvidia.com_pgpu.json: Kata's "
              "CDI cache rejects the conflict. Fix: remove it from one of "
              "them (nvidia-ctk cdi generate writes /etc/cdi/nvidia.yaml)");
}

TEST_F(CdiChecksTest, SameNameInTwoDirsWarns) {
  AddFile(kEtc, "nvidia.yaml", kNvidiaYaml);
  AddFile(kRun, "vgpu-device-plugin_nvidia.com_pgpu.json",
          Spec("nvidia.com/pgpu", "0000:42:00.0"));
  plugins_.sockets = {"vgpu-nvidia.com-pgpu.sock"};
  EXPECT_THAT(Check()[1],
              "WARN  cdi-duplicates          nvidia.com/pgpu=0000:42:00.0 is "
              "defined in both /etc/cdi/nvidia.yaml and "
              "/var/run/cdi/vgpu-device-plugin_nvidia.com_pgpu.json: the "
              "later dir's definition wins. Fix: remove it from one of them "
              "(nvidia-ctk cdi generate writes /etc/cdi/nvidia.yaml)");
}

TEST_F(CdiChecksTest, AdvertisedResourceWithoutSpecFails) {
  plugins_.sockets = {"vgpu-nvidia.com-pgpu.sock"};
  EXPECT_THAT(Check()[2],
              "FAIL  cdi-advertised          vgpu-nvidia.com-pgpu.sock "
              "advertises a resource but no vgpu-device-plugin_*.json spec in "
              "/etc/cdi, /var/run/cdi lists its devices: Kata cannot resolve "
              "them. Fix: run the daemon with a --cdi-dir that is one of "
              "Kata's CDI dirs (/var/run/cdi, /etc/cdi)");
}

TEST_F(CdiChecksTest, SpecWithoutSocketIsStale) {
  AddFile(kRun, "vgpu-device-plugin_nvidia.com_pgpu.json",
          Spec("nvidia.com/pgpu", "0000:42:00.0"));
  EXPECT_THAT(Check()[2],
              "WARN  cdi-advertised          "
              "/var/run/cdi/vgpu-device-plugin_nvidia.com_pgpu.json lists 1 "
              "devices of nvidia.com/pgpu but no plugin socket "
              "vgpu-nvidia.com-pgpu.sock advertises them: a stale spec. Fix: "
              "rm /var/run/cdi/vgpu-device-plugin_nvidia.com_pgpu.json (a "
              "running daemon writes its specs again)");
}

TEST_F(CdiChecksTest, UnlistablePluginDirWarns) {
  plugins_.listed = absl::NotFoundError("list /x: No such file or directory");
  EXPECT_THAT(Check()[2],
              "WARN  cdi-advertised          cannot list the device-plugin "
              "dir: list /x: No such file or directory. Fix: pass "
              "--device-plugin-dir (the kubelet's root dir + "
              "/device-plugins)");
}

}  // namespace
}  // namespace vgpu::doctor
