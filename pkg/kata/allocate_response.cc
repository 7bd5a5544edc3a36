#include "pkg/kata/allocate_response.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/base/status_macros.h"

namespace vgpu::kata {
namespace {

constexpr char kVfioContainer[] = "/dev/vfio/vfio";
constexpr char kIommuNode[] = "/dev/iommu";
constexpr char kAnnotationPrefix[] = "cdi.k8s.io/";
constexpr char kAnnotationPlugin[] = "vgpu-device-plugin_";
constexpr size_t kMaxAnnotationName = 63;

bool IsAnnotationNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '.' || c == '-';
}

uint32_t Fnv1a(absl::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

void AddDeviceSpec(const std::string& path,
                   v1beta1::ContainerAllocateResponse& response) {
  v1beta1::DeviceSpec* spec = response.add_devices();
  spec->set_container_path(path);
  spec->set_host_path(path);
  spec->set_permissions("mrw");
}

// The same handles as the CDI spec, each once, in request order. Decided
// per device, not per host: on an iommufd host an mdev, or a function whose
// vfio cdev is missing, still comes as a group node.
void AddDeviceSpecs(const std::vector<const resources::PoolDevice*>& devices,
                    const AllocateOptions& options,
                    v1beta1::ContainerAllocateResponse& response) {
  const bool any_group_node =
      std::any_of(devices.begin(), devices.end(),
                  [](const resources::PoolDevice* d) { return !d->iommufd; });
  const bool any_cdev =
      std::any_of(devices.begin(), devices.end(),
                  [](const resources::PoolDevice* d) { return d->iommufd; });
  // Group nodes need the legacy container; Kata's own plugins return it too.
  if (any_group_node) AddDeviceSpec(kVfioContainer, response);
  std::set<std::string> added;
  for (const resources::PoolDevice* device : devices) {
    for (const std::string& node : device->vfio_nodes) {
      if (added.insert(node).second) AddDeviceSpec(node, response);
    }
  }
  // Kata would pass /dev/iommu to the guest as a device; only a VMM that
  // runs inside the container itself (KubeVirt-style) needs it, for cdevs.
  if (any_cdev && options.vmm_in_container) AddDeviceSpec(kIommuNode, response);
}

void AddEnvs(const std::string& resource,
             const std::vector<const resources::PoolDevice*>& devices,
             const AllocateOptions& options,
             v1beta1::ContainerAllocateResponse& response) {
  std::vector<std::string> primaries;
  std::vector<std::string> bdfs;
  std::vector<std::string> uuids;
  for (const resources::PoolDevice* device : devices) {
    if (!device->bdfs.empty()) primaries.push_back(device->bdfs.front());
    bdfs.insert(bdfs.end(), device->bdfs.begin(), device->bdfs.end());
    if (device->type == resources::DeviceType::kMdev) {
      uuids.push_back(device->mdev_uuid);
    }
  }
  const std::string suffix = EnvResourceSuffix(resource);
  auto& envs = *response.mutable_envs();
  if (!bdfs.empty()) {
    // The kata-agent rewrites a PCIDEVICE_* value host->guest only when it
    // maps every address in it, else it leaves all of them as host BDFs.
    // Kata 4.1.0's runtime-rs maps only each device's primary function (and
    // no 0x0403 audio function), the Go runtime every function it plugged:
    // primaries are what both translate. The full list keeps a name the
    // agent does not touch, so it is plainly host addresses.
    envs["PCIDEVICE_" + suffix] = absl::StrJoin(primaries, ",");
    envs[kHostFunctionsEnvPrefix + suffix] = absl::StrJoin(bdfs, ",");
    if (options.kubevirt_env) {
      envs["PCI_RESOURCE_" + suffix] = absl::StrJoin(bdfs, ",");
    }
  }
  if (!uuids.empty()) {
    envs["MDEV_PCI_RESOURCE_" + suffix] = absl::StrJoin(uuids, ",");
  }
}

}  // namespace

std::string EnvResourceSuffix(const std::string& resource_name) {
  std::string out;
  out.reserve(resource_name.size());
  for (char c : resource_name) {
    const char u = absl::ascii_toupper(static_cast<unsigned char>(c));
    out.push_back(absl::ascii_isalnum(static_cast<unsigned char>(u)) ? u : '_');
  }
  return out;
}

std::string CdiAnnotationKey(const std::string& resource_name) {
  std::string name = kAnnotationPlugin;
  for (char c : resource_name)
    name.push_back(IsAnnotationNameChar(c) ? c : '_');
  if (name.size() > kMaxAnnotationName ||
      !absl::ascii_isalnum(static_cast<unsigned char>(name.back()))) {
    char hash[16];
    std::snprintf(hash, sizeof(hash), "_%08x", Fnv1a(resource_name));
    name.resize(std::min(name.size(), kMaxAnnotationName - 9));
    name += hash;
  }
  return kAnnotationPrefix + name;
}

std::string CdiQualifiedName(const std::string& resource_name,
                             const std::string& device_id) {
  return absl::StrCat(resource_name, "=", device_id);
}

bool KataCanColdPlug(const resources::PoolDevice& device) {
  return device.type != resources::DeviceType::kMdev;
}

absl::StatusOr<v1beta1::ContainerAllocateResponse> BuildContainerResponse(
    const resources::Pool& pool, const std::vector<std::string>& ids,
    const AllocateOptions& options) {
  VGPU_ASSIGN_OR_RETURN(std::vector<const resources::PoolDevice*> devices,
                        resources::ResolveRequest(pool, ids));
  for (const resources::PoolDevice* device : devices) {
    if (device->vfio_nodes.empty()) {
      absl::Status status = absl::FailedPreconditionError(
          absl::StrCat("device \"", device->id, "\" of resource ",
                       pool.resource_name, " has no VFIO handle"));
      status.SetPayload(resources::kRequestErrorReasonUrl,
                        absl::Cord("no_vfio_handle"));
      return status;
    }
  }
  std::vector<std::string> qualified;
  qualified.reserve(ids.size());
  for (const std::string& id : ids) {
    qualified.push_back(CdiQualifiedName(pool.resource_name, id));
  }
  v1beta1::ContainerAllocateResponse response;
  AddDeviceSpecs(devices, options, response);
  for (const std::string& name : qualified) {
    response.add_cdi_devices()->set_name(name);
  }
  if (options.cdi_annotations) {
    (*response.mutable_annotations())[CdiAnnotationKey(pool.resource_name)] =
        absl::StrJoin(qualified, ",");
  }
  AddEnvs(pool.resource_name, devices, options, response);
  return response;
}

}  // namespace vgpu::kata
