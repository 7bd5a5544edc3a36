// The fixture of the `vgpuctl plan` / `vgpuctl apply` end-to-end tests: the
// real vgpuctl binary against the real `vgpu-simhost --serve` (FUSE, kernel
// semantics, fault hooks), with layouts in vgpu-device-manager's format.
// Needs /dev/fuse and root, as simhost_serve_test.
#ifndef VGPU_TEST_CMD_VGPUCTL_LAYOUT_E2E_FIXTURE_H_
#define VGPU_TEST_CMD_VGPUCTL_LAYOUT_E2E_FIXTURE_H_

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/run_command.h"
#include "test/testing/served_host.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::vgpuctl {

using ::vgpu::testing::CommandResult;

inline constexpr char kLayouts[] = R"(version: v1
vgpu-configs:
  t4-4q:
    - devices: all
      vgpu-devices:
        "T4-4Q": 4
  t4-mixed:
    - devices: [0]
      vgpu-devices:
        "GRID T4-4Q": 2
    - devices: [1]
      vgpu-devices:
        nvidia-232: 4
  a100:
    - devices: all
      vgpu-devices:
        "A100-4C": 1
  t4-1q:
    - devices: all
      vgpu-devices:
        "T4-1Q": 4
  ampere:
    - devices: [0]
      vgpu-devices:
        "A100-4C": 2
    - devices: [1]
      vgpu-devices:
        "NVIDIA A10-4Q": 2
  ada:
    - devices: [0]
      vgpu-devices:
        "L40S-2Q": 4
  gvt-8:
    - devices: all
      vgpu-devices:
        GVTg_V5_8: 2
  large:
    - devices: all
      vgpu-devices:
        "A100-4C": 4
  gvt-4:
    - devices: all
      vgpu-devices:
        i915-GVTg_V5_4: 2
  t4-gpu0-none:
    - devices: [0]
      vgpu-devices: {}
  ada-all:
    - devices: all
      vgpu-devices:
        "L40S-2Q": 4
  ada-2:
    - devices: [0]
      vgpu-devices:
        "L40S-2Q": 2
  ada-gpu1:
    - devices: [1]
      vgpu-devices:
        "L40S-2Q": 2
  ada-a10:
    - devices: [1]
      vgpu-devices:
        "A10-4Q": 1
)";

inline std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") out.insert(name);
  }
  ::closedir(d);
  return out;
}

class LayoutE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { std::ofstream(layouts_) << kLayouts; }

  // Serves `profile` on host_.
  void Serve(const std::string& profile,
             const std::vector<std::string>& extra = {}) {
    // Up to 60 s: it returns once serving, and a loaded machine can take
    // longer than the default 10 s to write and mount a profile.
    ASSERT_THAT(served_.Start(profile, host_, extra, /*wait_seconds=*/60),
                ::vgpu::testing::IsOk());
  }
  // SIGTERM; true if it exited 0.
  bool Stop() { return served_.Stop() == 0; }

  CommandResult Vgpuctl(const std::string& command, const std::string& layout,
                        std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {VGPUCTL_PATH,
                                     command,
                                     "--host-root",
                                     host_,
                                     "--vgpu-config-file",
                                     layouts_,
                                     "--layout",
                                     layout,
                                     "--state-dir",
                                     state_,
                                     "--pod-resources-socket",
                                     tmp_.path() + "/no-kubelet.sock"};
    args.insert(args.end(), extra.begin(), extra.end());
    absl::StatusOr<CommandResult> result = ::vgpu::testing::RunCommand(
        args, "", tmp_.path() + "/out", tmp_.path() + "/err");
    EXPECT_THAT(result.status(), ::vgpu::testing::IsOk());
    return result.ok() ? *result : CommandResult{};
  }

  std::set<std::string> Mdevs() {
    return ListDir(host_ + "/sys/bus/mdev/devices");
  }

  // Writes `text` to the simulator's fault hook `hook` (fuse_server.h).
  bool Hook(const std::string& hook, const std::string& text) {
    std::ofstream out(host_ + "/.vgpu-simhost/" + hook);
    out << text;
    out.flush();
    return out.good();
  }

  // `path` under host_ without symlinks, relative: what the race hook takes.
  std::string RealRelative(const std::string& path) {
    char real[PATH_MAX];
    if (::realpath((host_ + "/" + path).c_str(), real) == nullptr) return "";
    return std::string(real).substr(host_.size() + 1);
  }

  ::vgpu::testing::TempDir tmp_;
  std::string host_ = tmp_.path() + "/host";
  const std::string state_ = tmp_.path() + "/state";
  const std::string layouts_ = tmp_.path() + "/layouts.yaml";
  ::vgpu::testing::ServedHost served_{VGPU_SIMHOST_BIN, tmp_.path()};
};

}  // namespace vgpu::vgpuctl

#endif  // VGPU_TEST_CMD_VGPUCTL_LAYOUT_E2E_FIXTURE_H_
