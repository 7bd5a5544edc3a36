// The Kata contract on every simulated host profile: what Allocate returns,
// what the CDI spec says and what the cold-plug plan derives from the spec
// and sysfs must agree, device by device (docs/kata.md).
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/coldplug/plan.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/kata/allocate_response.h"
#include "pkg/kata/cdi_spec.h"
#include "pkg/resources/pools.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::kata {
namespace {

using ::vgpu::coldplug::BuildColdPlugPlan;
using ::vgpu::coldplug::CdiDevice;
using ::vgpu::coldplug::CdiDeviceNode;
using ::vgpu::coldplug::CdiRegistry;
using ::vgpu::coldplug::LoadCdiRegistry;
using ::vgpu::coldplug::PlannedFunction;
using ::vgpu::coldplug::PlanOptions;
using ::vgpu::coldplug::Runtime;

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using ::vgpu::testing::IsOk;

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The VFIO handles of a response: devices minus the container and iommufd
// (whose presence CheckDevice checks against the device's own handles).
std::vector<std::string> Handles(const v1beta1::ContainerAllocateResponse& r) {
  std::vector<std::string> out;
  for (const auto& d : r.devices()) {
    if (d.host_path() != "/dev/vfio/vfio" && d.host_path() != "/dev/iommu") {
      out.push_back(d.host_path());
    }
  }
  return out;
}

std::vector<std::string> SpecHandles(const CdiDevice& device) {
  std::vector<std::string> out;
  for (const CdiDeviceNode& n : device.device_nodes) out.push_back(n.path);
  return out;
}

class KataContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string root = tmp_.path() + "/host";
    auto host = simhost::SimHost::Create(root);
    ASSERT_TRUE(host.ok()) << host.status();
    ASSERT_THAT(simhost::BuildProfile(**host, GetParam()), IsOk());
    auto sysfs = sysfs::NewHostSysfs(root);
    ASSERT_TRUE(sysfs.ok()) << sysfs.status();
    sysfs_ = std::move(*sysfs);
    auto inv = inventory::Discover(*sysfs_, {});
    ASSERT_TRUE(inv.ok()) << inv.status();
    auto pools = resources::BuildPools(*inv, config::Config{});
    ASSERT_TRUE(pools.ok()) << pools.status();
    pools_ = std::move(*pools);
    CdiWriter writer(tmp_.path() + "/cdi");
    ASSERT_THAT(writer.Sync(pools_), IsOk());
    auto registry = LoadCdiRegistry({tmp_.path() + "/cdi"});
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
  }

  // Checks one healthy device end to end; returns its plan's BDFs.
  void CheckDevice(const resources::Pool& pool,
                   const resources::PoolDevice& device) {
    SCOPED_TRACE(pool.resource_name + "=" + device.id);
    auto response = BuildContainerResponse(pool, {device.id}, {});
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->cdi_devices_size(), 1);
    const std::string name = response->cdi_devices(0).name();
    EXPECT_EQ(name, CdiQualifiedName(pool.resource_name, device.id));
    auto spec = registry_.Resolve(name);
    ASSERT_TRUE(spec.ok()) << spec.status();
    // Allocate's handles == the spec's == the pool's, one per function.
    EXPECT_THAT(Handles(*response), ElementsAreArray(SpecHandles(**spec)));
    EXPECT_THAT(SpecHandles(**spec), ElementsAreArray(device.vfio_nodes));
    for (const std::string& h : SpecHandles(**spec)) {
      EXPECT_THAT(h, StartsWith(device.iommufd ? "/dev/vfio/devices/vfio"
                                               : "/dev/vfio/"));
    }
    EXPECT_EQ(device.iommufd, pools_.iommufd && KataCanColdPlug(device));
    // The legacy container comes exactly with group nodes.
    bool container = false;
    for (const auto& d : response->devices()) {
      container |= d.host_path() == "/dev/vfio/vfio";
      EXPECT_NE(d.host_path(), "/dev/iommu");
    }
    EXPECT_EQ(container, !device.iommufd);
    auto plan = BuildColdPlugPlan({name}, registry_, *sysfs_, {});
    ASSERT_TRUE(plan.ok()) << plan.status();
    std::vector<std::string> planned;
    for (const PlannedFunction& f : plan->functions) planned.push_back(f.bdf);
    // Each endpoint function exactly once. PCIDEVICE_* names only the
    // primary (the one address both Kata runtimes map, so the agent
    // rewrites it); the host-address env names them all.
    EXPECT_THAT(Sorted(planned), ElementsAreArray(Sorted(device.bdfs)));
    const auto& envs = response->envs();
    const std::string suffix = EnvResourceSuffix(pool.resource_name);
    const std::string key = "PCIDEVICE_" + suffix;
    const std::string all_key = kHostFunctionsEnvPrefix + suffix;
    if (device.bdfs.empty()) {
      EXPECT_EQ(envs.count(key), 0u);
      EXPECT_EQ(envs.count(all_key), 0u);
    } else {
      ASSERT_EQ(envs.count(key), 1u);
      EXPECT_EQ(envs.at(key), device.bdfs.front());
      ASSERT_EQ(envs.count(all_key), 1u);
      EXPECT_EQ(envs.at(all_key), absl::StrJoin(device.bdfs, ","));
    }
    // Kata 4.1.0 runtime-rs: the Go functions less bridges and audio, on
    // one root port, iommufd, and PCIDEVICE_* (the primary) in its pcimap,
    // so the agent rewrites the env under both runtimes.
    PlanOptions rs_options;
    rs_options.runtime = Runtime::kRs;
    auto rs = BuildColdPlugPlan({name}, registry_, *sysfs_, rs_options);
    ASSERT_TRUE(rs.ok()) << rs.status();
    std::vector<std::string> rs_expected;
    for (const PlannedFunction& f : plan->functions) {
      if ((f.class_code >> 8) != 0x0403) rs_expected.push_back(f.bdf);
    }
    std::vector<std::string> rs_planned;
    for (const PlannedFunction& f : rs->functions) {
      rs_planned.push_back(f.bdf);
      EXPECT_TRUE(f.iommufd) << f.bdf;
      EXPECT_EQ(f.root_port, "rp0") << f.bdf;
    }
    EXPECT_THAT(rs_planned, ElementsAreArray(rs_expected));
    if (!device.bdfs.empty()) {
      EXPECT_THAT(rs->pcimap, ElementsAre(envs.at(key)));
      EXPECT_THAT(plan->pcimap, ::testing::Contains(envs.at(key)));
    }
    if (KataCanColdPlug(device)) {
      EXPECT_THAT(plan->mdevs, IsEmpty());
    } else {
      ASSERT_EQ(plan->mdevs.size(), 1u);
      EXPECT_EQ(plan->mdevs[0].uuid, device.mdev_uuid);
      EXPECT_THAT(plan->functions, IsEmpty());
    }
  }

  vgpu::testing::TempDir tmp_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
  resources::PoolSet pools_;
  CdiRegistry registry_;
};

TEST_P(KataContractTest, AllocateSpecAndPlanAgreeForEveryHealthyDevice) {
  int checked = 0;
  for (const resources::Pool& pool : pools_.pools) {
    for (const resources::PoolDevice& device : pool.devices) {
      if (!device.healthy) continue;
      CheckDevice(pool, device);
      ++checked;
    }
  }
  RecordProperty("devices_checked", checked);
  EXPECT_GT(checked, 0) << "the profile should have a healthy device";
}

TEST_P(KataContractTest, EverySpecDeviceIsAPoolDevice) {
  std::set<std::string> pool_names;
  for (const resources::Pool& pool : pools_.pools) {
    for (const resources::PoolDevice& d : pool.devices) {
      if (CdiListsDevice(d)) {
        pool_names.insert(CdiQualifiedName(pool.resource_name, d.id));
      }
    }
  }
  std::set<std::string> spec_names;
  for (const auto& [name, device] : registry_.devices) spec_names.insert(name);
  EXPECT_EQ(spec_names, pool_names);
}

INSTANTIATE_TEST_SUITE_P(Profiles, KataContractTest,
                         ::testing::Values("workstation", "t4-vgpu",
                                           "a100-sriov", "h100-hgx",
                                           "ada-vf-vgpu", "intel-gvt",
                                           "amd-sriov", "broken"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace vgpu::kata
