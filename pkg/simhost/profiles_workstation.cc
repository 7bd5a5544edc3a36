// Profiles `workstation`, `intel-gvt` and `amd-sriov` of docs/sysfs.md.
// BDFs and groups of the workstation are from a real
// TRX40 dump; subsystem ids, drivers of companions and the AMD VF placement
// are illustrative.
#include "pkg/base/status_macros.h"
#include "pkg/simhost/profiles.h"

namespace vgpu::simhost::internal {
namespace {

FunctionSpec RtxA6000(const std::string& bdf, const std::string& driver,
                      int group, const std::string& root_port) {
  FunctionSpec gpu =
      Endpoint(bdf, 0x10de, 0x2230, 0x030000, driver, group, -1, {root_port});
  gpu.subsystem_device = 0x1459;
  return gpu;
}

FunctionSpec HdmiAudio(const std::string& bdf, uint16_t device,
                       const std::string& driver, int group,
                       const std::string& root_port) {
  FunctionSpec audio =
      Endpoint(bdf, 0x10de, device, 0x040300, driver, group, -1, {root_port});
  audio.subsystem_device = 0x1459;
  return audio;
}

}  // namespace

// Two RTX A6000s for passthrough, each with its HDMI audio function in the
// same group: group 25 fully on vfio-pci (viable), group 10 with the audio
// still on snd_hda_intel (not viable). A Quadro K420 drives the host display
// on nvidia (group 24, to be skipped). Root ports sit in their own groups;
// single-socket firmware reports numa_node -1 everywhere.
absl::Status BuildWorkstation(SimHost& host) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  FunctionSpec k420 = Endpoint("0000:41:00.0", 0x10de, 0x0ff3, 0x030000,
                               "nvidia", 24, -1, {"0000:40:01.1"});
  k420.subsystem_device = 0x1098;
  k420.boot_vga = true;
  k420.link_speed = "5.0 GT/s PCIe";
  FunctionSpec k420_audio =
      HdmiAudio("0000:41:00.1", 0x0e1b, "snd_hda_intel", 24, "0000:40:01.1");
  k420_audio.subsystem_device = 0x1098;
  k420_audio.link_speed = "5.0 GT/s PCIe";
  return AddAll(
      host,
      {
          Bridge("0000:40:01.1", 0x1022, 0x1483, 14, -1),
          Bridge("0000:40:03.1", 0x1022, 0x1483, 17, -1),
          Bridge("0000:60:03.1", 0x1022, 0x1483, 3, -1),
          k420,
          k420_audio,
          RtxA6000("0000:42:00.0", "vfio-pci", 25, "0000:40:03.1"),
          HdmiAudio("0000:42:00.1", 0x1aef, "vfio-pci", 25, "0000:40:03.1"),
          RtxA6000("0000:61:00.0", "vfio-pci", 10, "0000:60:03.1"),
          HdmiAudio("0000:61:00.1", 0x1aef, "snd_hda_intel", 10,
                    "0000:60:03.1"),
      });
}

// A CoffeeLake iGPU on the root bus with GVT-g on a 256 MB aperture: only
// V5_4 (1 at init) and V5_8 (2 at init) exist, sharing one pool. One V5_8
// instance exists, so V5_8 reads 1 and V5_4 0 (K-gvt accounting). The
// instance got the lowest free group, 4.
absl::Status BuildIntelGvt(SimHost& host) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  FunctionSpec host_bridge =
      Endpoint("0000:00:00.0", 0x8086, 0x3ec2, 0x060000, "skl_uncore", 0, -1);
  FunctionSpec igpu =
      Endpoint("0000:00:02.0", 0x8086, 0x3e92, 0x030000, "i915", 2, -1);
  igpu.subsystem_vendor = 0x1028;
  igpu.subsystem_device = 0x085a;
  igpu.revision = 0x00;
  igpu.boot_vga = true;
  FunctionSpec xhci =
      Endpoint("0000:00:14.0", 0x8086, 0xa36d, 0x0c0330, "xhci_hcd", 3, -1);
  for (FunctionSpec* f : {&host_bridge, &igpu, &xhci}) f->link_speed = "";
  VGPU_RETURN_IF_ERROR(
      AddAll(host, {host_bridge, Bridge("0000:00:01.0", 0x8086, 0x1901, 1, -1),
                    igpu, xhci}));
  MdevTypeSpec v5_4{"i915-GVTg_V5_4", "GVTg_V5_4",
                    "low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\n"
                    "resolution: 1920x1200\nweight: 4\n",
                    "vfio-pci", 0};
  MdevTypeSpec v5_8{"i915-GVTg_V5_8", "GVTg_V5_8",
                    "low_gm_size: 64MB\nhigh_gm_size: 384MB\nfence: 4\n"
                    "resolution: 1024x768\nweight: 2\n",
                    "vfio-pci", 1};
  VGPU_RETURN_IF_ERROR(host.AddMdevType("0000:00:02.0", v5_4));
  VGPU_RETURN_IF_ERROR(host.AddMdevType("0000:00:02.0", v5_8));
  return host.AddMdev("f1c3a6e2-5d4b-4c8e-9a7f-0b2d3e4f5a61", "0000:00:02.0",
                      "i915-GVTg_V5_8", 4);
}

// An Instinct MI210 as SR-IOV host (PF on the out-of-tree `gim` driver, one
// VF 1002:7410 on vfio-pci), behind the card's two bridges as in real lspci,
// plus a second MI210 in plain passthrough on vfio-pci. No mdev anywhere.
absl::Status BuildAmdSriov(SimHost& host) {
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  const std::vector<std::string> card0 = {"0000:40:01.1", "0000:4a:00.0",
                                          "0000:4b:00.0"};
  const std::vector<std::string> card1 = {"0000:80:01.1", "0000:8a:00.0",
                                          "0000:8b:00.0"};
  FunctionSpec pf =
      Endpoint("0000:4c:00.0", 0x1002, 0x740f, 0x038000, "gim", 51, 0, card0);
  pf.subsystem_device = 0x0c34;
  pf.revision = 0x02;
  pf.sriov_totalvfs = 1;
  pf.sriov_offset = 1;
  pf.sriov_vf_device = 0x7410;
  FunctionSpec passthrough = pf;
  passthrough.bdf = "0000:8c:00.0";
  passthrough.driver = "vfio-pci";
  passthrough.iommu_group = 83;
  passthrough.numa_node = 1;
  passthrough.parent_bridges = card1;
  passthrough.sriov_totalvfs.reset();
  VGPU_ASSIGN_OR_RETURN(FunctionSpec vf,
                        VirtualFunction(pf, 0, "vfio-pci", 52));
  return AddAll(
      host,
      {
          Bridge("0000:40:01.1", 0x1022, 0x1483, 48, 0),
          Bridge("0000:4a:00.0", 0x1022, 0x14c7, 49, 0, {card0[0]}),
          Bridge("0000:4b:00.0", 0x1002, 0x14c8, 50, 0, {card0[0], card0[1]}),
          pf,
          vf,
          Bridge("0000:80:01.1", 0x1022, 0x1483, 80, 1),
          Bridge("0000:8a:00.0", 0x1022, 0x14c7, 81, 1, {card1[0]}),
          Bridge("0000:8b:00.0", 0x1002, 0x14c8, 82, 1, {card1[0], card1[1]}),
          passthrough,
      });
}

}  // namespace vgpu::simhost::internal
