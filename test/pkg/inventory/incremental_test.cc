#include "pkg/inventory/incremental.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/pkg/inventory/inventory_summary.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::inventory {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;
using Dir = VfioNodeEvent::Dir;

// What a kubelet and an Allocate answer see of the pools.
std::string PoolsText(const Inventory& inv) {
  absl::StatusOr<resources::PoolSet> pools =
      resources::BuildPools(inv, config::Config());
  if (!pools.ok()) return std::string(pools.status().message());
  std::string out;
  for (const resources::Pool& pool : pools->pools) {
    for (const resources::PoolDevice& d : pool.devices) {
      absl::StrAppend(&out, pool.resource_name, " ", d.id, " ",
                      d.healthy ? "Healthy" : "Unhealthy: ", d.unhealthy_reason,
                      " [", absl::StrJoin(d.vfio_nodes, ","), "]\n");
    }
  }
  return out;
}

class IncrementalTest : public ::testing::Test {
 protected:
  void Load(const std::string& profile,
            const simhost::ProfileOptions& options = {}) {
    dir_ = std::make_unique<::vgpu::testing::TempDir>();
    const std::string root = dir_->path() + "/root";
    auto host = simhost::SimHost::Create(root);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    ASSERT_THAT(simhost::BuildProfile(*host_, profile, options), IsOk());
    auto sysfs = sysfs::NewHostSysfs(root);
    ASSERT_THAT(sysfs, IsOk());
    sysfs_ = *std::move(sysfs);
    inventory_ = Discovered();
  }

  Inventory Discovered() {
    absl::StatusOr<Inventory> inv = Discover(*sysfs_, DiscoverOptions());
    EXPECT_THAT(inv, IsOk());
    return inv.ok() ? *std::move(inv) : Inventory();
  }

  absl::StatusOr<bool> Update(const std::vector<VfioNodeEvent>& events) {
    return UpdateVfioNodes(*sysfs_, events, inventory_);
  }

  // The update changes inventory_ into what a discovery finds now.
  void ExpectUpdateMatchesDiscovery(const std::vector<VfioNodeEvent>& events) {
    ASSERT_THAT(Update(events), IsOkAndHolds(true));
    const Inventory full = Discovered();
    EXPECT_EQ(testing::Summarize(inventory_), testing::Summarize(full));
    EXPECT_EQ(PoolsText(inventory_), PoolsText(full));
  }

  // The update refuses, leaving inventory_ as it was.
  void ExpectFallback(const std::vector<VfioNodeEvent>& events,
                      const std::string& why) {
    const std::string before = testing::Summarize(inventory_);
    EXPECT_THAT(Update(events), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr(why)));
    EXPECT_EQ(testing::Summarize(inventory_), before);
  }

  std::unique_ptr<::vgpu::testing::TempDir> dir_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
  Inventory inventory_;
};

VfioNodeEvent Group(int n) { return {Dir::kGroups, absl::StrCat(n)}; }
VfioNodeEvent Cdev(const std::string& name) { return {Dir::kCdevs, name}; }

TEST_F(IncrementalTest, EveryGroupNodeRemovedAndRestoredOnEveryKindOfHost) {
  struct Case {
    std::string profile;
    simhost::ProfileOptions options;
  };
  const std::vector<Case> cases = {
      {"workstation", {}}, {"h100-hgx", {}},     {"large", {4, 8}},
      {"ada-vf-vgpu", {}}, {"mdev-virtual", {}}, {"intel-gvt", {}},
      {"a100-sriov", {}},  {"amd-sriov", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.profile);
    Load(c.profile, c.options);
    const std::vector<int> groups = inventory_.vfio_group_nodes;
    ASSERT_FALSE(groups.empty());
    for (int group : groups) {
      SCOPED_TRACE(group);
      ASSERT_THAT(host_->RemoveVfioGroupNode(group), IsOk());
      ExpectUpdateMatchesDiscovery({Group(group)});
      ASSERT_THAT(host_->RestoreVfioGroupNode(group), IsOk());
      ExpectUpdateMatchesDiscovery({Group(group)});
    }
  }
}

TEST_F(IncrementalTest, NodeGoneTurnsExactlyItsDeviceUnhealthy) {
  Load("workstation");
  const std::string before = PoolsText(inventory_);
  ASSERT_THAT(host_->RemoveVfioGroupNode(25), IsOk());
  ExpectUpdateMatchesDiscovery({Group(25)});
  EXPECT_EQ(
      PoolsText(inventory_),
      absl::StrReplaceAll(
          before,
          {{"0000:42:00.0 Healthy [/dev/vfio/25]",
            "0000:42:00.0 Unhealthy: dev/vfio/25 missing [/dev/vfio/25]"}}));
}

TEST_F(IncrementalTest, CdevNodesRemovedAndRestoredOnAnIommufdHost) {
  Load("h100-hgx");
  const std::vector<std::string> cdevs = inventory_.vfio_cdev_nodes;
  ASSERT_FALSE(cdevs.empty());
  for (const std::string& name : cdevs) {
    SCOPED_TRACE(name);
    ASSERT_THAT(host_->RemoveRaw("dev/vfio/devices/" + name), IsOk());
    ExpectUpdateMatchesDiscovery({Cdev(name)});
    ASSERT_THAT(host_->WriteRaw("dev/vfio/devices/" + name, ""), IsOk());
    ExpectUpdateMatchesDiscovery({Cdev(name)});
  }
}

TEST_F(IncrementalTest, SeveralNodesAtOnce) {
  Load("h100-hgx");
  ASSERT_THAT(host_->RemoveVfioGroupNode(30), IsOk());
  ASSERT_THAT(host_->RemoveVfioGroupNode(61), IsOk());
  ASSERT_THAT(host_->RemoveRaw("dev/vfio/devices/vfio3"), IsOk());
  ExpectUpdateMatchesDiscovery({Group(30), Group(61), Cdev("vfio3")});
}

TEST_F(IncrementalTest, LegacyContainerNode) {
  Load("h100-hgx");
  ASSERT_THAT(host_->SetLegacyVfioContainer(false), IsOk());
  ExpectUpdateMatchesDiscovery({{Dir::kGroups, "vfio"}});
  ASSERT_THAT(host_->SetLegacyVfioContainer(true), IsOk());
  ExpectUpdateMatchesDiscovery({{Dir::kGroups, "vfio"}});
}

TEST_F(IncrementalTest, NothingToChange) {
  Load("workstation");
  const std::string before = testing::Summarize(inventory_);
  // Node 25 is still there; names discovery does not read are ignored.
  EXPECT_THAT(Update({Group(25), {Dir::kGroups, "x"}, {Dir::kCdevs, "y"}}),
              IsOkAndHolds(false));
  EXPECT_EQ(testing::Summarize(inventory_), before);
}

TEST_F(IncrementalTest, UnbindFallsBack) {
  Load("workstation");
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.1"), IsOk());
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.0"), IsOk());
  ExpectFallback({Group(25)}, "driver \"vfio-pci\" is now \"\"");
}

TEST_F(IncrementalTest, RebindToAnotherDriverFallsBack) {
  Load("workstation");
  ASSERT_THAT(host_->UnbindDriver("0000:61:00.1"), IsOk());
  ASSERT_THAT(host_->BindDriver("0000:61:00.1", "vfio-pci"), IsOk());
  ExpectFallback({Group(10)}, "0000:61:00.1: driver \"snd_hda_intel\"");
}

TEST_F(IncrementalTest, CdevOfARebindFallsBack) {
  Load("h100-hgx");
  const PciFunction* fn = nullptr;
  for (const PciFunction& f : inventory_.functions) {
    if (!f.vfio_cdev.empty()) fn = &f;
  }
  ASSERT_NE(fn, nullptr);
  const std::string bdf = fn->bdf;
  const std::string cdev = fn->vfio_cdev;
  ASSERT_THAT(host_->UnbindDriver(bdf), IsOk());
  ExpectFallback({Cdev(cdev)}, bdf);
}

TEST_F(IncrementalTest, UnknownGroupOrCdevFallsBack) {
  Load("workstation");
  ASSERT_THAT(host_->RestoreVfioGroupNode(999), IsOk());
  ExpectFallback({Group(25), Group(999)}, "dev/vfio/999");
  ASSERT_THAT(host_->WriteRaw("dev/vfio/devices/vfio7", ""), IsOk());
  ExpectFallback({Cdev("vfio7")}, "dev/vfio/devices/vfio7");
}

TEST_F(IncrementalTest, NewMdevFallsBack) {
  Load("large", {2, 2});
  const int group = host_->NextFreeIommuGroup();
  const std::string parent = inventory_.mdevs.front().parent;
  ASSERT_THAT(host_->RemoveMdev(inventory_.mdevs.front().uuid), IsOk());
  ASSERT_THAT(host_->AddMdev("5eed0000-0000-4000-8000-00000000abcd", parent,
                             "nvidia-468", group),
              IsOk());
  ExpectFallback({Group(group)}, "no device of the last inventory");
}

TEST_F(IncrementalTest, RemovedMdevFallsBack) {
  Load("large", {2, 2});
  const MdevDevice mdev = inventory_.mdevs.front();
  ASSERT_THAT(host_->RemoveMdev(mdev.uuid), IsOk());
  ExpectFallback({Group(*mdev.iommu_group)}, mdev.uuid);
}

TEST_F(IncrementalTest, HotUnplugFallsBack) {
  Load("workstation");
  ASSERT_THAT(host_->RemoveFunction("0000:42:00.0"), IsOk());
  ExpectFallback({Group(25)}, "0000:42:00.0");
}

}  // namespace
}  // namespace vgpu::inventory
