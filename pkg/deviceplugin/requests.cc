#include "pkg/deviceplugin/requests.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pkg/allocation/preferred.h"
#include "pkg/base/status_macros.h"

namespace vgpu::deviceplugin {
namespace {

absl::Status ValidateIds(const resources::Pool& pool,
                         const v1beta1::AllocateRequest& request) {
  std::set<std::string> seen;
  for (const auto& container : request.container_requests()) {
    for (const std::string& id : container.devices_ids()) {
      const resources::PoolDevice* device = pool.Find(id);
      if (device == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown device \"", id, "\" for resource ", pool.resource_name));
      }
      if (!seen.insert(id).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("device \"", id, "\" requested twice for resource ",
                         pool.resource_name));
      }
      if (!device->healthy) {
        return absl::FailedPreconditionError(
            absl::StrCat("device \"", id, "\" of resource ", pool.resource_name,
                         " is unhealthy: ", device->unhealthy_reason));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1beta1::AllocateResponse> HandleAllocate(
    const ResourceSnapshot& snapshot, const v1beta1::AllocateRequest& request,
    const kata::AllocateOptions& options) {
  VGPU_RETURN_IF_ERROR(ValidateIds(snapshot.pool, request));
  v1beta1::AllocateResponse response;
  for (const auto& container : request.container_requests()) {
    std::vector<std::string> ids(container.devices_ids().begin(),
                                 container.devices_ids().end());
    VGPU_ASSIGN_OR_RETURN(
        *response.add_container_responses(),
        kata::BuildContainerResponse(snapshot.pool, ids, options));
  }
  return response;
}

absl::StatusOr<v1beta1::PreferredAllocationResponse> HandlePreferred(
    const ResourceSnapshot& snapshot,
    const v1beta1::PreferredAllocationRequest& request,
    config::VgpuPolicy policy) {
  v1beta1::PreferredAllocationResponse response;
  for (const auto& container : request.container_requests()) {
    std::vector<std::string> available(container.available_deviceids().begin(),
                                       container.available_deviceids().end());
    std::vector<std::string> must(container.must_include_deviceids().begin(),
                                  container.must_include_deviceids().end());
    VGPU_ASSIGN_OR_RETURN(
        std::vector<std::string> chosen,
        allocation::PreferredAllocation(snapshot.pool, available, must,
                                        container.allocation_size(), policy));
    auto* out = response.add_container_responses();
    for (std::string& id : chosen) out->add_deviceids(std::move(id));
  }
  return response;
}

}  // namespace vgpu::deviceplugin
