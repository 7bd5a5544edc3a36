// Renders a discovered Inventory for `vgpuctl discover`: a table for people
// and the stable JSON document described in docs/vgpuctl.md
// (schemaVersion 1). Pure functions of their arguments.
#ifndef VGPU_CMD_VGPUCTL_DISCOVER_OUTPUT_H_
#define VGPU_CMD_VGPUCTL_DISCOVER_OUTPUT_H_

#include <map>
#include <string>

#include "pkg/inventory/inventory.h"
#include "pkg/resources/pools.h"

namespace vgpu::vgpuctl {

// "gpu", "nvswitch", "companion", "bridge", "other".
const char* RoleName(inventory::FunctionRole role);

// "GA102GL [RTX A6000] (10de:2230)", or "10de:2230" without a pci.ids name.
std::string ModelName(const inventory::PciFunction& fn);

// What the daemon would do with a unit, from resources::BuildPools (the
// one place health is decided, for the daemon and for discover).
struct UnitHealth {
  enum class State { kHealthy, kUnhealthy, kNotAdvertised };
  State state = State::kNotAdvertised;
  std::string reason;    // Why Unhealthy or not advertised; "" when Healthy.
  std::string resource;  // The resource name; "" when not advertised.
};
// By primary BDF, for every unit of `inv`.
using UnitHealthMap = std::map<std::string, UnitHealth>;
UnitHealthMap HealthOfUnits(const inventory::Inventory& inv,
                            const resources::PoolSet& pools);

// "Healthy", "Unhealthy: <reason>" or "not advertised: <reason>".
std::string HealthText(const UnitHealth& health);

struct DiscoverView {
  std::string host_root;
  UnitHealthMap health;
  bool show_resource = false;  // --config given: show resource names.
};

std::string FormatTable(const inventory::Inventory& inv,
                        const DiscoverView& view);
// --summary: counts of units (by health), vGPUs (mdev instances and VFs
// holding a vGPU type) and units not Healthy, counted by reason.
std::string FormatSummaryTable(const inventory::Inventory& inv,
                               const DiscoverView& view);
std::string FormatSummaryJson(const inventory::Inventory& inv,
                              const DiscoverView& view);
std::string FormatJson(const inventory::Inventory& inv,
                       const DiscoverView& view);

}  // namespace vgpu::vgpuctl

#endif  // VGPU_CMD_VGPUCTL_DISCOVER_OUTPUT_H_
