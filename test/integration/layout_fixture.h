// The layout e2e fixture: the real `vgpu-simhost --serve` (FUSE, kernel
// semantics on writes), the FakeKubelet (Registration + PodResources), and
// the real vgpu-device-plugin with `vgpu.manage: true`, its config in a
// ConfigMap-style directory (`config.yaml -> ..data/config.yaml`, `..data`
// a symlink swapped atomically as the kubelet does). Needs /dev/fuse and
// root, as vgpuctl_layout_e2e_test.
#ifndef VGPU_TEST_INTEGRATION_LAYOUT_FIXTURE_H_
#define VGPU_TEST_INTEGRATION_LAYOUT_FIXTURE_H_

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "pkg/base/local_file.h"
#include "pkg/layout/state.h"
#include "pkg/layout/status.h"
#include "test/testing/daemon_process.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/run_command.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

extern char** environ;

namespace vgpu::testing {

inline constexpr absl::Duration kLayoutWait = absl::Seconds(60);
inline constexpr char kVgpuResource[] = "nvidia.com/vgpu";
// t4-empty: two T4s with mdev types, in PCI order.
inline constexpr char kGpu0[] = "0000:3b:00.0";
inline constexpr char kGpu1[] = "0000:d8:00.0";

// Our config with `vgpu.manage: true` and layout `layout`: t4-4q (4 T4-4Q
// per GPU), t4-4q-2 (2 per GPU), t4-4q-1 (1 per GPU), t4-mixed (GPU 0:
// 2 T4-4Q, GPU 1: 8 T4-2Q), t4-4-1 (GPU 0: 4 T4-4Q, GPU 1: 1).
inline std::string LayoutConfig(const std::string& layout) {
  return absl::StrCat(R"(version: v1
rescanPeriod: 100ms
vgpu:
  manage: true
  layout: )",
                      layout, R"(
  nodeFeatureFile: /etc/nfd/features.d/vgpu-device-plugin
  configs:
    t4-4q:
      - devices: all
        vgpu-devices: {"T4-4Q": 4}
    t4-4q-2:
      - devices: all
        vgpu-devices: {"GRID T4-4Q": 2}
    t4-4q-1:
      - devices: all
        vgpu-devices: {nvidia-232: 1}
    t4-mixed:
      - devices: [0]
        vgpu-devices: {"T4-4Q": 2}
      - devices: [1]
        vgpu-devices: {"T4-2Q": 8}
    t4-4-1:
      - devices: [0]
        vgpu-devices: {"T4-4Q": 4}
      - devices: [1]
        vgpu-devices: {"T4-4Q": 1}
)");
}

class LayoutE2eFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    daemon_.reset();  // SIGKILLs a daemon still running.
    kubelet_.reset();
    StopHost();
  }

  // Serves t4-empty on host_, starts the kubelet, writes `config` (v1).
  void SetUpAll(const std::string& config) {
    ASSERT_NO_FATAL_FAILURE(Serve());
    std::filesystem::create_directories(plugin_dir_);
    std::filesystem::create_directories(config_dir_);
    kubelet_ = std::make_unique<FakeKubelet>(
        FakeKubeletOptions{plugin_dir_, pod_resources_, true});
    ASSERT_THAT(kubelet_->Start(), IsOk());
    ASSERT_NO_FATAL_FAILURE(SwapConfig(config));
  }

  void Serve() {
    std::filesystem::create_directories(work_);
    const std::string out = work_ + "/serve.out";
    const std::string err = work_ + "/serve.err";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {VGPU_SIMHOST_BIN, "--profile", "t4-empty",
                                     "--out",          host_,       "--serve"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The simulator is the test's host, not the code under test: in the
    // TSan stage it runs without reports (libfuse's threads are not
    // instrumented); the daemon keeps the stage's TSAN_OPTIONS.
    std::vector<std::string> env = {"TSAN_OPTIONS=report_bugs=0"};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("TSAN_OPTIONS=", 0) != 0) env.push_back(*e);
    }
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&simhost_, VGPU_SIMHOST_BIN, &actions, nullptr,
                          argv.data(), envp.data()),
              0);
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_TRUE(Until([&] {
      if (::waitpid(simhost_, nullptr, WNOHANG) == simhost_) {
        simhost_ = -1;
        ADD_FAILURE() << "vgpu-simhost --serve exited (FUSE needs /dev/fuse "
                         "and root): "
                      << ReadWholeFile(err);
        return true;
      }
      return ReadWholeFile(out).find("serving " + host_) != std::string::npos;
    }));
    ASSERT_GT(simhost_, 0);
    std::filesystem::create_directories(host_ + "/etc/nfd/features.d");
  }

  // SIGTERM to the simulator, which unmounts; a forced unmount otherwise.
  void StopHost() {
    if (simhost_ <= 0) return;
    ::kill(simhost_, SIGTERM);
    int status = 0;
    const bool exited = Until(
        [&] { return ::waitpid(simhost_, &status, WNOHANG) == simhost_; });
    if (!exited) {
      ::kill(simhost_, SIGKILL);
      ::waitpid(simhost_, nullptr, 0);
    }
    ::umount2(host_.c_str(), MNT_DETACH);
    simhost_ = -1;
  }

  // Writes a new version of the ConfigMap and swaps `..data` to it.
  void SwapConfig(const std::string& text) {
    const std::string version = absl::StrCat("..v", ++config_version_);
    std::filesystem::create_directories(config_dir_ + "/" + version);
    std::ofstream(config_dir_ + "/" + version + "/config.yaml") << text;
    const std::string tmp = config_dir_ + "/..data_tmp";
    ASSERT_EQ(::symlink(version.c_str(), tmp.c_str()), 0);
    ASSERT_EQ(::rename(tmp.c_str(), (config_dir_ + "/..data").c_str()), 0);
    const std::string link = config_dir_ + "/config.yaml";
    if (!std::filesystem::is_symlink(link)) {
      ASSERT_EQ(::symlink("..data/config.yaml", link.c_str()), 0);
    }
  }

  void StartDaemon() {
    auto daemon = DaemonProcess::Spawn(
        VGPU_DAEMON_BINARY,
        {"--host-root=" + host_, "--device-plugin-dir=" + plugin_dir_,
         "--cdi-dir=" + work_ + "/cdi",
         "--config=" + config_dir_ + "/config.yaml", "--state-dir=" + state_,
         "--log-level=debug", "--pci-ids=" + work_ + "/no-pci.ids",
         "--pod-resources-socket=" + pod_resources_, "--metrics-address="},
        absl::StrCat(work_, "/daemon", ++daemon_runs_, ".log"));
    ASSERT_THAT(daemon, IsOk());
    daemon_ = *std::move(daemon);
  }

  void KillDaemon() {
    ASSERT_THAT(daemon_->Signal(SIGKILL), IsOk());
    ASSERT_THAT(daemon_->Wait(kLayoutWait), IsOk());
  }

  // Polls `done` every 20 ms for up to kLayoutWait.
  static bool Until(const std::function<bool()>& done) {
    const absl::Time deadline = absl::Now() + kLayoutWait;
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return done();
  }

  std::set<std::string> Mdevs() const {
    std::set<std::string> out;
    DIR* d = ::opendir((host_ + "/sys/bus/mdev/devices").c_str());
    if (d == nullptr) return out;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.insert(name);
    }
    ::closedir(d);
    return out;
  }

  std::set<std::string> MdevsOn(const std::string& gpu) const {
    std::set<std::string> out;
    for (const std::string& uuid : Mdevs()) {
      std::error_code ec;
      auto parent = std::filesystem::read_symlink(
          host_ + "/sys/bus/mdev/devices/" + uuid, ec);
      if (!ec && absl::StrContains(parent.string(), gpu)) out.insert(uuid);
    }
    return out;
  }

  // The IOMMU group number of an mdev.
  std::string GroupOf(const std::string& uuid) const {
    std::error_code ec;
    auto link = std::filesystem::read_symlink(
        host_ + "/sys/bus/mdev/devices/" + uuid + "/iommu_group", ec);
    return ec ? "" : link.filename().string();
  }

  // A process of the host holding `uuid`'s VFIO node open, as procfs shows
  // it: proc/<pid>/fd/<n> -> /dev/vfio/<group>.
  void HoldOpen(const std::string& pid, const std::string& uuid) {
    const std::string fd_dir = host_ + "/proc/" + pid + "/fd";
    std::filesystem::create_directories(fd_dir);
    const std::string node = "/dev/vfio/" + GroupOf(uuid);
    ASSERT_EQ(::symlink(node.c_str(), (fd_dir + "/7").c_str()), 0);
  }

  // Creates a T4-4Q by hand on `gpu` (as an operator or mdevctl would).
  void MakeByHand(const std::string& gpu, const std::string& uuid) {
    std::ofstream(host_ + "/sys/bus/pci/devices/" + gpu +
                  "/mdev_supported_types/nvidia-232/create")
        << uuid;
  }

  absl::StatusOr<layout::LayoutStatus> Status() const {
    absl::StatusOr<std::string> text = ReadLocalFile(
        absl::StrCat(state_, "/", layout::kStatusFileName), "status");
    if (!text.ok()) return text.status();
    return layout::ParseStatus(*text);
  }

  // Waits until the daemon reports `layout` in `state`.
  bool WaitForStatus(const std::string& layout, const std::string& state) {
    return Until([&] {
      absl::StatusOr<layout::LayoutStatus> s = Status();
      return s.ok() && s->layout == layout && s->state == state;
    });
  }

  // The devices the kubelet sees advertised for kVgpuResource.
  std::set<std::string> Advertised() const {
    std::set<std::string> out;
    KubeletState state = kubelet_->State();
    auto it = state.find(kVgpuResource);
    if (it == state.end()) return out;
    if (!it->second.streaming) return out;
    for (const auto& d : it->second.devices) out.insert(d.id());
    return out;
  }

  bool WaitForAdvertised(const std::set<std::string>& want) {
    return Until([&] { return Advertised() == want; });
  }

  // The ownership record (created and creating) of the state dir.
  std::set<std::string> Recorded() const {
    std::set<std::string> out;
    absl::StatusOr<std::string> text = ReadLocalFile(
        absl::StrCat(state_, "/", layout::kStateFileName), "state");
    if (!text.ok()) return out;
    absl::StatusOr<layout::OwnershipState> state = layout::ParseState(*text);
    if (!state.ok()) return out;
    for (const auto& [device, v] : state->by_device) out.insert(device);
    return out;
  }

  std::string DaemonLog() const { return daemon_ ? daemon_->Log() : ""; }

  TempDir dir_;
  const std::string work_ = dir_.path() + "/work";
  std::string host_ = dir_.path() + "/host";
  const std::string plugin_dir_ = dir_.path() + "/device-plugins";
  const std::string config_dir_ = dir_.path() + "/configmap";
  const std::string state_ = dir_.path() + "/state";
  const std::string pod_resources_ = dir_.path() + "/pod-resources.sock";
  pid_t simhost_ = -1;
  int config_version_ = 0;
  int daemon_runs_ = 0;
  std::unique_ptr<FakeKubelet> kubelet_;
  std::unique_ptr<DaemonProcess> daemon_;
};

}  // namespace vgpu::testing

#endif  // VGPU_TEST_INTEGRATION_LAYOUT_FIXTURE_H_
