// NVIDIA vGPU profiles of docs/sysfs.md: `t4-vgpu` (time-sliced mdev on the
// PF), `a100-sriov` (one mdev per SR-IOV VF) and `ada-vf-vgpu` (vendor VFIO
// VFs, no mdev bus). Type ids and names follow NVIDIA's 510-branch
// catalogue; BDFs, groups, subsystem ids
// and the A10/L40S type ids are illustrative.
#include <iterator>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"
#include "pkg/simhost/profiles.h"

namespace vgpu::simhost::internal {
namespace {

struct NvType {
  int id;
  const char* name;
  int heads;
  int frl;
  int framebuffer_mb;
  const char* resolution;
  int max_instance = 0;  // 0 = board framebuffer / type framebuffer.
};

constexpr int kT4FramebufferMb = 16384;
constexpr NvType kT4Types[] = {
    {222, "GRID T4-1B", 4, 45, 1024, "5120x2880"},
    {223, "GRID T4-2B", 4, 45, 2048, "5120x2880"},
    {224, "GRID T4-2B4", 4, 45, 2048, "5120x2880"},
    {225, "GRID T4-1A", 1, 60, 1024, "1280x1024"},
    {226, "GRID T4-2A", 1, 60, 2048, "1280x1024"},
    {227, "GRID T4-4A", 1, 60, 4096, "1280x1024"},
    {228, "GRID T4-8A", 1, 60, 8192, "1280x1024"},
    {229, "GRID T4-16A", 1, 60, 16384, "1280x1024"},
    {230, "GRID T4-1Q", 4, 60, 1024, "5120x2880"},
    {231, "GRID T4-2Q", 4, 60, 2048, "7680x4320"},
    {232, "GRID T4-4Q", 4, 60, 4096, "7680x4320"},
    {233, "GRID T4-8Q", 4, 60, 8192, "7680x4320"},
    {234, "GRID T4-16Q", 4, 60, 16384, "7680x4320"},
};

constexpr int kA100FramebufferMb = 40960;
// nvidia-468..478; the last five are MIG-backed (max = GPU instances).
constexpr NvType kA100Types[] = {
    {468, "GRID A100-4C", 1, 60, 4096, "4096x2160"},
    {469, "GRID A100-5C", 1, 60, 5120, "4096x2160"},
    {470, "GRID A100-8C", 1, 60, 8192, "4096x2160"},
    {471, "GRID A100-10C", 1, 60, 10240, "4096x2160"},
    {472, "GRID A100-20C", 1, 60, 20480, "4096x2160"},
    {473, "GRID A100-40C", 1, 60, 40960, "4096x2160"},
    {474, "GRID A100-1-5C", 1, 60, 5120, "4096x2160", 7},
    {475, "GRID A100-2-10C", 1, 60, 10240, "4096x2160", 3},
    {476, "GRID A100-3-20C", 1, 60, 20480, "4096x2160"},
    {477, "GRID A100-4-20C", 1, 60, 20480, "4096x2160", 1},
    {478, "GRID A100-7-40C", 1, 60, 40960, "4096x2160"},
};

constexpr int kA10FramebufferMb = 24576;
constexpr NvType kA10Types[] = {
    {588, "NVIDIA A10-1B", 4, 45, 1024, "5120x2880"},
    {589, "NVIDIA A10-2B", 4, 45, 2048, "5120x2880"},
    {590, "NVIDIA A10-1Q", 4, 60, 1024, "5120x2880"},
    {591, "NVIDIA A10-2Q", 4, 60, 2048, "7680x4320"},
    {593, "NVIDIA A10-4Q", 4, 60, 4096, "7680x4320"},
    {595, "NVIDIA A10-8Q", 4, 60, 8192, "7680x4320"},
    {597, "NVIDIA A10-24Q", 4, 60, 24576, "7680x4320"},
    {610, "NVIDIA A10-4C", 1, 60, 4096, "4096x2160"},
    {614, "NVIDIA A10-24C", 1, 60, 24576, "4096x2160"},
};

MdevTypeSpec ToMdevType(const NvType& t, int total_mb, int available) {
  MdevTypeSpec spec;
  spec.id = absl::StrCat("nvidia-", t.id);
  spec.name = t.name;
  int max = t.max_instance != 0 ? t.max_instance : total_mb / t.framebuffer_mb;
  spec.description =
      NvidiaDescription(t.heads, t.frl, t.framebuffer_mb, t.resolution, max);
  spec.available_instances = available;
  return spec;
}

FunctionSpec NvidiaGpu(const std::string& bdf, uint16_t device,
                       uint16_t subsystem, int group, int numa,
                       const std::string& root_port) {
  FunctionSpec gpu = Endpoint(bdf, 0x10de, device, 0x030200, "nvidia", group,
                              numa, {root_port});
  gpu.subsystem_device = subsystem;
  return gpu;
}

// Adds `count` VFs of `pf` on driver nvidia, groups first_group.., each an
// mdev parent with `types`; `available(vf, type)` gives the counts.
template <typename Available>
absl::Status AddMdevVfs(SimHost& host, const FunctionSpec& pf, int count,
                        int first_group, const NvType* types, size_t n_types,
                        int total_mb, Available available) {
  for (int i = 0; i < count; ++i) {
    VGPU_ASSIGN_OR_RETURN(FunctionSpec vf,
                          VirtualFunction(pf, i, "nvidia", first_group + i));
    VGPU_RETURN_IF_ERROR(host.AddFunction(vf));
    for (size_t t = 0; t < n_types; ++t) {
      VGPU_RETURN_IF_ERROR(host.AddMdevType(
          vf.bdf, ToMdevType(types[t], total_mb, available(i, types[t]))));
    }
  }
  return absl::OkStatus();
}

// The two Tesla T4s of t4-vgpu (3b:00.0 NUMA 0, d8:00.0 NUMA 1) with every
// T4 type; 3b:00.0 accounts for `used_1q` T4-1Q instances (homogeneous:
// nvidia-230 reads max - used, every other type 0 once one exists).
absl::Status AddT4Pair(SimHost& host, int used_1q) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  FunctionSpec gpu0 =
      NvidiaGpu("0000:3b:00.0", 0x1eb8, 0x12a2, 27, 0, "0000:3a:00.0");
  FunctionSpec gpu1 =
      NvidiaGpu("0000:d8:00.0", 0x1eb8, 0x12a2, 91, 1, "0000:d7:00.0");
  gpu0.link_speed = gpu1.link_speed = "8.0 GT/s PCIe";
  VGPU_RETURN_IF_ERROR(
      AddAll(host, {Bridge("0000:3a:00.0", 0x8086, 0x2030, 26, 0), gpu0,
                    Bridge("0000:d7:00.0", 0x8086, 0x2030, 90, 1), gpu1}));
  for (const NvType& t : kT4Types) {
    int max = kT4FramebufferMb / t.framebuffer_mb;
    int avail0 = used_1q == 0 ? max : (t.id == 230 ? max - used_1q : 0);
    VGPU_RETURN_IF_ERROR(
        host.AddMdevType(gpu0.bdf, ToMdevType(t, kT4FramebufferMb, avail0)));
    VGPU_RETURN_IF_ERROR(
        host.AddMdevType(gpu1.bdf, ToMdevType(t, kT4FramebufferMb, max)));
  }
  return absl::OkStatus();
}

}  // namespace

// Two Tesla T4s on nvidia (vGPU manager), NUMA 0 and 1. Homogeneous
// accounting: 3b:00.0 holds two T4-1Q (nvidia-230 reads 14, every other type
// 0); d8:00.0 has none (every type at max_instance). The two instances have
// groups 100 and 101 and their dev/vfio nodes.
absl::Status BuildT4Vgpu(SimHost& host) {
  VGPU_RETURN_IF_ERROR(AddT4Pair(host, 2));
  VGPU_RETURN_IF_ERROR(host.AddMdev("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a01",
                                    "0000:3b:00.0", "nvidia-230", 100));
  return host.AddMdev("86e2a6f4-3b1c-4f0e-9d2a-5c7b8e1f0a02", "0000:3b:00.0",
                      "nvidia-230", 101);
}

// The T4 host of t4-vgpu before any vGPU exists: both GPUs are mdev parents
// with every type at max_instance and no instances, for `--serve` runs that
// create them by writing `create`.
absl::Status BuildT4Empty(SimHost& host) { return AddT4Pair(host, 0); }

// A100 40GB PF 41:00.0 with all 16 VFs (ARI: 41:00.4 .. 41:02.3), each VF
// its own group 41..56 and an mdev parent of the C-series types. One
// A100-4C lives on VF0 and one on VF1 (new groups 200, 201): those VFs read
// 0 everywhere, the others 1 for A100-4C only (2 of 10 used) and 0 for the
// other sizes and the MIG-backed types (MIG off). The PF exposes no types.
// An A10 PF c1:00.0 (NUMA 1) has 4 VFs with nothing created yet.
absl::Status BuildA100Sriov(SimHost& host) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  FunctionSpec a100 =
      NvidiaGpu("0000:41:00.0", 0x20f1, 0x145f, 40, 0, "0000:40:01.1");
  a100.sriov_totalvfs = 16;
  FunctionSpec a10 =
      NvidiaGpu("0000:c1:00.0", 0x2236, 0x1482, 120, 1, "0000:c0:01.1");
  a10.sriov_totalvfs = 32;
  VGPU_RETURN_IF_ERROR(
      AddAll(host, {Bridge("0000:40:01.1", 0x1022, 0x1483, 39, 0), a100,
                    Bridge("0000:c0:01.1", 0x1022, 0x1483, 119, 1), a10}));
  VGPU_RETURN_IF_ERROR(AddMdevVfs(
      host, a100, 16, 41, kA100Types, std::size(kA100Types), kA100FramebufferMb,
      [](int vf, const NvType& t) { return vf >= 2 && t.id == 468 ? 1 : 0; }));
  VGPU_RETURN_IF_ERROR(AddMdevVfs(host, a10, 4, 121, kA10Types,
                                  std::size(kA10Types), kA10FramebufferMb,
                                  [](int, const NvType&) { return 1; }));
  VGPU_RETURN_IF_ERROR(host.AddMdev("3f8e5c1a-7b2d-4e6f-8a9b-1c2d3e4f5a01",
                                    "0000:41:00.4", "nvidia-468", 200));
  return host.AddMdev("3f8e5c1a-7b2d-4e6f-8a9b-1c2d3e4f5a02", "0000:41:00.5",
                      "nvidia-468", 201);
}

// vGPU 17+ on Ada: L40S PF 01:00.0 (nvidia, NUMA 0) with 8 VFs 01:00.4 ..
// 01:01.3 on nvidia as vendor VFIO devices (groups 15..22, vfio-dev/vfio0..7,
// dev/vfio/devices/vfioN). VF0 and VF1 run an L40S-2Q (current_vgpu_type
// 1148, nothing more creatable on them); the other VFs can create only
// L40S-2Q now (homogeneous, 2 of 24 used). A second L40S 81:00.0 (NUMA 1)
// has SR-IOV off. No mdev bus at all; iommufd and the legacy container.
absl::Status BuildAdaVfVgpu(SimHost& host) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  VGPU_RETURN_IF_ERROR(host.SetIommufd(true));
  FunctionSpec pf0 =
      NvidiaGpu("0000:01:00.0", 0x26b9, 0x1851, 14, 0, "0000:00:01.1");
  FunctionSpec pf1 =
      NvidiaGpu("0000:81:00.0", 0x26b9, 0x1851, 40, 1, "0000:80:01.1");
  for (FunctionSpec* pf : {&pf0, &pf1}) {
    pf->sriov_totalvfs = 32;
    pf->link_speed = "16.0 GT/s PCIe";
  }
  VGPU_RETURN_IF_ERROR(
      AddAll(host, {Bridge("0000:00:01.1", 0x8086, 0x352a, 13, 0), pf0,
                    Bridge("0000:80:01.1", 0x8086, 0x352a, 39, 1), pf1}));
  // Catalogue 1147 L40S-1Q, 1148 L40S-2Q, 1149 -3Q, ... 1156 -48Q.
  const std::map<int, std::string> only_2q = {{1148, "NVIDIA L40S-2Q"}};
  for (int i = 0; i < 8; ++i) {
    VGPU_ASSIGN_OR_RETURN(FunctionSpec vf,
                          VirtualFunction(pf0, i, "nvidia", 15 + i));
    vf.vfio_cdev = i;
    VGPU_RETURN_IF_ERROR(host.AddFunction(vf));
    bool busy = i < 2;
    VGPU_RETURN_IF_ERROR(host.SetNvidiaVgpu(
        vf.bdf, busy ? std::map<int, std::string>{} : only_2q,
        busy ? 1148 : 0));
  }
  return absl::OkStatus();
}

}  // namespace vgpu::simhost::internal
