// Field checks shared by the YAML loader and ValidateConfig.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "pkg/base/hex.h"
#include "pkg/config/config.h"
#include "pkg/config/rule_checks.h"

namespace vgpu::config {
namespace {

constexpr size_t kMaxQualifiedNameLength = 63;
constexpr size_t kMaxDnsSubdomainLength = 253;
constexpr size_t kMaxDnsLabelLength = 63;
constexpr absl::string_view kRequestsPrefix = "requests.";

bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}

// Qualified-name "name" part: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?.
std::string QualifiedNamePartError(absl::string_view part) {
  if (part.empty()) return "name part is empty";
  if (part.size() > kMaxQualifiedNameLength) {
    return absl::StrCat("name part \"", part, "\" is ", part.size(),
                        " characters, more than 63");
  }
  bool chars_ok = IsAlnum(part.front()) && IsAlnum(part.back());
  for (char c : part) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') chars_ok = false;
  }
  if (!chars_ok) {
    return absl::StrCat(
        "name part \"", part,
        "\" must match [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  }
  return "";
}

// DNS-1123 subdomain: lower-case labels [a-z0-9]([-a-z0-9]*[a-z0-9])?.
std::string DnsSubdomainError(absl::string_view domain) {
  if (domain.empty()) return "domain is empty";
  if (domain.size() > kMaxDnsSubdomainLength) {
    return absl::StrCat("domain is ", domain.size(),
                        " characters, more than 253");
  }
  for (absl::string_view label : absl::StrSplit(domain, '.')) {
    bool ok = !label.empty() && label.size() <= kMaxDnsLabelLength;
    for (char c : label) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
        ok = false;
      }
    }
    if (ok && (label.front() == '-' || label.back() == '-')) ok = false;
    if (!ok) {
      return absl::StrCat("domain \"", domain,
                          "\" is not a lower-case DNS subdomain");
    }
  }
  return "";
}

}  // namespace

absl::Status ValidateResourceName(absl::string_view name) {
  auto fail = [name](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource name \"", name, "\": ", why));
  };
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2) {
    return fail("must be <domain>/<name> with exactly one '/'");
  }
  if (absl::StartsWith(name, kRequestsPrefix)) {
    return fail("must not start with \"requests.\"");
  }
  if (absl::EndsWith(parts[0], "kubernetes.io")) {
    return fail("the kubernetes.io domain is reserved for native resources");
  }
  std::string error = DnsSubdomainError(parts[0]);
  if (error.empty()) error = QualifiedNamePartError(parts[1]);
  if (error.empty() &&
      kRequestsPrefix.size() + parts[0].size() > kMaxDnsSubdomainLength) {
    error = "\"requests.\" + domain is longer than 253 characters";
  }
  if (!error.empty()) return fail(error);
  return absl::OkStatus();
}

absl::Status ValidateBdf(absl::string_view bdf) {
  auto fail = [bdf]() {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", bdf, "\" is not a PCI address DDDD:BB:DD.F"));
  };
  std::vector<absl::string_view> colon = absl::StrSplit(bdf, ':');
  if (colon.size() != 3) return fail();
  std::vector<absl::string_view> dot = absl::StrSplit(colon[2], '.');
  if (dot.size() != 2) return fail();
  absl::string_view domain = colon[0], bus = colon[1], dev = dot[0],
                    fn = dot[1];
  const std::optional<uint32_t> dev_value = ParseHexDigits(dev, 2);
  const std::optional<uint32_t> fn_value = ParseHexDigits(fn, 1);
  if (domain.size() < 4 || !ParseHexDigits(domain, 8) || bus.size() != 2 ||
      !ParseHexDigits(bus, 2) || dev.size() != 2 || !dev_value || !fn_value) {
    return fail();
  }
  if (*dev_value > 0x1f || *fn_value > 7) return fail();
  return absl::OkStatus();
}

absl::StatusOr<absl::Duration> ParseRescanPeriod(absl::string_view text) {
  absl::Duration d;
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "inf" || lower == "-inf" || !absl::ParseDuration(text, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text,
        "\" is not a duration (want e.g. \"5s\", \"500ms\", \"1m\")"));
  }
  if (d < kMinRescanPeriod) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is shorter than the minimum 100ms"));
  }
  return d;
}

std::optional<uint16_t> ParseIdSelector(absl::string_view text) {
  absl::string_view digits = text;
  if (absl::StartsWith(digits, "0x") || absl::StartsWith(digits, "0X")) {
    digits.remove_prefix(2);
  }
  std::optional<uint32_t> value = ParseHexDigits(digits, 4);
  if (!value.has_value()) return std::nullopt;
  return static_cast<uint16_t>(*value);
}

std::vector<std::string> RuleProblems(const ResourceRule& rule) {
  std::vector<std::string> problems;
  if (rule.resource_name.empty()) {
    problems.push_back("resourceName is required");
  } else if (absl::Status s = ValidateResourceName(rule.resource_name);
             !s.ok()) {
    problems.push_back(std::string(s.message()));
  } else if (absl::StrContains(
                 rule.resource_name.substr(rule.resource_name.find('/') + 1),
                 '.')) {
    // The resource name is also the CDI kind "<vendor>/<class>", and a CDI
    // class allows only letters, digits, '_' and '-'.
    problems.push_back(absl::StrCat(
        "resource name \"", rule.resource_name,
        "\": the part after '/' is also the CDI class and must not contain "
        "'.'"));
  }
  if (!rule.kind && !rule.vendor && !rule.device && rule.bdfs.empty() &&
      rule.mdev_type_name.empty()) {
    problems.push_back(
        "rule has no selector (kind, vendor, device, bdfs or mdevTypeName)");
  }
  for (const std::string& bdf : rule.bdfs) {
    if (absl::Status s = ValidateBdf(bdf); !s.ok()) {
      problems.push_back(absl::StrCat("bdfs: ", s.message()));
    }
  }
  if (!rule.mdev_type_name.empty() && rule.kind &&
      *rule.kind != DeviceKind::kVgpu) {
    problems.push_back(absl::StrCat("mdevTypeName only matches kind vgpu, not ",
                                    DeviceKindName(*rule.kind)));
  }
  return problems;
}

absl::Status ValidateConfig(const Config& config) {
  std::vector<std::string> problems;
  if (config.version != "v1") {
    problems.push_back(
        absl::StrCat("version: must be \"v1\", got \"", config.version, "\""));
  }
  if (config.rescan_period < kMinRescanPeriod) {
    problems.push_back(absl::StrCat(
        "rescanPeriod: ", absl::FormatDuration(config.rescan_period),
        " is shorter than the minimum 100ms"));
  }
  for (size_t i = 0; i < config.rules.size(); ++i) {
    for (const std::string& p : RuleProblems(config.rules[i])) {
      problems.push_back(absl::StrCat("resources.rules[", i, "]: ", p));
    }
  }
  if (!config.vgpu.configs.empty() && !config.vgpu.config_file.empty()) {
    problems.push_back(
        "vgpu: configs and configFile are exclusive, give one of them");
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid config: ", absl::StrJoin(problems, "; ")));
}

std::string SelectLayoutName(absl::string_view config_layout,
                             absl::string_view env_vgpu_config,
                             absl::string_view flag_vgpu_layout) {
  if (!flag_vgpu_layout.empty()) return std::string(flag_vgpu_layout);
  if (!env_vgpu_config.empty()) return std::string(env_vgpu_config);
  return std::string(config_layout);
}

}  // namespace vgpu::config
