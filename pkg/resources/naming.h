// Resource naming for pools: the vendor domain table, pci.ids/vGPU-type
// name sanitizing, and config rule matching. Pure functions, thread-safe.
#ifndef VGPU_PKG_RESOURCES_NAMING_H_
#define VGPU_PKG_RESOURCES_NAMING_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pkg/config/config.h"

namespace vgpu::resources {

// What naming looks at for one device.
struct NamingFacts {
  config::DeviceKind kind = config::DeviceKind::kPassthrough;
  // PCI IDs: the unit's primary function; for vGPUs the physical GPU's
  // (PF or mdev parent). 0 when there is no PCI device behind it.
  uint16_t vendor = 0;
  uint16_t device = 0;
  // BDFs a rule's `bdfs` selector matches: the unit's primary; for a VF
  // vGPU the VF and its PF; for an mdev its parent and the parent's PF.
  std::vector<std::string> bdfs;
  // pci.ids device name (passthrough/nvswitch) or vGPU type name.
  std::string model_name;
  // Used per-model when model_name is empty: "2236" (device id) or the
  // mdev type id / "vgpu-type-<n>".
  std::string fallback_model;
};

// "nvidia.com" for 0x10de, "amd.com" 0x1002, "intel.com" 0x8086,
// "habana.ai" 0x1da3; nullopt for other vendors.
std::optional<std::string> VendorDomain(uint16_t vendor);

// Every vendor VendorDomain names.
std::set<uint16_t> DomainVendors();

// A model name as a resource name part: characters outside
// [A-Za-z0-9_.-] become '_', runs of '_' collapse, non-alphanumerics are
// trimmed from both ends, at most 63 characters. "GA102GL [A10]" ->
// "GA102GL_A10". May return "" (nothing usable).
std::string SanitizeModelName(absl::string_view name);

// True when every selector the rule sets matches `facts`.
bool RuleMatches(const config::ResourceRule& rule, const NamingFacts& facts);

// The resource name for a device: first matching rule, else the default
// per `naming`; nullopt when no rule matches and the vendor has no domain.
// The result is not validated here.
std::optional<std::string> ResourceNameFor(const NamingFacts& facts,
                                           const config::Config& config);

}  // namespace vgpu::resources

#endif  // VGPU_PKG_RESOURCES_NAMING_H_
