// Internal to pkg/config: the pieces the YAML adapters share (our config
// file and vgpu-device-manager's layout file). Each parser records every
// problem with its line and column in a Problems and goes on; yaml-cpp may
// throw, so callers sit under one try (yaml_loader.cc, vgpu_yaml.cc).
#ifndef VGPU_PKG_CONFIG_YAML_FIELDS_H_
#define VGPU_PKG_CONFIG_YAML_FIELDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace vgpu::config::internal {

// Collects every problem with its position; the parse goes on after each.
class Problems {
 public:
  void Add(const YAML::Node& node, absl::string_view path,
           absl::string_view what);
  bool empty() const { return list_.empty(); }
  // InvalidArgument "invalid config: p1; p2; ...".
  absl::Status ToStatus() const;

 private:
  std::vector<std::string> list_;
};

using FieldParser = std::function<void(const YAML::Node&, const std::string&)>;
using Fields = std::vector<std::pair<std::string, FieldParser>>;

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string Join(absl::string_view path, absl::string_view key);

// Walks a mapping: unknown and duplicate keys are problems; a null value is
// the same as an absent key.
void ParseMap(const YAML::Node& node, const std::string& path,
              const Fields& fields, Problems& problems);

// The scalar text, or nullopt after recording a problem.
std::optional<std::string> Scalar(const YAML::Node& node,
                                  const std::string& path, Problems& problems);

// A non-negative decimal integer, or nullopt after recording a problem.
std::optional<int> NonNegativeInt(const YAML::Node& node,
                                  const std::string& path, Problems& problems);

FieldParser StringField(std::string* out, Problems& problems);
FieldParser BoolField(bool* out, Problems& problems);
FieldParser HexField(std::optional<uint16_t>* out, Problems& problems);
FieldParser BdfsField(std::vector<std::string>* out, Problems& problems);
FieldParser Section(Fields fields, Problems& problems);
// "v1" only.
FieldParser VersionField(std::string* out, Problems& problems);

// InvalidArgument for a YAML syntax error, with its line:column.
absl::Status YamlExceptionStatus(const YAML::Exception& e);

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

}  // namespace vgpu::config::internal

#endif  // VGPU_PKG_CONFIG_YAML_FIELDS_H_
