// The apply loop; see apply.h.
#include "pkg/layout/apply.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"
#include "pkg/layout/desired.h"
#include "pkg/layout/in_use.h"

namespace vgpu::layout {
namespace {

bool IsCreation(ActionKind kind) {
  return kind == ActionKind::kCreateMdev || kind == ActionKind::kSetVfType;
}

bool IsRemoval(ActionKind kind) {
  return kind == ActionKind::kRemoveMdev || kind == ActionKind::kResetVfType;
}

// The writes to perform before observing again, at most `limit`:
//  - when the plan's first change is a removal (an mdev `remove` or a VF
//    type reset), every removal the plan holds: each frees only its own
//    vGPU, none depends on another or on anything else planned, and each
//    was checked not in use by the observation;
//  - when it is a creation, it and the creations after it up to the next
//    change of another kind: creations planned from one observation never
//    depend on each other beyond the capacity the plan already counted (the
//    kernel refuses a write that does not fit, and the applier then
//    observes again);
//  - otherwise (an SR-IOV enable, which changes what the next steps may
//    do) that change alone.
std::vector<Action> NextRun(const std::vector<Action>& plan, int limit) {
  std::vector<Action> run;
  for (const Action& a : plan) {
    if (!IsChange(a.kind)) continue;
    if (static_cast<int>(run.size()) >= limit) break;
    if (run.empty()) {
      run.push_back(a);
      continue;
    }
    const ActionKind first = run.front().kind;
    if (IsRemoval(first)) {
      if (IsRemoval(a.kind)) run.push_back(a);
      continue;  // The other removals may come later in the plan.
    }
    if (!IsCreation(first) || !IsCreation(a.kind)) break;
    run.push_back(a);
  }
  return run;
}

// Records what `run` will create, in one save, before its first write.
absl::Status RecordIntents(const std::vector<Action>& run,
                           OwnershipState& owned, const StateDir& state) {
  bool any = false;
  for (const Action& a : run) {
    if (!IsCreation(a.kind)) continue;
    OwnedVgpu v;
    v.phase = OwnedVgpu::Phase::kCreating;
    v.kind = a.kind == ActionKind::kCreateMdev ? OwnedVgpu::Kind::kMdev
                                               : OwnedVgpu::Kind::kVf;
    v.device = a.device;
    v.parent = a.parent;
    v.type_id = a.type.id;
    owned.by_device[a.device] = std::move(v);
    any = true;
  }
  return any ? state.Save(owned) : absl::OkStatus();
}

// Updates the record after the run, in one save: the first `written`
// actions took effect (creations confirmed, removed ones forgotten); the
// creations not written are forgotten (the kernel created nothing).
absl::Status RecordOutcomes(const std::vector<Action>& run, size_t written,
                            OwnershipState& owned, const StateDir& state) {
  bool any = false;
  for (size_t i = 0; i < run.size(); ++i) {
    const Action& a = run[i];
    if (IsCreation(a.kind)) {
      if (i < written) {
        owned.by_device[a.device].phase = OwnedVgpu::Phase::kCreated;
      } else {
        owned.by_device.erase(a.device);
      }
      any = true;
    } else if (IsRemoval(a.kind) && i < written) {
      any = owned.by_device.erase(a.device) > 0 || any;
    }
  }
  return any ? state.Save(owned) : absl::OkStatus();
}

}  // namespace

absl::StatusOr<Observation> ObserveAndPlan(sysfs::Sysfs& host,
                                           const ApplyOptions& options,
                                           OwnershipState& owned) {
  VGPU_ASSIGN_OR_RETURN(inventory::Inventory inv,
                        inventory::Discover(host, options.discover));
  Observation out;
  out.owned_changed = owned.LearnTypeNames(inv);
  owned.FillTypeNames(inv);
  VGPU_ASSIGN_OR_RETURN(DesiredState desired,
                        Resolve(options.layouts, options.layout, inv));
  VGPU_ASSIGN_OR_RETURN(InUse in_use, FindInUse(host, inv, options.allocated));
  if (owned.Prune(inv)) out.owned_changed = true;
  out.plan = Plan(desired, inv, in_use.devices, owned.Owned());
  for (Action& a : out.plan) {
    auto why = in_use.why.find(a.device);
    if (a.kind == ActionKind::kBlocked && why != in_use.why.end()) {
      absl::StrAppend(&a.reason, " (", why->second, ")");
    }
  }
  return out;
}

absl::StatusOr<ApplyResult> Apply(sysfs::Sysfs& host, const StateDir& state,
                                  const ApplyOptions& options) {
  VGPU_ASSIGN_OR_RETURN(StateLock lock, state.Lock());
  VGPU_ASSIGN_OR_RETURN(OwnershipState owned, state.Load());
  ApplyResult result;
  int runs = 0;
  for (bool first = true;; first = false) {
    absl::StatusOr<Observation> seen = ObserveAndPlan(host, options, owned);
    absl::Status saved = absl::OkStatus();
    if (seen.ok() && seen->owned_changed) saved = state.Save(owned);
    if (!seen.ok() || !saved.ok()) {
      if (first) return !seen.ok() ? seen.status() : saved;
      result.outcome = ApplyOutcome::kError;
      result.error = !seen.ok() ? seen.status() : saved;
      return result;
    }
    std::vector<Action>& plan = seen->plan;
    const int left =
        runs >= options.max_runs
            ? 0
            : options.max_steps - static_cast<int>(result.steps.size());
    const std::vector<Action> run = NextRun(plan, std::max(left, 0));
    if (run.empty()) {
      const bool blocked = std::any_of(
          plan.begin(), plan.end(),
          [](const Action& a) { return a.kind == ActionKind::kBlocked; });
      result.outcome = HasChanges(plan) ? ApplyOutcome::kInProgress
                       : blocked        ? ApplyOutcome::kBlocked
                                        : ApplyOutcome::kConverged;
      result.final_plan = std::move(plan);
      return result;
    }
    if (absl::Status s = RecordIntents(run, owned, state); !s.ok()) {
      result.outcome = ApplyOutcome::kError;
      result.error = s;
      return result;
    }
    ++runs;
    size_t written = 0;
    absl::Status failed = absl::OkStatus();
    for (const Action& action : run) {
      absl::Status status = host.WriteFile(action.path, action.data);
      result.steps.push_back({action, status});
      if (!status.ok()) {
        failed = status;
        break;
      }
      ++written;
    }
    absl::Status recorded = RecordOutcomes(run, written, owned, state);
    // A write refused right after an observation is the kernel's answer to
    // the plan: an error. One refused later in a run observes again first.
    if ((!failed.ok() && written == 0) || !recorded.ok()) {
      result.outcome = ApplyOutcome::kError;
      result.error = !recorded.ok() ? recorded : failed;
      result.final_plan = std::move(plan);
      return result;
    }
  }
}

absl::string_view ApplyOutcomeName(ApplyOutcome outcome) {
  switch (outcome) {
    case ApplyOutcome::kConverged:
      return "converged";
    case ApplyOutcome::kBlocked:
      return "blocked";
    case ApplyOutcome::kError:
      return "error";
    case ApplyOutcome::kInProgress:
      return "in-progress";
  }
  return "unknown";
}

}  // namespace vgpu::layout
