// Hand-built inventories for the pools tests: a workstation GPU with its
// audio function, and a mixed host with NVSwitch, AMD, unknown-vendor,
// host-driver, mdev and VF-vGPU devices.
#ifndef VGPU_TEST_PKG_RESOURCES_FIXTURES_H_
#define VGPU_TEST_PKG_RESOURCES_FIXTURES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkg/config/config.h"
#include "pkg/inventory/inventory.h"
#include "pkg/inventory/vfio_driver.h"
#include "pkg/resources/pools.h"

namespace vgpu::resources::fixtures {

using inventory::FunctionRole;
using inventory::Inventory;
using inventory::MdevDevice;
using inventory::PassthroughUnit;
using inventory::PciFunction;
using Strings = std::vector<std::string>;

inline PciFunction Fn(const std::string& bdf, uint16_t vendor, uint16_t device,
                      FunctionRole role, const std::string& driver,
                      std::optional<int> group, int numa = -1) {
  PciFunction f;
  f.bdf = bdf;
  f.vendor_id = vendor;
  f.device_id = device;
  f.role = role;
  f.driver = driver;
  f.on_vfio_driver = inventory::IsVfioDriver(driver, false);
  f.iommu_group = group;
  f.numa_node = numa;
  return f;
}

inline PassthroughUnit Unit(int group, const std::string& primary,
                            const Strings& functions, int numa = -1,
                            FunctionRole role = FunctionRole::kGpu) {
  PassthroughUnit u;
  u.iommu_group = group;
  u.primary_bdf = primary;
  u.functions = functions;
  u.role = role;
  u.viable = true;
  u.numa_node = numa;
  return u;
}

// An RTX A10 with its audio function in group 1, on vfio-pci, NUMA 0,
// behind a switch (root port, upstream port, downstream port).
inline Inventory Workstation() {
  Inventory inv;
  PciFunction gpu =
      Fn("0000:03:00.0", 0x10de, 0x2236, FunctionRole::kGpu, "vfio-pci", 1, 0);
  gpu.device_name = "GA102GL [A10]";
  gpu.parent_bridges = {"0000:00:01.0", "0000:01:00.0", "0000:02:00.0"};
  PciFunction audio = Fn("0000:03:00.1", 0x10de, 0x1aef,
                         FunctionRole::kCompanion, "vfio-pci", 1, 0);
  audio.parent_bridges = gpu.parent_bridges;
  inv.functions = {gpu, audio};
  inv.units = {Unit(1, "0000:03:00.0", {"0000:03:00.0", "0000:03:00.1"}, 0)};
  inv.vfio_container = true;
  inv.vfio_group_nodes = {1};
  return inv;
}

inline absl::StatusOr<PoolSet> Build(const Inventory& inv,
                                     const config::Config& config = {}) {
  return BuildPools(inv, config);
}

inline Strings PoolNames(const PoolSet& set) {
  Strings names;
  for (const Pool& p : set.pools) names.push_back(p.resource_name);
  return names;
}

inline Strings DeviceIds(const Pool& pool) {
  Strings ids;
  for (const PoolDevice& d : pool.devices) ids.push_back(d.id);
  return ids;
}

// A mixed host: NVSwitch, AMD GPU, an ASPEED BMC VGA (unknown vendor), an
// NVIDIA GPU on the host driver, a T4 mdev parent with two mdevs, and an
// L4 PF with two VFs (one carrying a vGPU type).
inline Inventory MixedHost() {
  Inventory inv;
  PciFunction nvswitch = Fn("0000:07:00.0", 0x10de, 0x22a3,
                            FunctionRole::kNvSwitch, "vfio-pci", 20, 0);
  nvswitch.device_name = "GH100 [H100 NVSwitch]";
  PciFunction amd =
      Fn("0000:0a:00.0", 0x1002, 0x740f, FunctionRole::kGpu, "vfio-pci", 30, 1);
  PciFunction bmc =
      Fn("0000:0b:00.0", 0x1a03, 0x2000, FunctionRole::kGpu, "vfio-pci", 31);
  PciFunction host_gpu =
      Fn("0000:0c:00.0", 0x10de, 0x2236, FunctionRole::kGpu, "nvidia", 32);
  PciFunction t4 =
      Fn("0000:41:00.0", 0x10de, 0x1eb8, FunctionRole::kGpu, "nvidia", 40, 1);
  t4.is_mdev_parent = true;
  t4.device_name = "TU104GL [Tesla T4]";
  t4.parent_bridges = {"0000:40:01.0", "0000:40:02.0", "0000:40:03.0"};
  PciFunction l4 =
      Fn("0000:81:00.0", 0x10de, 0x27b8, FunctionRole::kGpu, "nvidia", 50, 1);
  l4.virtfns = {"0000:81:00.4", "0000:81:00.5"};
  PciFunction vf1 =
      Fn("0000:81:00.4", 0x10de, 0x27b9, FunctionRole::kGpu, "nvidia", 51, 1);
  vf1.physfn = "0000:81:00.0";
  vf1.nvidia_vgpu =
      inventory::NvidiaVgpuState{{{10, "NVIDIA L4-4Q"}}, 10, "NVIDIA L4-4Q"};
  PciFunction vf2 = vf1;
  vf2.bdf = "0000:81:00.5";
  vf2.iommu_group = 52;
  vf2.nvidia_vgpu->current_type = 0;
  vf2.nvidia_vgpu->current_type_name = "";
  inv.functions = {nvswitch, amd, bmc, host_gpu, t4, l4, vf1, vf2};
  inv.units = {
      Unit(20, "0000:07:00.0", {"0000:07:00.0"}, 0, FunctionRole::kNvSwitch),
      Unit(30, "0000:0a:00.0", {"0000:0a:00.0"}, 1),
      Unit(31, "0000:0b:00.0", {"0000:0b:00.0"}),
      Unit(32, "0000:0c:00.0", {"0000:0c:00.0"}),
      Unit(40, "0000:41:00.0", {"0000:41:00.0"}, 1),
      Unit(50, "0000:81:00.0", {"0000:81:00.0"}, 1),
      Unit(51, "0000:81:00.4", {"0000:81:00.4"}, 1)};
  MdevDevice m1{"7a3c3a5e-0000-4000-8000-000000000002",
                "0000:41:00.0",
                "nvidia-222",
                "GRID T4-1Q",
                100,
                "nvidia-vgpu-vfio",
                1};
  MdevDevice m2{"0b5c8f2a-0000-4000-8000-000000000001",
                "0000:41:00.0",
                "nvidia-222",
                "GRID T4-1Q",
                101,
                "nvidia-vgpu-vfio",
                1};
  inv.mdevs = {m2, m1};
  inv.vfio_group_nodes = {20, 30, 31, 51, 52, 100};
  return inv;
}

inline config::ResourceRule Rule(const std::string& name) {
  config::ResourceRule r;
  r.resource_name = name;
  return r;
}

}  // namespace vgpu::resources::fixtures

#endif  // VGPU_TEST_PKG_RESOURCES_FIXTURES_H_
