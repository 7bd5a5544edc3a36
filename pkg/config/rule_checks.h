// Internal to pkg/config: field checks shared by the YAML loader and
// ValidateConfig, so a file and a Config built in code get the same words.
#ifndef VGPU_PKG_CONFIG_RULE_CHECKS_H_
#define VGPU_PKG_CONFIG_RULE_CHECKS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pkg/config/config.h"

namespace vgpu::config {

// A vendor/device id selector: "10de", "0x10DE" -> 0x10de; nullopt unless
// 1..4 hex digits (ParseHexDigits), "0x" optional. Laxer than the sysfs
// format (inventory::ParseHexId), since people write it.
std::optional<uint16_t> ParseIdSelector(absl::string_view text);

// Every problem of one rule, each a short phrase without location.
std::vector<std::string> RuleProblems(const ResourceRule& rule);

}  // namespace vgpu::config

#endif  // VGPU_PKG_CONFIG_RULE_CHECKS_H_
