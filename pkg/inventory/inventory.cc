// Lookups on Inventory's sorted vectors (discovery.cc has the others).
#include "pkg/inventory/inventory.h"

#include <algorithm>

namespace vgpu::inventory {

const MdevParent* Inventory::FindMdevParent(absl::string_view name) const {
  auto it = std::lower_bound(
      mdev_parents.begin(), mdev_parents.end(), name,
      [](const MdevParent& p, absl::string_view n) { return p.name < n; });
  return it != mdev_parents.end() && it->name == name ? &*it : nullptr;
}

}  // namespace vgpu::inventory
