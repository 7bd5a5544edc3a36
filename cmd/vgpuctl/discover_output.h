// Renders a discovered Inventory for `vgpuctl discover`: a table for people
// and the stable JSON document described in docs/vgpuctl.md
// (schemaVersion 1). Pure functions of their arguments.
#ifndef VGPU_CMD_VGPUCTL_DISCOVER_OUTPUT_H_
#define VGPU_CMD_VGPUCTL_DISCOVER_OUTPUT_H_

#include <string>

#include "pkg/inventory/inventory.h"

namespace vgpu::vgpuctl {

// "gpu", "nvswitch", "companion", "bridge", "other".
const char* RoleName(inventory::FunctionRole role);

// "GA102GL [RTX A6000] (10de:2230)", or "10de:2230" without a pci.ids name.
std::string ModelName(const inventory::PciFunction& fn);

// True when the inventory holds no GPU or NVSwitch function, no mdev parent
// and no unit: the table then says "no GPUs found on this host".
bool HasNoGpus(const inventory::Inventory& inv);

std::string FormatTable(const inventory::Inventory& inv,
                        const std::string& host_root);
std::string FormatJson(const inventory::Inventory& inv,
                       const std::string& host_root);

}  // namespace vgpu::vgpuctl

#endif  // VGPU_CMD_VGPUCTL_DISCOVER_OUTPUT_H_
