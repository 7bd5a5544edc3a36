// The rig the daemon benchmarks share: one simulated host, one kubelet
// emulator (FakeKubelet) and the real vgpu-device-plugin binary as a child
// process, over real unix sockets in a temp dir; and the small helpers they
// print with. Benchmarks only (never tests): a failure ends the program.
#ifndef VGPU_BENCH_DAEMON_RIG_H_
#define VGPU_BENCH_DAEMON_RIG_H_

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
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/daemon_process.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/temp_dir.h"

namespace vgpu::bench {

using testing::FakeKubelet;
using testing::KubeletState;

inline constexpr absl::Duration kWait = absl::Seconds(30);
inline constexpr int kSettleSeconds = 2;

struct Args {
  int runs = 20;
  int idle_seconds = 30;
  std::string daemon;  // The vgpu-device-plugin binary.
};

inline void Die(const std::string& what) {
  std::fprintf(stderr, "daemon_bench: %s\n", what.c_str());
  std::exit(1);
}

inline void Check(const absl::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

// A loopback port free right now (the kernel picks it; closed again).
inline int FreeLoopbackPort() {
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

inline std::string Summary(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return absl::StrCat("median ", absl::SixDigits(ms[ms.size() / 2]),
                      " ms, max ", absl::SixDigits(ms.back()),
                      " ms (n=", ms.size(), ")");
}

// One simulated host, one kubelet, one daemon process.
class Rig {
 public:
  Rig(const Args& args, const std::string& profile,
      const simhost::ProfileOptions& options = {})
      : args_(args) {
    root_ = dir_.path() + "/root";
    plugins_ = dir_.path() + "/plugins";
    std::filesystem::create_directories(plugins_);
    auto host = simhost::SimHost::Create(root_);
    Check(host.status(), "simhost");
    host_ = *std::move(host);
    Check(simhost::BuildProfile(*host_, profile, options),
          "profile " + profile);
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
         "--cdi-dir=" + cdi_dir_.path(), "--log-level=info",
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
  // What the daemon logged so far (info level, as deployed).
  std::string DaemonLog() const { return daemon_->Log(); }

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
  FakeKubelet& kubelet() { return *kubelet_; }
  const std::string& root() const { return root_; }
  const std::string& plugin_dir() const { return plugins_; }

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
  // The CDI dir on tmpfs, as deployed: /var/run/cdi is /run/cdi, a tmpfs,
  // where the spec's fsyncs cost nothing (on ext4 they cost ~10 ms each).
  testing::TempDir cdi_dir_{"/dev/shm"};
  std::string root_, plugins_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<FakeKubelet> kubelet_;
  std::unique_ptr<testing::DaemonProcess> daemon_;
  const int metrics_port_ = FreeLoopbackPort();
};

}  // namespace vgpu::bench

#endif  // VGPU_BENCH_DAEMON_RIG_H_
