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

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace vgpu::config {

enum class Naming { kDefault, kPerModel };
enum class DeviceKind { kPassthrough, kVgpu, kNvSwitch };
enum class VgpuPolicy { kBinpack, kSpread };

// The shortest rescan period accepted.
inline constexpr absl::Duration kMinRescanPeriod = absl::Milliseconds(100);

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

// Parses YAML text. Empty text gives the defaults. InvalidArgument listing
// every problem ("line L:C: path: what"): YAML syntax errors, unknown or
// duplicate keys, wrong types, bad enum values, and everything
// ValidateConfig checks. Hex IDs may carry "0x"; BDFs are lower-cased.
absl::StatusOr<Config> ParseConfig(absl::string_view yaml);
// Reads `path` (a path in the daemon's own filesystem, not the host root).
// NotFound/PermissionDenied naming the path; parse errors are prefixed
// with the path.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);
// Renders the effective config as YAML (logged at startup). ParseConfig of
// the result gives back an equal Config.
std::string ToYaml(const Config& config);

// Checks a Config built in code (e.g. after flag overrides): version "v1",
// rescan_period >= 100ms, every rule has a valid resource name, at least one
// selector, well-formed BDFs, and no mdevTypeName on a non-vgpu kind.
// InvalidArgument listing every problem at once.
absl::Status ValidateConfig(const Config& config);

// Checks an extended resource name with the kubelet's rules
// (IsExtendedResourceName): exactly one '/'; the domain a DNS-1123
// subdomain not ending in "kubernetes.io"; the name a qualified name
// ([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63 chars); the whole not
// starting with "requests." and "requests."+name still a qualified name.
// InvalidArgument naming the name and the rule it breaks.
absl::Status ValidateResourceName(absl::string_view name);

// Checks "DDDD:BB:DD.F" (domain 4..8 hex digits, device <= 0x1f, function
// <= 7, either case). InvalidArgument naming the text.
absl::Status ValidateBdf(absl::string_view bdf);

// Parses a Go-style duration ("5s", "500ms", "1m30s"): InvalidArgument for
// anything else, for negative or infinite values, and below 100ms.
absl::StatusOr<absl::Duration> ParseRescanPeriod(absl::string_view text);

// Spellings used in YAML: "default"/"per-model", "passthrough"/"vgpu"/
// "nvswitch", "binpack"/"spread".
absl::string_view NamingName(Naming naming);
absl::string_view DeviceKindName(DeviceKind kind);
absl::string_view VgpuPolicyName(VgpuPolicy policy);

bool operator==(const ResourceRule& a, const ResourceRule& b);
bool operator==(const Config& a, const Config& b);

}  // namespace vgpu::config

#endif  // VGPU_PKG_CONFIG_CONFIG_H_
