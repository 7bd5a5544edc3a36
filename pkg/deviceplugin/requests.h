// Pure handlers behind the unary DevicePlugin RPCs: each takes the snapshot
// the request is answered from and returns the response or the error to
// send. No I/O, no locks; safe from any thread.
#ifndef VGPU_PKG_DEVICEPLUGIN_REQUESTS_H_
#define VGPU_PKG_DEVICEPLUGIN_REQUESTS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "deviceplugin/v1beta1/api.pb.h"
#include "pkg/config/config.h"
#include "pkg/deviceplugin/snapshot.h"
#include "pkg/kata/allocate_response.h"

namespace vgpu::deviceplugin {

// Validates every container request first (unknown or duplicate ID ->
// InvalidArgument, unhealthy -> FailedPrecondition; the message names the
// ID and the resource), then builds one response per container holding
// only that container's devices. Nothing is built when any ID is bad.
absl::StatusOr<v1beta1::AllocateResponse> HandleAllocate(
    const ResourceSnapshot& snapshot, const v1beta1::AllocateRequest& request,
    const kata::AllocateOptions& options);

// The `reason` label of allocation_errors_total for HandleAllocate's error
// `status` (docs/observability.md): the request error's reason
// (resources::kRequestErrorReasonUrl: "empty_request", "unknown_device",
// "duplicate_device", "unhealthy_device", "no_vfio_handle"), else
// "internal". REQUIRES: !status.ok().
std::string AllocateErrorReason(const absl::Status& status);

// One preferred set per container request (pkg/allocation policies).
// InvalidArgument when a request cannot be satisfied as asked (size larger
// than what is available, must-include not available).
absl::StatusOr<v1beta1::PreferredAllocationResponse> HandlePreferred(
    const ResourceSnapshot& snapshot,
    const v1beta1::PreferredAllocationRequest& request,
    config::VgpuPolicy policy);

}  // namespace vgpu::deviceplugin

#endif  // VGPU_PKG_DEVICEPLUGIN_REQUESTS_H_
