#include "pkg/inventory/host_signature.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/inventory/discovery.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::inventory {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

class HostSignatureTest : public ::testing::Test {
 protected:
  void Build(const std::string& profile) {
    const std::string root = dir_.path() + "/root";
    auto host = simhost::SimHost::Create(root);
    ASSERT_THAT(host, IsOk());
    host_ = *std::move(host);
    ASSERT_THAT(simhost::BuildProfile(*host_, profile), IsOk());
    auto sysfs = sysfs::NewHostSysfs(root);
    ASSERT_THAT(sysfs, IsOk());
    sysfs_ = *std::move(sysfs);
    auto inventory = Discover(*sysfs_, DiscoverOptions{});
    ASSERT_THAT(inventory, IsOk());
    inventory_ = *std::move(inventory);
    nvidia_vfs_ = NvidiaVfs(inventory_);
  }

  std::string Signature() {
    auto signature = HostSignature(*sysfs_, nvidia_vfs_);
    EXPECT_THAT(signature, IsOk());
    return signature.ok() ? *signature : "";
  }

  testing::TempDir dir_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
  Inventory inventory_;
  std::vector<std::string> nvidia_vfs_;
};

TEST_F(HostSignatureTest, StableWhileNothingChanges) {
  Build("h100-hgx");
  const std::string first = Signature();
  EXPECT_THAT(first, Not(IsEmpty()));
  EXPECT_EQ(Signature(), first);
}

TEST_F(HostSignatureTest, UnbindAndRebindOfACompanion) {
  Build("workstation");
  const std::string before = Signature();
  ASSERT_THAT(host_->UnbindDriver("0000:42:00.1"), IsOk());
  const std::string unbound = Signature();
  EXPECT_NE(unbound, before);
  ASSERT_THAT(host_->BindDriver("0000:42:00.1", "vfio-pci"), IsOk());
  EXPECT_EQ(Signature(), before);
}

TEST_F(HostSignatureTest, RebindToAnotherDriverChangesIt) {
  Build("workstation");
  const std::string before = Signature();
  // 61:00.1 (HDMI audio of the second GPU) from snd_hda_intel to vfio-pci.
  ASSERT_THAT(host_->UnbindDriver("0000:61:00.1"), IsOk());
  ASSERT_THAT(host_->BindDriver("0000:61:00.1", "vfio-pci"), IsOk());
  EXPECT_NE(Signature(), before);
}

TEST_F(HostSignatureTest, VfioGroupNodeRemovedAndRestored) {
  Build("workstation");
  const std::string before = Signature();
  ASSERT_THAT(host_->RemoveVfioGroupNode(25), IsOk());
  EXPECT_NE(Signature(), before);
  ASSERT_THAT(host_->RestoreVfioGroupNode(25), IsOk());
  EXPECT_EQ(Signature(), before);
}

TEST_F(HostSignatureTest, RelistVfioNodesTakesOnlyTheNodesAgain) {
  Build("h100-hgx");
  const std::string before = Signature();
  EXPECT_THAT(RelistVfioNodes(*sysfs_, before), IsOkAndHolds(before));
  ASSERT_THAT(host_->RemoveVfioGroupNode(30), IsOk());
  ASSERT_THAT(host_->RemoveRaw("dev/vfio/devices/vfio3"), IsOk());
  const std::string nodes_gone = Signature();
  EXPECT_THAT(RelistVfioNodes(*sysfs_, before), IsOkAndHolds(nodes_gone));
  // A change elsewhere stays visible against the relisted signature.
  ASSERT_THAT(host_->UnbindDriver("0000:2a:00.0"), IsOk());
  EXPECT_THAT(RelistVfioNodes(*sysfs_, before), IsOkAndHolds(nodes_gone));
  EXPECT_NE(Signature(), nodes_gone);
}

TEST_F(HostSignatureTest, RelistVfioNodesRejectsWhatIsNoSignature) {
  Build("workstation");
  EXPECT_THAT(RelistVfioNodes(*sysfs_, "dev/vfio:1,;"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HostSignatureTest, MdevRemovedAndAdded) {
  Build("t4-vgpu");
  ASSERT_THAT(inventory_.mdevs, Not(IsEmpty()));
  const MdevDevice mdev = inventory_.mdevs.front();
  const std::string before = Signature();
  ASSERT_THAT(host_->RemoveMdev(mdev.uuid), IsOk());
  const std::string removed = Signature();
  EXPECT_NE(removed, before);
  ASSERT_THAT(host_->AddMdev(mdev.uuid, mdev.parent, mdev.type_id,
                             host_->NextFreeIommuGroup()),
              IsOk());
  EXPECT_NE(Signature(), removed);
}

TEST_F(HostSignatureTest, HotAddedFunctionChangesIt) {
  Build("h100-hgx");
  const std::string before = Signature();
  ASSERT_THAT(host_->RemoveFunction("0000:07:00.0"), IsOk());  // NVSwitch
  EXPECT_NE(Signature(), before);
}

TEST_F(HostSignatureTest, NvidiaVfVgpuTypeChangeChangesIt) {
  Build("ada-vf-vgpu");
  ASSERT_THAT(nvidia_vfs_, Not(IsEmpty()));
  const std::string before = Signature();
  ASSERT_THAT(sysfs_->WriteFile("sys/bus/pci/devices/" + nvidia_vfs_.front() +
                                    "/nvidia/current_vgpu_type",
                                "0\n"),
              IsOk());
  EXPECT_NE(Signature(), before);
}

TEST_F(HostSignatureTest, EmptyHostHasASignatureToo) {
  const std::string root = dir_.path() + "/empty";
  auto host = simhost::SimHost::Create(root);
  ASSERT_THAT(host, IsOk());
  auto sysfs = sysfs::NewHostSysfs(root);
  ASSERT_THAT(sysfs, IsOk());
  auto signature = HostSignature(**sysfs, {});
  ASSERT_THAT(signature, IsOk());
  EXPECT_THAT(*signature, ::testing::HasSubstr("sys/bus/mdev/devices:-;"));
}

}  // namespace
}  // namespace vgpu::inventory
