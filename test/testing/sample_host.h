// A hand-built host for the metrics tests and the real-scrape server: two
// NVIDIA mdev parents, one Intel GVT-g parent, one NVIDIA vendor-VFIO PF
// with two VFs, and two pools. Values are listed in expected_* below.
#ifndef VGPU_TEST_TESTING_SAMPLE_HOST_H_
#define VGPU_TEST_TESTING_SAMPLE_HOST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "pkg/inventory/inventory.h"
#include "pkg/resources/pools.h"

namespace vgpu::testing {

inline constexpr uint64_t kGiB = uint64_t{1} << 30;

inline inventory::MdevType SampleType(const std::string& id,
                                      const std::string& name,
                                      std::optional<uint64_t> fb,
                                      std::optional<int> max, int available,
                                      int instances) {
  inventory::MdevType type;
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

// 0000:3b:00.0: A100-4C x2 in use (4 GiB, max 10, 8 left), A100-8C unused.
// 0000:af:00.0: A100-4C unused (10 left).
// 0000:00:02.0: Intel GVTg_V5_4, no framebuffer in its description, 1 in use.
// 0000:c1:00.0: PF of VFs c1:00.4 (holds "NVIDIA L40S-4Q") and c1:00.5 (free,
//               can take "NVIDIA L40S-4Q" or "NVIDIA L40S-8Q").
// 0000:41:00.0: A100 PF whose VFs 41:00.4 (one A100D-4C instance) and
//               41:00.5 (free) are mdev parents: folded into the PF.
inline inventory::Inventory SampleInventory() {
  inventory::Inventory inv;
  inventory::MdevParent a;
  a.name = "0000:3b:00.0";
  a.is_pci = true;
  a.types = {SampleType("nvidia-230", "GRID A100-4C", 4 * kGiB, 10, 8, 2),
             SampleType("nvidia-231", "GRID A100-8C", 8 * kGiB, 5, 0, 0)};
  inventory::MdevParent b;
  b.name = "0000:af:00.0";
  b.is_pci = true;
  b.types = {SampleType("nvidia-230", "GRID A100-4C", 4 * kGiB, 10, 10, 0)};
  inventory::MdevParent intel;
  intel.name = "0000:00:02.0";
  intel.is_pci = true;
  intel.types = {SampleType("i915-GVTg_V5_4", "GVTg_V5_4", std::nullopt,
                            std::nullopt, 1, 1)};
  inventory::MdevParent vf4;
  vf4.name = "0000:41:00.4";
  vf4.types = {SampleType("nvidia-700", "GRID A100D-4C", 4 * kGiB, 10, 0, 1)};
  inventory::MdevParent vf5;
  vf5.name = "0000:41:00.5";
  vf5.types = {SampleType("nvidia-700", "GRID A100D-4C", 4 * kGiB, 10, 1, 0)};
  inv.mdev_parents = {intel, a, vf4, vf5, b};

  inventory::PciFunction held;
  held.bdf = "0000:c1:00.4";
  held.physfn = "0000:c1:00.0";
  held.nvidia_vgpu = inventory::NvidiaVgpuState{{}, 552, "NVIDIA L40S-4Q"};
  inventory::PciFunction free_vf;
  free_vf.bdf = "0000:c1:00.5";
  free_vf.physfn = "0000:c1:00.0";
  free_vf.nvidia_vgpu = inventory::NvidiaVgpuState{
      {{552, "NVIDIA L40S-4Q"}, {553, "NVIDIA L40S-8Q"}}, 0, ""};
  inventory::PciFunction a100_vf4;
  a100_vf4.bdf = "0000:41:00.4";
  a100_vf4.physfn = "0000:41:00.0";
  inventory::PciFunction a100_vf5;
  a100_vf5.bdf = "0000:41:00.5";
  a100_vf5.physfn = "0000:41:00.0";
  inv.functions = {a100_vf4, a100_vf5, held, free_vf};
  return inv;
}

inline resources::PoolDevice SampleDevice(const std::string& id, bool healthy) {
  resources::PoolDevice device;
  device.id = id;
  device.healthy = healthy;
  if (!healthy) device.unhealthy_reason = "driver unbound";
  return device;
}

// nvidia.com/pgpu: 1 healthy + 1 unhealthy; nvidia.com/GRID_A100-4C: 2
// healthy.
inline resources::PoolSet SamplePools() {
  resources::PoolSet pools;
  resources::Pool vgpu;
  vgpu.resource_name = "nvidia.com/GRID_A100-4C";
  vgpu.devices = {SampleDevice("11111111-0000-0000-0000-000000000001", true),
                  SampleDevice("11111111-0000-0000-0000-000000000002", true)};
  resources::Pool pgpu;
  pgpu.resource_name = "nvidia.com/pgpu";
  pgpu.devices = {SampleDevice("0000:41:00.0", true),
                  SampleDevice("0000:42:00.0", false)};
  pools.pools = {vgpu, pgpu};
  return pools;
}

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_SAMPLE_HOST_H_
