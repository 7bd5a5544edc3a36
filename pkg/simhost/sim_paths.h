// Root-relative locations of a simulated host. Internal to pkg/simhost.
#ifndef VGPU_PKG_SIMHOST_SIM_PATHS_H_
#define VGPU_PKG_SIMHOST_SIM_PATHS_H_

namespace vgpu::simhost {

inline constexpr char kSysDevices[] = "sys/devices";
inline constexpr char kPciBus[] = "sys/bus/pci";
inline constexpr char kPciDevices[] = "sys/bus/pci/devices";
inline constexpr char kPciDrivers[] = "sys/bus/pci/drivers";
inline constexpr char kIommuGroups[] = "sys/kernel/iommu_groups";
inline constexpr char kMdevBus[] = "sys/bus/mdev";
inline constexpr char kMdevDevices[] = "sys/bus/mdev/devices";
inline constexpr char kMdevDrivers[] = "sys/bus/mdev/drivers";
inline constexpr char kMdevClass[] = "sys/class/mdev_bus";
inline constexpr char kVfioDevClass[] = "sys/class/vfio-dev";
inline constexpr char kDevVfio[] = "dev/vfio";
inline constexpr char kDevVfioDevices[] = "dev/vfio/devices";
inline constexpr char kVfioContainer[] = "dev/vfio/vfio";
inline constexpr char kIommufd[] = "dev/iommu";
// Major of the vfio-dev chrdev region shown in the kernel's cdev docs.
inline constexpr int kVfioCdevMajor = 511;

}  // namespace vgpu::simhost

#endif  // VGPU_PKG_SIMHOST_SIM_PATHS_H_
