#include "pkg/deviceplugin/plugin_manager.h"

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/deviceplugin/test_pools.h"
#include "test/testing/fake_kubelet.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::deviceplugin {
namespace {

using ::vgpu::testing::FakeKubelet;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::KubeletState;

constexpr absl::Duration kWait = absl::Seconds(10);

resources::PoolSet TwoPools() {
  resources::Pool nvswitch;
  nvswitch.resource_name = "nvidia.com/nvswitch";
  nvswitch.devices = {Gpu("0000:05:00.0", 50, 0), Gpu("0000:06:00.0", 51, 0)};
  for (auto& d : nvswitch.devices) d.type = resources::DeviceType::kNvSwitch;
  resources::PoolSet set;
  set.pools = {nvswitch, PgpuPool()};
  return set;
}

bool WaitUntil(const std::function<bool()>& cond) {
  absl::Time deadline = absl::Now() + kWait;
  absl::Notification never;
  while (!cond()) {
    if (absl::Now() > deadline) return false;
    // Polls the manager's registration flags with a bounded wait.
    never.WaitForNotificationWithTimeout(absl::Milliseconds(1));
  }
  return true;
}

class PluginManagerTest : public ::testing::Test {
 protected:
  PluginManagerTest()
      : kubelet_({dir_.path(), "", true}),
        registrar_(
            {dir_.path() + "/kubelet.sock"},
            [this](const std::string& r) { manager_.MarkRegistered(r); }),
        manager_({dir_.path(), {}, {}, nullptr}, registrar_) {}

  void SetUp() override {
    ASSERT_THAT(kubelet_.Start(), IsOk());
    registrar_.Start();
  }
  void TearDown() override {
    manager_.StopAll();
    registrar_.Stop();
    kubelet_.Stop();
  }

  testing::TempDir dir_;
  FakeKubelet kubelet_;
  kubelet::Registrar registrar_;
  PluginManager manager_;
};

TEST_F(PluginManagerTest, ServesAndRegistersEveryPool) {
  ASSERT_THAT(manager_.Apply(TwoPools()), IsOk());
  ASSERT_TRUE(kubelet_.WaitForDevices("nvidia.com/pgpu", 3, kWait));
  ASSERT_TRUE(kubelet_.WaitForDevices("nvidia.com/nvswitch", 2, kWait));
  KubeletState state = kubelet_.State();
  EXPECT_EQ(state["nvidia.com/pgpu"].endpoint, "vgpu-nvidia.com-pgpu.sock");
  EXPECT_EQ(state["nvidia.com/pgpu"].HealthyCount(), 2);
  EXPECT_TRUE(
      state["nvidia.com/pgpu"].options.get_preferred_allocation_available());
  EXPECT_TRUE(WaitUntil([&] { return manager_.AllRegistered(); }));
  EXPECT_TRUE(manager_.Unregistered().empty());
  EXPECT_EQ(manager_.ResourceNames().size(), 2u);
  EXPECT_EQ(manager_.ResourceForSocket("vgpu-nvidia.com-pgpu.sock"),
            "nvidia.com/pgpu");
  EXPECT_EQ(manager_.ResourceForSocket("kubelet.sock"), "");
}

TEST_F(PluginManagerTest, VanishedPoolAdvertisesNothing) {
  ASSERT_THAT(manager_.Apply(TwoPools()), IsOk());
  ASSERT_TRUE(kubelet_.WaitForDevices("nvidia.com/nvswitch", 2, kWait));
  resources::PoolSet only_pgpu;
  only_pgpu.pools = {PgpuPool()};
  ASSERT_THAT(manager_.Apply(only_pgpu), IsOk());
  EXPECT_TRUE(kubelet_.WaitForDevices("nvidia.com/nvswitch", 0, kWait));
  EXPECT_TRUE(kubelet_.WaitForDevices("nvidia.com/pgpu", 3, kWait));
}

TEST_F(PluginManagerTest, RegistersAgainAfterKubeletRestart) {
  ASSERT_THAT(manager_.Apply(TwoPools()), IsOk());
  ASSERT_TRUE(kubelet_.WaitForDevices("nvidia.com/pgpu", 3, kWait));
  ASSERT_THAT(kubelet_.Restart(), IsOk());  // Deletes our sockets.
  EXPECT_EQ(manager_.RestartMissingAndReregister(), 2);
  EXPECT_TRUE(kubelet_.WaitForDevices("nvidia.com/pgpu", 3, kWait));
  EXPECT_TRUE(kubelet_.WaitForDevices("nvidia.com/nvswitch", 2, kWait));
}

TEST_F(PluginManagerTest, RestartOneServer) {
  ASSERT_THAT(manager_.Apply(TwoPools()), IsOk());
  ASSERT_TRUE(kubelet_.WaitForDevices("nvidia.com/pgpu", 3, kWait));
  ASSERT_THAT(manager_.Restart("nvidia.com/pgpu"), IsOk());
  EXPECT_TRUE(kubelet_.WaitFor(
      [](const KubeletState& s) {
        auto it = s.find("nvidia.com/pgpu");
        return it != s.end() && it->second.registrations == 2 &&
               it->second.streaming;
      },
      kWait));
  EXPECT_FALSE(manager_.Restart("nvidia.com/none").ok());
}

}  // namespace
}  // namespace vgpu::deviceplugin
