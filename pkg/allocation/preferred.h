// GetPreferredAllocation policy: which `size` devices of a pool the kubelet
// should give a container. Pure and deterministic (ties broken by id);
// thread-safe.
#ifndef VGPU_PKG_ALLOCATION_PREFERRED_H_
#define VGPU_PKG_ALLOCATION_PREFERRED_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkg/config/config.h"
#include "pkg/resources/pools.h"

namespace vgpu::allocation {

// Returns `size` device IDs, sorted by id: every must-include device, then
// devices from `available` chosen level by level:
//  1. NUMA node: the node of the must-include devices if it can hold the
//     rest, else a node that can hold them alone (the fullest such node for
//     vGPU spread, the one with the fewest candidates otherwise, ties by
//     node), else fill nodes in that order, then by most candidates.
//  2. PCIe switch, the same way within the node (devices without a switch
//     are groups of one). Skipped for vGPU spread.
//  3. Passthrough: by id. vGPU pools (every device kMdev or kVfVgpu):
//     binpack fills physical GPUs with the fewest free candidates first
//     (then the most in use, then by BDF); spread takes one device per
//     physical GPU in turn, least-used GPUs first (in use = not available,
//     or must-include).
// Available ids that are not in the pool (the kubelet's view trails
// ListAndWatch) are left out. InvalidArgument naming the offending value:
// negative size, a must-include id that is not in the pool or not in
// `available`, size smaller than the must-include count or larger than the
// count of available devices in the pool. Duplicate ids count once.
absl::StatusOr<std::vector<std::string>> PreferredAllocation(
    const resources::Pool& pool, const std::vector<std::string>& available,
    const std::vector<std::string>& must_include, int size,
    config::VgpuPolicy policy);

}  // namespace vgpu::allocation

#endif  // VGPU_PKG_ALLOCATION_PREFERRED_H_
