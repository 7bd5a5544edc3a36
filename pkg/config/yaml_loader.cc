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
#include "yaml-cpp/yaml.h"

namespace vgpu::config {
namespace {

// Collects every problem with its position; the parse goes on after each.
class Problems {
 public:
  void Add(const YAML::Node& node, absl::string_view path,
           absl::string_view what) {
    const YAML::Mark mark = node.Mark();
    std::string where =
        mark.is_null()
            ? ""
            : absl::StrCat("line ", mark.line + 1, ":", mark.column + 1, ": ");
    list_.push_back(absl::StrCat(where, path, ": ", what));
  }
  bool empty() const { return list_.empty(); }
  absl::Status ToStatus() const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid config: ", absl::StrJoin(list_, "; ")));
  }

 private:
  std::vector<std::string> list_;
};

using FieldParser = std::function<void(const YAML::Node&, const std::string&)>;
using Fields = std::vector<std::pair<std::string, FieldParser>>;

std::string Join(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

// Walks a mapping: unknown and duplicate keys are problems; a null value is
// the same as an absent key.
void ParseMap(const YAML::Node& node, const std::string& path,
              const Fields& fields, Problems& problems) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    problems.Add(node, path.empty() ? "config" : path, "must be a mapping");
    return;
  }
  std::set<std::string> seen;
  for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
    // Copies: it->first refers into a temporary of yaml-cpp's iterator.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    std::string name = key.IsScalar() ? key.Scalar() : "";
    if (!seen.insert(name).second) {
      problems.Add(key, Join(path, name), "duplicate key");
      continue;
    }
    auto field = std::find_if(fields.begin(), fields.end(),
                              [&](const auto& f) { return f.first == name; });
    if (field == fields.end()) {
      problems.Add(key, path.empty() ? "config" : path,
                   absl::StrCat("unknown key \"", name, "\""));
      continue;
    }
    if (!value.IsNull()) field->second(value, Join(path, name));
  }
}

// The scalar text, or nullopt after recording a problem.
std::optional<std::string> Scalar(const YAML::Node& node,
                                  const std::string& path, Problems& problems) {
  if (!node.IsScalar()) {
    problems.Add(node, path, "must be a scalar");
    return std::nullopt;
  }
  return node.Scalar();
}

FieldParser BoolField(bool* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    std::optional<std::string> text = Scalar(node, path, problems);
    if (!text) return;
    std::string lower = absl::AsciiStrToLower(*text);
    if (lower == "true" || lower == "false") {
      *out = lower == "true";
    } else {
      problems.Add(node, path,
                   absl::StrCat("must be true or false, got \"", *text, "\""));
    }
  };
}

template <typename E>
using EnumNames = std::vector<std::pair<E, absl::string_view>>;

// One of `names`, or nullopt after recording a problem listing them all.
template <typename E>
std::optional<E> ParseEnum(const YAML::Node& node, const std::string& path,
                           const EnumNames<E>& names, Problems& problems) {
  std::optional<std::string> text = Scalar(node, path, problems);
  if (!text) return std::nullopt;
  std::vector<std::string> spellings;
  for (const auto& [value, name] : names) {
    if (*text == name) return value;
    spellings.emplace_back(name);
  }
  problems.Add(node, path,
               absl::StrCat("\"", *text, "\" is not one of ",
                            absl::StrJoin(spellings, ", ")));
  return std::nullopt;
}

template <typename E>
FieldParser EnumField(E* out, EnumNames<E> names, Problems& problems) {
  return
      [out, names, &problems](const YAML::Node& node, const std::string& path) {
        if (std::optional<E> v = ParseEnum(node, path, names, problems))
          *out = *v;
      };
}

FieldParser HexField(std::optional<uint16_t>* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    std::optional<std::string> text = Scalar(node, path, problems);
    if (!text) return;
    *out = ParseIdSelector(*text);
    if (!*out) {
      problems.Add(node, path,
                   absl::StrCat("\"", *text,
                                "\" is not a hex PCI id (1 to 4 hex digits)"));
    }
  };
}

FieldParser BdfsField(std::vector<std::string>* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    if (!node.IsSequence()) {
      problems.Add(node, path, "must be a list of PCI addresses");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      std::string item_path = absl::StrCat(path, "[", i, "]");
      std::optional<std::string> text = Scalar(node[i], item_path, problems);
      if (!text) continue;
      if (absl::Status s = ValidateBdf(*text); !s.ok()) {
        problems.Add(node[i], item_path, s.message());
        continue;
      }
      out->push_back(absl::AsciiStrToLower(*text));
    }
  };
}

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

FieldParser Section(Fields fields, Problems& problems) {
  return [fields = std::move(fields), &problems](const YAML::Node& n,
                                                 const std::string& p) {
    ParseMap(n, p, fields, problems);
  };
}

FieldParser VersionField(std::string* out, Problems& problems) {
  return [out, &problems](const YAML::Node& n, const std::string& p) {
    std::optional<std::string> text = Scalar(n, p, problems);
    if (!text) return;
    *out = *text;
    if (*text != "v1") {
      problems.Add(n, p, absl::StrCat("must be \"v1\", got \"", *text, "\""));
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
    if (e.mark.is_null()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid config: yaml: ", e.msg));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid config: line ", e.mark.line + 1, ":",
                     e.mark.column + 1, ": yaml: ", e.msg));
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

}  // namespace vgpu::config
