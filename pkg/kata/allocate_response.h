// Builds the kubelet's ContainerAllocateResponse for devices of one pool:
// the same VFIO handles as the CDI spec (host path = container path, "mrw"),
// /dev/vfio/vfio on legacy hosts, /dev/iommu only when the VMM runs inside
// the container, cdi_devices "<resource>=<id>", cdi.k8s.io annotations,
// PCIDEVICE_<RESOURCE> (BDFs), MDEV_PCI_RESOURCE_<RESOURCE> (mdev UUIDs) and
// optionally PCI_RESOURCE_<RESOURCE>. Pure; reads no files.
#ifndef VGPU_PKG_KATA_ALLOCATE_RESPONSE_H_
#define VGPU_PKG_KATA_ALLOCATE_RESPONSE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "deviceplugin/v1beta1/api.pb.h"
#include "pkg/resources/pools.h"

namespace vgpu::kata {

struct AllocateOptions {
  bool cdi_annotations = true;   // config cdi.annotations
  bool vmm_in_container = false; // config kata.vmmInContainer
  bool kubevirt_env = false;     // config kata.kubevirtEnv
};

// Validates `ids` against `pool` (unknown -> InvalidArgument, duplicate ->
// InvalidArgument, unhealthy -> FailedPrecondition; each message names the
// ID) and builds the response for one container.
absl::StatusOr<v1beta1::ContainerAllocateResponse> BuildContainerResponse(
    const resources::Pool& pool, bool iommufd,
    const std::vector<std::string>& ids, const AllocateOptions& options);

// "nvidia.com/pgpu" -> "NVIDIA_COM_PGPU".
std::string EnvResourceSuffix(const std::string& resource_name);

}  // namespace vgpu::kata

#endif  // VGPU_PKG_KATA_ALLOCATE_RESPONSE_H_
