// Profiles `h100-hgx` (docs/sysfs.md: 8x H100 SXM + 4 NVSwitch
// behind PEX switches, iommufd), `large` (parametrised SR-IOV + mdev host
// for benchmarks) and `passthrough` (parametrised whole-GPU host). Ids of GPUs,
// NVSwitches, PEX ports and the NIC are from pci.ids; switch placement, groups,
// root-port ids (8086:352a) and the NIC position are illustrative.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/base/status_macros.h"
#include "pkg/simhost/profiles.h"

namespace vgpu::simhost::internal {
namespace {

// One PEX switch under a root port with two H100s on two downstream ports.
struct GpuPair {
  const char* root_port;
  const char* upstream;
  const char* down[2];
  const char* gpu[2];
  int gpu_group[2];
  int numa;
};

constexpr GpuPair kPairs[] = {
    {"0000:15:01.0",
     "0000:16:00.0",
     {"0000:17:00.0", "0000:17:01.0"},
     {"0000:1b:00.0", "0000:43:00.0"},
     {30, 31},
     0},
    {"0000:48:01.0",
     "0000:49:00.0",
     {"0000:4a:00.0", "0000:4a:01.0"},
     {"0000:52:00.0", "0000:61:00.0"},
     {32, 33},
     0},
    {"0000:97:01.0",
     "0000:98:00.0",
     {"0000:99:00.0", "0000:99:01.0"},
     {"0000:9d:00.0", "0000:c3:00.0"},
     {60, 61},
     1},
    {"0000:c7:01.0",
     "0000:c8:00.0",
     {"0000:c9:00.0", "0000:c9:01.0"},
     {"0000:d1:00.0", "0000:df:00.0"},
     {62, 63},
     1},
};

FunctionSpec PexPort(const std::string& bdf, int group, int numa,
                     std::vector<std::string> bridges) {
  FunctionSpec port =
      Bridge(bdf, 0x1000, 0xc030, group, numa, std::move(bridges));
  port.link_speed = "32.0 GT/s PCIe";
  return port;
}

absl::Status AddGpuPair(SimHost& host, const GpuPair& p, int first_cdev,
                        int* bridge_group) {
  FunctionSpec rp =
      Bridge(p.root_port, 0x8086, 0x352a, (*bridge_group)++, p.numa);
  VGPU_RETURN_IF_ERROR(host.AddFunction(rp));
  VGPU_RETURN_IF_ERROR(host.AddFunction(
      PexPort(p.upstream, (*bridge_group)++, p.numa, {p.root_port})));
  for (int i = 0; i < 2; ++i) {
    VGPU_RETURN_IF_ERROR(host.AddFunction(PexPort(
        p.down[i], (*bridge_group)++, p.numa, {p.root_port, p.upstream})));
    FunctionSpec gpu =
        Endpoint(p.gpu[i], 0x10de, 0x2330, 0x030200, "vfio-pci", p.gpu_group[i],
                 p.numa, {p.root_port, p.upstream, p.down[i]});
    gpu.subsystem_device = 0x16c1;
    gpu.link_speed = "32.0 GT/s PCIe";
    gpu.vfio_cdev = first_cdev + i;
    // BAR0 16 MiB, BAR1 128 GiB (64-bit prefetchable), BAR3 32 MiB.
    gpu.bar_sizes = {
        uint64_t{16} << 20, uint64_t{128} << 30, 0, uint64_t{32} << 20, 0, 0};
    VGPU_RETURN_IF_ERROR(host.AddFunction(gpu));
  }
  return absl::OkStatus();
}

// Root port 00:01.0 -> PEX upstream 03:00.0 -> downstream 04:0N.0 ->
// NVSwitch 07..0a:00.0 (class 0x068000, groups 20..23, vfio-dev 8..11).
absl::Status AddNvSwitches(SimHost& host, int* bridge_group) {
  const std::string rp = "0000:00:01.0";
  const std::string up = "0000:03:00.0";
  VGPU_RETURN_IF_ERROR(
      host.AddFunction(Bridge(rp, 0x8086, 0x352a, (*bridge_group)++, 0)));
  VGPU_RETURN_IF_ERROR(
      host.AddFunction(PexPort(up, (*bridge_group)++, 0, {rp})));
  for (int i = 0; i < 4; ++i) {
    const std::string down = absl::StrFormat("0000:04:%02x.0", i);
    VGPU_RETURN_IF_ERROR(
        host.AddFunction(PexPort(down, (*bridge_group)++, 0, {rp, up})));
    FunctionSpec sw =
        Endpoint(absl::StrFormat("0000:%02x:00.0", 7 + i), 0x10de, 0x22a3,
                 0x068000, "vfio-pci", 20 + i, 0, {rp, up, down});
    sw.subsystem_device = 0x1796;
    sw.link_speed = "16.0 GT/s PCIe";
    sw.link_width = 2;
    sw.vfio_cdev = 8 + i;
    VGPU_RETURN_IF_ERROR(host.AddFunction(sw));
  }
  return absl::OkStatus();
}

}  // namespace

// 8x H100 SXM5 on vfio-pci: groups 30-33 (NUMA 0) and 60-63 (NUMA 1), two
// per PEX switch, each 3 bridges below its root (root port, switch upstream,
// switch downstream). 4 NVSwitches on vfio-pci (groups 20-23, NUMA 0). A
// ConnectX-7 on mlx5_core shares the first switch as noise. iommufd host:
// dev/iommu and vfio-dev/vfioN on every VFIO function, plus dev/vfio/vfio.
absl::Status BuildH100Hgx(SimHost& host) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  VGPU_RETURN_IF_ERROR(host.SetIommufd(true));
  int bridge_group = 100;
  VGPU_RETURN_IF_ERROR(AddNvSwitches(host, &bridge_group));
  int cdev = 0;
  for (const GpuPair& pair : kPairs) {
    VGPU_RETURN_IF_ERROR(AddGpuPair(host, pair, cdev, &bridge_group));
    cdev += 2;
  }
  const GpuPair& first = kPairs[0];
  const std::string nic_port = "0000:17:02.0";
  VGPU_RETURN_IF_ERROR(host.AddFunction(
      PexPort(nic_port, bridge_group++, 0, {first.root_port, first.upstream})));
  FunctionSpec nic =
      Endpoint("0000:2a:00.0", 0x15b3, 0x1021, 0x020700, "mlx5_core",
               bridge_group++, 0, {first.root_port, first.upstream, nic_port});
  nic.subsystem_device = 0x0041;
  nic.revision = 0x00;
  nic.link_speed = "32.0 GT/s PCIe";
  return host.AddFunction(nic);
}

namespace {

// `gpus` A100 PFs (nvidia), each behind its own root port 0000:00:SS.F, with
// `vfs_per_gpu` VFs (ARI, offset 4). Every VF is an mdev parent of one type
// (nvidia-468, GRID A100-4C). With `instances` each VF holds one, so every
// type reads 0; without, each reads 1 (the Ampere rule, §3.6). Groups are
// numbered in creation order: root port, PF, then VF and mdev alternately.
// NUMA 0 for the first half of the GPUs, 1 for the rest.
absl::Status BuildLargeHost(SimHost& host, absl::string_view name,
                            const ProfileOptions& options, bool instances) {
  VGPU_RETURN_IF_ERROR(CheckProfile(name, options));
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  MdevTypeSpec type{"nvidia-468", "GRID A100-4C",
                    NvidiaDescription(1, 60, 4096, "4096x2160", 10), "vfio-pci",
                    instances ? 0 : 1};
  int group = 0;
  for (int i = 0; i < options.gpus; ++i) {
    int numa = i < (options.gpus + 1) / 2 ? 0 : 1;
    const std::string rp = absl::StrFormat("0000:00:%02x.%d", 1 + i / 8, i % 8);
    VGPU_RETURN_IF_ERROR(
        host.AddFunction(Bridge(rp, 0x1022, 0x1483, group++, numa)));
    FunctionSpec pf = Endpoint(absl::StrFormat("0000:%02x:00.0", i + 1), 0x10de,
                               0x20f1, 0x030200, "nvidia", group++, numa, {rp});
    pf.subsystem_device = 0x145f;
    pf.sriov_totalvfs = options.vfs_per_gpu;
    VGPU_RETURN_IF_ERROR(host.AddFunction(pf));
    for (int j = 0; j < options.vfs_per_gpu; ++j) {
      VGPU_ASSIGN_OR_RETURN(FunctionSpec vf,
                            VirtualFunction(pf, j, "nvidia", group++));
      VGPU_RETURN_IF_ERROR(host.AddFunction(vf));
      VGPU_RETURN_IF_ERROR(host.AddMdevType(vf.bdf, type));
      if (!instances) continue;
      VGPU_RETURN_IF_ERROR(
          host.AddMdev(absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x",
                                       0x5eed0000 + i, j, i, j, i * 1000 + j),
                       vf.bdf, type.id, group++));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildLarge(SimHost& host, const ProfileOptions& options) {
  return BuildLargeHost(host, "large", options, /*instances=*/true);
}

// What `vgpuctl apply` fills (bench/layout_bench): A100-4C reads
// max_instance=10, so 10 instances per GPU at most (--vfs 8 fits).
absl::Status BuildLargeEmpty(SimHost& host, const ProfileOptions& options) {
  return BuildLargeHost(host, "large-empty", options, /*instances=*/false);
}

// `gpus` RTX 6000 Ada boards (10de:26b1, VGA class) for passthrough, each
// behind its own root port 0000:00:SS.F on bus i+1, with its HDMI audio
// function (10de:22ba) at .1: both on vfio-pci and alone in one IOMMU group,
// as a server with ACS on every root port shows them. Groups in creation
// order (root port, then the GPU's); vfio-dev/vfio<2i> on GPU i and
// vfio<2i+1> on its audio. NUMA 0 for the first half of the GPUs, 1 for the
// rest. `vfs_per_gpu` is ignored.
absl::Status BuildPassthrough(SimHost& host, const ProfileOptions& options) {
  VGPU_RETURN_IF_ERROR(CheckProfile("passthrough", options));
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  int group = 0;
  for (int i = 0; i < options.gpus; ++i) {
    const int numa = i < (options.gpus + 1) / 2 ? 0 : 1;
    const std::string rp = absl::StrFormat("0000:00:%02x.%d", 1 + i / 8, i % 8);
    VGPU_RETURN_IF_ERROR(
        host.AddFunction(Bridge(rp, 0x1022, 0x1483, group++, numa)));
    const int gpu_group = group++;
    FunctionSpec gpu =
        Endpoint(absl::StrFormat("0000:%02x:00.0", i + 1), 0x10de, 0x26b1,
                 0x030000, "vfio-pci", gpu_group, numa, {rp});
    gpu.subsystem_device = 0x16a1;
    gpu.vfio_cdev = 2 * i;
    FunctionSpec audio =
        Endpoint(absl::StrFormat("0000:%02x:00.1", i + 1), 0x10de, 0x22ba,
                 0x040300, "vfio-pci", gpu_group, numa, {rp});
    audio.subsystem_device = 0x16a1;
    audio.vfio_cdev = 2 * i + 1;
    VGPU_RETURN_IF_ERROR(AddAll(host, {gpu, audio}));
  }
  return absl::OkStatus();
}

}  // namespace vgpu::simhost::internal
