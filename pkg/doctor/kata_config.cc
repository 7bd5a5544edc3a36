#include "pkg/doctor/kata_config.h"

// toml++ is used header-only with exceptions off (toml::parse returns a
// parse_result), so nothing it does can throw past this file.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/status_macros.h"

namespace vgpu::doctor {
namespace {

absl::Status WrongType(absl::string_view path, absl::string_view table,
                       absl::string_view key, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": [", table, "] ", key, " must be ", want));
}

absl::StatusOr<std::optional<std::string>> StringKey(const toml::table& t,
                                                     absl::string_view path,
                                                     absl::string_view table,
                                                     const char* key) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::optional<std::string>();
  std::optional<std::string> value = node->value<std::string>();
  if (!value.has_value() || !node->is_string()) {
    return WrongType(path, table, key, "a string");
  }
  return value;
}

absl::StatusOr<std::optional<int64_t>> IntKey(const toml::table& t,
                                              absl::string_view path,
                                              absl::string_view table,
                                              const char* key) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::optional<int64_t>();
  if (!node->is_integer()) return WrongType(path, table, key, "an integer");
  return node->value<int64_t>();
}

absl::StatusOr<std::optional<std::vector<std::string>>> StringListKey(
    const toml::table& t, absl::string_view path, absl::string_view table,
    const char* key) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::optional<std::vector<std::string>>();
  const toml::array* array = node->as_array();
  if (array == nullptr) return WrongType(path, table, key, "an array");
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    if (!item.is_string()) {
      return WrongType(path, table, key, "an array of strings");
    }
    out.push_back(*item.value<std::string>());
  }
  return out;
}

// runtime-rs keys (kata-types src/config/runtime.rs, hypervisor/mod.rs)
// that the Go runtime's config.go does not know.
std::string RuntimeRsEvidence(const toml::table* runtime,
                              absl::string_view hypervisor) {
  if (runtime != nullptr) {
    std::optional<std::string> name = (*runtime)["name"].value<std::string>();
    if (name.has_value()) {
      return absl::StrCat("[runtime] name = \"", *name, "\"");
    }
    for (const char* key : {"hypervisor_name", "agent_name"}) {
      if (runtime->contains(key)) return absl::StrCat("[runtime] ", key);
    }
  }
  if (hypervisor == "dragonball") return "[hypervisor.dragonball]";
  return "";
}

absl::Status ReadHypervisor(const toml::table& h, absl::string_view path,
                            KataConfig& out) {
  const std::string table = absl::StrCat("hypervisor.", out.hypervisor);
  VGPU_ASSIGN_OR_RETURN(out.cold_plug_vfio,
                        StringKey(h, path, table, "cold_plug_vfio"));
  VGPU_ASSIGN_OR_RETURN(out.hot_plug_vfio,
                        StringKey(h, path, table, "hot_plug_vfio"));
  VGPU_ASSIGN_OR_RETURN(out.pcie_root_port,
                        IntKey(h, path, table, "pcie_root_port"));
  VGPU_ASSIGN_OR_RETURN(out.enable_annotations,
                        StringListKey(h, path, table, "enable_annotations"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KataConfig> ParseKataConfig(absl::string_view content,
                                           absl::string_view path) {
  toml::parse_result parsed =
      toml::parse(std::string_view(content.data(), content.size()),
                  std::string_view(path.data(), path.size()));
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", error.source().begin.line, ":", error.source().begin.column,
        ": ", std::string(error.description())));
  }
  const toml::table& root = parsed.table();
  KataConfig out;
  out.path = std::string(path);
  const toml::table* hypervisors = root["hypervisor"].as_table();
  if (hypervisors == nullptr || hypervisors->empty() ||
      !hypervisors->begin()->second.is_table()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": no [hypervisor.<name>] table: not a Kata "
                     "configuration file"));
  }
  out.hypervisor = std::string(hypervisors->begin()->first.str());
  VGPU_RETURN_IF_ERROR(
      ReadHypervisor(*hypervisors->begin()->second.as_table(), path, out));
  const toml::table* runtime = root["runtime"].as_table();
  if (runtime != nullptr) {
    VGPU_ASSIGN_OR_RETURN(
        out.pod_resource_api_sock,
        StringKey(*runtime, path, "runtime", "pod_resource_api_sock"));
  }
  out.runtime_evidence = RuntimeRsEvidence(runtime, out.hypervisor);
  out.runtime =
      out.runtime_evidence.empty() ? KataRuntime::kGo : KataRuntime::kRs;
  return out;
}

}  // namespace vgpu::doctor
