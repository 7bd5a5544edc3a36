// Enum spellings, equality and the YAML rendering of the effective config.
#include "pkg/config/config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

bool operator==(const Config& a, const Config& b) {
  return a.version == b.version && a.naming == b.naming && a.rules == b.rules &&
         a.vgpu_policy == b.vgpu_policy &&
         a.cdi_annotations == b.cdi_annotations &&
         a.vmm_in_container == b.vmm_in_container &&
         a.kubevirt_env == b.kubevirt_env && a.rescan_period == b.rescan_period;
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
  return out;
}

}  // namespace vgpu::config
