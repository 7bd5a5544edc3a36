#include "pkg/base/errno_status.h"

#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace vgpu {
namespace {
constexpr char kErrnoPayload[] = "vgpu.errno";
}  // namespace

absl::Status ErrnoStatus(int errno_value, absl::string_view op,
                         absl::string_view path) {
  absl::Status status =
      absl::ErrnoToStatus(errno_value, absl::StrCat(op, " ", path));
  // Callers that must tell EEXIST from ENOSPC (both map to coarse codes)
  // read the exact errno back through StatusErrno().
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(errno_value)));
  return status;
}

int StatusErrno(const absl::Status& status) {
  auto payload = status.GetPayload(kErrnoPayload);
  if (!payload.has_value()) return 0;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return 0;
  return value;
}

}  // namespace vgpu
