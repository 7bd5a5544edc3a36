// PciIds: vendor and device names from a pci.ids file (Debian: package
// pci.ids, /usr/share/misc/pci.ids). A missing, truncated or garbled file
// never fails discovery: unknown IDs just have no name.
#ifndef VGPU_PKG_INVENTORY_PCI_IDS_H_
#define VGPU_PKG_INVENTORY_PCI_IDS_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::inventory {

class PciIds {
 public:
  PciIds() = default;

  // Parses pci.ids text. Malformed lines are skipped; never fails. With
  // `only_vendors`, keeps the names of those vendors and their devices only
  // (the full file is ~35k entries, a few MiB in memory; a host has a few
  // vendors).
  static PciIds Parse(absl::string_view text,
                      std::optional<std::set<uint16_t>> only_vendors = {});
  // Reads and parses a file by absolute path (a container image path, not a
  // host path). NotFound/PermissionDenied naming the path on failure.
  static absl::StatusOr<PciIds> Load(
      const std::string& path,
      std::optional<std::set<uint16_t>> only_vendors = {});

  // Whether this table was asked for `vendor` (always, when unfiltered);
  // says nothing about whether pci.ids knows it.
  bool Covers(uint16_t vendor) const {
    return !only_vendors_.has_value() || only_vendors_->count(vendor) > 0;
  }

  // Names or std::nullopt when unknown.
  std::optional<std::string> VendorName(uint16_t vendor) const;
  std::optional<std::string> DeviceName(uint16_t vendor, uint16_t device) const;

  size_t vendor_count() const { return vendors_.size(); }
  size_t device_count() const { return devices_.size(); }

 private:
  std::optional<std::set<uint16_t>> only_vendors_;
  std::unordered_map<uint16_t, std::string> vendors_;
  std::unordered_map<uint32_t, std::string> devices_;  // vendor<<16 | device
};

// Default search list for pci.ids.
inline constexpr const char* kDefaultPciIdsPaths[] = {
    "/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
    "/usr/share/pci.ids"};

}  // namespace vgpu::inventory

#endif  // VGPU_PKG_INVENTORY_PCI_IDS_H_
