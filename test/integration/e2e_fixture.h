// The e2e fixture: a simulated host (SimHost profile) in a temp dir, the
// FakeKubelet on a plugin dir next to it, and the REAL vgpu-device-plugin
// binary (VGPU_DAEMON_BINARY) run as a child process against both.
#ifndef VGPU_TEST_INTEGRATION_E2E_FIXTURE_H_
#define VGPU_TEST_INTEGRATION_E2E_FIXTURE_H_

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/daemon_process.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::testing {

inline constexpr absl::Duration kE2eWait = absl::Seconds(20);

class E2eTest : public ::testing::Test {
 protected:
  // Builds the host for `profile` and starts the kubelet (not the daemon).
  // Everything lives under <temp>/<profile>, so one test may use several.
  void SetUpHost(const std::string& profile) {
    work_ = dir_.path() + "/" + profile;
    root_ = work_ + "/root";
    plugin_dir_ = work_ + "/device-plugins";
    std::filesystem::create_directories(plugin_dir_);
    auto host = simhost::SimHost::Create(root_);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    ASSERT_THAT(simhost::BuildProfile(*host_, profile), IsOk());
    // Short rescans: sysfs (driver unbind) has no inotify.
    std::ofstream(work_ + "/config.yaml")
        << "version: v1\nrescanPeriod: 100ms\n";
    kubelet_ = std::make_unique<FakeKubelet>(
        FakeKubeletOptions{plugin_dir_, work_ + "/pod-resources.sock", true});
    ASSERT_THAT(kubelet_->Start(), IsOk());
  }

  std::vector<std::string> DaemonArgs() const {
    return {"--host-root=" + root_,
            "--device-plugin-dir=" + plugin_dir_,
            "--cdi-dir=" + work_ + "/cdi",
            "--config=" + work_ + "/config.yaml",
            "--log-level=debug",
            "--pci-ids=" + work_ + "/no-pci.ids",
            "--pod-resources-socket=" + work_ + "/pod-resources.sock",
            "--metrics-address=" + metrics_address_};
  }

  void StartDaemon() {
    auto daemon = DaemonProcess::Spawn(VGPU_DAEMON_BINARY, DaemonArgs(),
                                       work_ + "/daemon.log");
    ASSERT_THAT(daemon, IsOk());
    daemon_ = *std::move(daemon);
  }

  // SIGTERM, expect exit 0.
  void StopDaemon() {
    ASSERT_THAT(daemon_->Signal(SIGTERM), IsOk());
    auto code = daemon_->Wait(kE2eWait);
    ASSERT_THAT(code, IsOk()) << daemon_->Log();
    EXPECT_EQ(*code, 0) << daemon_->Log();
  }

  // What the pools say about the host now, computed in-process.
  resources::PoolSet ExpectedPools() {
    auto sysfs = sysfs::NewHostSysfs(root_);
    EXPECT_THAT(sysfs, IsOk());
    auto inventory = inventory::Discover(**sysfs, {});
    EXPECT_THAT(inventory, IsOk());
    auto pools = resources::BuildPools(*inventory, config::Config());
    EXPECT_THAT(pools, IsOk());
    return pools.ok() ? *pools : resources::PoolSet();
  }

  // Waits until the kubelet sees exactly `pools` (IDs, health, NUMA). With
  // no pools (a host with nothing to advertise), until the daemon has
  // logged its start.
  bool WaitForPools(const resources::PoolSet& pools) {
    if (pools.pools.empty()) {
      const absl::Time deadline = absl::Now() + kE2eWait;
      while (absl::Now() < deadline) {
        if (absl::StrContains(daemon_->Log(), "effective config")) return true;
        absl::SleepFor(absl::Milliseconds(20));
      }
      return false;
    }
    return kubelet_->WaitFor(
        [&](const KubeletState& state) { return Matches(state, pools); },
        kE2eWait);
  }

  static bool Matches(const KubeletState& state,
                      const resources::PoolSet& pools) {
    for (const resources::Pool& pool : pools.pools) {
      auto it = state.find(pool.resource_name);
      if (it == state.end() || !it->second.streaming ||
          it->second.Count() != static_cast<int>(pool.devices.size())) {
        return false;
      }
      for (const resources::PoolDevice& d : pool.devices) {
        const v1beta1::Device* seen = it->second.Find(d.id);
        if (seen == nullptr || (seen->health() == "Healthy") != d.healthy ||
            (d.numa_node >= 0) != (seen->topology().nodes_size() == 1) ||
            (d.numa_node >= 0 &&
             seen->topology().nodes(0).id() != d.numa_node)) {
          return false;
        }
      }
    }
    return true;
  }

  std::string Health(const std::string& resource, const std::string& id) {
    KubeletState state = kubelet_->State();
    const v1beta1::Device* d = state[resource].Find(id);
    return d == nullptr ? "absent" : d->health();
  }

  bool WaitForHealth(const std::string& resource, const std::string& id,
                     const std::string& health) {
    return kubelet_->WaitFor(
        [&](const KubeletState& state) {
          auto it = state.find(resource);
          if (it == state.end()) return false;
          const v1beta1::Device* d = it->second.Find(id);
          return d != nullptr && d->health() == health;
        },
        kE2eWait);
  }

  std::vector<std::string> PluginSockets() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(plugin_dir_)) {
      std::string name = e.path().filename().string();
      if (name.rfind("vgpu-", 0) == 0) out.push_back(name);
    }
    return out;
  }

  TempDir dir_;
  std::string work_;
  std::string root_;
  std::string plugin_dir_;
  // Off by default: its listener takes up to 2 s to stop.
  std::string metrics_address_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<FakeKubelet> kubelet_;
  std::unique_ptr<DaemonProcess> daemon_;
};

}  // namespace vgpu::testing

#endif  // VGPU_TEST_INTEGRATION_E2E_FIXTURE_H_
