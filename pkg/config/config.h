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
//   vgpu:                      # vGPU layouts (docs/vgpu-layouts.md)
//     layout: a10-4q           # < env VGPU_CONFIG < flag --vgpu-layout
//     manage: false            # the daemon keeps the layout
//     configFile: /etc/vgpu/layouts.yaml  # vgpu-device-manager's format,
//     configs:                 # ... or the same `vgpu-configs` map inline
//       a10-4q:
//         - devices: all       # all | [GPU indices, PCI address order]
//           device-filter: "0x223610DE"  # optional, "0x<device><vendor>"
//           vendor: "10de"     # optional, as in resources.rules
//           vgpu-devices: {"A10-4Q": 6}
//     nodeFeatureFile:
//     /etc/kubernetes/node-feature-discovery/features.d/vgpu-device-plugin
#ifndef VGPU_PKG_CONFIG_CONFIG_H_
#define VGPU_PKG_CONFIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
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

inline constexpr char kDefaultNodeFeatureFile[] =
    "/etc/kubernetes/node-feature-discovery/features.d/vgpu-device-plugin";

// vgpu-device-manager's `device-filter`: "0x<device><vendor>" (8 hex
// digits, "0x223610DE"), optionally followed by the subsystem
// "<device><vendor>" (16 hex digits).
struct DeviceFilter {
  uint16_t device = 0;
  uint16_t vendor = 0;
  std::optional<uint16_t> subsystem_device;
  std::optional<uint16_t> subsystem_vendor;
};

// One entry of a named layout: which physical GPUs (every selector given
// must match), and the vGPUs each of them holds.
struct VgpuLayoutEntry {
  bool all_devices = true;   // `devices: all`, or `devices` absent.
  std::vector<int> devices;  // `devices: [0, 2]`: indices of the node's
                             // physical GPUs in PCI address order.
  std::vector<DeviceFilter> device_filters;  // Any of them; empty = any.
  std::optional<uint16_t> vendor;            // Our selectors, as in
  std::optional<uint16_t> device;            // resources.rules.
  std::vector<std::string> bdfs;             // Lower-case.
  // Our `mdevParents`: mdev parents that are not PCI functions, by their
  // name in /sys/class/mdev_bus ("mbochs"); the entry then addresses those
  // parents and no GPU. Exclusive with every selector above.
  std::vector<std::string> mdev_parents;
  // `vgpu-devices`: type name or id -> count, in file order.
  std::vector<std::pair<std::string, int>> vgpu_devices;
};

// Layout name -> entries (`vgpu-configs`).
using VgpuLayouts = std::map<std::string, std::vector<VgpuLayoutEntry>>;

struct VgpuConfig {
  VgpuLayouts configs;      // `vgpu.configs`, exclusive with config_file.
  std::string config_file;  // A vgpu-device-manager file; "" = none.
  std::string layout;       // Layout for this node; see SelectLayoutName.
  bool manage = false;      // The daemon reconciles the layout.
  // NFD local feature file, under the host root; "" = none.
  std::string node_feature_file = kDefaultNodeFeatureFile;
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
  VgpuConfig vgpu;
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
// Parses a vgpu-device-manager file (`version: v1` and `vgpu-configs`, both
// required), with our selectors allowed in entries. InvalidArgument listing
// every problem with line:column, as ParseConfig.
absl::StatusOr<VgpuLayouts> ParseVgpuConfigFile(absl::string_view yaml);
// Reads and parses `path` (the daemon's own filesystem); errors name it.
absl::StatusOr<VgpuLayouts> LoadVgpuConfigFile(const std::string& path);

// The layout name for this node; the last non-empty of, in rising
// precedence: config `vgpu.layout`, env `VGPU_CONFIG`, flag `--vgpu-layout`.
// "" when all are empty.
std::string SelectLayoutName(absl::string_view config_layout,
                             absl::string_view env_vgpu_config,
                             absl::string_view flag_vgpu_layout);

// Renders the effective config as YAML (logged at startup). ParseConfig of
// the result gives back an equal Config.
std::string ToYaml(const Config& config);

// The effective config on one readable line for the startup log: scalars as
// `key=value` with nested keys dotted (`allocation.vgpuPolicy=binpack`), a
// list as its length and the names of its entries
// (`rules=[2: nvidia.com/a10, nvidia.com/t4]`). The whole config is ToYaml.
std::string ConfigLogSummary(const Config& config);

// Checks a Config built in code (e.g. after flag overrides): version "v1",
// rescan_period >= 100ms, every rule has a valid resource name, at least one
// selector, well-formed BDFs, no mdevTypeName on a non-vgpu kind, and not
// both vgpu.configs and vgpu.configFile.
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
bool operator==(const DeviceFilter& a, const DeviceFilter& b);
bool operator==(const VgpuLayoutEntry& a, const VgpuLayoutEntry& b);
bool operator==(const VgpuConfig& a, const VgpuConfig& b);
bool operator==(const Config& a, const Config& b);

}  // namespace vgpu::config

#endif  // VGPU_PKG_CONFIG_CONFIG_H_
