#include "pkg/resources/vgpu_capacity.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vgpu::resources {
namespace {

using inventory::MdevParent;
using inventory::MdevType;

constexpr uint64_t kGiB = uint64_t{1} << 30;

MdevType Type(const std::string& id, const std::string& name,
              std::optional<uint64_t> fb, std::optional<int> max, int available,
              int instances) {
  MdevType type;
  type.id = id;
  type.name = name;
  type.available_instances = available;
  type.framebuffer_bytes = fb;
  type.max_instances = max;
  for (int i = 0; i < instances; ++i) {
    type.instance_uuids.push_back(id + "-uuid-" + std::to_string(i));
  }
  return type;
}

MdevParent Parent(const std::string& name, std::vector<MdevType> types) {
  MdevParent parent;
  parent.name = name;
  parent.is_pci = true;
  parent.types = std::move(types);
  return parent;
}

inventory::PciFunction Vf(const std::string& bdf, const std::string& pf) {
  inventory::PciFunction f;
  f.bdf = bdf;
  f.physfn = pf;
  return f;
}

// An A100 PF whose two VFs are mdev parents, and an L40S PF with two
// vendor-VFIO VFs: one holds NVIDIA L40S-4Q, one is free.
inventory::Inventory Host() {
  inventory::Inventory inv;
  inv.functions = {Vf("0000:41:00.4", "0000:41:00.0"),
                   Vf("0000:41:00.5", "0000:41:00.0")};
  inventory::PciFunction held = Vf("0000:c1:00.4", "0000:c1:00.0");
  held.nvidia_vgpu.emplace();
  held.nvidia_vgpu->current_type = 900;
  held.nvidia_vgpu->current_type_name = "NVIDIA L40S-4Q";
  inventory::PciFunction free_vf = Vf("0000:c1:00.5", "0000:c1:00.0");
  free_vf.nvidia_vgpu.emplace();
  free_vf.nvidia_vgpu->creatable_types = {{900, "NVIDIA L40S-4Q"},
                                          {901, "NVIDIA L40S-8Q"}};
  inv.functions.push_back(held);
  inv.functions.push_back(free_vf);
  inv.mdev_parents = {
      Parent("0000:3b:00.0",
             {Type("nvidia-230", "GRID A100-4C", 4 * kGiB, 10, 8, 2)}),
      Parent("0000:41:00.4",
             {Type("nvidia-700", "GRID A100D-4C", 4 * kGiB, 10, 0, 1)}),
      Parent("0000:41:00.5",
             {Type("nvidia-700", "GRID A100D-4C", 4 * kGiB, 10, 1, 0)})};
  return inv;
}

TEST(MdevParentsByPhysicalGpuTest, FoldsVfParentsIntoTheirPf) {
  std::vector<MdevParent> gpus = MdevParentsByPhysicalGpu(Host());
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].name, "0000:3b:00.0");
  EXPECT_EQ(gpus[1].name, "0000:41:00.0");
  ASSERT_EQ(gpus[1].types.size(), 1u);
  EXPECT_EQ(gpus[1].types[0].available_instances, 1);
  EXPECT_EQ(gpus[1].types[0].instance_uuids.size(), 1u);
}

TEST(VgpuCapacityTest, MdevTypesAndVfVgpusPerPhysicalGpu) {
  std::vector<VgpuTypeCapacity> got = VgpuCapacity(Host());
  struct Want {
    const char* parent;
    const char* type;
    int instances;
    std::optional<int> available;
  };
  const Want want[] = {
      {"0000:3b:00.0", "GRID A100-4C", 2, 8},
      {"0000:41:00.0", "GRID A100D-4C", 1, 1},
      {"0000:c1:00.0", "NVIDIA L40S-4Q", 1, 1},
      {"0000:c1:00.0", "NVIDIA L40S-8Q", 0, 1},
  };
  ASSERT_EQ(got.size(), std::size(want));
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(want[i].type);
    EXPECT_EQ(got[i].parent, want[i].parent);
    EXPECT_EQ(got[i].type, want[i].type);
    EXPECT_EQ(got[i].instances, want[i].instances);
    EXPECT_EQ(got[i].available, want[i].available);
  }
}

TEST(VgpuCapacityTest, VfCurrentTypeAloneHasNoAvailableCount) {
  inventory::Inventory inv;
  inventory::PciFunction vf = Vf("0000:c1:00.4", "0000:c1:00.0");
  vf.nvidia_vgpu.emplace();
  vf.nvidia_vgpu->current_type = 905;
  inv.functions = {vf};
  std::vector<VgpuTypeCapacity> got = VgpuCapacity(inv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "nvidia-905");
  EXPECT_EQ(got[0].instances, 1);
  EXPECT_EQ(got[0].available, std::nullopt);
}

// ada-vf-vgpu: the VF holding a type no longer lists it as creatable; its
// sibling does. One type, one label value.
TEST(VgpuCapacityTest, HeldTypeTakesItsNameFromASiblingVf) {
  inventory::Inventory inv;
  inventory::PciFunction held = Vf("0000:01:00.4", "0000:01:00.0");
  held.nvidia_vgpu.emplace();
  held.nvidia_vgpu->current_type = 1148;
  inventory::PciFunction free_vf = Vf("0000:01:00.5", "0000:01:00.0");
  free_vf.nvidia_vgpu.emplace();
  free_vf.nvidia_vgpu->creatable_types = {{1148, "NVIDIA L40S-2Q"}};
  inv.functions = {held, free_vf};
  std::vector<VgpuTypeCapacity> got = VgpuCapacity(inv);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "NVIDIA L40S-2Q");
  EXPECT_EQ(got[0].instances, 1);
  EXPECT_EQ(got[0].available, 1);
}

TEST(ComputeFramebufferTest, FollowsTheRule) {
  const struct {
    const char* name;
    MdevParent parent;
    FramebufferUsage want;
  } cases[] = {
      {"idle parent takes the largest type",
       Parent("p", {Type("a", "A", 2 * kGiB, 8, 8, 0),
                    Type("b", "B", 12 * kGiB, 2, 2, 0)}),
       {true, 0, true, 24 * kGiB}},
      {"busy parent takes the type in use",
       Parent("p", {Type("a", "A", 2 * kGiB, 8, 7, 1),
                    Type("b", "B", 12 * kGiB, 2, 0, 0)}),
       {true, 2 * kGiB, true, 16 * kGiB}},
      {"no max_instances: allocated only",
       Parent("p", {Type("a", "A", 2 * kGiB, std::nullopt, 1, 3)}),
       {true, 6 * kGiB, false, 0}},
      {"no framebuffer: nothing",
       Parent("p", {Type("a", "A", std::nullopt, 4, 1, 3)}),
       {false, 0, false, 0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const FramebufferUsage got = ComputeFramebuffer(c.parent);
    EXPECT_EQ(got.has_allocated, c.want.has_allocated);
    EXPECT_EQ(got.allocated, c.want.allocated);
    EXPECT_EQ(got.has_total, c.want.has_total);
    EXPECT_EQ(got.total, c.want.total);
  }
}

}  // namespace
}  // namespace vgpu::resources
