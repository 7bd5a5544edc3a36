#include "pkg/inventory/vfio_driver.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace vgpu::inventory {

bool IsVfioDriver(absl::string_view driver, bool has_vfio_dev,
                  absl::Span<const std::string> extra_drivers) {
  if (has_vfio_dev) return true;
  if (driver.empty()) return false;
  if (absl::EndsWith(driver, "vfio-pci") ||
      absl::EndsWith(driver, "vfio_pci")) {
    return true;
  }
  return std::find(extra_drivers.begin(), extra_drivers.end(), driver) !=
         extra_drivers.end();
}

}  // namespace vgpu::inventory
