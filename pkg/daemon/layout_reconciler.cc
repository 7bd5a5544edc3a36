// The daemon's layout controller; see layout_reconciler.h.
#include "pkg/daemon/layout_reconciler.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "pkg/base/atomic_file.h"
#include "pkg/base/logging.h"
#include "pkg/inventory/discovery.h"
#include "pkg/kubelet/pod_resources.h"
#include "pkg/layout/desired.h"
#include "pkg/metrics/layout_metrics.h"

namespace vgpu::daemon {
namespace {

constexpr size_t kMaxLabelLength = 63;

// A label name part or value: [A-Za-z0-9._-], others '-', at most 63, and
// starting and ending alphanumeric as Kubernetes wants.
std::string LabelSafe(absl::string_view text) {
  std::string out;
  for (char c : text) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                    c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '-');
  }
  if (out.size() > kMaxLabelLength) out.resize(kMaxLabelLength);
  while (!out.empty() &&
         !absl::ascii_isalnum(static_cast<unsigned char>(out.back()))) {
    out.pop_back();
  }
  while (!out.empty() &&
         !absl::ascii_isalnum(static_cast<unsigned char>(out.front()))) {
    out.erase(out.begin());
  }
  return out;
}

// "GRID T4-4Q" -> "T4-4Q", "NVIDIA A10-4Q" -> "A10-4Q", "GVTg_V5_4" as is.
absl::string_view WithoutVendor(absl::string_view name) {
  const size_t space = name.rfind(' ');
  return space == absl::string_view::npos ? name : name.substr(space + 1);
}

const char* BlockedReason(const layout::Action& a,
                          const layout::DeviceSet& owned) {
  if (a.device.empty()) return metrics::kBlockedCapacity;
  return owned.count(a.device) ? metrics::kBlockedInUse
                               : metrics::kBlockedNotOwned;
}

std::string TypeOf(const layout::Action& a) {
  return a.type.name.empty() ? a.type.id : a.type.name;
}

}  // namespace

std::string FeatureFileText(const layout::LayoutStatus& status) {
  std::string out =
      "# vgpu-device-plugin: the vGPU layout of this node "
      "(docs/vgpu-layouts.md)\n";
  absl::StrAppend(&out, "vgpu-device-plugin.layout=", LabelSafe(status.layout),
                  "\n");
  absl::StrAppend(&out, "vgpu-device-plugin.layout.state=", status.state, "\n");
  std::map<std::string, int> per_label;
  for (const auto& [type, count] : status.counts) {
    const std::string name = LabelSafe(WithoutVendor(type));
    if (!name.empty()) per_label[name] += count;
  }
  for (const auto& [name, count] : per_label) {
    absl::StrAppend(&out, "vgpu-device-plugin.type.", name, "=", count, "\n");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<LayoutReconciler>> LayoutReconciler::Create(
    sysfs::Sysfs& host, LayoutReconcilerOptions options,
    metrics::LayoutMetrics* metrics) {
  absl::StatusOr<layout::StateDir> state =
      layout::StateDir::Open(options.state_dir);
  if (!state.ok()) return state.status();
  return std::unique_ptr<LayoutReconciler>(new LayoutReconciler(
      host, std::move(options), *std::move(state), metrics));
}

absl::Status LayoutReconciler::Check(const std::string& name,
                                     const config::VgpuLayouts& layouts) const {
  absl::StatusOr<inventory::Inventory> inv = inventory::Discover(host_, {});
  if (!inv.ok()) return inv.status();
  absl::StatusOr<layout::OwnershipState> owned = state_.Load();
  if (owned.ok()) owned->FillTypeNames(*inv);
  return layout::Resolve(layouts, name, *inv).status();
}

void LayoutReconciler::SetLayout(std::string name,
                                 config::VgpuLayouts layouts) {
  name_ = std::move(name);
  layouts_ = std::move(layouts);
}

std::optional<layout::DeviceSet> LayoutReconciler::Allocated() {
  layout::DeviceSet out;
  const std::string& socket = options_.pod_resources_socket;
  if (socket.empty()) return out;
  absl::StatusOr<v1::ListPodResourcesResponse> list =
      kubelet::ListPodResources(socket, absl::Seconds(5));
  if (!list.ok()) {
    LogOnce(last_kubelet_error_,
            absl::StrCat("cannot ask the kubelet which vGPUs pods hold, so "
                         "none is removed: ",
                         list.status().message()),
            /*error=*/false);
    return std::nullopt;
  }
  last_kubelet_error_.clear();
  for (const auto& pod : list->pod_resources()) {
    for (const auto& c : pod.containers()) {
      for (const auto& d : c.devices()) {
        for (const std::string& id : d.device_ids()) out.insert(id);
      }
    }
  }
  return out;
}

bool LayoutReconciler::UpdateWithdrawn(
    const std::vector<layout::Action>& plan) {
  layout::DeviceSet unwanted;
  for (const layout::Action& a : plan) {
    const bool removal = a.kind == layout::ActionKind::kRemoveMdev ||
                         a.kind == layout::ActionKind::kResetVfType;
    const bool held = a.kind == layout::ActionKind::kBlocked &&
                      !a.device.empty() && owned_.count(a.device) != 0;
    if (removal || held) unwanted.insert(a.device);
  }
  if (unwanted == withdrawn_) return false;
  for (const std::string& d : unwanted) {
    if (withdrawn_.count(d) == 0) {
      VGPU_LOG(INFO).With("vgpu", d).With("layout", name_)
          << "layout no longer wants " << d
          << ": withdrawn from ListAndWatch before its removal";
    }
  }
  withdrawn_ = std::move(unwanted);
  return true;
}

ReconcileRound LayoutReconciler::Reconcile(
    const layout::DeviceSet& advertised) {
  ReconcileRound round;
  // In use: what pods hold and what the kubelet may still hand out (all
  // that is advertised); all of ours when the pods are unknown.
  const std::optional<layout::DeviceSet> pods = Allocated();
  layout::ApplyOptions options;
  options.layout = name_;
  options.layouts = layouts_;
  options.max_runs = 1;
  if (pods) {
    options.allocated = *pods;
  } else {
    // Unknown: every vGPU of ours counts as held, so none is removed.
    absl::StatusOr<layout::OwnershipState> owned = state_.Load();
    if (owned.ok()) options.allocated = owned->Owned();
    options.allocated.insert(withdrawn_.begin(), withdrawn_.end());
  }
  for (const std::string& d : advertised) {
    if (withdrawn_.count(d) == 0) options.allocated.insert(d);
  }
  absl::StatusOr<layout::ApplyResult> result =
      layout::Apply(host_, state_, options);
  if (result.ok()) {
    absl::StatusOr<layout::OwnershipState> owned = state_.Load();
    if (owned.ok()) {
      owned_ = owned->Owned();
    } else {
      result = owned.status();
    }
  }
  if (!result.ok()) {
    Report("error", std::string(result.status().message()), {});
    return round;
  }
  for (const layout::StepResult& s : result->steps) {
    round.wrote = true;
    const std::string action(layout::ActionKindName(s.action.kind));
    if (metrics_ != nullptr) metrics_->RecordAction(action, s.status.ok());
    logging::LogMessage(
        s.status.ok() ? logging::Level::kInfo : logging::Level::kWarning,
        __FILE__, __LINE__)
            .With("action", action)
            .With("vgpu", s.action.device)
            .With("gpu", s.action.gpu)
            .With("type", TypeOf(s.action))
            .With("path", s.action.path)
        << "layout " << name_ << ": " << action << " " << s.action.device
        << ": kernel answered "
        << (s.status.ok() ? std::string("ok")
                          : std::string(s.status.message()));
  }
  // A vGPU blocked only because it is still advertised is withdrawn now;
  // the next round, after the daemon has published without it, removes it.
  const std::string pod_reason = " (allocated to a pod)";
  for (layout::Action& a : result->final_plan) {
    if (a.kind != layout::ActionKind::kBlocked || a.device.empty() ||
        (pods && pods->count(a.device) != 0) ||
        !absl::EndsWith(a.reason, pod_reason)) {
      continue;
    }
    a.reason.resize(a.reason.size() - pod_reason.size());
    absl::StrAppend(&a.reason, pods ? " (still advertised: withdrawn first)"
                                    : " (the kubelet cannot be asked)");
  }
  round.withdrawn_changed = UpdateWithdrawn(result->final_plan);
  round.more = result->outcome == layout::ApplyOutcome::kInProgress;
  round.converged = result->outcome == layout::ApplyOutcome::kConverged;
  if (result->outcome == layout::ApplyOutcome::kError) {
    Report("error", std::string(result->error.message()), result->final_plan);
  } else {
    Report(std::string(layout::ApplyOutcomeName(result->outcome)), "",
           result->final_plan);
  }
  return round;
}

void LayoutReconciler::Report(const std::string& outcome,
                              const std::string& error,
                              const std::vector<layout::Action>& plan) {
  layout::LayoutStatus status;
  status.layout = name_;
  status.outcome = outcome;
  status.error = error;
  status.updated = absl::Now();
  status.actions = plan;
  status.withdrawn.assign(withdrawn_.begin(), withdrawn_.end());
  status.counts = layout::CountByType(plan);
  if (!error.empty()) {
    status.state = layout::kStateFailed;
  } else if (outcome ==
             layout::ApplyOutcomeName(layout::ApplyOutcome::kConverged)) {
    status.state = layout::kStateSuccess;
  } else {
    status.state = layout::kStatePending;
  }
  if (error.empty()) {
    if (!last_error_.empty()) {
      VGPU_LOG(INFO).With("layout", name_) << "layout reconcile works again";
    }
    last_error_.clear();
  } else {
    LogOnce(last_error_, absl::StrCat("layout ", name_, ": ", error),
            /*error=*/true);
  }
  std::map<std::string, int> blocked;
  std::vector<std::string> lines;
  for (const layout::Action& a : plan) {
    if (a.kind != layout::ActionKind::kBlocked) continue;
    ++blocked[BlockedReason(a, owned_)];
    lines.push_back(absl::StrCat(a.device, ": ", a.reason));
  }
  const std::string blocked_text = absl::StrJoin(lines, "\n");
  if (blocked_text != last_blocked_) {
    last_blocked_ = blocked_text;
    for (const layout::Action& a : plan) {
      if (a.kind != layout::ActionKind::kBlocked) continue;
      VGPU_LOG(WARNING)
              .With("action", "blocked")
              .With("vgpu", a.device)
              .With("gpu", a.gpu)
              .With("reason", BlockedReason(a, owned_))
          << "layout " << name_ << ": blocked: " << a.reason;
    }
  }
  if (metrics_ != nullptr) {
    metrics_->RecordReconcile(blocked, status.state == layout::kStateSuccess,
                              status.updated);
  }
  const std::string path =
      absl::StrCat(state_.dir(), "/", layout::kStatusFileName);
  if (absl::Status s = WriteFileAtomically(path, layout::FormatStatus(status));
      !s.ok()) {
    LogOnce(last_error_, std::string(s.message()), /*error=*/true);
  }
  WriteFeatureFile(status);
}

void LayoutReconciler::WriteFeatureFile(const layout::LayoutStatus& status) {
  if (options_.node_feature_file.empty()) return;
  std::string text = FeatureFileText(status);
  if (text == last_feature_file_) return;
  absl::Status s = WriteFileAtomically(options_.node_feature_file, text);
  if (!s.ok()) {
    LogOnce(last_feature_error_,
            absl::StrCat("node feature file not written (no vGPU node "
                         "labels): ",
                         s.message()),
            /*error=*/false);
    return;
  }
  last_feature_error_.clear();
  last_feature_file_ = std::move(text);
}

void LayoutReconciler::LogOnce(std::string& last, const std::string& message,
                               bool error) {
  if (message == last) return;
  last = message;
  if (error) {
    VGPU_LOG(ERROR) << message;
  } else {
    VGPU_LOG(WARNING) << message;
  }
}

}  // namespace vgpu::daemon
