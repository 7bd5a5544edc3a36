// layout_daemon_bench: the daemon keeping a vGPU layout (vgpu.manage: true),
// the real vgpu-device-plugin binary against `vgpu-simhost --serve` (FUSE,
// kernel semantics on writes) and the kubelet emulator (FakeKubelet), its
// config in a ConfigMap-style directory swapped as the kubelet does (as
// test/integration/layout_fixture.h). Prints:
//   config change -> new vGPUs advertised: layout `one` (1 A100-4C per GPU)
//   swapped to `two` (--per-gpu per GPU) until ListAndWatch lists all of
//   them, and
//   back (withdraw, then remove) until the node matches `one` again;
//   idle CPU of the daemon over --idle seconds with the layout converged,
//   and of a daemon without vgpu.manage on the same host (same rescan).
// Needs /dev/fuse and root.
// Usage: layout_daemon_bench [--runs N] [--idle SECONDS] [--gpus G]
//                            [--per-gpu N]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cmd/common/flags.h"
#include "pkg/base/local_file.h"
#include "pkg/layout/status.h"
#include "test/testing/daemon_process.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/served_host.h"
#include "test/testing/temp_dir.h"

ABSL_FLAG(int, runs, 3, "config changes each way (> 0)");
ABSL_FLAG(int, idle, 60, "seconds of idle CPU measured per daemon");
ABSL_FLAG(int, gpus, 8, "GPUs of the served large-empty host (8 VFs each)");
ABSL_FLAG(int, per_gpu, 2, "A100-4C vGPUs per GPU in layout `two` (2..8)");

namespace vgpu {
namespace {

using testing::KubeletState;

constexpr absl::Duration kWait = absl::Minutes(5);
constexpr char kResource[] = "nvidia.com/vgpu";

void Die(const std::string& what) {
  std::fprintf(stderr, "layout_daemon_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const absl::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

std::string Config(const std::string& layout, bool manage, int per_gpu) {
  return absl::StrCat("version: v1\nrescanPeriod: 5s\nvgpu:\n  manage: ",
                      manage ? "true" : "false", "\n  layout: ", layout,
                      R"(
  nodeFeatureFile: ""
  configs:
    one:
      - devices: all
        vgpu-devices: {"A100-4C": 1}
    two:
      - devices: all
        vgpu-devices: {"A100-4C": )",
                      per_gpu, "}\n");
}

std::string Summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  std::string all;
  for (double v : ms) absl::StrAppend(&all, all.empty() ? "" : " ", v);
  return absl::StrCat("median ", ms[ms.size() / 2], " ms, max ", ms.back(),
                      " ms (n=", ms.size(), ": ", all, ")");
}

class Rig {
 public:
  explicit Rig(int gpus) : served_(VGPU_SIMHOST_BIN, dir_.path()) {
    Check(served_.Start("large-empty", host_,
                        {"--gpus", absl::StrCat(gpus), "--vfs", "8"},
                        /*wait_seconds=*/600),
          "serve large-empty");
    std::filesystem::create_directories(plugins_);
    std::filesystem::create_directories(config_dir_);
    kubelet_ = std::make_unique<testing::FakeKubelet>(
        testing::FakeKubeletOptions{plugins_, pod_resources_, true});
    Check(kubelet_->Start(), "kubelet");
  }

  // A new ConfigMap version, `..data` swapped to it atomically.
  void SwapConfig(const std::string& text) {
    const std::string version = absl::StrCat("..v", ++versions_);
    std::filesystem::create_directories(config_dir_ + "/" + version);
    std::ofstream(config_dir_ + "/" + version + "/config.yaml") << text;
    const std::string tmp = config_dir_ + "/..data_tmp";
    const std::string link = config_dir_ + "/config.yaml";
    if (::symlink(version.c_str(), tmp.c_str()) != 0 ||
        ::rename(tmp.c_str(), (config_dir_ + "/..data").c_str()) != 0 ||
        (!std::filesystem::is_symlink(link) &&
         ::symlink("..data/config.yaml", link.c_str()) != 0)) {
      Die("config swap failed");
    }
  }

  void StartDaemon() {
    auto daemon = testing::DaemonProcess::Spawn(
        VGPU_DAEMON_BINARY,
        {"--host-root=" + host_, "--device-plugin-dir=" + plugins_,
         "--cdi-dir=" + dir_.path() + "/cdi",
         "--config=" + config_dir_ + "/config.yaml",
         "--state-dir=" + dir_.path() + "/state",
         "--pci-ids=" + dir_.path() + "/no-pci.ids",
         "--pod-resources-socket=" + pod_resources_, "--metrics-address="},
        absl::StrCat(dir_.path(), "/daemon", ++daemons_, ".log"));
    Check(daemon.status(), "spawn daemon");
    daemon_ = *std::move(daemon);
  }

  void StopDaemon() {
    Check(daemon_->Signal(SIGTERM), "sigterm");
    Check(daemon_->Wait(kWait).status(), "wait");
  }

  size_t Advertised() const {
    KubeletState state = kubelet_->State();
    auto it = state.find(kResource);
    return it == state.end() || !it->second.streaming
               ? 0
               : it->second.devices.size();
  }

  bool Converged(const std::string& layout) const {
    absl::StatusOr<std::string> text =
        ReadLocalFile(dir_.path() + "/state/" + layout::kStatusFileName, "");
    if (!text.ok()) return false;
    absl::StatusOr<layout::LayoutStatus> s = layout::ParseStatus(*text);
    return s.ok() && s->layout == layout && s->state == layout::kStateSuccess;
  }

  // Polls every 5 ms; ms from `t0` until `done` holds.
  template <typename F>
  double Until(absl::Time t0, F done, const std::string& what) const {
    const absl::Time deadline = absl::Now() + kWait;
    while (!done()) {
      if (absl::Now() > deadline) Die(what + " timed out:\n" + daemon_->Log());
      absl::SleepFor(absl::Milliseconds(5));
    }
    return absl::ToDoubleMilliseconds(absl::Now() - t0);
  }

  // % of one core the daemon used over `seconds` (utime + stime).
  double IdleCpuPercent(int seconds) const {
    const long before = CpuTicks();
    absl::SleepFor(absl::Seconds(seconds));
    const long ticks = CpuTicks() - before;
    return 100.0 * ticks / ::sysconf(_SC_CLK_TCK) / seconds;
  }

 private:
  long CpuTicks() const {
    std::ifstream in(absl::StrCat("/proc/", daemon_->pid(), "/stat"));
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string f;
    long total = 0;
    for (int i = 3; fields >> f && i <= 15; ++i) {
      if (i >= 14) total += std::atol(f.c_str());
    }
    return total;
  }

  testing::TempDir dir_;
  const std::string host_ = dir_.path() + "/host";
  const std::string plugins_ = dir_.path() + "/plugins";
  const std::string config_dir_ = dir_.path() + "/configmap";
  const std::string pod_resources_ = dir_.path() + "/pod-resources.sock";
  testing::ServedHost served_;
  std::unique_ptr<testing::FakeKubelet> kubelet_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
  int versions_ = 0;
  int daemons_ = 0;
};

// Static, so that Die()'s std::exit() stops the daemon and the served host
// (and unmounts it) instead of leaving them running.
std::unique_ptr<Rig> g_rig;

int Main(int runs, int idle, int gpus, int per_gpu) {
  const size_t g = static_cast<size_t>(gpus);
  const size_t more = g * static_cast<size_t>(per_gpu - 1);
  g_rig = std::make_unique<Rig>(gpus);
  Rig& rig = *g_rig;
  rig.SwapConfig(Config("one", true, per_gpu));
  absl::Time t0 = absl::Now();
  rig.StartDaemon();
  double start = rig.Until(
      t0, [&] { return rig.Converged("one") && rig.Advertised() == g; },
      "start");
  std::printf("large-empty, %d GPUs x 8 VFs, rescanPeriod 5s\n", gpus);
  std::printf("start -> layout one (%zu vGPUs) created and advertised: %g ms\n",
              g, start);
  std::fflush(stdout);
  std::vector<double> grow, shrink;
  for (int i = 0; i < runs; ++i) {
    t0 = absl::Now();
    rig.SwapConfig(Config("two", true, per_gpu));
    grow.push_back(rig.Until(
        t0, [&] { return rig.Advertised() == g + more; }, "one -> two"));
    rig.Until(
        t0, [&] { return rig.Converged("two"); }, "two converged");
    t0 = absl::Now();
    rig.SwapConfig(Config("one", true, per_gpu));
    shrink.push_back(rig.Until(
        t0, [&] { return rig.Converged("one") && rig.Advertised() == g; },
        "two -> one"));
  }
  std::printf("config change one -> two: %zu new vGPUs advertised: %s\n", more,
              Summary(grow).c_str());
  std::printf("config change two -> one: %zu withdrawn and removed: %s\n", more,
              Summary(shrink).c_str());
  std::fflush(stdout);
  if (idle <= 0) return 0;
  absl::SleepFor(absl::Seconds(10));  // The start-up tail (pci.ids, rescan).
  const double managed = rig.IdleCpuPercent(idle);
  rig.StopDaemon();
  rig.SwapConfig(Config("one", false, per_gpu));
  t0 = absl::Now();
  rig.StartDaemon();
  rig.Until(
      t0, [&] { return rig.Advertised() == g; }, "unmanaged start");
  absl::SleepFor(absl::Seconds(10));
  const double plain = rig.IdleCpuPercent(idle);
  std::printf(
      "idle CPU over %d s, layout converged: vgpu.manage true %.3f %% of a "
      "core, false %.3f %%, difference %+.3f %% (goal <= +0.2 %%)\n",
      idle, managed, plain, managed - plain);
  rig.StopDaemon();
  return 0;
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) {
  vgpu::cmd::CommandLine line;
  line.program = "layout_daemon_bench";
  line.usage =
      "usage: layout_daemon_bench [--runs N] [--idle SECONDS] [--gpus G]\n"
      "                           [--per-gpu N]";
  line.flags = {"runs", "idle", "gpus", "per_gpu"};
  if (std::optional<int> done = vgpu::cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  const int runs = absl::GetFlag(FLAGS_runs);
  const int gpus = absl::GetFlag(FLAGS_gpus);
  const int per_gpu = absl::GetFlag(FLAGS_per_gpu);
  if (runs <= 0 || gpus <= 0 || absl::GetFlag(FLAGS_idle) < 0) {
    return vgpu::cmd::UsageError(line, "--runs and --gpus must be > 0");
  }
  if (per_gpu < 2 || per_gpu > 8) {
    return vgpu::cmd::UsageError(
        line, "--per-gpu must be 2..8 (one A100-4C per VF, 8 VFs per GPU)");
  }
  return vgpu::Main(runs, absl::GetFlag(FLAGS_idle), gpus, per_gpu);
}
