// Builds the kubelet's ContainerAllocateResponse for devices of one pool:
// the same VFIO handles as the CDI spec (host path = container path, "mrw"),
// /dev/vfio/vfio on legacy hosts, /dev/iommu only when the VMM runs inside
// the container, cdi_devices "<resource>=<id>", cdi.k8s.io annotations,
// PCIDEVICE_<RESOURCE> (the primary function of each device, which the
// kata-agent rewrites to guest BDFs under both Kata runtimes),
// VGPU_HOST_PCI_FUNCTIONS_<RESOURCE> (every endpoint function, host BDFs,
// never rewritten), MDEV_PCI_RESOURCE_<RESOURCE> (mdev UUIDs) and optionally
// PCI_RESOURCE_<RESOURCE> (every function, host BDFs). Pure; reads no files.
#ifndef VGPU_PKG_KATA_ALLOCATE_RESPONSE_H_
#define VGPU_PKG_KATA_ALLOCATE_RESPONSE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "deviceplugin/v1beta1/api.pb.h"
#include "pkg/resources/pools.h"

namespace vgpu::kata {

struct AllocateOptions {
  bool cdi_annotations = true;    // config cdi.annotations
  bool vmm_in_container = false;  // config kata.vmmInContainer
  bool kubevirt_env = false;      // config kata.kubevirtEnv
};

// Prefix of the env listing every endpoint function as host BDFs. Not
// "PCIDEVICE_": the kata-agent would try to rewrite it and, under
// runtime-rs, fail on the non-primary functions.
inline constexpr char kHostFunctionsEnvPrefix[] = "VGPU_HOST_PCI_FUNCTIONS_";

// Checks `ids` with resources::ResolveRequest (its errors are returned as
// they are), then that each device has a VFIO handle (FailedPrecondition),
// and builds the response for one container.
absl::StatusOr<v1beta1::ContainerAllocateResponse> BuildContainerResponse(
    const resources::Pool& pool, const std::vector<std::string>& ids,
    const AllocateOptions& options);

// "nvidia.com/pgpu" -> "NVIDIA_COM_PGPU": upper-cased, every character
// other than [A-Z0-9_] (so '/', '.', '-') becomes '_'.
std::string EnvResourceSuffix(const std::string& resource_name);

// "cdi.k8s.io/vgpu-device-plugin_nvidia.com_pgpu": a valid annotation key
// (the name part has at most 63 characters of [A-Za-z0-9_.-], alphanumeric
// at both ends; a longer one is cut and ends in an 8-hex-digit hash of the
// resource name, so distinct resources keep distinct keys).
std::string CdiAnnotationKey(const std::string& resource_name);

// "<resource>=<id>", the fully qualified CDI device name.
std::string CdiQualifiedName(const std::string& resource_name,
                             const std::string& device_id);

// Whether Kata (3.24+ Go runtime, 3.31+ runtime-rs; checked against 4.1.0)
// can cold-plug the device: false for mediated devices (kMdev). The Go
// runtime hands the agent the parent's BDF with the domain stripped twice
// (rejected; hot-plug too), runtime-rs finds no PCI device in the mdev's
// group and cannot parse its UUID-named cdev (docs/kata.md section 4).
// VF vGPUs, passthrough GPUs and NVSwitches are plain PCI functions: true.
bool KataCanColdPlug(const resources::PoolDevice& device);

// The one-time warning the daemon logs when it advertises an mdev resource.
inline constexpr char kMdevColdPlugWarning[] =
    "mdev (mediated) vGPU devices are not cold-pluggable by Kata Containers: "
    "their CDI spec and Allocate response carry the mdev's /dev/vfio/<group> "
    "node, but Kata's cold-plug path (cold_plug_vfio=root-port) cannot "
    "attach a mediated device; use them with runc/KubeVirt-style runtimes, "
    "or NVIDIA VF vGPUs (plain PCI functions) for Kata";

}  // namespace vgpu::kata

#endif  // VGPU_PKG_KATA_ALLOCATE_RESPONSE_H_
