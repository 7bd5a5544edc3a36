// layout_bench: the vGPU layout engine at 512 parents.
// - plan: Resolve() + Plan() on the discovered `large` host (16 GPUs x 32
//   VFs, in memory), median of --runs (goal <= 5 ms).
// - apply: layout::Apply() creating 512 A100-4C on `large-empty` (64 GPUs x
//   8 VFs: A100-4C reads max_instance=10 per GPU) served by the
//   kernel-faithful simulator (`vgpu-simhost --serve`, FUSE, as the e2e
//   tests), against the floor: the same 512 writes with plain
//   open/write/close on a fresh host. Median of --apply_runs, each on a
//   fresh host (goal: apply <= 1.5x the floor). Needs /dev/fuse and root;
//   --apply_runs=0 skips it.
// Prints figures only. Usage:
//   layout_bench [--runs N] [--apply_runs N]
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cmd/common/flags.h"
#include "pkg/base/status_macros.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/layout/apply.h"
#include "pkg/layout/desired.h"
#include "pkg/layout/plan.h"
#include "pkg/layout/state.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/served_host.h"

ABSL_FLAG(int, runs, 21, "timed plan runs (> 0); the median is printed");
ABSL_FLAG(int, apply_runs, 5,
          "timed apply and floor runs, each on a fresh served host (0 skips)");
ABSL_FLAG(int, apply_gpus, 64,
          "GPUs of the served large-empty host (8 VFs each: 8 creates each)");

namespace vgpu {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kLayout[] = R"(version: v1
vgpu-configs:
  all:
    - devices: all
      vgpu-devices:
        "A100-4C": 4
)";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "layout_bench: %s\n", status.ToString().c_str());
  return 1;
}

int Run(int runs, const std::string& dir) {
  auto host = simhost::SimHost::Create(dir);
  if (!host.ok()) return Fail(host.status());
  absl::Status built = simhost::BuildProfile(**host, "large", {});
  if (!built.ok()) return Fail(built);
  auto sysfs = sysfs::NewHostSysfs(dir);
  if (!sysfs.ok()) return Fail(sysfs.status());
  auto inv = inventory::Discover(**sysfs, {});
  if (!inv.ok()) return Fail(inv.status());
  auto layouts = config::ParseVgpuConfigFile(kLayout);
  if (!layouts.ok()) return Fail(layouts.status());
  std::vector<double> ms;
  size_t actions = 0;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    auto desired = layout::Resolve(*layouts, "all", *inv);
    if (!desired.ok()) return Fail(desired.status());
    actions = layout::Plan(*desired, *inv, {}, {}).size();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("profile large: %zu functions, %zu mdevs; %zu actions\n",
              inv->functions.size(), inv->mdevs.size(), actions);
  std::printf("resolve + plan (median of %d): %.3f ms (goal <= 5 ms)\n", runs,
              ms[ms.size() / 2]);
  std::fflush(stdout);
  return 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

constexpr int kApplyVfs = 8;

// The 512 create writes Apply would make on a fresh large-empty host.
absl::StatusOr<std::vector<layout::Action>> PlannedCreates(
    sysfs::Sysfs& host, const config::VgpuLayouts& layouts) {
  VGPU_ASSIGN_OR_RETURN(inventory::Inventory inv,
                        inventory::Discover(host, {}));
  VGPU_ASSIGN_OR_RETURN(layout::DesiredState desired,
                        layout::Resolve(layouts, "apply", inv));
  std::vector<layout::Action> creates;
  for (layout::Action& a : layout::Plan(desired, inv, {}, {})) {
    if (a.kind == layout::ActionKind::kCreateMdev) {
      creates.push_back(std::move(a));
    }
  }
  return creates;
}

// One timed run on a fresh served host: Apply (apply = true) or the floor.
absl::StatusOr<double> ApplyRun(const std::string& dir, int run, bool apply,
                                const config::VgpuLayouts& layouts,
                                size_t& writes) {
  const std::string root = absl::StrCat(dir, "/host", run, apply ? "a" : "f");
  testing::ServedHost served(VGPU_SIMHOST_BIN, dir);
  VGPU_RETURN_IF_ERROR(
      served.Start("large-empty", root,
                   {"--gpus", absl::StrCat(absl::GetFlag(FLAGS_apply_gpus)),
                    "--vfs", absl::StrCat(kApplyVfs)},
                   /*wait_seconds=*/600));
  VGPU_ASSIGN_OR_RETURN(std::unique_ptr<sysfs::Sysfs> host,
                        sysfs::NewHostSysfs(root));
  double ms = 0;
  if (apply) {
    VGPU_ASSIGN_OR_RETURN(
        layout::StateDir state,
        layout::StateDir::Open(absl::StrCat(dir, "/state", run)));
    layout::ApplyOptions options;
    options.layout = "apply";
    options.layouts = layouts;
    const auto start = Clock::now();
    VGPU_ASSIGN_OR_RETURN(layout::ApplyResult r,
                          layout::Apply(*host, state, options));
    ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (r.outcome != layout::ApplyOutcome::kConverged) {
      return absl::InternalError(
          absl::StrCat("apply: ", layout::ApplyOutcomeName(r.outcome), " ",
                       r.error.message()));
    }
    writes = r.steps.size();
  } else {
    VGPU_ASSIGN_OR_RETURN(std::vector<layout::Action> creates,
                          PlannedCreates(*host, layouts));
    const auto start = Clock::now();
    for (const layout::Action& a : creates) {
      const std::string path = absl::StrCat(root, "/", a.path);
      const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, a.data.data(), a.data.size()) !=
                        static_cast<ssize_t>(a.data.size())) {
        return absl::InternalError(absl::StrCat("floor: write ", path));
      }
      ::close(fd);
    }
    ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    writes = creates.size();
  }
  if (served.Stop() != 0) return absl::InternalError("vgpu-simhost stop");
  return ms;
}

int RunApply(int runs, const std::string& dir) {
  auto layouts = config::ParseVgpuConfigFile(
      "version: v1\nvgpu-configs:\n  apply:\n    - devices: all\n"
      "      vgpu-devices: {\"A100-4C\": 8}\n");
  if (!layouts.ok()) return Fail(layouts.status());
  std::vector<double> apply_ms, floor_ms;
  size_t writes = 0;
  for (int i = 0; i < runs; ++i) {
    for (bool apply : {false, true}) {
      absl::StatusOr<double> ms = ApplyRun(dir, i, apply, *layouts, writes);
      if (!ms.ok()) return Fail(ms.status());
      (apply ? apply_ms : floor_ms).push_back(*ms);
      std::printf("  run %d %s: %.1f ms\n", i, apply ? "apply" : "floor", *ms);
      std::fflush(stdout);
    }
  }
  const double apply = Median(apply_ms), floor = Median(floor_ms);
  std::printf("profile large-empty (%d GPUs x %d VFs): %zu creates\n",
              absl::GetFlag(FLAGS_apply_gpus), kApplyVfs, writes);
  std::printf("floor, open/write/close (median of %d): %.1f ms\n", runs, floor);
  std::printf(
      "apply (median of %d): %.1f ms = %.2fx the floor (goal <= "
      "1.5x)\n",
      runs, apply, apply / floor);
  return 0;
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) {
  vgpu::cmd::CommandLine line;
  line.program = "layout_bench";
  line.usage =
      "usage: layout_bench [--runs N] [--apply_runs N] [--apply_gpus N]";
  line.flags = {"runs", "apply_runs", "apply_gpus"};
  if (std::optional<int> done = vgpu::cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  const int runs = absl::GetFlag(FLAGS_runs);
  if (runs <= 0) return vgpu::cmd::UsageError(line, "--runs must be > 0");
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp",
                                  "/vgpu-layout-bench-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  int rc = vgpu::Run(runs, tmpl + "/host");
  const int apply_runs = absl::GetFlag(FLAGS_apply_runs);
  if (rc == 0 && apply_runs > 0) rc = vgpu::RunApply(apply_runs, tmpl);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return rc;
}
