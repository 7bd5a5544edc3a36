// Converts an errno value into an absl::Status whose message names the
// operation and the path. absl::ErrnoToStatus picks the code (ENOENT/ENODEV ->
// NotFound, EACCES -> PermissionDenied, EBUSY -> FailedPrecondition, ...).
#ifndef VGPU_PKG_BASE_ERRNO_STATUS_H_
#define VGPU_PKG_BASE_ERRNO_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vgpu {

// Returns e.g. NotFound("read sys/bus/pci/devices/x/vendor: No such file...").
absl::Status ErrnoStatus(int errno_value, absl::string_view op,
                         absl::string_view path);

// Returns the errno a Status built by ErrnoStatus carries, or 0 if none.
int StatusErrno(const absl::Status& status);

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_ERRNO_STATUS_H_
