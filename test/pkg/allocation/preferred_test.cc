#include "pkg/allocation/preferred.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::allocation {
namespace {

using config::VgpuPolicy;
using resources::DeviceType;
using resources::Pool;
using resources::PoolDevice;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;
using Ids = std::vector<std::string>;

PoolDevice Dev(const std::string& id, int numa, const std::string& sw,
               const std::string& gpu = "",
               DeviceType type = DeviceType::kPassthrough) {
  PoolDevice d;
  d.id = id;
  d.type = type;
  d.healthy = true;
  d.numa_node = numa;
  d.pcie_switch = sw;
  d.physical_gpu = gpu.empty() ? id : gpu;
  return d;
}

// 8 passthrough GPUs: g0..g3 on NUMA 0 (switches A: g0 g1, B: g2 g3),
// g4..g7 on NUMA 1 (C: g4 g5, D: g6 g7).
Pool Hgx() {
  Pool p;
  p.resource_name = "nvidia.com/pgpu";
  const char* sw[] = {"A", "A", "B", "B", "C", "C", "D", "D"};
  for (int i = 0; i < 8; ++i) {
    p.devices.push_back(Dev("g" + std::to_string(i), i / 4, sw[i]));
  }
  return p;
}

// vGPUs: P has p1..p4 and Q has q1..q4 on NUMA 0, R has r1 r2 on NUMA 1.
Pool Vgpus(DeviceType type = DeviceType::kMdev) {
  Pool p;
  p.resource_name = "nvidia.com/vgpu";
  for (int i = 1; i <= 4; ++i) {
    p.devices.push_back(Dev("p" + std::to_string(i), 0, "", "P", type));
  }
  for (int i = 1; i <= 4; ++i) {
    p.devices.push_back(Dev("q" + std::to_string(i), 0, "", "Q", type));
  }
  p.devices.push_back(Dev("r1", 1, "", "R", type));
  p.devices.push_back(Dev("r2", 1, "", "R", type));
  return p;
}

Ids AllIds(const Pool& p) {
  Ids ids;
  for (const PoolDevice& d : p.devices) ids.push_back(d.id);
  return ids;
}

Ids Without(const Pool& p, const Ids& taken) {
  Ids ids;
  for (const PoolDevice& d : p.devices) {
    if (std::find(taken.begin(), taken.end(), d.id) == taken.end()) {
      ids.push_back(d.id);
    }
  }
  return ids;
}

struct Case {
  std::string name;
  Pool pool;
  Ids available;
  Ids must;
  int size;
  VgpuPolicy policy;
  Ids want;
};

void RunCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Ids> got =
        PreferredAllocation(c.pool, c.available, c.must, c.size, c.policy);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, c.want);
  }
}

TEST(PreferredAllocationTest, Passthrough) {
  const Pool hgx = Hgx();
  const Ids all = AllIds(hgx);
  const VgpuPolicy bp = VgpuPolicy::kBinpack;
  RunCases({
      {"size 0", hgx, all, {}, 0, bp, {}},
      {"one: best-fit node then switch, ties by key",
       hgx,
       all,
       {},
       1,
       bp,
       {"g0"}},
      {"two share a switch", hgx, all, {}, 2, bp, {"g0", "g1"}},
      {"four fill one NUMA node",
       hgx,
       all,
       {},
       4,
       bp,
       {"g0", "g1", "g2", "g3"}},
      {"five spill to the next node",
       hgx,
       all,
       {},
       5,
       bp,
       {"g0", "g1", "g2", "g3", "g4"}},
      {"best-fit node",
       hgx,
       Without(hgx, {"g1", "g6", "g7"}),
       {},
       2,
       bp,
       {"g4", "g5"}},
      {"best-fit switch inside the node",
       hgx,
       Without(hgx, {"g0"}),
       {},
       1,
       bp,
       {"g1"}},
      {"only node that fits",
       hgx,
       Without(hgx, {"g1"}),
       {},
       4,
       bp,
       {"g4", "g5", "g6", "g7"}},
      {"must-include node and switch", hgx, all, {"g6"}, 2, bp, {"g6", "g7"}},
      {"must-include node, other switch when its own cannot hold the rest",
       hgx,
       all,
       {"g2"},
       3,
       bp,
       {"g0", "g1", "g2"}},
      {"must-include node cannot hold the rest: node that can",
       hgx,
       Without(hgx, {"g1", "g2"}),
       {"g0"},
       4,
       bp,
       {"g0", "g4", "g5", "g6"}},
      {"must-include across nodes: the node most of them are on",
       hgx,
       all,
       {"g0", "g5", "g4"},
       4,
       bp,
       {"g0", "g4", "g5", "g6"}},
      {"size equals must-include", hgx, all, {"g3", "g7"}, 2, bp, {"g3", "g7"}},
      {"duplicates count once",
       hgx,
       {"g2", "g2", "g3"},
       {"g3", "g3"},
       2,
       bp,
       {"g2", "g3"}},
      {"policy does not matter for passthrough",
       hgx,
       all,
       {},
       2,
       VgpuPolicy::kSpread,
       {"g0", "g1"}},
  });
}

TEST(PreferredAllocationTest, NoTopology) {
  Pool flat;
  flat.resource_name = "amd.com/pgpu";
  for (const char* id : {"c", "a", "b"})
    flat.devices.push_back(Dev(id, -1, ""));
  std::sort(flat.devices.begin(), flat.devices.end(),
            [](const auto& x, const auto& y) { return x.id < y.id; });
  Pool mixed;
  mixed.resource_name = "nvidia.com/pgpu";
  mixed.devices = {Dev("x0", 0, ""), Dev("x1", 0, "S"), Dev("x2", 0, "S")};
  const VgpuPolicy bp = VgpuPolicy::kBinpack;
  RunCases({
      {"by id", flat, {"c", "b", "a"}, {}, 2, bp, {"a", "b"}},
      {"one: the switchless device keeps the switch whole",
       mixed,
       AllIds(mixed),
       {},
       1,
       bp,
       {"x0"}},
      {"two: the switch", mixed, AllIds(mixed), {}, 2, bp, {"x1", "x2"}},
      {"must without switch",
       mixed,
       AllIds(mixed),
       {"x0"},
       2,
       bp,
       {"x0", "x1"}},
  });
}

TEST(PreferredAllocationTest, VgpuBinpack) {
  const Pool v = Vgpus();
  const Ids all = AllIds(v);
  const VgpuPolicy bp = VgpuPolicy::kBinpack;
  RunCases({
      {"one: the GPU with the fewest free", v, all, {}, 1, bp, {"r1"}},
      {"two fit on the small GPU", v, all, {}, 2, bp, {"r1", "r2"}},
      {"three fill P before Q", v, all, {}, 3, bp, {"p1", "p2", "p3"}},
      {"partly used GPU first",
       v,
       Without(v, {"p1"}),
       {},
       3,
       bp,
       {"p2", "p3", "p4"}},
      {"partly used spills to next",
       v,
       Without(v, {"p1"}),
       {},
       4,
       bp,
       {"p2", "p3", "p4", "q1"}},
      {"ties on free broken by use",
       v,
       Without(v, {"p1", "p2"}),
       {},
       1,
       bp,
       {"p3"}},
      {"must-include GPU is the most used: fill it",
       v,
       all,
       {"q1"},
       2,
       bp,
       {"q1", "q2"}},
      {"VF vGPUs behave alike",
       Vgpus(DeviceType::kVfVgpu),
       all,
       {},
       3,
       bp,
       {"p1", "p2", "p3"}},
  });
}

TEST(PreferredAllocationTest, VgpuBinpackPrefersSwitchOverGpuOrder) {
  Pool v;
  v.resource_name = "nvidia.com/vgpu";
  v.devices = {Dev("p1", 0, "S1", "P"), Dev("q1", 0, "S1", "Q"),
               Dev("q2", 0, "S1", "Q"), Dev("q3", 0, "S1", "Q"),
               Dev("r1", 0, "S2", "R"), Dev("r2", 0, "S2", "R")};
  for (PoolDevice& d : v.devices) d.type = DeviceType::kMdev;
  RunCases({
      {"switch first, then binpack",
       v,
       AllIds(v),
       {},
       2,
       VgpuPolicy::kBinpack,
       {"p1", "q1"}},
      {"one: binpack order alone",
       v,
       AllIds(v),
       {},
       1,
       VgpuPolicy::kBinpack,
       {"p1"}},
  });
}

TEST(PreferredAllocationTest, VgpuSpread) {
  const Pool v = Vgpus();
  const Ids all = AllIds(v);
  const VgpuPolicy sp = VgpuPolicy::kSpread;
  RunCases({
      {"one: emptiest GPU", v, all, {}, 1, sp, {"p1"}},
      {"two on different GPUs of one node", v, all, {}, 2, sp, {"p1", "q1"}},
      {"four alternate", v, all, {}, 4, sp, {"p1", "p2", "q1", "q2"}},
      {"avoid the used GPU", v, Without(v, {"p1", "p2"}), {}, 1, sp, {"q1"}},
      {"must-include counts as use", v, all, {"q1"}, 3, sp, {"p1", "q1", "q2"}},
      {"spread ignores switches",
       Pool{"nvidia.com/vgpu",
            {Dev("a1", 0, "S1", "A", DeviceType::kMdev),
             Dev("a2", 0, "S1", "A", DeviceType::kMdev),
             Dev("b1", 0, "S2", "B", DeviceType::kMdev)}},
       {"a1", "a2", "b1"},
       {},
       2,
       sp,
       {"a1", "b1"}},
      {"uneven nodes: the node of the first-ranked device",
       v,
       Without(v, {"p1", "p2", "p3", "q1", "q2", "q3"}),
       {},
       2,
       sp,
       {"r1", "r2"}},
  });
}

// A device the daemon withdrew may still be in the kubelet's list: it is
// not preferred, and the call does not fail.
TEST(PreferredAllocationTest, UnknownAvailableIdsAreLeftOut) {
  const Pool hgx = Hgx();
  auto got =
      PreferredAllocation(hgx, {"gx", "g0", "g1"}, {}, 2, VgpuPolicy::kBinpack);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ::testing::UnorderedElementsAre("g0", "g1"));
}

TEST(PreferredAllocationTest, Errors) {
  const Pool hgx = Hgx();
  const Ids all = AllIds(hgx);
  struct Bad {
    const char* name;
    Ids available;
    Ids must;
    int size;
    std::string message;
  };
  const Bad cases[] = {
      {"negative", all, {}, -1, "allocation size -1 is negative"},
      {"unknown available leaves too few",
       {"g0", "gx"},
       {},
       2,
       "allocation size 2 is larger than the 1 available devices"},
      {"unknown must",
       all,
       {"gy"},
       1,
       "unknown device id \"gy\" in must-include devices of nvidia.com/pgpu"},
      {"must not available",
       {"g0", "g1"},
       {"g2"},
       2,
       "must-include device \"g2\" is not among the available devices"},
      {"size below must",
       all,
       {"g0", "g1"},
       1,
       "allocation size 1 is smaller than the 2 must-include devices"},
      {"size above available",
       {"g0", "g1", "g1"},
       {},
       3,
       "allocation size 3 is larger than the 2 available devices"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(PreferredAllocation(hgx, c.available, c.must, c.size,
                                    VgpuPolicy::kBinpack),
                StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(PreferredAllocationTest, DeterministicWhateverTheInputOrder) {
  const Pool v = Vgpus();
  Ids shuffled = {"r2", "q4", "p1", "q1", "r1", "p3", "q2", "p2", "q3", "p4"};
  for (VgpuPolicy policy : {VgpuPolicy::kBinpack, VgpuPolicy::kSpread}) {
    absl::StatusOr<Ids> a = PreferredAllocation(v, AllIds(v), {}, 5, policy);
    absl::StatusOr<Ids> b = PreferredAllocation(v, shuffled, {}, 5, policy);
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    EXPECT_EQ(*a, *b);
  }
}

}  // namespace
}  // namespace vgpu::allocation
