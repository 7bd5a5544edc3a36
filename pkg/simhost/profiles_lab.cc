// Profiles measured on a stock Debian kernel in the real-kernel lab (QEMU
// q35 with an emulated IOMMU): two "GPU + HDMI audio" slots on vfio-pci,
// one behind a second root bus on NUMA node 1, neither the boot console.
//   stock-debian    6.1/6.12 without VFIO_DEVICE_CDEV: vfio-dev/vfioN
//                   without `dev`, no dev/vfio/devices, no dev/iommu.
//   mdev-no-parent  the same with mdev.ko loaded and no parent registered.
//   mdev-virtual    the same with the kernel's sample parents mbochs and
//                   mtty (virtual devices, not PCI) and one mbochs-medium.
#include <vector>

#include "pkg/base/status_macros.h"
#include "pkg/simhost/profiles.h"

namespace vgpu::simhost::internal {
namespace {

constexpr uint16_t kQemuVendor = 0x1234;
constexpr uint16_t kQemuVga = 0x1111;
constexpr uint16_t kRedHat = 0x1b36;

// QEMU devices have no PM capability; bound through driver_override.
FunctionSpec LabEndpoint(const std::string& bdf, uint16_t vendor,
                         uint16_t device, uint32_t class_code, int group,
                         int numa, const std::string& root_port, int cdev) {
  FunctionSpec spec = Endpoint(bdf, vendor, device, class_code, "vfio-pci",
                               group, numa, {root_port});
  spec.subsystem_vendor = 0x1af4;
  spec.subsystem_device = 0x1100;
  spec.driver_override = "vfio-pci";
  spec.pm_capable = false;
  spec.vfio_cdev = cdev;
  spec.link_speed = "";
  return spec;
}

// The slot's function 0 gets the bus reset; function 1 none (the kernel
// judges bus reset when function 0 is added, before function 1 exists).
std::vector<FunctionSpec> LabSlot(const std::string& root_port,
                                  const std::string& slot, uint32_t gpu_class,
                                  int group, int numa, int first_cdev) {
  FunctionSpec gpu = LabEndpoint(slot + ".0", kQemuVendor, kQemuVga, gpu_class,
                                 group, numa, root_port, first_cdev);
  gpu.revision = 0x02;
  // In the lab the guest's console sat on 01:00.0 (boot_vga 1); here the
  // console is elsewhere, so `vgpuctl doctor` passes as on a server.
  gpu.boot_vga = false;
  gpu.reset_method = "bus";
  FunctionSpec audio = LabEndpoint(slot + ".1", 0x8086, 0x293e, 0x040300, group,
                                   numa, root_port, first_cdev + 1);
  audio.revision = 0x03;
  return {gpu, audio};
}

FunctionSpec LabRootPort(const std::string& bdf, int group, int numa) {
  FunctionSpec port = Bridge(bdf, kRedHat, 0x000c, group, numa);
  port.subsystem_device = 0x0000;
  port.pm_capable = false;
  port.link_speed = "";
  return port;
}

}  // namespace

absl::Status BuildStockDebian(SimHost& host) {
  host.SetVfioCdevSupport(false);
  VGPU_RETURN_IF_ERROR(host.SetLegacyVfioContainer(true));
  FunctionSpec pxb =
      Endpoint("0000:00:05.0", kRedHat, 0x000b, 0x060000, "", std::nullopt, -1);
  pxb.pm_capable = false;
  pxb.link_speed = "";
  std::vector<FunctionSpec> specs = {
      LabRootPort("0000:00:03.0", 3, -1),
      pxb,
      LabRootPort("0000:40:03.0", 7, 1),
  };
  for (const FunctionSpec& f :
       LabSlot("0000:00:03.0", "0000:01:00", 0x030000, 6, -1, 0)) {
    specs.push_back(f);
  }
  for (const FunctionSpec& f :
       LabSlot("0000:40:03.0", "0000:41:00", 0x038000, 8, 1, 2)) {
    specs.push_back(f);
  }
  return AddAll(host, specs);
}

absl::Status BuildMdevNoParent(SimHost& host) {
  VGPU_RETURN_IF_ERROR(BuildStockDebian(host));
  return host.LoadMdevCore();
}

absl::Status BuildMdevVirtual(SimHost& host) {
  VGPU_RETURN_IF_ERROR(BuildStockDebian(host));
  VGPU_RETURN_IF_ERROR(host.AddVirtualMdevParent("mbochs", "mbochs", "mbochs"));
  VGPU_RETURN_IF_ERROR(host.AddVirtualMdevParent("mtty", "mtty", "mtty"));
  // modprobe mbochs count=64, after one mbochs-medium: one 64 MB pool.
  const MdevTypeSpec mbochs[] = {
      {"mbochs-large", "mbochs-large", "virtual display, 64 MB video memory",
       "vfio-pci", 0},
      {"mbochs-medium", "mbochs-medium", "virtual display, 16 MB video memory",
       "vfio-pci", 3},
      {"mbochs-small", "mbochs-small", "virtual display, 4 MB video memory",
       "vfio-pci", 12},
  };
  for (const MdevTypeSpec& type : mbochs) {
    VGPU_RETURN_IF_ERROR(host.AddMdevType("mbochs", type));
  }
  VGPU_RETURN_IF_ERROR(host.AddMdevType(
      "mtty", {"mtty-1", "Single port serial", "", "vfio-pci", 24}));
  VGPU_RETURN_IF_ERROR(host.AddMdevType(
      "mtty", {"mtty-2", "Dual port serial", "", "vfio-pci", 12}));
  return host.AddMdev("5b1a4f3e-8c2d-4e6f-9a7b-0c1d2e3f4a5b", "mbochs",
                      "mbochs-medium", host.NextFreeIommuGroup());
}

}  // namespace vgpu::simhost::internal
