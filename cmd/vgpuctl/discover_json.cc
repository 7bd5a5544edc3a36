// The JSON form of `vgpuctl discover --json`; docs/vgpuctl.md is its
// reference. Keys are never renamed or removed within schemaVersion 1; new
// keys may be added.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd/vgpuctl/discover_output.h"
#include "pkg/base/json.h"

namespace vgpu::vgpuctl {
namespace {

using inventory::Inventory;
using inventory::PciFunction;

Json StringOrNull(const std::string& value) {
  return value.empty() ? Json(nullptr) : Json(value);
}

template <typename T>
Json OrNull(const std::optional<T>& value) {
  return value.has_value() ? Json(*value) : Json(nullptr);
}

Json NumaOrNull(int node) { return node < 0 ? Json(nullptr) : Json(node); }

Json NvidiaVgpuJson(const inventory::NvidiaVgpuState& v) {
  Json types = Json::array();
  for (const auto& [id, name] : v.creatable_types) {
    types.push_back(Json::object({{"id", id}, {"name", name}}));
  }
  Json o = Json::object();
  o["currentType"] = v.current_type;
  o["currentTypeName"] = v.current_type_name;
  o["creatableTypes"] = std::move(types);
  return o;
}

Json FunctionJson(const PciFunction& fn) {
  Json o = Json::object();
  o["bdf"] = fn.bdf;
  o["vendorId"] = absl::StrFormat("0x%04x", fn.vendor_id);
  o["deviceId"] = absl::StrFormat("0x%04x", fn.device_id);
  o["subsystemVendorId"] = absl::StrFormat("0x%04x", fn.subsystem_vendor_id);
  o["subsystemDeviceId"] = absl::StrFormat("0x%04x", fn.subsystem_device_id);
  o["classCode"] = absl::StrFormat("0x%06x", fn.class_code);
  o["role"] = RoleName(fn.role);
  o["vendorName"] = StringOrNull(fn.vendor_name);
  o["deviceName"] = StringOrNull(fn.device_name);
  o["model"] = ModelName(fn);
  o["driver"] = StringOrNull(fn.driver);
  o["numaNode"] = NumaOrNull(fn.numa_node);
  o["iommuGroup"] = OrNull(fn.iommu_group);
  o["vfioCdev"] = StringOrNull(fn.vfio_cdev);
  o["physfn"] = StringOrNull(fn.physfn);
  o["virtfns"] = fn.virtfns;
  o["sysfsPath"] = fn.sysfs_path;
  o["parentBridges"] = fn.parent_bridges;
  o["isMdevParent"] = fn.is_mdev_parent;
  o["nvidiaVgpu"] = fn.nvidia_vgpu.has_value() ? NvidiaVgpuJson(*fn.nvidia_vgpu)
                                               : Json(nullptr);
  return o;
}

Json UnitJson(const inventory::PassthroughUnit& u, const DiscoverView& view) {
  Json o = Json::object();
  o["iommuGroup"] = u.iommu_group;
  o["primary"] = u.primary_bdf;
  o["role"] = RoleName(u.role);
  o["functions"] = u.functions;
  o["bridges"] = u.bridges;
  o["viable"] = u.viable;
  o["notViableReason"] = StringOrNull(u.not_viable_reason);
  o["numaNode"] = NumaOrNull(u.numa_node);
  auto it = view.health.find(u.primary_bdf);
  const UnitHealth health = it == view.health.end() ? UnitHealth{} : it->second;
  switch (health.state) {
    case UnitHealth::State::kHealthy:
      o["health"] = "Healthy";
      break;
    case UnitHealth::State::kUnhealthy:
      o["health"] = "Unhealthy";
      break;
    case UnitHealth::State::kNotAdvertised:
      o["health"] = "notAdvertised";
      break;
  }
  o["healthReason"] = StringOrNull(health.reason);
  o["resource"] =
      view.show_resource ? StringOrNull(health.resource) : Json(nullptr);
  return o;
}

Json MdevTypeJson(const inventory::MdevType& t) {
  Json o = Json::object();
  o["id"] = t.id;
  o["name"] = t.name;
  o["description"] = t.description;
  o["deviceApi"] = t.device_api;
  o["availableInstances"] = t.available_instances;
  o["framebufferBytes"] = OrNull(t.framebuffer_bytes);
  o["maxInstances"] = OrNull(t.max_instances);
  o["instances"] = t.instance_uuids;
  return o;
}

Json MdevParentJson(const inventory::MdevParent& p) {
  Json types = Json::array();
  for (const inventory::MdevType& t : p.types) types.push_back(MdevTypeJson(t));
  Json o = Json::object();
  o["name"] = p.name;
  o["isPci"] = p.is_pci;
  o["numaNode"] = NumaOrNull(p.numa_node);
  o["types"] = std::move(types);
  return o;
}

Json MdevJson(const inventory::MdevDevice& m) {
  Json o = Json::object();
  o["uuid"] = m.uuid;
  o["parent"] = m.parent;
  o["typeId"] = m.type_id;
  o["typeName"] = m.type_name;
  o["iommuGroup"] = OrNull(m.iommu_group);
  o["driver"] = StringOrNull(m.driver);
  o["numaNode"] = NumaOrNull(m.numa_node);
  return o;
}

// `items` mapped through `to_json` into an array ([] when empty).
template <typename T, typename F>
Json ArrayOf(const std::vector<T>& items, F to_json) {
  Json out = Json::array();
  for (const T& item : items) out.push_back(to_json(item));
  return out;
}

}  // namespace

const char* RoleName(inventory::FunctionRole role) {
  switch (role) {
    case inventory::FunctionRole::kGpu:
      return "gpu";
    case inventory::FunctionRole::kNvSwitch:
      return "nvswitch";
    case inventory::FunctionRole::kCompanion:
      return "companion";
    case inventory::FunctionRole::kBridge:
      return "bridge";
    case inventory::FunctionRole::kOther:
      return "other";
  }
  return "other";
}

std::string ModelName(const PciFunction& fn) {
  const std::string ids =
      absl::StrFormat("%04x:%04x", fn.vendor_id, fn.device_id);
  if (fn.device_name.empty()) return ids;
  return absl::StrCat(fn.device_name, " (", ids, ")");
}

std::string FormatJson(const Inventory& inv, const DiscoverView& view) {
  Json o = Json::object();
  o["schemaVersion"] = 1;
  o["hostRoot"] = view.host_root;
  o["vfioContainer"] = inv.vfio_container;
  o["iommufd"] = inv.iommufd;
  o["vfioGroupNodes"] = Json::array();
  for (int n : inv.vfio_group_nodes) o["vfioGroupNodes"].push_back(n);
  o["vfioCdevNodes"] = inv.vfio_cdev_nodes;
  o["units"] = Json::array();
  for (const inventory::PassthroughUnit& u : inv.units) {
    o["units"].push_back(UnitJson(u, view));
  }
  o["functions"] = ArrayOf(inv.functions, FunctionJson);
  o["mdevParents"] = ArrayOf(inv.mdev_parents, MdevParentJson);
  o["mdevs"] = ArrayOf(inv.mdevs, MdevJson);
  o["problems"] = Json::array();
  for (const auto& p : inv.problems) {
    o["problems"].push_back(
        Json::object({{"object", p.object}, {"reason", p.reason}}));
  }
  return DumpJson(o);
}

}  // namespace vgpu::vgpuctl
