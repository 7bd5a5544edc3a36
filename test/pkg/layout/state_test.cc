#include "pkg/layout/state.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/layout/profile_host.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::layout {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

OwnershipState Sample() {
  OwnershipState s;
  s.by_device["86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"] = {
      OwnedVgpu::Phase::kCreated, OwnedVgpu::Kind::kMdev,
      "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01", "0000:3b:00.0", "nvidia-230"};
  s.by_device["0000:01:00.6"] = {OwnedVgpu::Phase::kCreating,
                                 OwnedVgpu::Kind::kVf, "0000:01:00.6", "",
                                 "1148"};
  s.vf_type_names[1148] = "NVIDIA L40S-2Q";
  return s;
}

TEST(StateTest, FormatParsesBack) {
  const std::string text = FormatState(Sample());
  EXPECT_EQ(text,
            "# vgpu-device-plugin layout state v1\n"
            "creating vf 0000:01:00.6 - 1148\n"
            "created mdev 86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01 0000:3b:00.0 "
            "nvidia-230\n"
            "vf-type 1148 NVIDIA L40S-2Q\n");
  absl::StatusOr<OwnershipState> back = ParseState(text);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(FormatState(*back), text);
  EXPECT_THAT(
      back->Owned(),
      ElementsAre("0000:01:00.6", "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"));
  EXPECT_THAT(
      ParseState("created mdev x\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

TEST(StateTest, PruneDropsVgpusThatNoLongerExistAndConfirmsIntents) {
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  OwnershipState s = Sample();
  s.by_device["86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"].phase =
      OwnedVgpu::Phase::kCreating;
  EXPECT_TRUE(s.Prune(h.Discover()));
  ASSERT_EQ(s.by_device.size(), 1u);  // The VF is not on this host.
  EXPECT_EQ(s.by_device.begin()->second.phase, OwnedVgpu::Phase::kCreated);
  EXPECT_FALSE(s.Prune(h.Discover()));
}

TEST(StateTest, PruneDropsAnIntentWhoseUuidIsOnAnotherParent) {
  // Our create of this UUID on 0000:d8:00.0 was refused (EEXIST: somebody
  // made it on 0000:3b:00.0 first) and we crashed before forgetting it.
  ProfileHost h("t4-vgpu");
  ASSERT_TRUE(h.ok());
  OwnershipState s = Sample();
  OwnedVgpu& v = s.by_device["86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"];
  v.parent = "0000:d8:00.0";
  v.phase = OwnedVgpu::Phase::kCreating;
  EXPECT_TRUE(s.Prune(h.Discover()));
  EXPECT_TRUE(s.by_device.empty());
}

TEST(StateTest, RemembersVfTypeNamesAFullCardNoLongerShows) {
  ProfileHost h("ada-vf-vgpu");
  ASSERT_TRUE(h.ok());
  OwnershipState s;
  EXPECT_TRUE(s.LearnTypeNames(h.Discover()));
  EXPECT_FALSE(s.LearnTypeNames(h.Discover()));
  inventory::Inventory inv = h.Discover();
  const inventory::PciFunction* vf0 = inv.FindFunction("0000:01:00.4");
  ASSERT_NE(vf0, nullptr);
  ASSERT_TRUE(vf0->nvidia_vgpu.has_value());
  // Discovery names it from a sibling VF that still lists the type; on a
  // full card no VF does.
  for (inventory::PciFunction& f : inv.functions) {
    if (f.nvidia_vgpu.has_value()) f.nvidia_vgpu->current_type_name.clear();
  }
  s.FillTypeNames(inv);
  EXPECT_EQ(inv.FindFunction("0000:01:00.4")->nvidia_vgpu->current_type_name,
            "NVIDIA L40S-2Q");
}

TEST(StateTest, SaveLoadAndAbsentFileIsEmpty) {
  testing::TempDir tmp;
  absl::StatusOr<StateDir> dir = StateDir::Open(tmp.path() + "/state");
  ASSERT_THAT(dir, IsOk());
  absl::StatusOr<OwnershipState> empty = dir->Load();
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->by_device.empty());
  ASSERT_THAT(dir->Save(Sample()), IsOk());
  absl::StatusOr<OwnershipState> back = dir->Load();
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(FormatState(*back), FormatState(Sample()));
  // Only the state file: the temp file was renamed over it.
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir->dir())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_THAT(names, ElementsAre(kStateFileName));
  EXPECT_EQ(std::filesystem::status(dir->dir()).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST(StateTest, SecondLockIsRefusedUntilTheFirstIsReleased) {
  testing::TempDir tmp;
  absl::StatusOr<StateDir> dir = StateDir::Open(tmp.path());
  ASSERT_THAT(dir, IsOk());
  {
    absl::StatusOr<StateLock> first = dir->Lock();
    ASSERT_THAT(first, IsOk());
    EXPECT_THAT(dir->Lock(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("held by another applier")));
  }
  EXPECT_THAT(dir->Lock(), IsOk());
}

}  // namespace
}  // namespace vgpu::layout
