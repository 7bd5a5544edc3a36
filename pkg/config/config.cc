// Enum spellings, equality and the YAML rendering of the effective config.
#include "pkg/config/config.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace vgpu::config {
namespace {

// A double-quoted YAML scalar; escapes what YAML requires inside quotes.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(
          &out, absl::StrFormat("\\x%02x", static_cast<unsigned>(
                                               static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

const char* Bool(bool b) { return b ? "true" : "false"; }

void AppendRule(const ResourceRule& rule, std::string* out) {
  absl::StrAppend(out, "    - resourceName: ", Quote(rule.resource_name), "\n");
  if (rule.kind) {
    absl::StrAppend(out, "      kind: ", DeviceKindName(*rule.kind), "\n");
  }
  if (rule.vendor) {
    absl::StrAppend(out,
                    absl::StrFormat("      vendor: \"%04x\"\n", *rule.vendor));
  }
  if (rule.device) {
    absl::StrAppend(out,
                    absl::StrFormat("      device: \"%04x\"\n", *rule.device));
  }
  if (!rule.bdfs.empty()) {
    absl::StrAppend(out, "      bdfs: [");
    for (size_t i = 0; i < rule.bdfs.size(); ++i) {
      absl::StrAppend(out, i == 0 ? "" : ", ", Quote(rule.bdfs[i]));
    }
    absl::StrAppend(out, "]\n");
  }
  if (!rule.mdev_type_name.empty()) {
    absl::StrAppend(out, "      mdevTypeName: ", Quote(rule.mdev_type_name),
                    "\n");
  }
}

void AppendVgpuEntry(const VgpuLayoutEntry& e, std::string* out) {
  if (!e.mdev_parents.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& p : e.mdev_parents) quoted.push_back(Quote(p));
    absl::StrAppend(out, "        - mdevParents: [",
                    absl::StrJoin(quoted, ", "), "]\n");
  } else if (e.all_devices) {
    absl::StrAppend(out, "        - devices: all\n");
  } else {
    absl::StrAppend(out, "        - devices: [", absl::StrJoin(e.devices, ", "),
                    "]\n");
  }
  if (!e.device_filters.empty()) {
    absl::StrAppend(out, "          device-filter: [");
    for (size_t i = 0; i < e.device_filters.size(); ++i) {
      const DeviceFilter& f = e.device_filters[i];
      absl::StrAppend(out, i == 0 ? "" : ", ",
                      absl::StrFormat("\"0x%04x%04x", f.device, f.vendor));
      if (f.subsystem_device && f.subsystem_vendor) {
        absl::StrAppend(out, absl::StrFormat("%04x%04x", *f.subsystem_device,
                                             *f.subsystem_vendor));
      }
      absl::StrAppend(out, "\"");
    }
    absl::StrAppend(out, "]\n");
  }
  if (e.vendor) {
    absl::StrAppend(out,
                    absl::StrFormat("          vendor: \"%04x\"\n", *e.vendor));
  }
  if (e.device) {
    absl::StrAppend(out,
                    absl::StrFormat("          device: \"%04x\"\n", *e.device));
  }
  if (!e.bdfs.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& b : e.bdfs) quoted.push_back(Quote(b));
    absl::StrAppend(out, "          bdfs: [", absl::StrJoin(quoted, ", "),
                    "]\n");
  }
  absl::StrAppend(out, "          vgpu-devices: {");
  for (size_t i = 0; i < e.vgpu_devices.size(); ++i) {
    absl::StrAppend(out, i == 0 ? "" : ", ", Quote(e.vgpu_devices[i].first),
                    ": ", e.vgpu_devices[i].second);
  }
  absl::StrAppend(out, "}\n");
}

void AppendVgpu(const VgpuConfig& v, std::string* out) {
  absl::StrAppend(out, "vgpu:\n  layout: ", Quote(v.layout),
                  "\n  manage: ", Bool(v.manage),
                  "\n  configFile: ", Quote(v.config_file),
                  "\n  nodeFeatureFile: ", Quote(v.node_feature_file), "\n");
  if (v.configs.empty()) {
    absl::StrAppend(out, "  configs: {}\n");
    return;
  }
  absl::StrAppend(out, "  configs:\n");
  for (const auto& [name, entries] : v.configs) {
    absl::StrAppend(out, "    ", Quote(name), ":", entries.empty() ? " []" : "",
                    "\n");
    for (const VgpuLayoutEntry& e : entries) AppendVgpuEntry(e, out);
  }
}

}  // namespace

absl::string_view NamingName(Naming naming) {
  return naming == Naming::kPerModel ? "per-model" : "default";
}

absl::string_view DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kPassthrough:
      return "passthrough";
    case DeviceKind::kVgpu:
      return "vgpu";
    case DeviceKind::kNvSwitch:
      return "nvswitch";
  }
  return "unknown";
}

absl::string_view VgpuPolicyName(VgpuPolicy policy) {
  return policy == VgpuPolicy::kSpread ? "spread" : "binpack";
}

bool operator==(const ResourceRule& a, const ResourceRule& b) {
  return a.resource_name == b.resource_name && a.kind == b.kind &&
         a.vendor == b.vendor && a.device == b.device && a.bdfs == b.bdfs &&
         a.mdev_type_name == b.mdev_type_name;
}

bool operator==(const DeviceFilter& a, const DeviceFilter& b) {
  return a.device == b.device && a.vendor == b.vendor &&
         a.subsystem_device == b.subsystem_device &&
         a.subsystem_vendor == b.subsystem_vendor;
}

bool operator==(const VgpuLayoutEntry& a, const VgpuLayoutEntry& b) {
  return a.all_devices == b.all_devices && a.devices == b.devices &&
         a.device_filters == b.device_filters && a.vendor == b.vendor &&
         a.device == b.device && a.bdfs == b.bdfs &&
         a.mdev_parents == b.mdev_parents && a.vgpu_devices == b.vgpu_devices;
}

bool operator==(const VgpuConfig& a, const VgpuConfig& b) {
  return a.configs == b.configs && a.config_file == b.config_file &&
         a.layout == b.layout && a.manage == b.manage &&
         a.node_feature_file == b.node_feature_file;
}

bool operator==(const Config& a, const Config& b) {
  return a.version == b.version && a.naming == b.naming && a.rules == b.rules &&
         a.vgpu_policy == b.vgpu_policy &&
         a.cdi_annotations == b.cdi_annotations &&
         a.vmm_in_container == b.vmm_in_container &&
         a.kubevirt_env == b.kubevirt_env &&
         a.rescan_period == b.rescan_period && a.vgpu == b.vgpu;
}

std::string ToYaml(const Config& config) {
  std::string out;
  absl::StrAppend(&out, "version: ", Quote(config.version), "\n");
  absl::StrAppend(&out, "resources:\n  naming: ", NamingName(config.naming),
                  "\n");
  if (config.rules.empty()) {
    absl::StrAppend(&out, "  rules: []\n");
  } else {
    absl::StrAppend(&out, "  rules:\n");
    for (const ResourceRule& rule : config.rules) AppendRule(rule, &out);
  }
  absl::StrAppend(&out, "allocation:\n  vgpuPolicy: ",
                  VgpuPolicyName(config.vgpu_policy), "\n");
  absl::StrAppend(&out, "cdi:\n  annotations: ", Bool(config.cdi_annotations),
                  "\n");
  absl::StrAppend(&out,
                  "kata:\n  vmmInContainer: ", Bool(config.vmm_in_container),
                  "\n  kubevirtEnv: ", Bool(config.kubevirt_env), "\n");
  absl::StrAppend(
      &out, "rescanPeriod: ", absl::FormatDuration(config.rescan_period), "\n");
  AppendVgpu(config.vgpu, &out);
  return out;
}

}  // namespace vgpu::config
