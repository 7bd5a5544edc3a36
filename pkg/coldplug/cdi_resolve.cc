#include "pkg/coldplug/cdi_resolve.h"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/json.h"
#include "pkg/base/status_macros.h"
#include "pkg/config/yaml_json.h"
#include "pkg/kata/cdi_spec.h"

namespace vgpu::coldplug {
namespace {

const std::set<std::string>& KnownVersions() {
  static const std::set<std::string> kVersions{"0.1.0", "0.2.0", "0.3.0",
                                               "0.4.0", "0.5.0", "0.6.0"};
  return kVersions;
}

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// Strict decoding: an unknown field or a key given twice is an error, as
// with the CDI library's yaml.UnmarshalStrict.
absl::Status CheckFields(const Json& obj, absl::string_view where,
                         const std::set<std::string>& known) {
  if (!obj.is_object()) {
    return Invalid(where,
                   absl::StrCat("want an object, got ", obj.type_name()));
  }
  for (const auto& [key, value] : obj.items()) {
    if (known.count(key) == 0) {
      return Invalid(where, absl::StrCat("unknown field \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

// The member `key` of an object, or nullptr.
const Json* Find(const Json& obj, absl::string_view key) {
  auto it = obj.find(std::string(key));
  return it == obj.end() ? nullptr : &*it;
}

// The string member `key`; "" when absent. InvalidArgument if not a string.
absl::StatusOr<std::string> StringField(const Json& obj, absl::string_view key,
                                        absl::string_view where) {
  const Json* v = Find(obj, key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be a string"));
  }
  return v->get<std::string>();
}

// The array member `key`; empty when absent.
absl::StatusOr<Json> ArrayField(const Json& obj, absl::string_view key,
                                absl::string_view where) {
  const Json* v = Find(obj, key);
  if (v == nullptr || v->is_null()) return Json::array();
  if (!v->is_array()) {
    return Invalid(where, absl::StrCat("\"", key, "\" must be an array"));
  }
  return *v;
}

absl::StatusOr<CdiDeviceNode> ParseNode(const Json& node,
                                        const std::string& where) {
  VGPU_RETURN_IF_ERROR(
      CheckFields(node, where,
                  {"path", "hostPath", "type", "major", "minor", "fileMode",
                   "permissions", "uid", "gid"}));
  CdiDeviceNode out;
  VGPU_ASSIGN_OR_RETURN(out.path, StringField(node, "path", where));
  if (out.path.empty()) return Invalid(where, "invalid (empty) device path");
  VGPU_ASSIGN_OR_RETURN(out.host_path, StringField(node, "hostPath", where));
  if (out.host_path.empty()) out.host_path = out.path;
  VGPU_ASSIGN_OR_RETURN(std::string perms,
                        StringField(node, "permissions", where));
  if (perms.find_first_not_of("rwm") != std::string::npos) {
    return Invalid(where, absl::StrCat("invalid permissions \"", perms, "\""));
  }
  return out;
}

// Parses containerEdits; returns its device nodes and whether it is empty.
absl::StatusOr<std::vector<CdiDeviceNode>> ParseEdits(const Json* edits,
                                                      const std::string& where,
                                                      bool& empty) {
  empty = true;
  std::vector<CdiDeviceNode> nodes;
  if (edits == nullptr || edits->is_null()) return nodes;
  VGPU_RETURN_IF_ERROR(CheckFields(
      *edits, where,
      {"env", "deviceNodes", "hooks", "mounts", "intelRdt", "additionalGids"}));
  for (const char* key : {"env", "hooks", "mounts", "additionalGids"}) {
    VGPU_ASSIGN_OR_RETURN(Json items, ArrayField(*edits, key, where));
    if (!items.empty()) empty = false;
  }
  if (Find(*edits, "intelRdt") != nullptr) empty = false;
  VGPU_ASSIGN_OR_RETURN(Json list, ArrayField(*edits, "deviceNodes", where));
  for (size_t i = 0; i < list.size(); ++i) {
    VGPU_ASSIGN_OR_RETURN(
        CdiDeviceNode node,
        ParseNode(list[i], absl::StrCat(where, ".deviceNodes[", i, "]")));
    nodes.push_back(std::move(node));
    empty = false;
  }
  return nodes;
}

absl::Status ParseDevices(const Json& spec, const std::string& path,
                          const std::vector<CdiDeviceNode>& spec_nodes,
                          CdiSpecFile& out) {
  VGPU_ASSIGN_OR_RETURN(Json devices, ArrayField(spec, "devices", path));
  std::set<std::string> names;
  for (size_t i = 0; i < devices.size(); ++i) {
    const std::string where = absl::StrCat(path, ": devices[", i, "]");
    VGPU_RETURN_IF_ERROR(CheckFields(
        devices[i], where, {"name", "annotations", "containerEdits"}));
    VGPU_ASSIGN_OR_RETURN(std::string name,
                          StringField(devices[i], "name", where));
    if (absl::Status s = kata::ValidateCdiDeviceName(name); !s.ok()) {
      return Invalid(where, s.message());
    }
    if (!names.insert(name).second) {
      return Invalid(path, absl::StrCat("device \"", name, "\" defined twice"));
    }
    bool empty = true;
    VGPU_ASSIGN_OR_RETURN(
        std::vector<CdiDeviceNode> nodes,
        ParseEdits(Find(devices[i], "containerEdits"),
                   absl::StrCat(where, ".containerEdits"), empty));
    if (empty) return Invalid(where, "invalid device, empty device edits");
    CdiDevice device{absl::StrCat(out.kind, "=", name), path, spec_nodes};
    device.device_nodes.insert(device.device_nodes.end(), nodes.begin(),
                               nodes.end());
    out.devices.push_back(std::move(device));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoStatus(errno, "read", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct LoadState {
  CdiRegistry registry;
  std::vector<std::string> problems;
  // Qualified name -> (dir index, file) of its current definition.
  std::map<std::string, std::pair<size_t, std::string>> origin;
};

void AddSpec(const CdiSpecFile& spec, size_t priority, LoadState& state) {
  for (const CdiDevice& device : spec.devices) {
    auto it = state.origin.find(device.qualified_name);
    if (it != state.origin.end() && it->second.first == priority) {
      state.problems.push_back(
          absl::StrCat("conflicting CDI device ", device.qualified_name,
                       " defined in ", it->second.second, " and ", spec.path));
      continue;
    }
    if (it != state.origin.end()) {
      state.registry.warnings.push_back(
          absl::StrCat(device.qualified_name, ": ", spec.path, " overrides ",
                       it->second.second));
    }
    state.origin[device.qualified_name] = {priority, spec.path};
    state.registry.devices[device.qualified_name] = device;
  }
}

void LoadFile(const std::string& path, size_t priority, LoadState& state) {
  absl::StatusOr<std::string> content = ReadFile(path);
  if (!content.ok()) {
    state.problems.push_back(std::string(content.status().message()));
    return;
  }
  // A .yaml spec (nvidia-ctk writes /etc/cdi/nvidia.yaml) is read as the
  // CDI library reads it: YAML whose schema is the JSON one. Kata fails on
  // any bad file in the dirs, so a bad YAML spec is a problem here too.
  absl::StatusOr<CdiSpecFile> spec = ParseCdiSpecFile(*content, path);
  if (!spec.ok()) {
    state.problems.push_back(std::string(spec.status().message()));
    return;
  }
  AddSpec(*spec, priority, state);
}

absl::Status LoadDir(const std::string& dir, size_t priority,
                     LoadState& state) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return absl::OkStatus();
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_directory(ec) || (ext != ".json" && ext != ".yaml")) continue;
    files.push_back(entry.path().string());
  }
  if (ec) return ErrnoStatus(ec.value(), "list", dir);
  std::sort(files.begin(), files.end());  // CDI walks in lexical order.
  for (const std::string& file : files) LoadFile(file, priority, state);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CdiSpecFile> ParseCdiSpecFile(absl::string_view content,
                                             absl::string_view path) {
  const std::string where(path);
  // A .yaml spec (nvidia-ctk writes /etc/cdi/nvidia.yaml) is read as the
  // CDI library reads it: YAML whose schema is the JSON one.
  const bool yaml = absl::EndsWith(path, ".yaml");
  absl::StatusOr<Json> doc =
      yaml ? config::YamlToJson(content) : ParseJson(content);
  if (!doc.ok()) {
    return Invalid(yaml ? absl::StrCat("invalid CDI spec ", where) : where,
                   doc.status().message());
  }
  VGPU_RETURN_IF_ERROR(CheckFields(
      *doc, where,
      {"cdiVersion", "kind", "annotations", "devices", "containerEdits"}));
  VGPU_ASSIGN_OR_RETURN(std::string version,
                        StringField(*doc, "cdiVersion", where));
  if (KnownVersions().count(version) == 0) {
    return Invalid(where, absl::StrCat("invalid cdiVersion \"", version,
                                       "\" (Kata's CDI v0.6.0 reads 0.1.0 to "
                                       "0.6.0)"));
  }
  CdiSpecFile out;
  out.path = where;
  VGPU_ASSIGN_OR_RETURN(out.kind, StringField(*doc, "kind", where));
  if (absl::Status s = kata::ValidateCdiKind(out.kind); !s.ok()) {
    return Invalid(where, s.message());
  }
  bool empty = true;
  VGPU_ASSIGN_OR_RETURN(std::vector<CdiDeviceNode> spec_nodes,
                        ParseEdits(Find(*doc, "containerEdits"),
                                   where + ": containerEdits", empty));
  VGPU_RETURN_IF_ERROR(ParseDevices(*doc, where, spec_nodes, out));
  return out;
}

absl::StatusOr<const CdiDevice*> CdiRegistry::Resolve(
    const std::string& name) const {
  auto it = devices.find(name);
  if (it != devices.end()) return &it->second;
  std::string msg = absl::StrCat("unresolvable CDI devices ", name,
                                 " (searched ", absl::StrJoin(dirs, ", "), ")");
  return absl::NotFoundError(msg);
}

absl::StatusOr<CdiRegistry> LoadCdiRegistry(
    const std::vector<std::string>& dirs) {
  LoadState state;
  state.registry.dirs = dirs;
  for (size_t i = 0; i < dirs.size(); ++i) {
    VGPU_RETURN_IF_ERROR(LoadDir(dirs[i], i, state));
  }
  if (!state.problems.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CDI registry refresh failed (Kata fails on this too):\n",
                     absl::StrJoin(state.problems, "\n")));
  }
  return std::move(state.registry);
}

}  // namespace vgpu::coldplug
