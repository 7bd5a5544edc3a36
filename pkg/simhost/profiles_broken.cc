// Profile `broken`: one device per edge case of docs/sysfs.md, so a
// reader can be checked to skip or flag each one and carry on. Every GPU is
// an RTX A6000 (10de:2230, class 0x030000) on its own root bus, and its
// IOMMU group is its bus number read as decimal (0x0e -> 14), unless noted.
// What each device exercises:
//   0000:01:00.0  numa_node "-1": no NUMA affinity (valid, viable).
//   0000:02:00.0  no numa_node file at all (!CONFIG_NUMA) (valid, viable).
//   0000:03:00.0  no IOMMU: no iommu_group link, bound to nouveau.
//   0000:04:00.0  unbound GPU (no driver link), group 4: not an error.
//   0000:05:00.0  GPU on vfio-pci + 05:00.1 audio on snd_hda_intel, group 5:
//                 not viable because of the non-VFIO companion.
//   0000:00:06.0  pcieport bridge sharing group 6 with 06:00.0 GPU + 06:00.1
//                 audio, both vfio-pci: viable (bridges don't count).
//   0000:07:00.0  GH200 10de:2342 on the vendor variant nvgrace_gpu_vfio_pci.
//   0000:08:00.0  vendor "10de\n" without 0x.
//   0000:09:00.0  empty class file.
//   0000:0a:00.0  device "0x2230\r\n" (CRLF).
//   0000:0b:00.0  no vendor file.
//   0000:0c:00.0  dangling iommu_group link (group 999 does not exist).
//   0000:0d:00.0  iommu_group -> iommu_group symlink loop (ELOOP).
//   0000:0e:00.0  device and current_link_speed mode 0000 (EACCES non-root).
//   10000:e1:00.0 VMD domain: GPU behind root port 10000:e0:06.0 (group 16)
//                 on a root bus under the VMD controller 0000:00:0e.0 (vmd,
//                 group 15).
//   0000:10:00.0  Tesla T4 on nvidia, group 23, mdev parent with nvidia-230
//                 (name and description) and nvidia-999 (neither file); one
//                 instance created from an upper-case UUID (its directory is
//                 lower-case), group 22.
//   0000:11:00.0  vendor "0x10DE\n" (upper-case hex).
//   0000:12:00.0  vendor "0x10d\n" (truncated).
//   0000:13:00.0  device "0x2230" without trailing newline (tolerable).
//   0000:14:00.0  vfio-pci, group 20, but dev/vfio/20 has vanished.
//   0000:15:00.0  bus entry left dangling: the device vanished mid-scan.
// The host has no dev/vfio/vfio (CONFIG_VFIO_CONTAINER=n) and no dev/iommu.
#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"
#include "pkg/simhost/pci_format.h"
#include "pkg/simhost/profiles.h"

namespace vgpu::simhost::internal {
namespace {

FunctionSpec A6000(const std::string& bdf, const std::string& driver,
                   std::optional<int> group,
                   std::vector<std::string> bridges = {}) {
  FunctionSpec gpu = Endpoint(bdf, 0x10de, 0x2230, 0x030000, driver, group, -1,
                              std::move(bridges));
  gpu.subsystem_device = 0x1459;
  return gpu;
}

FunctionSpec Audio(const std::string& bdf, const std::string& driver, int group,
                   std::vector<std::string> bridges = {}) {
  FunctionSpec audio = Endpoint(bdf, 0x10de, 0x1aef, 0x040300, driver, group,
                                -1, std::move(bridges));
  audio.subsystem_device = 0x1459;
  return audio;
}

absl::Status AddPlainCases(SimHost& host) {
  FunctionSpec no_numa = A6000("0000:02:00.0", "vfio-pci", 2);
  no_numa.numa_node.reset();
  FunctionSpec grace = A6000("0000:07:00.0", "nvgrace_gpu_vfio_pci", 7);
  grace.device = 0x2342;
  grace.class_code = 0x030200;
  return AddAll(host,
                {
                    A6000("0000:01:00.0", "vfio-pci", 1),
                    no_numa,
                    A6000("0000:03:00.0", "nouveau", std::nullopt),
                    A6000("0000:04:00.0", "", 4),
                    A6000("0000:05:00.0", "vfio-pci", 5),
                    Audio("0000:05:00.1", "snd_hda_intel", 5),
                    Bridge("0000:00:06.0", 0x8086, 0x1901, 6, -1),
                    A6000("0000:06:00.0", "vfio-pci", 6, {"0000:00:06.0"}),
                    Audio("0000:06:00.1", "vfio-pci", 6, {"0000:00:06.0"}),
                    grace,
                });
}

// Devices whose attribute files are garbage, missing or unreadable.
absl::Status AddGarbageCases(SimHost& host) {
  for (const char* bdf :
       {"0000:08:00.0", "0000:09:00.0", "0000:0a:00.0", "0000:0b:00.0",
        "0000:0e:00.0", "0000:11:00.0", "0000:12:00.0", "0000:13:00.0"}) {
    VGPU_ASSIGN_OR_RETURN(Bdf parsed, ParseBdf(bdf));
    VGPU_RETURN_IF_ERROR(
        host.AddFunction(A6000(bdf, "vfio-pci", static_cast<int>(parsed.bus))));
  }
  struct RawFile {
    const char* bdf;
    const char* file;
    const char* content;
  };
  const RawFile raw[] = {
      {"0000:08:00.0", "vendor", "10de\n"},
      {"0000:09:00.0", "class", ""},
      {"0000:0a:00.0", "device", "0x2230\r\n"},
      {"0000:11:00.0", "vendor", "0x10DE\n"},
      {"0000:12:00.0", "vendor", "0x10d\n"},
      {"0000:13:00.0", "device", "0x2230"},
  };
  for (const RawFile& r : raw) {
    VGPU_ASSIGN_OR_RETURN(std::string dir, host.DevicePath(r.bdf));
    VGPU_RETURN_IF_ERROR(
        host.WriteRaw(absl::StrCat(dir, "/", r.file), r.content));
  }
  VGPU_ASSIGN_OR_RETURN(std::string missing, host.DevicePath("0000:0b:00.0"));
  VGPU_RETURN_IF_ERROR(host.RemoveRaw(absl::StrCat(missing, "/vendor")));
  VGPU_ASSIGN_OR_RETURN(std::string locked, host.DevicePath("0000:0e:00.0"));
  VGPU_RETURN_IF_ERROR(host.ChmodRaw(absl::StrCat(locked, "/device"), 0));
  return host.ChmodRaw(absl::StrCat(locked, "/current_link_speed"), 0);
}

// Broken links: dangling group, group loop, vanished node and bus entry.
absl::Status AddLinkCases(SimHost& host) {
  VGPU_RETURN_IF_ERROR(
      AddAll(host, {A6000("0000:0c:00.0", "vfio-pci", std::nullopt),
                    A6000("0000:0d:00.0", "vfio-pci", std::nullopt),
                    A6000("0000:14:00.0", "vfio-pci", 20)}));
  VGPU_ASSIGN_OR_RETURN(std::string dangling, host.DevicePath("0000:0c:00.0"));
  VGPU_RETURN_IF_ERROR(host.SymlinkRaw(absl::StrCat(dangling, "/iommu_group"),
                                       "../../../kernel/iommu_groups/999"));
  VGPU_ASSIGN_OR_RETURN(std::string loop, host.DevicePath("0000:0d:00.0"));
  VGPU_RETURN_IF_ERROR(
      host.SymlinkRaw(absl::StrCat(loop, "/iommu_group"), "iommu_group"));
  VGPU_RETURN_IF_ERROR(host.RemoveVfioGroupNode(20));
  return host.SymlinkRaw("sys/bus/pci/devices/0000:15:00.0",
                         "../../../devices/pci0000:15/0000:15:00.0");
}

absl::Status AddVmdAndMdevCases(SimHost& host) {
  FunctionSpec vmd =
      Endpoint("0000:00:0e.0", 0x8086, 0x467f, 0x010400, "vmd", 15, -1);
  vmd.link_speed = "";
  FunctionSpec port = Bridge("10000:e0:06.0", 0x8086, 0x464d, 16, -1);
  port.root_bus_parent = vmd.bdf;
  FunctionSpec t4 =
      Endpoint("0000:10:00.0", 0x10de, 0x1eb8, 0x030200, "nvidia", 23, -1);
  t4.subsystem_device = 0x12a2;
  VGPU_RETURN_IF_ERROR(AddAll(
      host,
      {vmd, port, A6000("10000:e1:00.0", "vfio-pci", 16, {port.bdf}), t4}));
  MdevTypeSpec named{"nvidia-230", "GRID T4-1Q",
                     NvidiaDescription(4, 60, 1024, "5120x2880", 16),
                     "vfio-pci", 15};
  MdevTypeSpec bare{"nvidia-999", "", "", "vfio-pci", 0};
  VGPU_RETURN_IF_ERROR(host.AddMdevType(t4.bdf, named));
  VGPU_RETURN_IF_ERROR(host.AddMdevType(t4.bdf, bare));
  return host.AddMdev("C0FFEE00-AAAA-4BBB-8CCC-DDDDEEEEFFFF", t4.bdf,
                      "nvidia-230", 22);
}

}  // namespace

absl::Status BuildBroken(SimHost& host) {
  VGPU_RETURN_IF_ERROR(AddPlainCases(host));
  VGPU_RETURN_IF_ERROR(AddGarbageCases(host));
  VGPU_RETURN_IF_ERROR(AddLinkCases(host));
  return AddVmdAndMdevCases(host);
}

}  // namespace vgpu::simhost::internal
