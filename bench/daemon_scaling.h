// The scaling table of daemon_bench (issue 17, "how cost grows"): the same
// figures on simulated hosts of growing size, mdev-on-VF hosts (`large`,
// G GPUs x V VFs, one vGPU per VF) and whole-GPU hosts (`passthrough`, G
// GPUs). Per size: start -> every resource registered and listed, RSS after
// start, a rescan with nothing changed (in process), a health change end to
// end, the ListAndWatch message size and Allocate's own cost. Prints a table
// and writes it as CSV (one row per size) for bench/scaling.gp.
#ifndef VGPU_BENCH_DAEMON_SCALING_H_
#define VGPU_BENCH_DAEMON_SCALING_H_

#include <string>

#include "bench/daemon_rig.h"

namespace vgpu::bench {

struct ScalingOptions {
  std::string csv_path;  // "" = table only.
  // Sizes with more advertised devices than this are left out (a short
  // smoke run); 0 = every size.
  int max_devices = 0;
};

// Runs every size in turn; each figure is the median of n = clamp(runs / 4,
// 1, 5) runs (Allocate: of 200 * runs calls). Dies on any failure.
void RunScaling(const Args& args, const ScalingOptions& options);

}  // namespace vgpu::bench

#endif  // VGPU_BENCH_DAEMON_SCALING_H_
