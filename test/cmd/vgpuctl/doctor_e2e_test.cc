// `vgpuctl doctor` end to end: the real vgpuctl binary over simulated hosts
// (pkg/simhost trees, mutated where a fixture needs it), Kata TOML files from
// test/testdata/doctor/, CDI dirs and a device-plugin dir in a temp dir, and
// the real kubelet-emulator serving PodResources (Get on or off), and the
// real daemon where `cdi-advertised` compares its sockets with its specs.
//
// What "healthy" means per profile (docs/vgpuctl.md, "doctor"): every
// profile passes (exit 0, WARN and INFO allowed: mdev vGPUs on a Kata node
// WARN on t4-vgpu, a100-sriov, intel-gvt, large) except `workstation`, whose
// group 10 keeps its audio function on snd_hda_intel on purpose, and
// `broken`, which has no VFIO nodes: both exit 1.
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/json.h"
#include "pkg/simhost/sim_host.h"
#include "test/testing/daemon_process.h"
#include "test/testing/run_command.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::vgpuctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::CommandResult;
using ::vgpu::testing::DaemonProcess;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::ReadWholeFile;

constexpr char kGoToml[] = "configuration-qemu-nvidia-gpu.toml";
constexpr char kRsToml[] = "configuration-qemu-runtime-rs.toml";

std::string TestData(const std::string& name) {
  return absl::StrCat(VGPU_DOCTOR_TESTDATA, "/", name);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream(path) << content;
}

// Waits (inotify on the log's dir, no sleeps) until the log holds `needle`.
bool WaitForLog(const std::string& log, const std::string& needle,
                absl::Duration timeout) {
  const int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  inotify_add_watch(fd, std::filesystem::path(log).parent_path().c_str(),
                    IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE);
  const absl::Time deadline = absl::Now() + timeout;
  bool found = false;
  while (!(found = ReadWholeFile(log).find(needle) != std::string::npos)) {
    const absl::Duration left = deadline - absl::Now();
    pollfd pfd{fd, POLLIN, 0};
    if (left <= absl::ZeroDuration() ||
        poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left))) <= 0) {
      break;
    }
    char events[4096];
    if (read(fd, events, sizeof(events)) < 0) break;
  }
  close(fd);
  return found;
}

class DoctorE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(Path("plugins"));
    std::filesystem::create_directories(Path("cdi"));
  }

  std::string Path(const std::string& name) const {
    return absl::StrCat(tmp_.path(), "/", name);
  }
  std::string Root() const { return Path("host"); }
  std::string Socket() const { return Path("pod-resources.sock"); }

  // Writes `profile` under Root(), with the socket Kata's
  // pod_resource_api_sock names in place.
  simhost::SimHost& Build(const std::string& profile) {
    auto host = simhost::SimHost::Create(Root());
    EXPECT_THAT(host.status(), IsOk());
    host_ = std::move(*host);
    EXPECT_THAT(simhost::BuildProfile(*host_, profile), IsOk());
    EXPECT_THAT(
        host_->WriteRaw("var/lib/kubelet/pod-resources/kubelet.sock", ""),
        IsOk());
    return *host_;
  }

  // The kubelet emulator serving PodResources on Socket().
  void StartKubelet(bool get_enabled = true) {
    const std::string log = Path("kubelet.log");
    auto kubelet = DaemonProcess::Spawn(
        VGPU_EMULATOR_BINARY,
        {"--device-plugin-dir", Path("plugins"), "--pod-resources-socket",
         Socket(), "--wait-resources", "0", "--settle", "1ms", "--duration",
         "10m",
         get_enabled ? "--pod-resources-get=true"
                     : "--pod-resources-get=false"},
        log);
    ASSERT_THAT(kubelet.status(), IsOk());
    kubelet_ = std::move(*kubelet);
    ASSERT_TRUE(WaitForLog(log, "== kubelet sees", absl::Seconds(30)))
        << ReadWholeFile(log);
  }

  CommandResult Doctor(std::vector<std::string> extra = {},
                       const std::string& toml = kGoToml) {
    std::vector<std::string> args = {VGPUCTL_PATH,
                                     "doctor",
                                     "--host-root",
                                     Root(),
                                     "--cdi-dir",
                                     Path("cdi"),
                                     "--pod-resources-socket",
                                     Socket(),
                                     "--device-plugin-dir",
                                     Path("plugins")};
    if (!toml.empty()) {
      args.push_back("--kata-config");
      args.push_back(TestData(toml));
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto result =
        ::vgpu::testing::RunCommand(args, "", Path("out"), Path("err"));
    EXPECT_THAT(result.status(), IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  ::vgpu::testing::TempDir tmp_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<DaemonProcess> kubelet_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// Our spec files in `dir` (vgpu-device-plugin_*.json), sorted.
std::vector<std::string> OurSpecs(const std::string& dir) {
  std::vector<std::string> specs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("vgpu-device-plugin_", 0) == 0 &&
        entry.path().extension() == ".json") {
      specs.push_back(entry.path().string());
    }
  }
  std::sort(specs.begin(), specs.end());
  return specs;
}

TEST_F(DoctorE2eTest, EveryProfileAsDocumented) {
  StartKubelet();
  const std::map<std::string, int> failing = {{"workstation", 1},
                                              {"broken", 1}};
  for (const std::string& profile : simhost::ProfileNames()) {
    SCOPED_TRACE(profile);
    std::filesystem::remove_all(Root());
    Build(profile);
    CommandResult r = Doctor();
    const int want = failing.count(profile) ? 1 : 0;
    EXPECT_EQ(r.exit_code, want) << r.output << r.error;
    EXPECT_THAT(r.output, HasSubstr("PASS  pod-resources"));
    EXPECT_THAT(r.output, HasSubstr("PASS  kata-cold-plug-vfio"));
    if (want == 0) {
      EXPECT_THAT(r.output, Not(HasSubstr("FAIL")));
    }
  }
}

TEST_F(DoctorE2eTest, WorkstationFailsOnlyOnItsHalfBoundGroup) {
  StartKubelet();
  Build("workstation");
  CommandResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAIL  unit-viable             group 10 "
                                  "(0000:61:00.0): 0000:61:00.1 is on "
                                  "snd_hda_intel"));
  EXPECT_THAT(r.output, HasSubstr(" 1 failed\n"));
}

// One broken fixture per check that FAILs: exit 1 and the check's line.
TEST_F(DoctorE2eTest, EachBrokenFixtureExitsOne) {
  StartKubelet();
  struct Case {
    std::string name;
    std::string profile;
    std::string toml;
    std::string line;
  };
  const std::vector<Case> cases = {
      {"cold-plug off", "h100-hgx", "cold-plug-no-port.toml",
       "FAIL  kata-cold-plug-vfio"},
      {"hot-plug on", "h100-hgx", "hot-plug-root-port.toml",
       "FAIL  kata-hot-plug-vfio"},
      {"no pod_resource_api_sock", "h100-hgx", "no-pod-resource-sock.toml",
       "FAIL  kata-pod-resources-sock"},
      {"missing pod_resource_api_sock", "h100-hgx",
       "missing-pod-resource-sock.toml", "FAIL  kata-pod-resources-sock"},
      {"too many root ports", "h100-hgx", "too-many-root-ports.toml",
       "FAIL  kata-pcie-root-port"},
      {"bad TOML", "h100-hgx", "bad-syntax.toml", "FAIL  kata-config"},
      {"wrong TOML type", "h100-hgx", "wrong-type.toml", "FAIL  kata-config"},
      {"runtime-rs without iommufd", "a100-sriov", kRsToml,
       "FAIL  kata-rs-iommufd"},
      {"no VFIO nodes", "broken", kGoToml, "FAIL  vfio-modules"},
      {"half-bound group", "workstation", kGoToml, "FAIL  unit-viable"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::filesystem::remove_all(Root());
    Build(c.profile);
    CommandResult r = Doctor({}, c.toml);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.line));
  }
}

TEST_F(DoctorE2eTest, NoIommuGroups) {
  StartKubelet();
  Build("t4-empty");
  std::filesystem::remove_all(Root() + "/sys/kernel/iommu_groups");
  WriteFile(Root() + "/proc/cmdline", "ro quiet\n");
  CommandResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAIL  iommu-groups            no IOMMU "
                                  "groups"));
}

TEST_F(DoctorE2eTest, ConsoleGpuOnVfio) {
  StartKubelet();
  simhost::SimHost& host = Build("workstation");
  for (const char* bdf : {"0000:41:00.0", "0000:41:00.1", "0000:61:00.1"}) {
    ASSERT_THAT(host.UnbindDriver(bdf), IsOk());
    ASSERT_THAT(host.BindDriver(bdf, "vfio-pci"), IsOk());
  }
  CommandResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAIL  host-display            "
                                  "0000:41:00.0 drives the host console"));
  EXPECT_THAT(r.output, Not(HasSubstr("FAIL  unit-viable")));
}

TEST_F(DoctorE2eTest, VfioCdevAndGroupMixed) {
  StartKubelet();
  simhost::SimHost& host = Build("h100-hgx");
  simhost::FunctionSpec audio;
  audio.bdf = "0000:1b:00.1";
  audio.vendor = 0x10de;
  audio.device = 0x22a3;
  audio.class_code = 0x040300;
  audio.driver = "vfio-pci";
  audio.iommu_group = 30;
  audio.parent_bridges = host.FindFunction("0000:1b:00.0")->parent_bridges;
  ASSERT_THAT(host.AddFunction(audio), IsOk());
  CommandResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("FAIL  vfio-mode               group 30 "
                                  "(0000:1b:00.0) mixes VFIO cdev and group "
                                  "nodes"));
}

TEST_F(DoctorE2eTest, PodResourcesGetDisabledNamesTheGate) {
  StartKubelet(/*get_enabled=*/false);
  Build("h100-hgx");
  CommandResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAIL  pod-resources           the "
                                  "kubelet's PodResources Get is disabled "
                                  "(feature gate KubeletPodResourcesGet)"));
}

TEST_F(DoctorE2eTest, NoPodResourcesSocket) {
  Build("h100-hgx");
  CommandResult r = Doctor();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("FAIL  pod-resources           no "
                                  "PodResources socket at "));
}

TEST_F(DoctorE2eTest, CdiProblems) {
  StartKubelet();
  Build("h100-hgx");
  const std::string spec =
      "{\"cdiVersion\": \"0.5.0\", \"kind\": \"nvidia.com/pgpu\", "
      "\"devices\": [{\"name\": \"0000:1b:00.0\", \"containerEdits\": "
      "{\"deviceNodes\": [{\"path\": \"/dev/vfio/devices/vfio4\"}]}}]}";
  WriteFile(Path("plugins/vgpu-nvidia.com-pgpu.sock"), "");
  CommandResult no_spec = Doctor();
  EXPECT_EQ(no_spec.exit_code, 1);
  EXPECT_THAT(no_spec.output, HasSubstr("FAIL  cdi-advertised          "
                                        "vgpu-nvidia.com-pgpu.sock"));

  WriteFile(Path("cdi/vgpu-device-plugin_nvidia.com_pgpu.json"), spec);
  EXPECT_EQ(Doctor().exit_code, 0);

  WriteFile(Path("cdi/nvidia.yaml"),
            "cdiVersion: 0.5.0\nkind: nvidia.com/pgpu\ndevices:\n"
            "  - name: \"0000:1b:00.0\"\n    containerEdits:\n"
            "      deviceNodes:\n        - path: /dev/vfio/devices/vfio4\n");
  CommandResult twice = Doctor();
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.output, HasSubstr("FAIL  cdi-duplicates          "
                                      "nvidia.com/pgpu=0000:1b:00.0 is "
                                      "defined in both "));

  WriteFile(Path("cdi/nvidia.yaml"), "cdiVersion: [\n");
  CommandResult bad = Doctor();
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("FAIL  cdi-parse               invalid "
                                    "CDI spec "));
}

// The real daemon on h100-hgx: its specs list what its sockets advertise;
// once a device is taken out of its spec, the doctor names it and exits 1.
TEST_F(DoctorE2eTest, DaemonSpecsMatchWhatItAdvertises) {
  StartKubelet();
  Build("h100-hgx");
  // No rescans: the daemon must not write its spec again under the test.
  WriteFile(Path("daemon.yaml"), "version: v1\nrescanPeriod: 1h\n");
  auto daemon = DaemonProcess::Spawn(
      VGPU_DAEMON_BINARY,
      {"--host-root=" + Root(), "--device-plugin-dir=" + Path("plugins"),
       "--cdi-dir=" + Path("cdi"), "--config=" + Path("daemon.yaml"),
       "--pci-ids=" + Path("no-pci.ids"), "--pod-resources-socket=",
       "--metrics-address=", "--state-dir=" + Path("state")},
      Path("daemon.log"));
  ASSERT_THAT(daemon.status(), IsOk());
  daemon_ = std::move(*daemon);
  // The emulator prints a resource once its ListAndWatch answered; the
  // daemon writes its specs before it serves.
  ASSERT_TRUE(
      WaitForLog(Path("kubelet.log"), " healthy (endpoint ", absl::Seconds(30)))
      << ReadWholeFile(Path("kubelet.log")) << daemon_->Log();
  const std::vector<std::string> specs = OurSpecs(Path("cdi"));
  ASSERT_FALSE(specs.empty()) << daemon_->Log();

  CommandResult pass = Doctor();
  EXPECT_EQ(pass.exit_code, 0) << pass.output;
  EXPECT_THAT(pass.output, HasSubstr("PASS  cdi-advertised          "));
  EXPECT_THAT(pass.output, Not(HasSubstr("WARN  cdi-advertised")));

  absl::StatusOr<Json> spec = ParseJson(ReadWholeFile(specs[0]));
  ASSERT_THAT(spec.status(), IsOk());
  const std::string kind = (*spec)["kind"];
  const std::string removed = (*spec)["devices"][0]["name"];
  (*spec)["devices"].erase(0);
  WriteFile(specs[0], spec->dump());
  CommandResult fail = Doctor();
  EXPECT_EQ(fail.exit_code, 1) << fail.output;
  EXPECT_THAT(fail.output,
              HasSubstr(absl::StrCat("FAIL  cdi-advertised          ", kind,
                                     ": 1 advertised devices are not in its "
                                     "CDI spec (",
                                     removed, "): Kata cannot resolve them.")));
}

TEST_F(DoctorE2eTest, JsonParsesBack) {
  StartKubelet();
  Build("h100-hgx");
  CommandResult r = Doctor({"--json"});
  EXPECT_EQ(r.exit_code, 0);
  absl::StatusOr<Json> doc = ParseJson(r.output);
  ASSERT_THAT(doc.status(), IsOk());
  EXPECT_EQ((*doc)["host_root"], Root());
  EXPECT_EQ((*doc)["summary"]["fail"], 0);
  bool large_bar = false;
  for (const Json& check : (*doc)["checks"]) {
    EXPECT_TRUE(check.contains("fix"));
    if (check["check"] == "large-bar") {
      large_bar = true;
      EXPECT_EQ(check["verdict"], "INFO");
    }
  }
  EXPECT_TRUE(large_bar);
}

TEST_F(DoctorE2eTest, BadUsageExitsTwo) {
  Build("h100-hgx");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{VGPUCTL_PATH, "doctor", "--bogus"}, "unknown flag --bogus"},
      {{VGPUCTL_PATH, "doctor", "--kata-config"},
       "flag --kata-config needs a value"},
      {{VGPUCTL_PATH, "doctor", "--host-root", Path("nowhere")},
       "--host-root: "},
      {{VGPUCTL_PATH, "doctor", "extra"}, "unexpected argument \"extra\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    auto r = ::vgpu::testing::RunCommand(c.args, "", Path("out"), Path("err"));
    ASSERT_THAT(r.status(), IsOk());
    EXPECT_EQ(r->exit_code, 2);
    EXPECT_THAT(r->error, HasSubstr("vgpuctl doctor: " + c.message));
  }
}

}  // namespace
}  // namespace vgpu::vgpuctl
