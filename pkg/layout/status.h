// What the daemon's reconcile last saw, for `vgpuctl status` (no socket:
// a JSON file in the state dir, written atomically after each reconcile).
// Pure: values in, text out, and back. Thread-safe.
//
// File `vgpu-layout.status.json`:
//   {"layout": "t4-4q", "state": "pending", "outcome": "blocked",
//    "error": "", "updated": "2026-12-05T07:30:00Z",
//    "actions": [{"action": "keep", "gpu": ..., "device": ..., "parent": ...,
//                 "type": "nvidia-232", "typeName": "GRID T4-4Q",
//                 "reason": ...}, ...],
//    "withdrawn": ["<uuid>", ...], "counts": {"GRID T4-4Q": 8}}
#ifndef VGPU_PKG_LAYOUT_STATUS_H_
#define VGPU_PKG_LAYOUT_STATUS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pkg/layout/plan.h"

namespace vgpu::layout {

inline constexpr char kStatusFileName[] = "vgpu-layout.status.json";

// `state`: what the node labels say.
inline constexpr char kStateSuccess[] = "success";  // Matches the layout.
inline constexpr char kStatePending[] = "pending";  // Steps left, or blocked.
inline constexpr char kStateFailed[] = "failed";    // An error stops it.

struct LayoutStatus {
  std::string layout;
  std::string state;    // kStateSuccess, kStatePending or kStateFailed.
  std::string outcome;  // ApplyOutcomeName, or "error".
  std::string error;    // Why kStateFailed; "" otherwise.
  absl::Time updated = absl::UnixEpoch();
  // The last plan: keep (matches), changes (pending), blocked (and why).
  std::vector<Action> actions;
  // vGPUs the layout no longer wants, withheld from the kubelet.
  std::vector<std::string> withdrawn;
  // Existing vGPUs on the layout's GPUs, by type name.
  std::map<std::string, int> counts;
};

// Existing vGPUs by type name in `plan`: its keeps and the blocked actions
// that name a device.
std::map<std::string, int> CountByType(const std::vector<Action>& plan);

std::string FormatStatus(const LayoutStatus& status);
// InvalidArgument naming what is wrong.
absl::StatusOr<LayoutStatus> ParseStatus(absl::string_view text);

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_STATUS_H_
