// Kernel text formats of PCI sysfs attributes, as SimHost writes them
// (drivers/pci/pci-sysfs.c, pci-driver.c pci_uevent()). Pure functions.
// Internal to pkg/simhost.
#ifndef VGPU_PKG_SIMHOST_PCI_FORMAT_H_
#define VGPU_PKG_SIMHOST_PCI_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "pkg/simhost/sim_host.h"

namespace vgpu::simhost::internal {

struct Bdf {
  uint32_t domain = 0;
  uint32_t bus = 0;
  uint32_t dev = 0;
  uint32_t fn = 0;
};

// Parses the canonical lower-case form "dddd[dddd]:bb:dd.f" (4..8 domain
// digits, device <= 0x1f). InvalidArgument naming the text otherwise.
absl::StatusOr<Bdf> ParseBdf(absl::string_view text);

// pci_name(): "%04x:%02x:%02x.%d".
std::string FormatBdf(const Bdf& bdf);

// "pciDDDD:BB" directory of the root bus `bdf` sits on.
std::string RootBusDir(const Bdf& bdf);

// 16-bit routing ID (bus << 8 | dev << 3 | fn).
int RoutingId(const Bdf& bdf);

std::string Hex4(uint16_t value);            // "0x10de\n"
std::string ClassText(uint32_t class_code);  // "0x030000\n"
std::string Hex2(uint8_t value);             // "0xa1\n"
std::string IntLine(int64_t value);          // "-1\n"

// "pci:v000010DEd00002230sv000010DEsd00001459bc03sc00i00" (no newline).
std::string Modalias(const FunctionSpec& spec);

// uevent content; DRIVER= only when `driver` is non-empty.
std::string UeventText(const FunctionSpec& spec, absl::string_view driver);

// local_cpulist / local_cpus of a simulated 128-CPU, two-node host (node 0:
// CPUs 0-31,64-95; node 1: 32-63,96-127); -1 or none = all CPUs.
std::string LocalCpuList(std::optional<int> numa_node);
std::string LocalCpuMask(std::optional<int> numa_node);

// `enable`: 1 while a host driver is bound; 0 when unbound or on a VFIO
// driver, which enables the device only when a VMM opens it.
std::string EnableText(const FunctionSpec& spec);
// `power_state`: "unknown" for an unbound function without PM capability,
// else "D0".
std::string PowerStateText(const FunctionSpec& spec);

// Readable attributes of a PCI function in its device dir, (name, content)
// pairs: ids, class, numa_node, cpus, modalias, driver_override, power, link
// and boot_vga/reset_method where they apply. `enable` and `power_state`
// follow `driver` (EnableText, PowerStateText).
std::vector<std::pair<std::string, std::string>> PciAttributes(
    const FunctionSpec& spec);

// A lower-case 8-4-4-4-12 hex UUID (input may be upper-case), or
// InvalidArgument naming the text.
absl::StatusOr<std::string> CanonicalUuid(absl::string_view text);

}  // namespace vgpu::simhost::internal

#endif  // VGPU_PKG_SIMHOST_PCI_FORMAT_H_
