// layout_bench: the vGPU layout planner on the simulated `large` host (512
// mdev parents by default): Resolve() + Plan() on a discovered inventory,
// median of N runs (goal: plan <= 5 ms). Prints figures only. The apply
// benchmark (512 creates against plain open/write/close) is not here yet:
// `large` has no free capacity (docs/benchmarks.md). Usage:
//   layout_bench [--runs N]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cmd/common/flags.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/layout/desired.h"
#include "pkg/layout/plan.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(int, runs, 21, "timed runs (> 0); the median is printed");

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
  return 0;
}

}  // namespace
}  // namespace vgpu

int main(int argc, char** argv) {
  vgpu::cmd::CommandLine line;
  line.program = "layout_bench";
  line.usage = "usage: layout_bench [--runs N]";
  line.flags = {"runs"};
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
  const int rc = vgpu::Run(runs, tmpl + "/host");
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return rc;
}
