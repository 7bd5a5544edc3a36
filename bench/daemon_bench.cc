// daemon_bench: the real vgpu-device-plugin binary against the kubelet
// emulator (FakeKubelet) on simulated hosts, over real unix sockets.
// Prints, each over N runs (median / max):
//   start -> every resource registered and listed,
//   health change -> ListAndWatch update (down: dev/vfio/N removed; up:
//   restored), with the default 5 s rescan, so inotify is what reacts,
//   kubelet restart (kubelet.sock re-created) -> registered again, also
//   after the kubelet was away for 3 s,
//   RSS of the daemon on `large`, idle CPU over --idle seconds,
//   one scrape of /metrics on `large` (HTTP GET round trip, p50 / p99).
// With --scaling, only the scaling table (bench/daemon_scaling.h), also
// written to --csv.
// Usage: daemon_bench [--runs N] [--idle SECONDS] [--daemon PATH]
//        daemon_bench --scaling [--csv PATH] [--max-devices N] [--runs N]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/daemon_rig.h"
#include "bench/daemon_scaling.h"
#include "cmd/common/flags.h"
#include "test/testing/daemon_process.h"
#include "test/testing/http_get.h"
#include "test/testing/temp_dir.h"

ABSL_FLAG(int, runs, 20, "repetitions per measurement (> 0)");
ABSL_FLAG(int, idle, 30, "seconds of idle time for the RSS and CPU figures");
ABSL_FLAG(std::string, daemon, VGPU_DAEMON_BINARY,
          "the vgpu-device-plugin binary to measure");
ABSL_FLAG(bool, scaling, false,
          "run only the scaling table (sizes of `large` and `passthrough`)");
ABSL_FLAG(std::string, csv, "", "--scaling: also write the table here");
ABSL_FLAG(int, max_devices, 0,
          "--scaling: leave out sizes with more devices (0 = none)");

namespace vgpu {
namespace {

using bench::Args;
using bench::Check;
using bench::Die;
using bench::kSettleSeconds;
using bench::Rig;
using bench::Summary;

// ms from spawn until `vgpu-device-plugin --version` exits: exec, dynamic
// loading, static initialisers and flag parsing, the part of start-up that
// happens before main() can time anything.
double ProcessStartMs(const Args& args) {
  testing::TempDir dir;
  absl::Time t0 = absl::Now();
  auto daemon = testing::DaemonProcess::Spawn(args.daemon, {"--version"},
                                              dir.path() + "/version.log");
  Check(daemon.status(), "spawn --version");
  auto code = (*daemon)->Wait(bench::kWait);
  Check(code.status(), "wait --version");
  if (*code != 0) Die("--version exited " + std::to_string(*code));
  return absl::ToDoubleMilliseconds(absl::Now() - t0);
}

// The phases of each line the daemon logged containing `what` ("startup:
// every resource registered total_ms=... init_ms=..."), in the order logged.
using Phases = std::vector<std::pair<std::string, double>>;
std::vector<Phases> LoggedPhases(const std::string& log,
                                 absl::string_view what) {
  std::vector<Phases> out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    size_t at = line.find(what);
    if (at == absl::string_view::npos) continue;
    Phases& phases = out.emplace_back();
    for (absl::string_view field : absl::StrSplit(line.substr(at), ' ')) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(field, absl::MaxSplits('=', 1));
      if (!absl::EndsWith(kv.first, "_ms")) continue;
      double value = 0;
      if (!absl::SimpleAtod(kv.second, &value)) continue;
      kv.first.remove_suffix(3);
      phases.emplace_back(std::string(kv.first), value);
    }
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// "name median | name median ..." over every line's phases, in the order
// the first line gives them.
std::string PhaseMedians(const std::vector<Phases>& lines) {
  std::map<std::string, std::vector<double>> values;
  for (const Phases& line : lines) {
    for (const auto& [phase, ms] : line) values[phase].push_back(ms);
  }
  std::string out;
  if (lines.empty()) return out;
  for (const auto& [phase, ms] : lines.front()) {
    absl::StrAppend(&out, out.empty() ? "" : " | ", phase, " ",
                    absl::SixDigits(Median(values[phase])));
  }
  return out;
}

// Start -> registered, with where the time goes: process start (spawn ->
// main, from --version), then each phase the daemon logs, then the
// kubelet's first list after the last registration (what is left).
void StartupAndRss(const Args& args, const std::string& profile, bool idle) {
  const int runs = std::max(3, args.runs / 4);
  std::vector<double> startup, process;
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> phases;
  for (int i = 0; i < runs; ++i) {
    process.push_back(ProcessStartMs(args));
    Rig rig(args, profile);
    startup.push_back(rig.StartDaemon(rig.ExpectedResources()));
    for (const Phases& line :
         LoggedPhases(rig.DaemonLog(), "startup: every resource registered")) {
      for (const auto& [phase, ms] : line) {
        if (phases.count(phase) == 0) order.push_back(phase);
        phases[phase].push_back(ms);
      }
    }
    bool last = i + 1 == runs;
    if (last) {
      std::printf("%-10s start -> registered: %s\n", profile.c_str(),
                  Summary(startup).c_str());
      const double total = Median(phases["total"]);
      std::string breakdown =
          absl::StrCat("process start ", absl::SixDigits(Median(process)));
      for (const std::string& phase : order) {
        if (phase == "total") continue;
        absl::StrAppend(&breakdown, " | ", phase, " ",
                        absl::SixDigits(Median(phases[phase])));
      }
      absl::StrAppend(&breakdown, " | listed ",
                      absl::SixDigits(std::max(
                          0.0, Median(startup) - Median(process) - total)));
      std::printf("%-10s phases, median ms: %s\n", profile.c_str(),
                  breakdown.c_str());
      std::printf("%-10s RSS after start: %.1f MiB (private %.1f MiB)\n",
                  profile.c_str(), rig.RssKib() / 1024.0,
                  rig.PrivateKib() / 1024.0);
      if (idle) {
        // Idle starts once the start-up tail is done: the deferred pci.ids
        // load and the rescan that names the devices run right after the
        // first publish, and are start-up work, not idle cost.
        absl::Notification never;
        never.WaitForNotificationWithTimeout(absl::Seconds(kSettleSeconds));
        long t0 = rig.CpuTicks();
        never.WaitForNotificationWithTimeout(absl::Seconds(args.idle_seconds));
        long ticks = rig.CpuTicks() - t0;
        double pct = 100.0 * ticks / sysconf(_SC_CLK_TCK) / args.idle_seconds;
        std::printf(
            "%-10s idle CPU over %d s (5 s rescan, from %d s after "
            "start): %.3f %% of a core (%ld ticks)\n",
            profile.c_str(), args.idle_seconds, kSettleSeconds, pct, ticks);
        std::printf("%-10s RSS after idle: %.1f MiB (private %.1f MiB)\n",
                    profile.c_str(), rig.RssKib() / 1024.0,
                    rig.PrivateKib() / 1024.0);
      }
    }
    rig.StopDaemon();
  }
}

// What a Prometheus scrape costs: GET /metrics over loopback, the whole
// round trip (connect, render, transfer, close), on `large`.
void ScrapeCost(const Args& args) {
  Rig rig(args, "large");
  rig.StartDaemon(rig.ExpectedResources());
  absl::Notification never;
  never.WaitForNotificationWithTimeout(absl::Seconds(kSettleSeconds));
  std::vector<double> ms;
  size_t bytes = 0;
  int samples = 0;
  for (int i = 0; i < 10 * args.runs; ++i) {
    absl::Time t0 = absl::Now();
    auto r = testing::HttpGet(rig.metrics_port(), "/metrics");
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    Check(r.status(), "GET /metrics");
    if (r->code != 200) Die("GET /metrics: HTTP " + std::to_string(r->code));
    bytes = r->body.size();
    samples = 0;
    for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
      samples += !line.empty() && line[0] != '#' ? 1 : 0;
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "large      scrape /metrics: median %s ms, p99 %s ms, max %s ms "
      "(n=%zu, %zu bytes, ~%d samples)\n",
      absl::StrCat(absl::SixDigits(ms[ms.size() / 2])).c_str(),
      absl::StrCat(absl::SixDigits(ms[ms.size() * 99 / 100])).c_str(),
      absl::StrCat(absl::SixDigits(ms.back())).c_str(), ms.size(), bytes,
      samples);
  rig.StopDaemon();
}

void Latencies(const Args& args) {
  std::vector<double> down, up, restart, away;
  {
    // Workstation: 0000:42:00.0 is IOMMU group 25 behind dev/vfio/25.
    Rig rig(args, "workstation");
    rig.StartDaemon(rig.ExpectedResources());
    for (int i = 0; i < args.runs; ++i) {
      down.push_back(
          rig.HealthChange("nvidia.com/pgpu", "0000:42:00.0", 25, true));
      up.push_back(
          rig.HealthChange("nvidia.com/pgpu", "0000:42:00.0", 25, false));
    }
    std::printf("workstation health -> update, down: %s\n",
                Summary(down).c_str());
    std::printf("workstation health -> update, up:   %s\n",
                Summary(up).c_str());
    rig.StopDaemon();
  }
  {
    // Large: the vGPU in the middle of the 512, whose mdev has its own
    // group and dev/vfio node.
    Rig rig(args, "large");
    rig.StartDaemon(rig.ExpectedResources());
    const std::vector<simhost::SimHost::MdevInfo> mdevs = rig.host().Mdevs();
    const simhost::SimHost::MdevInfo& mdev = mdevs[mdevs.size() / 2];
    std::vector<double> large_down, large_up;
    for (int i = 0; i < args.runs; ++i) {
      large_down.push_back(rig.HealthChange("nvidia.com/vgpu", mdev.uuid,
                                            mdev.iommu_group, true));
      large_up.push_back(rig.HealthChange("nvidia.com/vgpu", mdev.uuid,
                                          mdev.iommu_group, false));
    }
    std::printf("large      health -> update, down: %s\n",
                Summary(large_down).c_str());
    std::printf("large      health -> update, up:   %s\n",
                Summary(large_up).c_str());
    rig.StopDaemon();
  }
  Rig rig(args, "h100-hgx");
  rig.StartDaemon(rig.ExpectedResources());
  for (int i = 0; i < args.runs; ++i) {
    restart.push_back(
        rig.KubeletRestart(rig.ExpectedResources(), absl::ZeroDuration()));
  }
  std::printf("h100-hgx   kubelet restart -> registered: %s\n",
              Summary(restart).c_str());
  // The daemon's part, from the kubelet.sock event to the last Register;
  // the rest is inotify's delivery and the kubelet's dial and list.
  std::printf("h100-hgx   kubelet restart, daemon's phases, median ms: %s\n",
              PhaseMedians(LoggedPhases(rig.DaemonLog(),
                                        "every resource registered again"))
                  .c_str());
  for (int i = 0; i < std::max(1, args.runs / 10); ++i) {
    away.push_back(
        rig.KubeletRestart(rig.ExpectedResources(), absl::Seconds(3)));
  }
  std::printf("h100-hgx   kubelet away 3 s -> registered: %s\n",
              Summary(away).c_str());
  rig.StopDaemon();
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) {
  vgpu::cmd::CommandLine line;
  line.program = "daemon_bench";
  line.usage =
      "usage: daemon_bench [--runs N] [--idle SECONDS] [--daemon PATH]\n"
      "       daemon_bench --scaling [--csv PATH] [--max-devices N] "
      "[--runs N]";
  line.flags = {"runs", "idle", "daemon", "scaling", "csv", "max_devices"};
  if (std::optional<int> done = vgpu::cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  vgpu::Args args;
  args.runs = absl::GetFlag(FLAGS_runs);
  args.idle_seconds = absl::GetFlag(FLAGS_idle);
  args.daemon = absl::GetFlag(FLAGS_daemon);
  if (args.runs <= 0 || args.idle_seconds <= 0) {
    return vgpu::cmd::UsageError(line, "--runs and --idle must be > 0");
  }
  if (absl::GetFlag(FLAGS_scaling)) {
    vgpu::bench::RunScaling(
        args, {absl::GetFlag(FLAGS_csv), absl::GetFlag(FLAGS_max_devices)});
    return 0;
  }
  vgpu::Latencies(args);
  vgpu::StartupAndRss(args, "h100-hgx", /*idle=*/false);
  vgpu::StartupAndRss(args, "large", /*idle=*/true);
  vgpu::ScrapeCost(args);
  return 0;
}
