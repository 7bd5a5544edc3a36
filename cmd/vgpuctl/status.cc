// `vgpuctl status`: what the daemon's layout reconcile last saw, from the
// status file it writes in its state dir (no socket, no daemon API): the
// selected layout, what matches, what is pending, what is blocked and why
// (docs/vgpuctl.md). Exit 0 when the node matches its layout, 3 when not,
// 1 on error (no status file: the daemon does not manage a layout there).
#include "pkg/layout/status.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cmd/vgpuctl/commands.h"
#include "cmd/vgpuctl/table.h"
#include "pkg/base/local_file.h"
#include "pkg/layout/plan.h"

ABSL_DECLARE_FLAG(std::string, state_dir);

namespace vgpu::vgpuctl {
namespace {

inline constexpr int kExitNotConverged = 3;

// "matches", "pending" or "blocked": what an action of the last plan means
// for the operator.
const char* StateOf(const layout::Action& a) {
  if (a.kind == layout::ActionKind::kKeep) return "matches";
  if (a.kind == layout::ActionKind::kBlocked) return "blocked";
  return "pending";
}

std::string TableText(const layout::LayoutStatus& s) {
  int matches = 0;
  int pending = 0;
  int blocked = 0;
  Table t({"STATE", "ACTION", "GPU", "DEVICE", "TYPE", "REASON"});
  for (const layout::Action& a : s.actions) {
    const std::string state = StateOf(a);
    if (state == "matches") ++matches;
    if (state == "pending") ++pending;
    if (state == "blocked") ++blocked;
    std::string type = a.type.id;
    if (!a.type.name.empty() && a.type.name != a.type.id) {
      absl::StrAppend(&type, " (", a.type.name, ")");
    }
    t.AddRow({state, std::string(layout::ActionKindName(a.kind)), a.gpu,
              a.device, type, a.reason});
  }
  for (const std::string& d : s.withdrawn) {
    t.AddRow({"withdrawn", "", "", d, "",
              "not advertised: the layout no longer wants it"});
  }
  std::string out = absl::StrCat(
      "layout ", s.layout, ": ", s.state, " (", s.outcome, "), updated ",
      absl::FormatTime(absl::RFC3339_sec, s.updated, absl::UTCTimeZone()), "\n",
      matches, " matching, ", pending, " pending, ", blocked, " blocked, ",
      s.withdrawn.size(), " withdrawn\n");
  if (!s.error.empty()) absl::StrAppend(&out, "error: ", s.error, "\n");
  if (!t.empty()) absl::StrAppend(&out, t.Render());
  return out;
}

}  // namespace

int RunStatus(int argc, char** argv) {
  cmd::CommandLine line;
  line.program = "vgpuctl status";
  line.usage =
      "usage: vgpuctl status [--state-dir DIR] [--json]\n\n"
      "Shows what the daemon's vGPU layout reconcile last saw (vgpu.manage):\n"
      "the layout, what matches, what is pending, what is blocked and why.\n"
      "Exit 0 converged, 1 error, 2 bad usage, 3 not converged.";
  line.flags = {"state_dir", "json"};
  line.allow_empty_values = false;
  if (std::optional<int> done = cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  const std::string path = absl::StrCat(absl::GetFlag(FLAGS_state_dir), "/",
                                        layout::kStatusFileName);
  absl::StatusOr<std::string> text = ReadLocalFile(path, "status");
  absl::StatusOr<layout::LayoutStatus> status =
      text.ok() ? layout::ParseStatus(*text)
                : absl::StatusOr<layout::LayoutStatus>(text.status());
  if (!status.ok()) {
    std::fprintf(stderr,
                 "vgpuctl status: %s (does the daemon manage a layout, "
                 "vgpu.manage: true, with this --state-dir?)\n",
                 std::string(status.status().message()).c_str());
    return kExitError;
  }
  const std::string out = absl::GetFlag(FLAGS_json)
                              ? layout::FormatStatus(*status)
                              : TableText(*status);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (std::fflush(stdout) != 0) return kExitError;
  return status->state == layout::kStateSuccess ? kExitOk : kExitNotConverged;
}

}  // namespace vgpu::vgpuctl
