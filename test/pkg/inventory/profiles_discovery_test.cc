// Discovery over every simulated host profile, asserting the exact
// inventory (units with functions, viability and reasons, NUMA, groups,
// mdev types and instances, VF vGPUs, problems) in its canonical text form
// (inventory_summary.h) against testdata/profiles/<profile>.txt; and how
// the number of sysfs calls grows with the host.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/inventory/discovery.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/pkg/inventory/inventory_summary.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::inventory {
namespace {

using ::vgpu::testing::IsOk;

std::string GoldenPath(const std::string& profile) {
  return std::string(VGPU_INVENTORY_TESTDATA) + "/profiles/" + profile + ".txt";
}

std::string Golden(const std::string& profile) {
  std::ifstream in(GoldenPath(profile));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Without root, 0000:0e:00.0's mode-0 `device` file cannot be read: the
// device is skipped with the read error instead of forming unit 14.
std::string BrokenAsNonRoot(std::string golden) {
  const std::string dir = "sys/devices/pci0000:0e/0000:0e:00.0";
  return absl::StrReplaceAll(
      golden,
      {{"unit 14 0000:0e:00.0 gpu [0000:0e:00.0] bridges=[] numa=-1 viable\n",
        ""},
       {"fn 0000:0e:00.0 10de:2230 sub 10de:1459 class 030000 gpu "
        "drv=vfio-pci numa=-1 group=14 bridges=\n",
        ""},
       {"problem 0000:12:00.0:", "problem 0000:0e:00.0: read " + dir +
                                     "/device: Permission denied\n"
                                     "problem 0000:12:00.0:"}});
}

absl::StatusOr<Inventory> DiscoverProfile(const std::string& root,
                                          const std::string& name,
                                          const simhost::ProfileOptions& o,
                                          int workers = 1) {
  auto host = simhost::SimHost::Create(root);
  if (!host.ok()) return host.status();
  absl::Status built = simhost::BuildProfile(**host, name, o);
  if (!built.ok()) return built;
  auto sysfs = sysfs::NewHostSysfs(root);
  if (!sysfs.ok()) return sysfs.status();
  DiscoverOptions options;
  options.workers = workers;
  return Discover(**sysfs, options);
}

TEST(ProfilesDiscoveryTest, EveryProfileGivesTheExactInventory) {
  std::vector<std::string> covered;
  for (const std::string& name : simhost::ProfileNames()) {
    SCOPED_TRACE(name);
    simhost::ProfileOptions options;
    // Full size: discovery_bench, layout_bench.
    if (name == "large" || name == "large-empty" || name == "passthrough") {
      options = {2, 2};
    }
    ::vgpu::testing::TempDir dir;
    absl::StatusOr<Inventory> inv =
        DiscoverProfile(dir.path() + "/host", name, options);
    ASSERT_THAT(inv, IsOk());
    // VGPU_UPDATE_GOLDEN=1 writes the files (a new profile); review the diff.
    if (std::getenv("VGPU_UPDATE_GOLDEN") != nullptr && name != "broken") {
      std::ofstream(GoldenPath(name)) << testing::Summarize(*inv);
    }
    std::string expected = Golden(name);
    ASSERT_FALSE(expected.empty()) << "no golden file for " << name;
    if (name == "broken" && ::geteuid() != 0) {
      expected = BrokenAsNonRoot(expected);
    }
    EXPECT_EQ(testing::Summarize(*inv), expected);
  }
}

// Big hosts are read by several threads (DiscoverOptions::workers), each
// stage in contiguous chunks whose boundaries never part a PF from its VFs:
// the inventory, problems included and in order, is the one a single
// thread finds. 8 GPUs x 8 VFs and 3 x 40 put every stage (PCI functions,
// mdev parents, instances) over kParallelMinItems, with chunk boundaries
// falling inside VF families that must be moved.
TEST(ProfilesDiscoveryTest, EveryWorkerCountGivesTheSameInventory) {
  for (simhost::ProfileOptions size :
       {simhost::ProfileOptions{8, 8}, simhost::ProfileOptions{3, 40}}) {
    SCOPED_TRACE(size.gpus);
    ::vgpu::testing::TempDir dir;
    absl::StatusOr<Inventory> one =
        DiscoverProfile(dir.path() + "/host", "large", size, 1);
    ASSERT_THAT(one, IsOk());
    ASSERT_GE(one->mdevs.size(), kParallelMinItems);
    auto sysfs = sysfs::NewHostSysfs(dir.path() + "/host");
    ASSERT_THAT(sysfs, IsOk());
    for (int workers : {0, 2, 3, 4, 7}) {
      SCOPED_TRACE(workers);
      DiscoverOptions options;
      options.workers = workers;
      absl::StatusOr<Inventory> many = Discover(**sysfs, options);
      ASSERT_THAT(many, IsOk());
      EXPECT_EQ(testing::Summarize(*many), testing::Summarize(*one));
    }
  }
}

TEST(ProfilesDiscoveryTest, NegativeWorkersAreRefused) {
  ::vgpu::testing::TempDir dir;
  absl::StatusOr<Inventory> inv =
      DiscoverProfile(dir.path() + "/host", "workstation", {}, -1);
  EXPECT_EQ(inv.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(inv.status().message(), ::testing::HasSubstr("workers: -1"));
}

// 32 VFs per GPU, as in the full-size profile (the benchmark runs 16 GPUs).
TEST(ProfilesDiscoveryTest, LargeWith32VfsListsThemInVirtfnOrder) {
  ::vgpu::testing::TempDir dir;
  absl::StatusOr<Inventory> inv =
      DiscoverProfile(dir.path() + "/host", "large", {1, 32});
  ASSERT_THAT(inv, IsOk());
  EXPECT_EQ(inv->functions.size(), 2u + 32u);
  EXPECT_EQ(inv->mdev_parents.size(), 32u);
  EXPECT_EQ(inv->mdevs.size(), 32u);
  EXPECT_TRUE(inv->units.empty());
  EXPECT_TRUE(inv->problems.empty());
  const PciFunction* pf = inv->FindFunction("0000:01:00.0");
  ASSERT_NE(pf, nullptr);
  ASSERT_EQ(pf->virtfns.size(), 32u);
  EXPECT_EQ(pf->virtfns[0], "0000:01:00.4");
  EXPECT_EQ(pf->virtfns[9], "0000:01:01.5");   // virtfn9
  EXPECT_EQ(pf->virtfns[10], "0000:01:01.6");  // virtfn10 sorts after it
  EXPECT_EQ(pf->virtfns[31], "0000:01:04.3");  // virtfn31
  const PciFunction* vf = inv->FindFunction("0000:01:04.3");
  ASSERT_NE(vf, nullptr);
  EXPECT_EQ(vf->physfn, "0000:01:00.0");
}

// Counts every call through the Sysfs boundary (thread-safe: discovery may
// read on several threads).
class CountingSysfs : public sysfs::SysfsWrapper {
 public:
  using SysfsWrapper::SysfsWrapper;
  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    ++calls_;
    return SysfsWrapper::ReadFile(path);
  }
  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    ++calls_;
    return SysfsWrapper::ListDir(path);
  }
  absl::StatusOr<std::string> ReadLink(absl::string_view path) override {
    ++calls_;
    return SysfsWrapper::ReadLink(path);
  }
  absl::StatusOr<sysfs::FileInfo> Lstat(absl::string_view path) override {
    ++calls_;
    return SysfsWrapper::Lstat(path);
  }
  absl::StatusOr<sysfs::FileInfo> Stat(absl::string_view path) override {
    ++calls_;
    return SysfsWrapper::Stat(path);
  }
  absl::StatusOr<std::string> RealPath(absl::string_view path) override {
    ++calls_;
    return SysfsWrapper::RealPath(path);
  }
  long calls() const { return calls_; }

 private:
  std::atomic<long> calls_{0};
};

// Sysfs calls one Discover makes of `profile` built with `options`.
long DiscoverCalls(const std::string& profile,
                   const simhost::ProfileOptions& options) {
  ::vgpu::testing::TempDir dir;
  auto host = simhost::SimHost::Create(dir.path() + "/host");
  if (!host.ok() || !simhost::BuildProfile(**host, profile, options).ok()) {
    return -1;
  }
  auto real = sysfs::NewHostSysfs((*host)->root());
  if (!real.ok()) return -1;
  CountingSysfs counting(**real);
  if (!Discover(counting, DiscoverOptions()).ok()) return -1;
  return counting.calls();
}

// The cost of discovery in its unit of work, deterministic: the number of
// sysfs calls grows by exactly the same amount with each added GPU (and
// each added VF), so a host of 4096 vGPUs costs a fixed amount per device
// and no step reads per device something that grows with the host.
TEST(ProfilesDiscoveryTest, SysfsCallsGrowExactlyLinearly) {
  struct Series {
    const char* name;
    const char* profile;
    std::vector<simhost::ProfileOptions> sizes;
  };
  const Series series[] = {
      {"large, GPUs 1..4 x 8 VFs", "large", {{1, 8}, {2, 8}, {3, 8}, {4, 8}}},
      {"large, 2 GPUs x VFs 2..8", "large", {{2, 2}, {2, 4}, {2, 6}, {2, 8}}},
      {"passthrough, GPUs 2..8",
       "passthrough",
       {{2, 0}, {4, 0}, {6, 0}, {8, 0}}},
  };
  for (const Series& s : series) {
    SCOPED_TRACE(s.name);
    std::vector<long> calls;
    for (const simhost::ProfileOptions& o : s.sizes) {
      calls.push_back(DiscoverCalls(s.profile, o));
      ASSERT_GT(calls.back(), 0);
    }
    for (size_t i = 2; i < calls.size(); ++i) {
      EXPECT_EQ(calls[i] - calls[i - 1], calls[1] - calls[0])
          << "calls per size: " << calls[0] << " " << calls[1] << " "
          << calls[2] << " " << calls[3];
    }
  }
}

}  // namespace
}  // namespace vgpu::inventory
