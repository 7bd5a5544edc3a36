// `vgpuctl plan` and `vgpuctl apply`: the vGPU layout commands
// (docs/vgpuctl.md, docs/vgpu-layouts.md). Both read the layout (our config
// or a vgpu-device-manager file), the host, the ownership state and, when
// the kubelet's PodResources socket is there, what pods were allocated.
// `plan` prints the actions and changes nothing; `apply` performs them
// through pkg/layout's Apply (one write per step, re-planned after each).
// Exit codes: 0 converged, 1 error, 2 bad usage, 3 not converged.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cmd/vgpuctl/commands.h"
#include "cmd/vgpuctl/table.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/json.h"
#include "pkg/config/config.h"
#include "pkg/kubelet/pod_resources.h"
#include "pkg/layout/apply.h"
#include "pkg/layout/plan.h"
#include "pkg/layout/state.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(std::string, config, "",
          "our config file (vgpu.configs or vgpu.configFile, vgpu.layout)");
ABSL_FLAG(std::string, vgpu_config_file, "",
          "a vgpu-device-manager layout file (version: v1, vgpu-configs)");
ABSL_FLAG(std::string, layout, "",
          "the layout to use (overrides VGPU_CONFIG and vgpu.layout)");
ABSL_FLAG(std::string, state_dir, vgpu::layout::kDefaultStateDir,
          "where the ownership record and the applier's lock live");

ABSL_DECLARE_FLAG(std::string, pod_resources_socket);

namespace vgpu::vgpuctl {
namespace {

inline constexpr int kExitNotConverged = 3;

cmd::CommandLine LayoutCommandLine(bool apply) {
  cmd::CommandLine line;
  line.program = apply ? "vgpuctl apply" : "vgpuctl plan";
  line.usage = absl::StrCat(
      "usage: vgpuctl ", apply ? "apply" : "plan",
      " (--config FILE | --vgpu-config-file FILE) [--layout NAME]\n"
      "       [--host-root DIR] [--state-dir DIR] [--pod-resources-socket "
      "PATH] [--json]\n\n",
      apply ? "Creates and removes vGPUs until the node matches the layout,\n"
              "one step at a time (an SR-IOV enable, a plan's removals, or\n"
              "its creations: one sysfs write each), observing the host\n"
              "and planning again after each step. Exit 0 converged,\n"
              "1 error, 2 bad usage, 3 not converged (blocked)."
            : "Prints what `vgpuctl apply` would do, and why; changes "
              "nothing.\nExit 0 converged, 1 error, 2 bad usage, 3 changes "
              "pending or blocked.");
  line.flags = {"config",    "vgpu_config_file",     "layout", "host_root",
                "state_dir", "pod_resources_socket", "json"};
  line.allow_empty_values = false;
  return line;
}

struct Inputs {
  config::VgpuLayouts layouts;
  std::string layout;
};

// The layouts and the layout name, from the flags, the config and the env.
absl::StatusOr<Inputs> ReadInputs() {
  const std::string config_path = absl::GetFlag(FLAGS_config);
  std::string file = absl::GetFlag(FLAGS_vgpu_config_file);
  Inputs in;
  std::string config_layout;
  if (!config_path.empty()) {
    absl::StatusOr<config::Config> c = config::LoadConfigFile(config_path);
    if (!c.ok()) return c.status();
    config_layout = c->vgpu.layout;
    in.layouts = c->vgpu.configs;
    if (!c->vgpu.config_file.empty()) file = c->vgpu.config_file;
  }
  if (!file.empty()) {
    absl::StatusOr<config::VgpuLayouts> l = config::LoadVgpuConfigFile(file);
    if (!l.ok()) return l.status();
    in.layouts = *std::move(l);
  }
  const char* env = std::getenv("VGPU_CONFIG");
  in.layout = config::SelectLayoutName(config_layout, env ? env : "",
                                       absl::GetFlag(FLAGS_layout));
  if (in.layout.empty()) {
    return absl::InvalidArgumentError(
        "no layout named: give --layout, VGPU_CONFIG or vgpu.layout");
  }
  return in;
}

// Device IDs the kubelet allocated to pods. An absent socket means no
// kubelet: none, said on stderr.
absl::StatusOr<layout::DeviceSet> Allocated(const std::string& program) {
  const std::string socket = absl::GetFlag(FLAGS_pod_resources_socket);
  layout::DeviceSet out;
  struct stat st;
  if (socket.empty() || ::stat(socket.c_str(), &st) != 0) {
    std::fprintf(stderr,
                 "%s: no PodResources socket at %s: no device counted as "
                 "allocated to a pod\n",
                 program.c_str(), socket.c_str());
    return out;
  }
  absl::StatusOr<v1::ListPodResourcesResponse> list =
      kubelet::ListPodResources(socket);
  if (!list.ok()) return list.status();
  for (const auto& pod : list->pod_resources()) {
    for (const auto& c : pod.containers()) {
      for (const auto& d : c.devices()) {
        for (const std::string& id : d.device_ids()) out.insert(id);
      }
    }
  }
  return out;
}

Json ActionJson(const layout::Action& a) {
  Json j = Json::object();
  j["action"] = std::string(layout::ActionKindName(a.kind));
  j["gpu"] = a.gpu;
  j["device"] = a.device;
  j["parent"] = a.parent;
  j["type"] = a.type.id;
  j["typeName"] = a.type.name;
  j["reason"] = a.reason;
  j["path"] = a.path;
  j["data"] = a.data;
  return j;
}

std::vector<std::string> ActionCells(const layout::Action& a) {
  std::string type = a.type.id;
  if (!a.type.name.empty() && a.type.name != a.type.id) {
    absl::StrAppend(&type, " (", a.type.name, ")");
  }
  return {std::string(layout::ActionKindName(a.kind)), a.gpu, a.device, type,
          a.reason};
}

// A step's or the run's error: the kernel's message, which names the path,
// and the errno's name ("write sys/.../create: File exists (EEXIST)").
std::string ErrorText(const absl::Status& status) {
  std::string text(status.message());
  const int err = StatusErrno(status);
  if (const char* name = err != 0 ? ::strerrorname_np(err) : nullptr) {
    absl::StrAppend(&text, " (", name, ")");
  }
  return text;
}

int Fail(const std::string& program, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", program.c_str(), ErrorText(status).c_str());
  return kExitError;
}

bool AnyBlocked(const std::vector<layout::Action>& plan) {
  for (const layout::Action& a : plan) {
    if (a.kind == layout::ActionKind::kBlocked) return true;
  }
  return false;
}

int Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

int RunLayout(bool apply, int argc, char** argv) {
  const cmd::CommandLine line = LayoutCommandLine(apply);
  if (std::optional<int> done = cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  if (absl::GetFlag(FLAGS_config).empty() ==
      absl::GetFlag(FLAGS_vgpu_config_file).empty()) {
    return cmd::UsageError(line,
                           "give one of --config FILE or --vgpu-config-file");
  }
  absl::StatusOr<Inputs> in = ReadInputs();
  if (!in.ok()) return Fail(line.program, in.status());
  absl::StatusOr<layout::DeviceSet> allocated = Allocated(line.program);
  if (!allocated.ok()) return Fail(line.program, allocated.status());
  absl::StatusOr<std::unique_ptr<sysfs::Sysfs>> host =
      sysfs::NewHostSysfs(absl::GetFlag(FLAGS_host_root));
  if (!host.ok()) return Fail(line.program, host.status());
  absl::StatusOr<layout::StateDir> state =
      layout::StateDir::Open(absl::GetFlag(FLAGS_state_dir));
  if (!state.ok()) return Fail(line.program, state.status());
  const bool json = absl::GetFlag(FLAGS_json);
  layout::ApplyOptions options;
  options.layout = in->layout;
  options.layouts = in->layouts;
  options.allocated = *allocated;

  if (!apply) {
    absl::StatusOr<layout::OwnershipState> owned = state->Load();
    if (!owned.ok()) return Fail(line.program, owned.status());
    absl::StatusOr<layout::Observation> seen =
        layout::ObserveAndPlan(**host, options, *owned);
    if (!seen.ok()) return Fail(line.program, seen.status());
    const std::vector<layout::Action>* plan = &seen->plan;
    const bool converged = !layout::HasChanges(*plan) && !AnyBlocked(*plan);
    std::string out;
    if (json) {
      Json j = Json::object();
      j["layout"] = in->layout;
      j["converged"] = converged;
      j["actions"] = Json::array();
      for (const layout::Action& a : *plan)
        j["actions"].push_back(ActionJson(a));
      out = DumpJson(j);
    } else {
      Table t({"ACTION", "GPU", "DEVICE", "TYPE", "REASON"});
      for (const layout::Action& a : *plan) t.AddRow(ActionCells(a));
      out = absl::StrCat("layout ", in->layout, ": ",
                         converged ? "converged" : "not converged", "\n",
                         t.Render());
    }
    const int rc = Print(out);
    if (rc != kExitOk) return rc;
    return converged ? kExitOk : kExitNotConverged;
  }

  absl::StatusOr<layout::ApplyResult> result =
      layout::Apply(**host, *state, options);
  if (!result.ok()) return Fail(line.program, result.status());
  std::string out;
  const std::string outcome(layout::ApplyOutcomeName(result->outcome));
  if (json) {
    Json j = Json::object();
    j["layout"] = in->layout;
    j["outcome"] = outcome;
    j["steps"] = Json::array();
    for (const layout::StepResult& s : result->steps) {
      Json a = ActionJson(s.action);
      a["result"] = s.status.ok() ? "ok" : ErrorText(s.status);
      if (const int err = StatusErrno(s.status); err != 0) {
        const char* name = ::strerrorname_np(err);
        a["errno"] = std::string(name != nullptr ? name : "");
      }
      j["steps"].push_back(std::move(a));
    }
    j["plan"] = Json::array();
    for (const layout::Action& a : result->final_plan) {
      j["plan"].push_back(ActionJson(a));
    }
    if (!result->error.ok()) j["error"] = ErrorText(result->error);
    out = DumpJson(j);
  } else {
    Table t({"ACTION", "GPU", "DEVICE", "TYPE", "RESULT"});
    for (const layout::StepResult& s : result->steps) {
      std::vector<std::string> cells = ActionCells(s.action);
      cells.back() = s.status.ok() ? "ok" : ErrorText(s.status);
      t.AddRow(std::move(cells));
    }
    for (const layout::Action& a : result->final_plan) {
      if (a.kind == layout::ActionKind::kBlocked) t.AddRow(ActionCells(a));
    }
    out = absl::StrCat("layout ", in->layout, ": ", outcome, " (",
                       result->steps.size(), " writes)\n",
                       t.empty() ? "" : t.Render());
    if (!result->error.ok()) {
      absl::StrAppend(&out, "error: ", ErrorText(result->error), "\n");
    }
  }
  const int rc = Print(out);
  if (rc != kExitOk) return rc;
  switch (result->outcome) {
    case layout::ApplyOutcome::kConverged:
      return kExitOk;
    case layout::ApplyOutcome::kError:
      return kExitError;
    default:
      return kExitNotConverged;
  }
}

}  // namespace

int RunPlan(int argc, char** argv) { return RunLayout(false, argc, argv); }
int RunApply(int argc, char** argv) { return RunLayout(true, argc, argv); }

}  // namespace vgpu::vgpuctl
