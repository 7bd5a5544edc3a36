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

// One observation: the plan for the host as it is now.
absl::StatusOr<std::vector<Action>> Observe(sysfs::Sysfs& host,
                                            const ApplyOptions& options,
                                            OwnershipState& owned,
                                            const StateDir& state) {
  VGPU_ASSIGN_OR_RETURN(inventory::Inventory inv,
                        inventory::Discover(host, options.discover));
  const bool learned = owned.LearnTypeNames(inv);
  owned.FillTypeNames(inv);
  VGPU_ASSIGN_OR_RETURN(DesiredState desired,
                        Resolve(options.layouts, options.layout, inv));
  VGPU_ASSIGN_OR_RETURN(InUse in_use, FindInUse(host, inv, options.allocated));
  if (owned.Prune(inv) || learned) VGPU_RETURN_IF_ERROR(state.Save(owned));
  std::vector<Action> plan = Plan(desired, inv, in_use.devices, owned.Owned());
  for (Action& a : plan) {
    auto why = in_use.why.find(a.device);
    if (a.kind == ActionKind::kBlocked && why != in_use.why.end()) {
      absl::StrAppend(&a.reason, " (", why->second, ")");
    }
  }
  return plan;
}

// Records what `a` will create before the write.
absl::Status RecordIntent(const Action& a, OwnershipState& owned,
                          const StateDir& state) {
  if (a.kind != ActionKind::kCreateMdev && a.kind != ActionKind::kSetVfType) {
    return absl::OkStatus();
  }
  OwnedVgpu v;
  v.phase = OwnedVgpu::Phase::kCreating;
  v.kind = a.kind == ActionKind::kCreateMdev ? OwnedVgpu::Kind::kMdev
                                             : OwnedVgpu::Kind::kVf;
  v.device = a.device;
  v.parent = a.parent;
  v.type_id = a.type.id;
  owned.by_device[a.device] = std::move(v);
  return state.Save(owned);
}

// Updates the record after the write: confirmed, forgotten on failure (the
// kernel created nothing) or after a removal.
absl::Status RecordOutcome(const Action& a, bool written, OwnershipState& owned,
                           const StateDir& state) {
  switch (a.kind) {
    case ActionKind::kCreateMdev:
    case ActionKind::kSetVfType:
      if (written) {
        owned.by_device[a.device].phase = OwnedVgpu::Phase::kCreated;
      } else {
        owned.by_device.erase(a.device);
      }
      break;
    case ActionKind::kRemoveMdev:
    case ActionKind::kResetVfType:
      if (!written) return absl::OkStatus();
      owned.by_device.erase(a.device);
      break;
    default:
      return absl::OkStatus();
  }
  return state.Save(owned);
}

}  // namespace

absl::StatusOr<ApplyResult> Apply(sysfs::Sysfs& host, const StateDir& state,
                                  const ApplyOptions& options) {
  VGPU_ASSIGN_OR_RETURN(StateLock lock, state.Lock());
  VGPU_ASSIGN_OR_RETURN(OwnershipState owned, state.Load());
  ApplyResult result;
  for (int step = 0;; ++step) {
    absl::StatusOr<std::vector<Action>> plan =
        Observe(host, options, owned, state);
    if (!plan.ok()) {
      if (step == 0) return plan.status();
      result.outcome = ApplyOutcome::kError;
      result.error = plan.status();
      return result;
    }
    auto next = std::find_if(plan->begin(), plan->end(),
                             [](const Action& a) { return IsChange(a.kind); });
    if (next == plan->end()) {
      const bool blocked = std::any_of(
          plan->begin(), plan->end(),
          [](const Action& a) { return a.kind == ActionKind::kBlocked; });
      result.outcome =
          blocked ? ApplyOutcome::kBlocked : ApplyOutcome::kConverged;
      result.final_plan = *std::move(plan);
      return result;
    }
    if (step >= options.max_steps) {
      result.outcome = ApplyOutcome::kInProgress;
      result.final_plan = *std::move(plan);
      return result;
    }
    const Action action = *next;
    if (absl::Status s = RecordIntent(action, owned, state); !s.ok()) {
      result.outcome = ApplyOutcome::kError;
      result.error = s;
      return result;
    }
    absl::Status written = host.WriteFile(action.path, action.data);
    result.steps.push_back({action, written});
    absl::Status recorded = RecordOutcome(action, written.ok(), owned, state);
    if (!written.ok() || !recorded.ok()) {
      result.outcome = ApplyOutcome::kError;
      result.error = !written.ok() ? written : recorded;
      result.final_plan = *std::move(plan);
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
