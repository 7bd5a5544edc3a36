// The Daemon in-process (no main()): readiness, liveness, kubelet restart
// and Stop, against a SimHost and the FakeKubelet.
#include "pkg/daemon/daemon.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/logging.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/simhost/sim_host.h"
#include "prometheus/registry.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::daemon {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::FakeKubelet;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

constexpr absl::Duration kWait = absl::Seconds(20);

bool Eventually(const std::function<bool()>& cond) {
  absl::Time deadline = absl::Now() + kWait;
  absl::Notification never;
  while (!cond()) {
    if (absl::Now() > deadline) return false;
    never.WaitForNotificationWithTimeout(absl::Milliseconds(2));
  }
  return true;
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/root";
    plugins_ = dir_.path() + "/plugins";
    std::filesystem::create_directories(plugins_);
    auto host = simhost::SimHost::Create(root_);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    ASSERT_THAT(simhost::BuildProfile(*host_, "h100-hgx"), IsOk());
    kubelet_ = std::make_unique<FakeKubelet>(
        testing::FakeKubeletOptions{plugins_, "", true});
    ASSERT_THAT(kubelet_->Start(), IsOk());
  }

  DaemonOptions Options() {
    DaemonOptions o;
    o.host_root = root_;
    o.device_plugin_dir = plugins_ + "/";  // Trailing slash is tolerated.
    o.cdi_dir = dir_.path() + "/cdi";
    o.pci_ids_path = dir_.path() + "/none";
    o.metrics_address = "";
    o.pod_resources_socket = "";
    return o;
  }

  testing::TempDir dir_;
  std::string root_, plugins_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<FakeKubelet> kubelet_;
};

TEST_F(DaemonTest, ReadyOnceEveryPoolRegisteredThenStops) {
  Daemon daemon(Options());
  EXPECT_FALSE(daemon.Ready());
  absl::Status result = absl::UnknownError("not run");
  std::thread run([&] { result = daemon.Run(); });
  EXPECT_TRUE(Eventually([&] { return daemon.Ready(); }));
  EXPECT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  EXPECT_TRUE(kubelet_->WaitForDevices("nvidia.com/nvswitch", 4, kWait));
  EXPECT_TRUE(Eventually(
      [&] { return daemon.LastLoopTick() != absl::InfinitePast(); }));
  daemon.Stop();
  run.join();
  EXPECT_THAT(result, IsOk());
  struct stat st;
  EXPECT_NE(::stat((plugins_ + "/vgpu-nvidia.com-pgpu.sock").c_str(), &st), 0);
}

// Where start-up time goes: one line once every resource is registered,
// with the phases in the order they ran (daemon_bench reads it), and not
// again after a kubelet restart.
TEST_F(DaemonTest, LogsTheStartupPhasesOnceEveryResourceIsRegistered) {
  const std::string log_path = dir_.path() + "/log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  logging::SetOutputFdForTest(fd);
  DaemonOptions options = Options();
  options.started_at = absl::Now() - absl::Milliseconds(500);
  Daemon daemon(options);
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  EXPECT_TRUE(Eventually([&] { return daemon.Ready(); }));
  ASSERT_THAT(kubelet_->Restart(), IsOk());
  EXPECT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  daemon.Stop();
  run.join();
  logging::SetOutputFdForTest(2);
  ::close(fd);
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string log = text.str();
  const std::string what = "startup: every resource registered";
  ASSERT_THAT(log, HasSubstr(what));
  EXPECT_EQ(log.find(what), log.rfind(what)) << log;
  std::string line = log.substr(log.find(what));
  line = line.substr(0, line.find('\n'));
  EXPECT_THAT(line, ::testing::MatchesRegex(
                        ".* total_ms=[0-9.e+-]+ init_ms=[0-9.e+-]+ "
                        "observability_ms=[0-9.e+-]+ setup_ms=[0-9.e+-]+ "
                        "discovery_ms=[0-9.e+-]+ pools_ms=[0-9.e+-]+ "
                        "cdi_ms=[0-9.e+-]+ serve_ms=[0-9.e+-]+ "
                        "register_ms=[0-9.e+-]+"));
  // Timed from started_at: the half second before Run() is init's.
  double total = 0, init = 0;
  ASSERT_TRUE(absl::SimpleAtod(
      line.substr(
          line.find("total_ms=") + 9,
          line.find(' ', line.find("total_ms=")) - line.find("total_ms=") - 9),
      &total));
  ASSERT_TRUE(absl::SimpleAtod(
      line.substr(
          line.find("init_ms=") + 8,
          line.find(' ', line.find("init_ms=")) - line.find("init_ms=") - 8),
      &init));
  EXPECT_GE(init, 500);
  EXPECT_GE(total, init);
}

TEST_F(DaemonTest, ReRegistersAfterKubeletRestartAndSighupRestart) {
  Daemon daemon(Options());
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  ASSERT_THAT(kubelet_->Restart(), IsOk());
  EXPECT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  EXPECT_TRUE(kubelet_->WaitForDevices("nvidia.com/nvswitch", 4, kWait));
  daemon.RequestRestart();
  EXPECT_TRUE(kubelet_->WaitFor(
      [](const testing::KubeletState& s) {
        auto it = s.find("nvidia.com/pgpu");
        return it != s.end() && it->second.registrations == 2 &&
               it->second.streaming && it->second.Count() == 8;
      },
      kWait));
  daemon.Stop();
  run.join();
}

// Per-model naming reads pci.ids before the first scan, keeping only the
// vendors that name resources; the names must still come out right.
TEST_F(DaemonTest, PerModelNamesFromAVendorFilteredPciIds) {
  const std::string ids_path = dir_.path() + "/pci.ids";
  std::ofstream(ids_path) << "10de  NVIDIA Corporation\n"
                             "\t2330  GH100 [H100 SXM5 80GB]\n"
                             "\t22a3  GH100 [H100 NVSwitch]\n"
                             "1234  Some NIC vendor\n"
                             "\t0001  a NIC\n";
  DaemonOptions options = Options();
  options.pci_ids_path = ids_path;
  options.config.naming = config::Naming::kPerModel;
  Daemon daemon(options);
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  EXPECT_TRUE(
      kubelet_->WaitForDevices("nvidia.com/GH100_H100_SXM5_80GB", 8, kWait));
  daemon.Stop();
  run.join();
}

uint64_t DiscoveryCount(Daemon& daemon) {
  for (const auto& family : daemon.metrics().registry()->Collect()) {
    if (family.name != "vgpu_device_plugin_discovery_duration_seconds") {
      continue;
    }
    uint64_t count = 0;
    for (const auto& metric : family.metric) {
      count += metric.histogram.sample_count;
    }
    return count;
  }
  return 0;
}

// The periodic rescan runs a full discovery only when the host signature
// changed: idle, the count stays at the start's; a driver unbind (no inotify
// event) is still picked up, by the signature (the every-Nth-period safety
// net is off here).
TEST_F(DaemonTest, PeriodicRescanDiscoversOnlyWhenTheHostChanged) {
  DaemonOptions options = Options();
  options.config.rescan_period = absl::Milliseconds(100);
  options.full_rescan_every = 1 << 30;
  Daemon daemon(options);
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  ASSERT_TRUE(Eventually([&] { return daemon.Ready(); }));
  const uint64_t at_start = DiscoveryCount(daemon);
  absl::SleepFor(absl::Milliseconds(1000));  // ~10 periods.
  const uint64_t idle = DiscoveryCount(daemon);
  EXPECT_LE(idle - at_start, 1u) << "idle periods ran full discoveries";
  // The ConnectX NIC unbound from mlx5_core: no VFIO node changes, so no
  // event on any watched path; only the signature can see it.
  ASSERT_THAT(host_->UnbindDriver("0000:2a:00.0"), IsOk());
  EXPECT_TRUE(Eventually([&] { return DiscoveryCount(daemon) > idle; }));
  daemon.Stop();
  run.join();
}

// The unhealthy devices the kubelet sees, "resource device" each.
std::vector<std::string> UnhealthyDevices(const testing::KubeletState& s) {
  std::vector<std::string> out;
  for (const auto& [resource, state] : s) {
    for (const v1beta1::Device& d : state.devices) {
      if (d.health() != "Healthy") out.push_back(resource + " " + d.id());
    }
  }
  return out;
}

// A VFIO node event is handled by re-reading that node and its group alone:
// exactly its device changes health, and no full discovery runs (the rescan
// period is an hour away). A GPU unbound from vfio-pci (its cdev goes too)
// is more than a health change: that event takes a full discovery.
TEST_F(DaemonTest, VfioNodeEventUpdatesOnlyItsDeviceWithoutDiscovery) {
  DaemonOptions options = Options();
  options.config.rescan_period = absl::Hours(1);
  Daemon daemon(options);
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  ASSERT_TRUE(Eventually([&] { return daemon.Ready(); }));
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  // h100-hgx is an iommufd host: 0000:1b:00.0's handle is its cdev.
  const std::string gpu = "nvidia.com/pgpu 0000:1b:00.0";
  const uint64_t at_start = DiscoveryCount(daemon);
  ASSERT_THAT(host_->RemoveRaw("dev/vfio/devices/vfio0"), IsOk());
  EXPECT_TRUE(kubelet_->WaitFor(
      [&](const testing::KubeletState& s) {
        return UnhealthyDevices(s) == std::vector<std::string>{gpu};
      },
      kWait));
  ASSERT_THAT(host_->WriteRaw("dev/vfio/devices/vfio0", ""), IsOk());
  EXPECT_TRUE(kubelet_->WaitFor(
      [&](const testing::KubeletState& s) {
        return s.count("nvidia.com/pgpu") != 0 && UnhealthyDevices(s).empty();
      },
      kWait));
  EXPECT_EQ(DiscoveryCount(daemon), at_start);
  ASSERT_THAT(host_->UnbindDriver("0000:1b:00.0"), IsOk());
  EXPECT_TRUE(kubelet_->WaitFor(
      [&](const testing::KubeletState& s) {
        return UnhealthyDevices(s) == std::vector<std::string>{gpu};
      },
      kWait));
  // Its cdev goes first: that event alone may be handled before the driver
  // link goes, and the group node's event then finds the unbind.
  EXPECT_TRUE(Eventually([&] { return DiscoveryCount(daemon) > at_start; }));
  daemon.Stop();
  run.join();
}

// After a node event handled alone, the periodic check's signature knows
// the nodes as read: it does not run a full discovery for them again.
TEST_F(DaemonTest, PeriodicRescanDoesNotRediscoverANodeEventsChange) {
  DaemonOptions options = Options();
  options.config.rescan_period = absl::Milliseconds(100);
  options.full_rescan_every = 1 << 30;
  Daemon daemon(options);
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  ASSERT_TRUE(Eventually([&] { return daemon.Ready(); }));
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  const uint64_t at_start = DiscoveryCount(daemon);
  ASSERT_THAT(host_->RemoveRaw("dev/vfio/devices/vfio0"), IsOk());
  EXPECT_TRUE(kubelet_->WaitFor(
      [&](const testing::KubeletState& s) {
        return UnhealthyDevices(s).size() == 1;
      },
      kWait));
  absl::SleepFor(absl::Milliseconds(500));  // ~5 periods.
  ASSERT_THAT(host_->WriteRaw("dev/vfio/devices/vfio0", ""), IsOk());
  EXPECT_TRUE(kubelet_->WaitFor(
      [&](const testing::KubeletState& s) {
        return s.count("nvidia.com/pgpu") != 0 && UnhealthyDevices(s).empty();
      },
      kWait));
  absl::SleepFor(absl::Milliseconds(500));
  // None, or one should a period's check come before an event (a full
  // discovery after each change if the signature did not know the nodes).
  EXPECT_LE(DiscoveryCount(daemon) - at_start, 1u);
  daemon.Stop();
  run.join();
}

// A resource whose CDI spec cannot be written must not be offered as
// Healthy (Kata could not resolve its names), while the others go on; the
// daemon retries every period, although the host itself did not change.
TEST_F(DaemonTest, UnwritableCdiSpecKeepsItsDevicesUnhealthyUntilWritten) {
  DaemonOptions options = Options();
  options.config.rescan_period = absl::Milliseconds(100);
  options.full_rescan_every = 1 << 30;
  // A non-empty directory where the pgpu spec goes: rename(2) onto it fails.
  const std::string blocker =
      options.cdi_dir + "/vgpu-device-plugin_nvidia.com_pgpu.json";
  std::filesystem::create_directories(blocker + "/x");
  auto healthy = [&](const std::string& resource, int want) {
    return [resource, want](const testing::KubeletState& s) {
      auto it = s.find(resource);
      return it != s.end() && it->second.Count() == want &&
             it->second.HealthyCount() == want;
    };
  };
  Daemon daemon(options);
  std::thread run([&] { EXPECT_THAT(daemon.Run(), IsOk()); });
  ASSERT_TRUE(kubelet_->WaitForDevices("nvidia.com/pgpu", 8, kWait));
  EXPECT_TRUE(kubelet_->WaitFor(healthy("nvidia.com/nvswitch", 4), kWait));
  {
    testing::KubeletState state = kubelet_->State();
    EXPECT_EQ(state["nvidia.com/pgpu"].HealthyCount(), 0);
  }
  // Every pgpu device is Unhealthy only because of the daemon: not ready.
  EXPECT_FALSE(daemon.Ready());
  EXPECT_THAT(daemon.CdiUnreadyReason(),
              ::testing::HasSubstr("CDI spec not written for nvidia.com/pgpu"));
  EXPECT_TRUE(std::filesystem::is_regular_file(
      options.cdi_dir + "/vgpu-device-plugin_nvidia.com_nvswitch.json"));

  std::filesystem::remove_all(blocker);
  EXPECT_TRUE(kubelet_->WaitFor(healthy("nvidia.com/pgpu", 8), kWait));
  EXPECT_TRUE(std::filesystem::is_regular_file(blocker));
  EXPECT_EQ(daemon.CdiUnreadyReason(), "");
  daemon.Stop();
  run.join();
}

TEST_F(DaemonTest, StopBeforeRunReturnsPromptly) {
  Daemon daemon(Options());
  daemon.Stop();
  EXPECT_THAT(daemon.Run(), IsOk());
}

TEST_F(DaemonTest, MissingHostRootFailsNamingIt) {
  DaemonOptions options = Options();
  options.host_root = dir_.path() + "/nowhere";
  Daemon daemon(options);
  EXPECT_THAT(daemon.Run(), StatusIs(absl::StatusCode::kNotFound,
                                     ::testing::HasSubstr("/nowhere")));
}

}  // namespace
}  // namespace vgpu::daemon
