#include "pkg/base/parallel.h"

#include <sched.h>

#include <algorithm>
#include <system_error>
#include <thread>

namespace vgpu {

std::vector<size_t> EvenBounds(size_t n, int workers) {
  const size_t chunks = std::min(n, static_cast<size_t>(std::max(workers, 1)));
  std::vector<size_t> bounds{0};
  // The first n % chunks chunks take one item more.
  for (size_t c = 1; c <= chunks; ++c) {
    bounds.push_back(c * (n / chunks) + std::min(c, n % chunks));
  }
  return bounds;
}

void ForEachChunk(
    const std::vector<size_t>& bounds,
    absl::FunctionRef<void(size_t chunk, size_t begin, size_t end)> body) {
  std::vector<std::thread> threads;
  std::vector<size_t> mine;  // Chunks the caller runs: the first, and any
                             // whose thread could not be started.
  for (size_t c = 0; c + 1 < bounds.size(); ++c) {
    const size_t begin = bounds[c], end = bounds[c + 1];
    if (begin >= end) continue;
    if (mine.empty()) {
      mine.push_back(c);
      continue;
    }
    try {
      threads.emplace_back([&body, c, begin, end] { body(c, begin, end); });
    } catch (const std::system_error&) {
      mine.push_back(c);  // No thread to be had (EAGAIN): slower, not wrong.
    }
  }
  for (size_t c : mine) body(c, bounds[c], bounds[c + 1]);
  for (std::thread& t : threads) t.join();
}

int DefaultWorkers() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = sched_getaffinity(0, sizeof(set), &set) == 0
                 ? CPU_COUNT(&set)
                 : static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cpus, 1, 4);
}

}  // namespace vgpu
