// The applier: a thin loop around the planner. Under the state dir's lock
// it discovers the host, resolves the layout, finds what is in use, plans,
// performs the next changes through Sysfs::WriteFile (one write() each),
// then discovers and plans again, until nothing is left to change. A run
// of writes between two observations is an SR-IOV enable alone, or every
// removal (mdev `remove`, VF type reset) one plan holds, or the creations
// one plan holds up to its next change of another kind; each write is
// checked by the kernel's answer: a write refused within a run makes it
// observe again; one refused right after an observation is the error. The
// ownership record is written before a run's creations (intent) and after
// a run (creations confirmed, removed vGPUs forgotten). A `blocked` vGPU in use
// says why
// ("allocated to a pod", "open by pid N"). Not thread-safe; the lock keeps
// other appliers (other processes) out.
#ifndef VGPU_PKG_LAYOUT_APPLY_H_
#define VGPU_PKG_LAYOUT_APPLY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/layout/plan.h"
#include "pkg/layout/state.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::layout {

struct ApplyOptions {
  std::string layout;           // The layout's name.
  config::VgpuLayouts layouts;  // Where it is looked up.
  // Device IDs treated as in use: those the kubelet allocated to pods
  // (PodResources List) and, for the daemon, those it still advertises.
  DeviceSet allocated;
  inventory::DiscoverOptions discover;
  // Writes at most this many, then stops with kInProgress if more remain.
  int max_steps = 100000;
  // Performs at most this many runs (an enable alone, the removals one plan
  // holds, or its creations), observing again after the last, then
  // stops with kInProgress if more remain: the daemon performs one run per
  // reconcile round, `vgpuctl apply` all of them.
  int max_runs = 100000;
};

enum class ApplyOutcome {
  kConverged,   // The node matches the layout.
  kBlocked,     // Nothing more can be done now; `final_plan` says why.
  kError,       // A step failed (the kernel refused a write, ...).
  kInProgress,  // max_steps / max_runs reached, more to do (`final_plan`).
};

struct StepResult {
  Action action;
  absl::Status status;  // The kernel's answer: errno and path on failure.
};

struct ApplyResult {
  ApplyOutcome outcome = ApplyOutcome::kConverged;
  std::vector<StepResult> steps;   // Every write performed, in order.
  std::vector<Action> final_plan;  // The last plan (keeps and blocked).
  absl::Status error;              // Why kError.
};

// One observation, without writing: discovers the host behind `host`,
// resolves `options.layout`, finds what is in use (`options.allocated` and
// open VFIO nodes) and plans; a `blocked` vGPU in use says why. `owned`
// learns type names and forgets vGPUs that are gone, in memory only:
// `owned_changed` says the caller should save it. This is what `vgpuctl
// plan` prints and what Apply does before each step. Errors: discovery,
// Resolve (NotFound, InvalidArgument), FindInUse.
struct Observation {
  std::vector<Action> plan;
  bool owned_changed = false;
};
absl::StatusOr<Observation> ObserveAndPlan(sysfs::Sysfs& host,
                                           const ApplyOptions& options,
                                           OwnershipState& owned);

// Applies `options.layout` to the host behind `host`. Errors (not an
// outcome) only when the loop cannot start: the lock is held
// (FailedPrecondition), the state cannot be read, the first discovery or
// the layout fails to resolve (NotFound / InvalidArgument).
absl::StatusOr<ApplyResult> Apply(sysfs::Sysfs& host, const StateDir& state,
                                  const ApplyOptions& options);

// "converged", "blocked", "error", "in-progress".
absl::string_view ApplyOutcomeName(ApplyOutcome outcome);

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_APPLY_H_
