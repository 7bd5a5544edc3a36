#include "pkg/deviceplugin/requests.h"

#include <string>
#include <vector>

#include "absl/strings/cord.h"
#include "pkg/allocation/preferred.h"
#include "pkg/base/status_macros.h"
#include "pkg/resources/pools.h"

namespace vgpu::deviceplugin {
absl::StatusOr<v1beta1::AllocateResponse> HandleAllocate(
    const ResourceSnapshot& snapshot, const v1beta1::AllocateRequest& request,
    const kata::AllocateOptions& options) {
  // All containers' IDs at once, so one device asked for by two containers
  // is a duplicate; an empty container is left to the per-container check.
  std::vector<std::string> all_ids;
  for (const auto& container : request.container_requests()) {
    all_ids.insert(all_ids.end(), container.devices_ids().begin(),
                   container.devices_ids().end());
  }
  if (!all_ids.empty()) {
    VGPU_RETURN_IF_ERROR(
        resources::ResolveRequest(snapshot.pool, all_ids).status());
  }
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

std::string AllocateErrorReason(const absl::Status& status) {
  // absl::optional<absl::Cord>: not std::optional in Debian's abseil.
  const auto reason = status.GetPayload(resources::kRequestErrorReasonUrl);
  if (reason.has_value() && !reason->empty()) return std::string(*reason);
  return "internal";
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
