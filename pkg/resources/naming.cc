#include "pkg/resources/naming.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vgpu::resources {
namespace {

constexpr size_t kMaxNamePart = 63;

bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}

void TrimNonAlnum(std::string* s) {
  size_t begin = 0;
  while (begin < s->size() && !IsAlnum((*s)[begin])) ++begin;
  size_t end = s->size();
  while (end > begin && !IsAlnum((*s)[end - 1])) --end;
  *s = s->substr(begin, end - begin);
}

}  // namespace

namespace {

struct VendorEntry {
  uint16_t vendor;
  const char* domain;
};

constexpr VendorEntry kVendorDomains[] = {
    {0x10de, "nvidia.com"},
    {0x1002, "amd.com"},
    {0x8086, "intel.com"},
    {0x1da3, "habana.ai"},
};

}  // namespace

std::optional<std::string> VendorDomain(uint16_t vendor) {
  for (const VendorEntry& entry : kVendorDomains) {
    if (entry.vendor == vendor) return entry.domain;
  }
  return std::nullopt;
}

std::set<uint16_t> DomainVendors() {
  std::set<uint16_t> out;
  for (const VendorEntry& entry : kVendorDomains) out.insert(entry.vendor);
  return out;
}

std::string SanitizeModelName(absl::string_view name) {
  std::string out;
  for (char c : name) {
    // No '.': the name part is also the CDI class, which allows only
    // [A-Za-z0-9_-].
    bool keep = IsAlnum(c) || c == '-' || c == '_';
    char next = keep ? c : '_';
    if (next == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(next);
  }
  TrimNonAlnum(&out);
  if (out.size() > kMaxNamePart) {
    out.resize(kMaxNamePart);
    TrimNonAlnum(&out);
  }
  return out;
}

bool RuleMatches(const config::ResourceRule& rule, const NamingFacts& facts) {
  if (rule.kind && *rule.kind != facts.kind) return false;
  if (rule.vendor && *rule.vendor != facts.vendor) return false;
  if (rule.device && *rule.device != facts.device) return false;
  if (!rule.bdfs.empty() &&
      std::none_of(
          facts.bdfs.begin(), facts.bdfs.end(), [&](const std::string& bdf) {
            return std::find(rule.bdfs.begin(), rule.bdfs.end(), bdf) !=
                   rule.bdfs.end();
          })) {
    return false;
  }
  if (!rule.mdev_type_name.empty() &&
      (facts.kind != config::DeviceKind::kVgpu ||
       rule.mdev_type_name != facts.model_name)) {
    return false;
  }
  return true;
}

std::optional<std::string> ResourceNameFor(const NamingFacts& facts,
                                           const config::Config& config) {
  for (const config::ResourceRule& rule : config.rules) {
    if (RuleMatches(rule, facts)) return rule.resource_name;
  }
  std::optional<std::string> domain = VendorDomain(facts.vendor);
  if (!domain) return std::nullopt;
  if (config.naming == config::Naming::kPerModel) {
    std::string part = SanitizeModelName(facts.model_name);
    if (part.empty()) part = SanitizeModelName(facts.fallback_model);
    if (!part.empty()) return absl::StrCat(*domain, "/", part);
  }
  switch (facts.kind) {
    case config::DeviceKind::kPassthrough:
      return absl::StrCat(*domain, "/pgpu");
    case config::DeviceKind::kNvSwitch:
      return absl::StrCat(*domain, "/nvswitch");
    case config::DeviceKind::kVgpu:
      return absl::StrCat(*domain, "/vgpu");
  }
  return std::nullopt;
}

}  // namespace vgpu::resources
