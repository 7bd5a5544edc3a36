// The one way the benchmarks time Allocate over a device plugin's socket:
// Allocate of one device interleaved call by call with GetDevicePluginOptions
// on the same channel, so that the difference of their percentiles is what
// Allocate costs above the RPC floor. Used by allocate_bench (an in-process
// server) and daemon_bench --scaling (the real daemon).
#ifndef VGPU_BENCH_ALLOCATE_CALLS_H_
#define VGPU_BENCH_ALLOCATE_CALLS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace vgpu::bench {

struct AllocateSamples {
  std::vector<double> trivial_us;  // GetDevicePluginOptions round trips.
  std::vector<double> alloc_us;    // Allocate round trips.
};

// `calls` timed pairs after 200 untimed ones, devices taken in turn from
// `ids`. Keeps a ListAndWatch stream open meanwhile (Allocate answers from
// what the stream sent). Fails on the first RPC error.
absl::StatusOr<AllocateSamples> TimeAllocateCalls(
    const std::string& socket, const std::vector<std::string>& ids, int calls);

}  // namespace vgpu::bench

#endif  // VGPU_BENCH_ALLOCATE_CALLS_H_
