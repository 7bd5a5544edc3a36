// vGPU layouts in YAML: vgpu-device-manager's format, read unchanged, plus
// our selectors (vendor, device, bdfs, mdevParents) in an entry. yaml-cpp
// throws, so the public parser holds the one try; the field parsers only record
// problems.
#include "pkg/config/vgpu_yaml.h"

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/base/local_file.h"
#include "pkg/config/config.h"
#include "pkg/config/rule_checks.h"

namespace vgpu::config {
namespace internal {
namespace {

std::optional<uint16_t> Hex16(absl::string_view text) {
  return ParseIdSelector(text);
}

// "0x<device><vendor>[<subsystem device><subsystem vendor>]".
std::optional<DeviceFilter> ParseDeviceFilter(absl::string_view text) {
  if (absl::StartsWithIgnoreCase(text, "0x")) text.remove_prefix(2);
  if (text.size() != 8 && text.size() != 16) return std::nullopt;
  DeviceFilter f;
  std::optional<uint16_t> device = Hex16(text.substr(0, 4));
  std::optional<uint16_t> vendor = Hex16(text.substr(4, 4));
  if (!device || !vendor) return std::nullopt;
  f.device = *device;
  f.vendor = *vendor;
  if (text.size() == 16) {
    f.subsystem_device = Hex16(text.substr(8, 4));
    f.subsystem_vendor = Hex16(text.substr(12, 4));
    if (!f.subsystem_device || !f.subsystem_vendor) return std::nullopt;
  }
  return f;
}

FieldParser DeviceFilterField(std::vector<DeviceFilter>* out,
                              Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    auto one = [&](const YAML::Node& n, const std::string& p) {
      std::optional<std::string> text = Scalar(n, p, problems);
      if (!text) return;
      if (std::optional<DeviceFilter> f = ParseDeviceFilter(*text)) {
        out->push_back(*f);
      } else {
        problems.Add(n, p,
                     absl::StrCat("\"", *text,
                                  "\" is not \"0x<device><vendor>\" (8 hex "
                                  "digits, optionally 8 more for the "
                                  "subsystem)"));
      }
    };
    if (!node.IsSequence()) {
      one(node, path);
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      one(node[i], absl::StrCat(path, "[", i, "]"));
    }
  };
}

FieldParser DevicesField(VgpuLayoutEntry* entry, Problems& problems) {
  return [entry, &problems](const YAML::Node& node, const std::string& path) {
    if (node.IsScalar()) {
      if (node.Scalar() != "all") {
        problems.Add(node, path,
                     absl::StrCat("must be \"all\" or a list of GPU indices, "
                                  "got \"",
                                  node.Scalar(), "\""));
      }
      return;
    }
    if (!node.IsSequence()) {
      problems.Add(node, path, "must be \"all\" or a list of GPU indices");
      return;
    }
    entry->all_devices = false;
    std::set<int> seen;
    for (size_t i = 0; i < node.size(); ++i) {
      std::string item_path = absl::StrCat(path, "[", i, "]");
      std::optional<int> index = NonNegativeInt(node[i], item_path, problems);
      if (!index) continue;
      if (!seen.insert(*index).second) {
        problems.Add(node[i], item_path,
                     absl::StrCat("GPU index ", *index, " listed twice"));
        continue;
      }
      entry->devices.push_back(*index);
    }
  };
}

FieldParser VgpuDevicesField(VgpuLayoutEntry* entry, Problems& problems) {
  return [entry, &problems](const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      problems.Add(node, path, "must be a mapping of vGPU type to count");
      return;
    }
    std::set<std::string> seen;
    for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      std::optional<std::string> type = Scalar(key, path, problems);
      if (!type) continue;
      std::string item_path = absl::StrCat(path, "[\"", *type, "\"]");
      if (type->empty()) {
        problems.Add(key, path, "empty vGPU type name");
        continue;
      }
      if (!seen.insert(*type).second) {
        problems.Add(key, item_path, "duplicate key");
        continue;
      }
      std::optional<int> count = NonNegativeInt(value, item_path, problems);
      if (count) entry->vgpu_devices.emplace_back(*type, *count);
    }
  };
}

// mdev parent names as in /sys/class/mdev_bus: one path component each.
FieldParser MdevParentsField(std::vector<std::string>* out,
                             Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    if (!node.IsSequence() || node.size() == 0) {
      problems.Add(node, path,
                   "must be a list of mdev parent names (as in "
                   "/sys/class/mdev_bus, e.g. [mbochs])");
      return;
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < node.size(); ++i) {
      std::string item_path = absl::StrCat(path, "[", i, "]");
      std::optional<std::string> name = Scalar(node[i], item_path, problems);
      if (!name) continue;
      if (name->empty() || *name == "." || *name == ".." ||
          absl::StrContains(*name, '/')) {
        problems.Add(node[i], item_path,
                     absl::StrCat("\"", *name,
                                  "\" is not an mdev parent name (one name "
                                  "of /sys/class/mdev_bus)"));
        continue;
      }
      if (!seen.insert(*name).second) {
        problems.Add(node[i], item_path,
                     absl::StrCat("mdev parent \"", *name, "\" listed twice"));
        continue;
      }
      out->push_back(*name);
    }
  };
}

void ParseEntry(const YAML::Node& node, const std::string& path,
                VgpuLayoutEntry* entry, Problems& problems) {
  if (!node.IsMap()) {
    problems.Add(node, path, "must be a mapping");
    return;
  }
  Fields fields = {
      {"devices", DevicesField(entry, problems)},
      {"device-filter", DeviceFilterField(&entry->device_filters, problems)},
      {"vendor", HexField(&entry->vendor, problems)},
      {"device", HexField(&entry->device, problems)},
      {"bdfs", BdfsField(&entry->bdfs, problems)},
      {"mdevParents", MdevParentsField(&entry->mdev_parents, problems)},
      {"vgpu-devices", VgpuDevicesField(entry, problems)},
  };
  ParseMap(node, path, fields, problems);
  if (!node["vgpu-devices"]) {
    problems.Add(node, path, "missing key \"vgpu-devices\"");
  }
  if (node["mdevParents"]) {
    std::vector<std::string> gpu_selectors;
    for (const char* key :
         {"devices", "device-filter", "vendor", "device", "bdfs"}) {
      if (node[key]) gpu_selectors.push_back(key);
    }
    if (!gpu_selectors.empty()) {
      problems.Add(node, path,
                   absl::StrCat("mdevParents addresses mdev parents that are "
                                "not GPUs; it cannot be combined with ",
                                absl::StrJoin(gpu_selectors, ", ")));
    }
  }
}

}  // namespace

FieldParser VgpuConfigsField(VgpuLayouts* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) {
      problems.Add(node, path, "must be a mapping of layout name to entries");
      return;
    }
    std::set<std::string> seen;
    for (YAML::const_iterator it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      std::optional<std::string> name = Scalar(key, path, problems);
      if (!name) continue;
      std::string layout_path = Join(path, *name);
      if (!seen.insert(*name).second) {
        problems.Add(key, layout_path, "duplicate key");
        continue;
      }
      if (!value.IsSequence()) {
        problems.Add(value, layout_path, "must be a list of entries");
        continue;
      }
      std::vector<VgpuLayoutEntry>& entries = (*out)[*name];
      for (size_t i = 0; i < value.size(); ++i) {
        VgpuLayoutEntry entry;
        ParseEntry(value[i], absl::StrCat(layout_path, "[", i, "]"), &entry,
                   problems);
        entries.push_back(std::move(entry));
      }
    }
  };
}

FieldParser VgpuSectionField(VgpuConfig* out, Problems& problems) {
  return [out, &problems](const YAML::Node& node, const std::string& path) {
    ParseMap(
        node, path,
        {{"configs", VgpuConfigsField(&out->configs, problems)},
         {"configFile", StringField(&out->config_file, problems)},
         {"layout", StringField(&out->layout, problems)},
         {"manage", BoolField(&out->manage, problems)},
         {"nodeFeatureFile", StringField(&out->node_feature_file, problems)}},
        problems);
    if (!out->configs.empty() && !out->config_file.empty()) {
      problems.Add(node, path,
                   "configs and configFile are exclusive, give one of them");
    }
  };
}

}  // namespace internal

absl::StatusOr<VgpuLayouts> ParseVgpuConfigFile(absl::string_view yaml) {
  VgpuLayouts layouts;
  internal::Problems problems;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    std::string version;
    internal::ParseMap(
        root, "",
        {{"version", internal::VersionField(&version, problems)},
         {"vgpu-configs", internal::VgpuConfigsField(&layouts, problems)}},
        problems);
    const YAML::Node& const_root = root;  // operator[] must not insert.
    if (root.IsMap() || root.IsNull()) {
      for (const char* key : {"version", "vgpu-configs"}) {
        if (!root.IsMap() || !const_root[key]) {
          problems.Add(root, "config",
                       absl::StrCat("missing key \"", key, "\""));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    return internal::YamlExceptionStatus(e);
  }
  if (!problems.empty()) return problems.ToStatus();
  return layouts;
}

absl::StatusOr<VgpuLayouts> LoadVgpuConfigFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadLocalFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<VgpuLayouts> layouts = ParseVgpuConfigFile(*text);
  if (!layouts.ok()) {
    return absl::Status(layouts.status().code(),
                        absl::StrCat(path, ": ", layouts.status().message()));
  }
  return layouts;
}

}  // namespace vgpu::config
