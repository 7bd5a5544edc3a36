// Pure comparison of two PoolSets: whether anything a kubelet or an
// Allocate answer could see changed, and the per-device changes worth one
// log line each (appeared, vanished, health flipped with the reason).
#ifndef VGPU_PKG_DAEMON_POOL_DIFF_H_
#define VGPU_PKG_DAEMON_POOL_DIFF_H_

#include <string>
#include <vector>

#include "pkg/resources/pools.h"

namespace vgpu::daemon {

bool SameDevice(const resources::PoolDevice& a, const resources::PoolDevice& b);
bool SamePools(const resources::PoolSet& a, const resources::PoolSet& b);

struct DeviceChange {
  enum class Kind { kAdded, kRemoved, kBecameHealthy, kBecameUnhealthy };
  Kind kind = Kind::kAdded;
  std::string resource;
  std::string id;
  std::string reason;    // Unhealthy reason for kAdded/kBecameUnhealthy.
  bool healthy = false;  // Health after the change (kAdded).
};

// Changes from `before` to `after`, by resource then device ID. A device
// that stays Unhealthy for another reason is kBecameUnhealthy again, so that
// each new reason is logged once.
std::vector<DeviceChange> DiffPools(const resources::PoolSet& before,
                                    const resources::PoolSet& after);

// Whether the change is logged at WARNING: a device gone, or advertised
// Unhealthy (found Unhealthy, turned Unhealthy, or a new reason). The rest
// is INFO.
bool IsWarning(const DeviceChange& change);

}  // namespace vgpu::daemon

#endif  // VGPU_PKG_DAEMON_POOL_DIFF_H_
