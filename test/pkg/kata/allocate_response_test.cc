#include "pkg/kata/allocate_response.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::kata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using ::vgpu::testing::StatusIs;

resources::PoolDevice Passthrough(std::string id, std::vector<std::string> bdfs,
                                  std::vector<std::string> nodes) {
  resources::PoolDevice d;
  d.id = std::move(id);
  d.healthy = true;
  d.bdfs = std::move(bdfs);
  d.iommufd = !nodes.empty() && nodes[0].starts_with("/dev/vfio/devices/");
  d.vfio_nodes = std::move(nodes);
  return d;
}

resources::PoolDevice Mdev(std::string uuid, std::string node) {
  resources::PoolDevice d;
  d.id = uuid;
  d.type = resources::DeviceType::kMdev;
  d.healthy = true;
  d.mdev_uuid = std::move(uuid);
  d.vfio_nodes = {std::move(node)};
  return d;
}

// Two workstation-style GPUs, each with its audio function in its group.
resources::Pool LegacyPgpu() {
  resources::Pool pool;
  pool.resource_name = "nvidia.com/pgpu";
  pool.devices = {
      Passthrough("0000:42:00.0", {"0000:42:00.0", "0000:42:00.1"},
                  {"/dev/vfio/25"}),
      Passthrough("0000:61:00.0", {"0000:61:00.0", "0000:61:00.1"},
                  {"/dev/vfio/10"}),
  };
  return pool;
}

resources::Pool IommufdPgpu() {
  resources::Pool pool;
  pool.resource_name = "nvidia.com/pgpu";
  pool.devices = {
      Passthrough("0000:1b:00.0", {"0000:1b:00.0"},
                  {"/dev/vfio/devices/vfio0"}),
      Passthrough("0000:43:00.0", {"0000:43:00.0"},
                  {"/dev/vfio/devices/vfio1"}),
  };
  return pool;
}

std::vector<std::pair<std::string, std::string>> Devices(
    const v1beta1::ContainerAllocateResponse& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& d : r.devices()) {
    EXPECT_EQ(d.host_path(), d.container_path());
    out.emplace_back(d.container_path(), d.permissions());
  }
  return out;
}

std::vector<std::string> CdiNames(const v1beta1::ContainerAllocateResponse& r) {
  std::vector<std::string> out;
  for (const auto& d : r.cdi_devices()) out.push_back(d.name());
  return out;
}

std::map<std::string, std::string> Map(
    const google::protobuf::Map<std::string, std::string>& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

TEST(AllocateResponseTest, LegacyHostGetsContainerNodeGroupsCdiAndEnvs) {
  auto r = BuildContainerResponse(LegacyPgpu(),
                                  {"0000:42:00.0", "0000:61:00.0"}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Devices(*r), ElementsAre(Pair("/dev/vfio/vfio", "mrw"),
                                       Pair("/dev/vfio/25", "mrw"),
                                       Pair("/dev/vfio/10", "mrw")));
  EXPECT_THAT(CdiNames(*r), ElementsAre("nvidia.com/pgpu=0000:42:00.0",
                                        "nvidia.com/pgpu=0000:61:00.0"));
  EXPECT_THAT(Map(r->annotations()),
              ElementsAre(Pair("cdi.k8s.io/vgpu-device-plugin_nvidia.com_pgpu",
                               "nvidia.com/pgpu=0000:42:00.0,"
                               "nvidia.com/pgpu=0000:61:00.0")));
  EXPECT_THAT(Map(r->envs()),
              ElementsAre(Pair("PCIDEVICE_NVIDIA_COM_PGPU",
                               "0000:42:00.0,0000:61:00.0"),
                          Pair("VGPU_HOST_PCI_FUNCTIONS_NVIDIA_COM_PGPU",
                               "0000:42:00.0,0000:42:00.1,0000:61:00.0,"
                               "0000:61:00.1")));
  EXPECT_EQ(r->mounts_size(), 0);
}

TEST(AllocateResponseTest, IommufdHostGetsOnlyCdevs) {
  auto r = BuildContainerResponse(IommufdPgpu(),
                                  {"0000:43:00.0", "0000:1b:00.0"}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Devices(*r), ElementsAre(Pair("/dev/vfio/devices/vfio1", "mrw"),
                                       Pair("/dev/vfio/devices/vfio0", "mrw")));
  EXPECT_THAT(Map(r->envs()),
              ElementsAre(Pair("PCIDEVICE_NVIDIA_COM_PGPU",
                               "0000:43:00.0,0000:1b:00.0"),
                          Pair("VGPU_HOST_PCI_FUNCTIONS_NVIDIA_COM_PGPU",
                               "0000:43:00.0,0000:1b:00.0")));
}

TEST(AllocateResponseTest, IommuNodeOnlyForVmmInContainerOnIommufdHosts) {
  AllocateOptions options;
  options.vmm_in_container = true;
  auto cdev = BuildContainerResponse(IommufdPgpu(), {"0000:1b:00.0"}, options);
  ASSERT_TRUE(cdev.ok()) << cdev.status();
  EXPECT_THAT(Devices(*cdev),
              ElementsAre(Pair("/dev/vfio/devices/vfio0", "mrw"),
                          Pair("/dev/iommu", "mrw")));
  auto legacy = BuildContainerResponse(LegacyPgpu(), {"0000:42:00.0"}, options);
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_THAT(Devices(*legacy), ElementsAre(Pair("/dev/vfio/vfio", "mrw"),
                                            Pair("/dev/vfio/25", "mrw")));
}

// On an iommufd host a function whose vfio cdev is missing (or an mdev)
// still has a group node: the container node comes with it, per device, and
// /dev/iommu only with the cdevs.
TEST(AllocateResponseTest, ContainerNodeFollowsEachDevicesHandles) {
  resources::Pool pool = IommufdPgpu();
  pool.devices.push_back(
      Passthrough("0000:52:00.0", {"0000:52:00.0"}, {"/dev/vfio/32"}));
  AllocateOptions options;
  options.vmm_in_container = true;
  auto group_only = BuildContainerResponse(pool, {"0000:52:00.0"}, options);
  ASSERT_TRUE(group_only.ok()) << group_only.status();
  EXPECT_THAT(Devices(*group_only), ElementsAre(Pair("/dev/vfio/vfio", "mrw"),
                                                Pair("/dev/vfio/32", "mrw")));
  auto mixed =
      BuildContainerResponse(pool, {"0000:1b:00.0", "0000:52:00.0"}, options);
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  EXPECT_THAT(
      Devices(*mixed),
      ElementsAre(Pair("/dev/vfio/vfio", "mrw"),
                  Pair("/dev/vfio/devices/vfio0", "mrw"),
                  Pair("/dev/vfio/32", "mrw"), Pair("/dev/iommu", "mrw")));
}

TEST(AllocateResponseTest, SharedGroupNodeIsListedOnce) {
  resources::Pool pool;
  pool.resource_name = "example.com/fn";
  pool.devices = {
      Passthrough("0000:05:00.0", {"0000:05:00.0"}, {"/dev/vfio/7"}),
      Passthrough("0000:05:00.1", {"0000:05:00.1"}, {"/dev/vfio/7"})};
  auto r = BuildContainerResponse(pool, {"0000:05:00.0", "0000:05:00.1"}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Devices(*r), ElementsAre(Pair("/dev/vfio/vfio", "mrw"),
                                       Pair("/dev/vfio/7", "mrw")));
}

TEST(AllocateResponseTest, MdevGetsGroupNodeAndUuidEnvButNoBdfEnv) {
  resources::Pool pool;
  pool.resource_name = "nvidia.com/GRID_T4-1Q";
  pool.devices = {
      Mdev("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01", "/dev/vfio/100"),
      Mdev("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02", "/dev/vfio/101")};
  auto r = BuildContainerResponse(pool,
                                  {"86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02",
                                   "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01"},
                                  {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Devices(*r), ElementsAre(Pair("/dev/vfio/vfio", "mrw"),
                                       Pair("/dev/vfio/101", "mrw"),
                                       Pair("/dev/vfio/100", "mrw")));
  EXPECT_THAT(Map(r->envs()),
              ElementsAre(Pair("MDEV_PCI_RESOURCE_NVIDIA_COM_GRID_T4_1Q",
                               "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02,"
                               "86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01")));
  EXPECT_FALSE(KataCanColdPlug(pool.devices[0]));
}

TEST(AllocateResponseTest, KubevirtEnvAndAnnotationsSwitch) {
  AllocateOptions options;
  options.kubevirt_env = true;
  options.cdi_annotations = false;
  auto r = BuildContainerResponse(LegacyPgpu(), {"0000:61:00.0"}, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->annotations().empty());
  EXPECT_THAT(
      Map(r->envs()),
      UnorderedElementsAre(
          Pair("PCIDEVICE_NVIDIA_COM_PGPU", "0000:61:00.0"),
          Pair("PCI_RESOURCE_NVIDIA_COM_PGPU", "0000:61:00.0,0000:61:00.1"),
          Pair("VGPU_HOST_PCI_FUNCTIONS_NVIDIA_COM_PGPU",
               "0000:61:00.0,0000:61:00.1")));
  EXPECT_THAT(CdiNames(*r), ElementsAre("nvidia.com/pgpu=0000:61:00.0"));
}

TEST(AllocateResponseTest, RejectsBadRequestsNamingTheId) {
  resources::Pool pool = LegacyPgpu();
  pool.devices[1].healthy = false;
  pool.devices[1].unhealthy_reason = "dev/vfio/10 missing";
  struct Case {
    const char* name;
    std::vector<std::string> ids;
    absl::StatusCode code;
    const char* message;
  };
  const Case cases[] = {
      {"empty",
       {},
       absl::StatusCode::kInvalidArgument,
       "no device IDs requested for resource nvidia.com/pgpu"},
      {"unknown",
       {"0000:42:00.0", "0000:99:00.0"},
       absl::StatusCode::kInvalidArgument,
       "unknown device \"0000:99:00.0\" for resource nvidia.com/pgpu"},
      {"duplicate",
       {"0000:42:00.0", "0000:42:00.0"},
       absl::StatusCode::kInvalidArgument,
       "device \"0000:42:00.0\" requested twice for resource "
       "nvidia.com/pgpu"},
      {"unhealthy",
       {"0000:61:00.0"},
       absl::StatusCode::kFailedPrecondition,
       "device \"0000:61:00.0\" of resource nvidia.com/pgpu is unhealthy: "
       "dev/vfio/10 missing"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(BuildContainerResponse(pool, c.ids, {}),
                StatusIs(c.code, c.message));
  }
}

TEST(AllocateResponseTest, EnvResourceSuffix) {
  EXPECT_EQ(EnvResourceSuffix("nvidia.com/pgpu"), "NVIDIA_COM_PGPU");
  EXPECT_EQ(EnvResourceSuffix("nvidia.com/GH100_H100-SXM5.80GB"),
            "NVIDIA_COM_GH100_H100_SXM5_80GB");
  EXPECT_EQ(EnvResourceSuffix("intel.com/i915-GVTg_V5_8"),
            "INTEL_COM_I915_GVTG_V5_8");
}

bool ValidAnnotationName(const std::string& key) {
  const std::string prefix = "cdi.k8s.io/";
  if (key.rfind(prefix, 0) != 0) return false;
  const std::string name = key.substr(prefix.size());
  if (name.empty() || name.size() > 63) return false;
  if (!isalnum(name.front()) || !isalnum(name.back())) return false;
  for (char c : name) {
    if (!isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

TEST(AllocateResponseTest, AnnotationKeysAreValidAndDistinct) {
  EXPECT_EQ(CdiAnnotationKey("nvidia.com/pgpu"),
            "cdi.k8s.io/vgpu-device-plugin_nvidia.com_pgpu");
  const std::string a =
      CdiAnnotationKey("nvidia.com/GA100_A100_PCIE_40GB_with_a_very_long_name");
  const std::string b =
      CdiAnnotationKey("nvidia.com/GA100_A100_PCIE_40GB_with_a_very_long_nam3");
  EXPECT_TRUE(ValidAnnotationName(a)) << a;
  EXPECT_TRUE(ValidAnnotationName(b)) << b;
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), std::string("cdi.k8s.io/").size() + 63);
}

TEST(AllocateResponseTest, KataCanColdPlugEverythingButMdev) {
  resources::PoolDevice d;
  for (auto type :
       {resources::DeviceType::kPassthrough, resources::DeviceType::kNvSwitch,
        resources::DeviceType::kVfVgpu}) {
    d.type = type;
    EXPECT_TRUE(KataCanColdPlug(d));
  }
  d.type = resources::DeviceType::kMdev;
  EXPECT_FALSE(KataCanColdPlug(d));
  EXPECT_THAT(kMdevColdPlugWarning, HasSubstr("not cold-pluggable by Kata"));
}

}  // namespace
}  // namespace vgpu::kata
