// Early-return helpers for absl::Status / absl::StatusOr.
// Debian 12's abseil (20220623) has none; these match the shape of abseil's
// later ABSL_RETURN_IF_ERROR / ABSL_ASSIGN_OR_RETURN so migration is
// mechanical.
#ifndef VGPU_PKG_BASE_STATUS_MACROS_H_
#define VGPU_PKG_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define VGPU_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::absl::Status vgpu_status_ = (expr);        \
    if (!vgpu_status_.ok()) return vgpu_status_; \
  } while (0)

#define VGPU_STATUS_CONCAT_INNER_(a, b) a##b
#define VGPU_STATUS_CONCAT_(a, b) VGPU_STATUS_CONCAT_INNER_(a, b)

#define VGPU_ASSIGN_OR_RETURN(lhs, rexpr)                                    \
  VGPU_ASSIGN_OR_RETURN_IMPL_(VGPU_STATUS_CONCAT_(vgpu_statusor_, __LINE__), \
                              lhs, rexpr)

#define VGPU_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // VGPU_PKG_BASE_STATUS_MACROS_H_
