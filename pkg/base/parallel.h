// ForEachChunk: one loop over [0, n) split into contiguous chunks that run at
// once, one per thread, for work bound by system calls (discovery reads
// thousands of sysfs files; each read waits on the kernel, not on a lock).
#ifndef VGPU_PKG_BASE_PARALLEL_H_
#define VGPU_PKG_BASE_PARALLEL_H_

#include <cstddef>
#include <vector>

#include "absl/functional/function_ref.h"

namespace vgpu {

// Boundaries of min(workers, n) contiguous chunks of [0, n) whose sizes
// differ by at most one (workers < 1 counts as 1): chunk i is
// [bounds[i], bounds[i + 1]). {0} when n is 0.
std::vector<size_t> EvenBounds(size_t n, int workers);

// Calls body(chunk, begin, end) for each non-empty chunk of `bounds`
// (non-decreasing, as EvenBounds gives them; a caller may move a boundary
// to keep related items together). The first non-empty chunk runs on the
// calling thread, every other on a thread of its own (on the caller's too,
// after the first, when no thread can be started); returns once all have
// returned. Chunks never share an item, so a body that writes only to its
// chunk's slot of a vector sized bounds.size() - 1 needs no lock.
void ForEachChunk(
    const std::vector<size_t>& bounds,
    absl::FunctionRef<void(size_t chunk, size_t begin, size_t end)> body);

// Workers for work bound by system calls: one per CPU this process may run
// on, at most 4 (past that the kernel's own locks, not the CPUs, limit
// sysfs reads).
int DefaultWorkers();

}  // namespace vgpu

#endif  // VGPU_PKG_BASE_PARALLEL_H_
