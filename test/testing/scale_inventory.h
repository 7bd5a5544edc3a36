// In-memory inventories of the benchmark hosts at any size, as Discover()
// gives them for the simhost profiles `large` (G A100 PFs x V VFs, every VF
// an mdev parent of GRID A100-4C) and `passthrough` (G GPUs with their HDMI
// audio, one group each), and the timing helper of the complexity guards.
// Building the simulated host itself at 4096 vGPUs takes seconds to minutes
// on a busy disk, so the guards of pure steps (pools, planner) use these.
#ifndef VGPU_TEST_TESTING_SCALE_INVENTORY_H_
#define VGPU_TEST_TESTING_SCALE_INVENTORY_H_

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "pkg/inventory/inventory.h"

namespace vgpu::testing {

// `large` with `gpus` x `vfs_per_gpu` VFs; the first `instances_per_gpu` VFs
// of each GPU hold one instance (their type reads 0 available), the others
// are free (1 available). Groups: one per VF, then one per instance.
inline inventory::Inventory LargeInventory(int gpus, int vfs_per_gpu,
                                           int instances_per_gpu) {
  inventory::Inventory inv;
  inv.vfio_container = true;
  int group = 0;
  for (int i = 0; i < gpus; ++i) {
    inventory::PciFunction pf;
    pf.bdf = absl::StrFormat("0000:%02x:00.0", i + 1);
    pf.vendor_id = 0x10de;
    pf.device_id = 0x20f1;
    pf.class_code = 0x030200;
    pf.role = inventory::FunctionRole::kGpu;
    pf.driver = "nvidia";
    pf.iommu_group = group++;
    pf.sriov_totalvfs = vfs_per_gpu;
    pf.numa_node = i < gpus / 2 ? 0 : 1;
    std::vector<inventory::PciFunction> vfs;
    for (int j = 0; j < vfs_per_gpu; ++j) {
      inventory::PciFunction vf = pf;
      const int rid = 4 + j;  // ARI: offset 4, stride 1.
      vf.bdf = absl::StrFormat("0000:%02x:%02x.%d", i + 1, rid / 8, rid % 8);
      vf.physfn = pf.bdf;
      vf.sriov_totalvfs = 0;
      vf.virtfns.clear();
      vf.iommu_group = group++;
      vf.is_mdev_parent = true;
      pf.virtfns.push_back(vf.bdf);
      inventory::MdevType type;
      type.id = "nvidia-468";
      type.name = "GRID A100-4C";
      type.device_api = "vfio-pci";
      type.framebuffer_bytes = uint64_t{4} << 30;
      type.max_instances = 10;
      type.available_instances = j < instances_per_gpu ? 0 : 1;
      if (j < instances_per_gpu) {
        inventory::MdevDevice m;
        m.uuid = absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", 0x5eed0000 + i,
                                 j, i, j, i * 1000 + j);
        m.parent = vf.bdf;
        m.type_id = type.id;
        m.type_name = type.name;
        m.iommu_group = group++;
        m.driver = "vfio_mdev";
        m.numa_node = vf.numa_node;
        type.instance_uuids.push_back(m.uuid);
        inv.vfio_group_nodes.push_back(*m.iommu_group);
        inv.mdevs.push_back(m);
      }
      inv.mdev_parents.push_back(
          inventory::MdevParent{vf.bdf, true, vf.numa_node, {type}});
      vfs.push_back(vf);
    }
    inv.functions.push_back(pf);
    inv.functions.insert(inv.functions.end(), vfs.begin(), vfs.end());
  }
  auto by_bdf = [](const auto& a, const auto& b) { return a.bdf < b.bdf; };
  std::sort(inv.functions.begin(), inv.functions.end(), by_bdf);
  std::sort(inv.mdev_parents.begin(), inv.mdev_parents.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  std::sort(inv.mdevs.begin(), inv.mdevs.end(),
            [](const auto& a, const auto& b) { return a.uuid < b.uuid; });
  std::sort(inv.vfio_group_nodes.begin(), inv.vfio_group_nodes.end());
  return inv;
}

// `passthrough` with `gpus` GPUs: GPU and audio on vfio-pci in one viable
// group each.
inline inventory::Inventory PassthroughInventory(int gpus) {
  inventory::Inventory inv;
  inv.vfio_container = true;
  for (int i = 0; i < gpus; ++i) {
    inventory::PciFunction gpu;
    gpu.bdf = absl::StrFormat("0000:%02x:00.0", i + 1);
    gpu.vendor_id = 0x10de;
    gpu.device_id = 0x26b1;
    gpu.class_code = 0x030000;
    gpu.role = inventory::FunctionRole::kGpu;
    gpu.driver = "vfio-pci";
    gpu.on_vfio_driver = true;
    gpu.iommu_group = i;
    gpu.vfio_cdev = absl::StrFormat("vfio%d", 2 * i);
    gpu.numa_node = i < gpus / 2 ? 0 : 1;
    inventory::PciFunction audio = gpu;
    audio.bdf = absl::StrFormat("0000:%02x:00.1", i + 1);
    audio.device_id = 0x22ba;
    audio.class_code = 0x040300;
    audio.role = inventory::FunctionRole::kCompanion;
    audio.vfio_cdev = absl::StrFormat("vfio%d", 2 * i + 1);
    inventory::PassthroughUnit unit;
    unit.iommu_group = i;
    unit.primary_bdf = gpu.bdf;
    unit.functions = {gpu.bdf, audio.bdf};
    unit.viable = true;
    unit.numa_node = gpu.numa_node;
    inv.functions.push_back(gpu);
    inv.functions.push_back(audio);
    inv.units.push_back(unit);
    inv.vfio_group_nodes.push_back(i);
    inv.vfio_cdev_nodes.push_back(gpu.vfio_cdev);
    inv.vfio_cdev_nodes.push_back(audio.vfio_cdev);
  }
  std::sort(inv.vfio_cdev_nodes.begin(), inv.vfio_cdev_nodes.end());
  return inv;
}

// A complexity guard, not a performance assertion: the best (least
// disturbed) of `tries` runs of `fn`, in seconds. Guards compare it at 8N
// and N devices: a linear step gives about 8, an n log n one about 10, a
// quadratic one 64; the bound the guards use (30) sits far from both, and
// the best of several runs drops what a busy machine adds to one run.
template <typename Fn>
double BestOfSeconds(int tries, Fn&& fn) {
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < tries; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  return best;
}

// The ratio bound of the guards (see BestOfSeconds).
inline constexpr double kLinearRatioBound = 30.0;

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_SCALE_INVENTORY_H_
