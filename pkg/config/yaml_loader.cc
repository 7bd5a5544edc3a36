// The YAML adapter: the only code that touches yaml-cpp. yaml-cpp throws, so
// every call into it sits under one try in ParseConfig; nothing escapes.

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/base/local_file.h"
#include "pkg/config/config.h"
#include "pkg/config/rule_checks.h"
#include "pkg/config/vgpu_yaml.h"
#include "pkg/config/yaml_fields.h"
#include "yaml-cpp/yaml.h"

namespace vgpu::config {
namespace {

using internal::BdfsField;
using internal::BoolField;
using internal::EnumField;
using internal::FieldParser;
using internal::Fields;
using internal::HexField;
using internal::ParseEnum;
using internal::ParseMap;
using internal::Problems;
using internal::Scalar;
using internal::Section;
using internal::VersionField;

void ParseRule(const YAML::Node& node, const std::string& path,
               ResourceRule* rule, Problems& problems) {
  Fields fields = {
      {"resourceName",
       [&](const YAML::Node& n, const std::string& p) {
         if (auto text = Scalar(n, p, problems)) rule->resource_name = *text;
       }},
      {"kind",
       [&](const YAML::Node& n, const std::string& p) {
         rule->kind =
             ParseEnum<DeviceKind>(n, p,
                                   {{DeviceKind::kPassthrough, "passthrough"},
                                    {DeviceKind::kVgpu, "vgpu"},
                                    {DeviceKind::kNvSwitch, "nvswitch"}},
                                   problems);
       }},
      {"vendor", HexField(&rule->vendor, problems)},
      {"device", HexField(&rule->device, problems)},
      {"bdfs", BdfsField(&rule->bdfs, problems)},
      {"mdevTypeName",
       [&](const YAML::Node& n, const std::string& p) {
         if (auto text = Scalar(n, p, problems)) rule->mdev_type_name = *text;
       }},
  };
  if (!node.IsMap()) {
    problems.Add(node, path, "must be a mapping");
    return;
  }
  ParseMap(node, path, fields, problems);
  // Format problems (bad BDF) were reported with their own position above.
  std::vector<std::string> semantic = RuleProblems(*rule);
  for (const std::string& p : semantic) {
    if (absl::StartsWith(p, "bdfs: ")) continue;
    problems.Add(node, path, p);
  }
}

FieldParser RulesField(std::vector<ResourceRule>* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    if (!node.IsSequence()) {
      problems.Add(node, path, "must be a list of rules");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      ResourceRule rule;
      ParseRule(node[i], absl::StrCat(path, "[", i, "]"), &rule, problems);
      out->push_back(std::move(rule));
    }
  };
}

FieldParser RescanField(absl::Duration* out, Problems& problems) {
  return [out, &problems](const YAML::Node& n, const std::string& p) {
    std::optional<std::string> text = Scalar(n, p, problems);
    if (!text) return;
    absl::StatusOr<absl::Duration> d = ParseRescanPeriod(*text);
    if (d.ok()) {
      *out = *d;
    } else {
      problems.Add(n, p, d.status().message());
    }
  };
}

Fields TopLevelFields(Config* c, Problems& problems) {
  return {
      {"version", VersionField(&c->version, problems)},
      {"resources",
       Section({{"naming", EnumField<Naming>(&c->naming,
                                             {{Naming::kDefault, "default"},
                                              {Naming::kPerModel, "per-model"}},
                                             problems)},
                {"rules", RulesField(&c->rules, problems)}},
               problems)},
      {"allocation",
       Section({{"vgpuPolicy",
                 EnumField<VgpuPolicy>(&c->vgpu_policy,
                                       {{VgpuPolicy::kBinpack, "binpack"},
                                        {VgpuPolicy::kSpread, "spread"}},
                                       problems)}},
               problems)},
      {"cdi",
       Section({{"annotations", BoolField(&c->cdi_annotations, problems)}},
               problems)},
      {"kata",
       Section({{"vmmInContainer", BoolField(&c->vmm_in_container, problems)},
                {"kubevirtEnv", BoolField(&c->kubevirt_env, problems)}},
               problems)},
      {"rescanPeriod", RescanField(&c->rescan_period, problems)},
      {"vgpu", internal::VgpuSectionField(&c->vgpu, problems)},
  };
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml) {
  Config config;
  Problems problems;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    ParseMap(root, "", TopLevelFields(&config, problems), problems);
  } catch (const YAML::Exception& e) {
    return internal::YamlExceptionStatus(e);
  }
  if (!problems.empty()) return problems.ToStatus();
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadLocalFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<Config> config = ParseConfig(*text);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

namespace {

void SummarizeNode(const YAML::Node& node, const std::string& key,
                   std::vector<std::string>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string name = entry.first.as<std::string>();
      SummarizeNode(entry.second,
                    key.empty() ? name : absl::StrCat(key, ".", name), out);
    }
  } else if (node.IsSequence()) {
    std::vector<std::string> names;
    for (const auto& item : node) {
      if (item.IsScalar()) {
        names.push_back(item.as<std::string>());
        continue;
      }
      for (const char* field : {"resourceName", "name"}) {
        const YAML::Node value = item[field];
        if (value && value.IsScalar()) {
          names.push_back(value.as<std::string>());
          break;
        }
      }
    }
    std::string text = absl::StrCat(key, "=[", node.size());
    if (!names.empty())
      absl::StrAppend(&text, ": ", absl::StrJoin(names, ", "));
    out.push_back(absl::StrCat(text, "]"));
  } else if (node.IsScalar()) {
    out.push_back(absl::StrCat(key, "=", node.as<std::string>()));
  } else {
    out.push_back(absl::StrCat(key, "=null"));
  }
}

}  // namespace

std::string ConfigLogSummary(const Config& config) {
  const std::string yaml = ToYaml(config);
  std::vector<std::string> parts;
  try {
    SummarizeNode(YAML::Load(yaml), "", parts);
  } catch (const YAML::Exception& e) {
    return absl::StrCat("(unreadable: ", e.what(), ")");
  }
  return absl::StrJoin(parts, " ");
}

}  // namespace vgpu::config
