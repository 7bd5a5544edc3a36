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
// Usage: daemon_bench [--runs N] [--idle SECONDS] [--daemon PATH]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cmd/common/flags.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/daemon_process.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/http_get.h"
#include "test/testing/temp_dir.h"

ABSL_FLAG(int, runs, 20, "repetitions per measurement (> 0)");
ABSL_FLAG(int, idle, 30, "seconds of idle time for the RSS and CPU figures");
ABSL_FLAG(std::string, daemon, VGPU_DAEMON_BINARY,
          "the vgpu-device-plugin binary to measure");

namespace vgpu {
namespace {

using testing::FakeKubelet;
using testing::KubeletState;

constexpr absl::Duration kWait = absl::Seconds(30);
constexpr int kSettleSeconds = 2;

struct Args {
  int runs = 20;
  int idle_seconds = 30;
  std::string daemon = VGPU_DAEMON_BINARY;
};

void Die(const std::string& what) {
  std::fprintf(stderr, "daemon_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const absl::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

// A loopback port free right now (the kernel picks it; closed again).
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("no free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string Summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return absl::StrCat("median ", absl::SixDigits(ms[ms.size() / 2]),
                      " ms, max ", absl::SixDigits(ms.back()),
                      " ms (n=", ms.size(), ")");
}

// One simulated host, one kubelet, one daemon process.
class Rig {
 public:
  Rig(const Args& args, const std::string& profile) : args_(args) {
    root_ = dir_.path() + "/root";
    plugins_ = dir_.path() + "/plugins";
    std::filesystem::create_directories(plugins_);
    auto host = simhost::SimHost::Create(root_);
    Check(host.status(), "simhost");
    host_ = *std::move(host);
    Check(simhost::BuildProfile(*host_, profile), "profile " + profile);
    kubelet_ = std::make_unique<FakeKubelet>(testing::FakeKubeletOptions{
        plugins_, dir_.path() + "/pod-resources.sock", true});
    Check(kubelet_->Start(), "kubelet");
  }

  // Spawns the daemon; returns ms until `resources` resources are listed.
  double StartDaemon(int resources) {
    absl::Time t0 = absl::Now();
    auto daemon = testing::DaemonProcess::Spawn(
        args_.daemon,
        {"--host-root=" + root_, "--device-plugin-dir=" + plugins_,
         "--cdi-dir=" + dir_.path() + "/cdi", "--log-level=warning",
         "--metrics-address=127.0.0.1:" + std::to_string(metrics_port_),
         "--pod-resources-socket=" + dir_.path() + "/pod-resources.sock"},
        dir_.path() + "/daemon.log");
    Check(daemon.status(), "spawn");
    daemon_ = *std::move(daemon);
    if (!WaitListed(resources))
      Die("daemon never registered:\n" + daemon_->Log());
    return absl::ToDoubleMilliseconds(absl::Now() - t0);
  }

  int metrics_port() const { return metrics_port_; }

  bool WaitListed(int resources) {
    return kubelet_->WaitFor(
        [&](const KubeletState& s) {
          int n = 0;
          for (const auto& [name, rs] : s) {
            n += rs.streaming && rs.updates > 0 ? 1 : 0;
          }
          return n == resources;
        },
        kWait);
  }

  void StopDaemon() {
    Check(daemon_->Signal(SIGTERM), "sigterm");
    auto code = daemon_->Wait(kWait);
    Check(code.status(), "wait");
    if (*code != 0) Die("daemon exited " + std::to_string(*code));
  }

  // ms from the host change until the kubelet sees `health` on `id`.
  double HealthChange(const std::string& resource, const std::string& id,
                      int group, bool down) {
    absl::Time t0 = absl::Now();
    Check(down ? host_->RemoveVfioGroupNode(group)
               : host_->RestoreVfioGroupNode(group),
          "vfio node");
    std::string want = down ? "Unhealthy" : "Healthy";
    bool ok = kubelet_->WaitFor(
        [&](const KubeletState& s) {
          auto it = s.find(resource);
          if (it == s.end()) return false;
          const v1beta1::Device* d = it->second.Find(id);
          return d != nullptr && d->health() == want;
        },
        kWait);
    if (!ok) Die("no health update for " + id);
    return absl::ToDoubleMilliseconds(absl::Now() - t0);
  }

  // ms from kubelet.sock re-created until every resource is listed again.
  double KubeletRestart(int resources, absl::Duration away) {
    kubelet_->StopAndCleanup();
    if (away > absl::ZeroDuration()) {
      absl::Notification never;
      never.WaitForNotificationWithTimeout(away);
    }
    absl::Time t0 = absl::Now();  // Start() binds kubelet.sock after this.
    Check(kubelet_->Start(), "kubelet start");
    if (!WaitListed(resources)) Die("not re-registered:\n" + daemon_->Log());
    return absl::ToDoubleMilliseconds(absl::Now() - t0);
  }

  // VmRSS in KiB.
  long RssKib() const {
    std::ifstream in(absl::StrCat("/proc/", daemon_->pid(), "/status"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
  }

  // Private_Clean + Private_Dirty in KiB: memory no other process shares
  // (RSS also counts the ~13 MiB of shared-library pages touched).
  long PrivateKib() const {
    std::ifstream in(absl::StrCat("/proc/", daemon_->pid(), "/smaps_rollup"));
    std::string line;
    long total = 0;
    while (std::getline(in, line)) {
      if (line.rfind("Private_", 0) == 0) {
        total += std::atol(line.c_str() + line.find(':') + 1);
      }
    }
    return total;
  }

  // utime + stime in clock ticks.
  long CpuTicks() const {
    std::ifstream in(absl::StrCat("/proc/", daemon_->pid(), "/stat"));
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string f;
    long utime = 0, stime = 0;
    for (int i = 3; fields >> f; ++i) {
      if (i == 14) utime = std::atol(f.c_str());
      if (i == 15) {
        stime = std::atol(f.c_str());
        break;
      }
    }
    return utime + stime;
  }

  simhost::SimHost& host() { return *host_; }

  // How many resources the pools make of this host (computed in-process).
  int ExpectedResources() const {
    auto sysfs = sysfs::NewHostSysfs(root_);
    Check(sysfs.status(), "sysfs");
    auto inventory = inventory::Discover(**sysfs, {});
    Check(inventory.status(), "discover");
    auto pools = resources::BuildPools(*inventory, config::Config());
    Check(pools.status(), "pools");
    return static_cast<int>(pools->pools.size());
  }

 private:
  const Args& args_;
  testing::TempDir dir_;
  std::string root_, plugins_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<FakeKubelet> kubelet_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
  const int metrics_port_ = FreeLoopbackPort();
};

void StartupAndRss(const Args& args, const std::string& profile, bool idle) {
  std::vector<double> startup;
  for (int i = 0; i < std::max(3, args.runs / 4); ++i) {
    Rig rig(args, profile);
    startup.push_back(rig.StartDaemon(rig.ExpectedResources()));
    bool last = i + 1 == std::max(3, args.runs / 4);
    if (last) {
      std::printf("%-10s start -> registered: %s\n", profile.c_str(),
                  Summary(startup).c_str());
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
  Rig rig(args, "h100-hgx");
  rig.StartDaemon(rig.ExpectedResources());
  for (int i = 0; i < args.runs; ++i) {
    restart.push_back(
        rig.KubeletRestart(rig.ExpectedResources(), absl::ZeroDuration()));
  }
  std::printf("h100-hgx   kubelet restart -> registered: %s\n",
              Summary(restart).c_str());
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
      "usage: daemon_bench [--runs N] [--idle SECONDS] [--daemon PATH]";
  line.flags = {"runs", "idle", "daemon"};
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
  vgpu::Latencies(args);
  vgpu::StartupAndRss(args, "h100-hgx", /*idle=*/false);
  vgpu::StartupAndRss(args, "large", /*idle=*/true);
  vgpu::ScrapeCost(args);
  return 0;
}
