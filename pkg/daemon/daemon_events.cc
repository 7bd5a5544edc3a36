// Daemon::UpdateForVfioNodes: a VFIO node event handled at the cost of what
// it touches. A full discovery reads all of sysfs (hundreds of devices on a
// big host) for what is, in the common case, one node appearing or
// vanishing; here only that node and its group's devices are read, the
// pools are rebuilt from the patched inventory (pure, no I/O), and the
// result goes out through Publish like a rescan's.
#include <optional>
#include <vector>

#include "pkg/base/logging.h"
#include "pkg/daemon/daemon.h"
#include "pkg/daemon/pool_diff.h"
#include "pkg/inventory/host_signature.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::daemon {

bool Daemon::UpdateForVfioNodes(
    const std::set<inventory::VfioNodeEvent>& nodes) {
  // A CDI retry republishes everything, which a rescan does.
  if (last_inventory_ == nullptr || cdi_retry_) return false;
  const std::vector<inventory::VfioNodeEvent> events(nodes.begin(),
                                                     nodes.end());
  absl::StatusOr<bool> changed =
      inventory::UpdateVfioNodes(*sysfs_, events, *last_inventory_);
  if (!changed.ok()) {
    VGPU_LOG(DEBUG) << "vfio node event needs a full discovery: "
                    << changed.status().message();
    return false;
  }
  if (*changed) {
    absl::StatusOr<resources::PoolSet> pools =
        resources::BuildPools(*last_inventory_, options_.config);
    if (!pools.ok()) return false;  // The rescan reports it.
    std::optional<resources::PoolSet> cdi_pools;
    if (reconciler_ != nullptr) {
      cdi_pools = *pools;
      FilterForLayout(*last_inventory_, *pools);
    }
    if (!SamePools(published_, *pools)) {
      published_ =
          Publish(*std::move(pools), cdi_pools ? &*cdi_pools : nullptr);
      UpdatePolledResources();
    }
    metrics_->UpdateInventory(*last_inventory_, published_);
  }
  // The signature the next period compares must know these nodes as they
  // were read, and nothing else it has not seen: only the node listings
  // are taken again. Any other node change since is an event still queued.
  if (!last_signature_.empty()) {
    absl::StatusOr<std::string> signature =
        inventory::RelistVfioNodes(*sysfs_, last_signature_);
    last_signature_ = signature.ok() ? *std::move(signature) : "";
  }
  return true;
}

}  // namespace vgpu::daemon
