// Field parsers shared by the YAML adapters; see yaml_fields.h.
#include "pkg/config/yaml_fields.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/config/config.h"
#include "pkg/config/rule_checks.h"

namespace vgpu::config::internal {

void Problems::Add(const YAML::Node& node, absl::string_view path,
                   absl::string_view what) {
  const YAML::Mark mark = node.Mark();
  std::string where = mark.is_null() ? ""
                                     : absl::StrCat("line ", mark.line + 1, ":",
                                                    mark.column + 1, ": ");
  list_.push_back(absl::StrCat(where, path, ": ", what));
}

absl::Status Problems::ToStatus() const {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid config: ", absl::StrJoin(list_, "; ")));
}

std::string Join(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

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

std::optional<std::string> Scalar(const YAML::Node& node,
                                  const std::string& path, Problems& problems) {
  if (!node.IsScalar()) {
    problems.Add(node, path, "must be a scalar");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int> NonNegativeInt(const YAML::Node& node,
                                  const std::string& path, Problems& problems) {
  std::optional<std::string> text = Scalar(node, path, problems);
  if (!text) return std::nullopt;
  int value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < 0 ||
      text->find_first_not_of("0123456789") != std::string::npos) {
    problems.Add(
        node, path,
        absl::StrCat("must be a non-negative integer, got \"", *text, "\""));
    return std::nullopt;
  }
  return value;
}

FieldParser StringField(std::string* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    if (std::optional<std::string> text = Scalar(node, path, problems)) {
      *out = *text;
    }
  };
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

absl::Status YamlExceptionStatus(const YAML::Exception& e) {
  if (e.mark.is_null()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid config: yaml: ", e.msg));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid config: line ", e.mark.line + 1, ":",
                   e.mark.column + 1, ": yaml: ", e.msg));
}

}  // namespace vgpu::config::internal
