// Versioned daemon configuration (`version: v1`), loaded from YAML.
// Precedence, stated once: command-line flag > config file > default.
// ParseConfig is pure; LoadConfigFile only reads the file. Every problem in
// a file is reported at once in one InvalidArgument, each with line:column.
// This is the only unit that includes yaml-cpp.
//
// Example (every key optional):
//   version: v1
//   resources:
//     naming: default          # default | per-model
//     rules:                   # first match wins, before naming applies
//       - resourceName: nvidia.com/a10-pt
//         kind: passthrough    # passthrough | vgpu | nvswitch (optional)
//         vendor: "10de"       # hex, optional
//         device: "2236"       # hex, optional
//         bdfs: ["0000:c1:00.0"]  # optional
//         mdevTypeName: "GRID T4-1Q"  # vGPU type name, optional
//   allocation:
//     vgpuPolicy: binpack      # binpack | spread
//   cdi:
//     annotations: true        # cdi.k8s.io/<key> annotations in Allocate
//   kata:
//     vmmInContainer: false    # also hand /dev/iommu to the container
//     kubevirtEnv: false       # also set PCI_RESOURCE_<RESOURCE>
//   rescanPeriod: 5s
#ifndef VGPU_PKG_CONFIG_CONFIG_H_
#define VGPU_PKG_CONFIG_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vgpu::config {

enum class Naming { kDefault, kPerModel };
enum class DeviceKind { kPassthrough, kVgpu, kNvSwitch };
enum class VgpuPolicy { kBinpack, kSpread };

struct ResourceRule {
  std::string resource_name;
  std::optional<DeviceKind> kind;
  std::optional<uint16_t> vendor;
  std::optional<uint16_t> device;
  std::vector<std::string> bdfs;
  std::string mdev_type_name;
};

struct Config {
  std::string version = "v1";
  Naming naming = Naming::kDefault;
  std::vector<ResourceRule> rules;
  VgpuPolicy vgpu_policy = VgpuPolicy::kBinpack;
  bool cdi_annotations = true;
  bool vmm_in_container = false;
  bool kubevirt_env = false;
  absl::Duration rescan_period = absl::Seconds(5);
};

// Parses YAML text. Empty text gives the defaults.
absl::StatusOr<Config> ParseConfig(absl::string_view yaml);
// Reads `path` (a path in the daemon's own filesystem, not the host root).
absl::StatusOr<Config> LoadConfigFile(const std::string& path);
// Renders the effective config as YAML (logged at startup).
std::string ToYaml(const Config& config);

// Checks an extended resource name with the kubelet's rules: "domain/name",
// domain not *kubernetes.io, qualified name parts <= 63 chars.
absl::Status ValidateResourceName(absl::string_view name);

}  // namespace vgpu::config

#endif  // VGPU_PKG_CONFIG_CONFIG_H_
