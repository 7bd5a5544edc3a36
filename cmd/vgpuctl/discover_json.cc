// The JSON form of `vgpuctl discover --json`; docs/vgpuctl.md is its
// reference. Keys are never renamed or removed within schemaVersion 1; new
// keys may be added.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd/vgpuctl/discover_output.h"
#include "cmd/vgpuctl/json_writer.h"

namespace vgpu::vgpuctl {
namespace {

using inventory::Inventory;
using inventory::PciFunction;

std::optional<int64_t> NumaOrNull(int node) {
  return node < 0 ? std::nullopt : std::optional<int64_t>(node);
}

std::optional<int64_t> Opt(const std::optional<int>& v) {
  return v.has_value() ? std::optional<int64_t>(*v) : std::nullopt;
}

void WriteNvidiaVgpu(const inventory::NvidiaVgpuState& v, JsonWriter& w) {
  w.BeginObject();
  w.Key("currentType").Int(v.current_type);
  w.Key("currentTypeName").String(v.current_type_name);
  w.Key("creatableTypes").BeginArray();
  for (const auto& [id, name] : v.creatable_types) {
    w.BeginObject().Key("id").Int(id).Key("name").String(name).EndObject();
  }
  w.EndArray().EndObject();
}

void WriteFunction(const PciFunction& fn, JsonWriter& w) {
  w.BeginObject();
  w.Key("bdf").String(fn.bdf);
  w.Key("vendorId").String(absl::StrFormat("0x%04x", fn.vendor_id));
  w.Key("deviceId").String(absl::StrFormat("0x%04x", fn.device_id));
  w.Key("subsystemVendorId")
      .String(absl::StrFormat("0x%04x", fn.subsystem_vendor_id));
  w.Key("subsystemDeviceId")
      .String(absl::StrFormat("0x%04x", fn.subsystem_device_id));
  w.Key("classCode").String(absl::StrFormat("0x%06x", fn.class_code));
  w.Key("role").String(RoleName(fn.role));
  w.Key("vendorName").StringOrNull(fn.vendor_name);
  w.Key("deviceName").StringOrNull(fn.device_name);
  w.Key("model").String(ModelName(fn));
  w.Key("driver").StringOrNull(fn.driver);
  w.Key("numaNode").IntOrNull(NumaOrNull(fn.numa_node));
  w.Key("iommuGroup").IntOrNull(Opt(fn.iommu_group));
  w.Key("vfioCdev").StringOrNull(fn.vfio_cdev);
  w.Key("physfn").StringOrNull(fn.physfn);
  w.Key("virtfns").StringArray(fn.virtfns);
  w.Key("sysfsPath").String(fn.sysfs_path);
  w.Key("parentBridges").StringArray(fn.parent_bridges);
  w.Key("isMdevParent").Bool(fn.is_mdev_parent);
  w.Key("nvidiaVgpu");
  if (fn.nvidia_vgpu.has_value()) {
    WriteNvidiaVgpu(*fn.nvidia_vgpu, w);
  } else {
    w.Null();
  }
  w.EndObject();
}

void WriteUnit(const inventory::PassthroughUnit& u, JsonWriter& w) {
  w.BeginObject();
  w.Key("iommuGroup").Int(u.iommu_group);
  w.Key("primary").String(u.primary_bdf);
  w.Key("role").String(RoleName(u.role));
  w.Key("functions").StringArray(u.functions);
  w.Key("bridges").StringArray(u.bridges);
  w.Key("viable").Bool(u.viable);
  w.Key("notViableReason").StringOrNull(u.not_viable_reason);
  w.Key("numaNode").IntOrNull(NumaOrNull(u.numa_node));
  w.EndObject();
}

void WriteMdevType(const inventory::MdevType& t, JsonWriter& w) {
  w.BeginObject();
  w.Key("id").String(t.id);
  w.Key("name").String(t.name);
  w.Key("description").String(t.description);
  w.Key("deviceApi").String(t.device_api);
  w.Key("availableInstances").Int(t.available_instances);
  w.Key("framebufferBytes")
      .IntOrNull(t.framebuffer_bytes.has_value()
                     ? std::optional<int64_t>(
                           static_cast<int64_t>(*t.framebuffer_bytes))
                     : std::nullopt);
  w.Key("maxInstances").IntOrNull(Opt(t.max_instances));
  w.Key("instances").StringArray(t.instance_uuids);
  w.EndObject();
}

void WriteMdevParent(const inventory::MdevParent& p, JsonWriter& w) {
  w.BeginObject();
  w.Key("name").String(p.name);
  w.Key("isPci").Bool(p.is_pci);
  w.Key("numaNode").IntOrNull(NumaOrNull(p.numa_node));
  w.Key("types").BeginArray();
  for (const inventory::MdevType& t : p.types) WriteMdevType(t, w);
  w.EndArray().EndObject();
}

void WriteMdev(const inventory::MdevDevice& m, JsonWriter& w) {
  w.BeginObject();
  w.Key("uuid").String(m.uuid);
  w.Key("parent").String(m.parent);
  w.Key("typeId").String(m.type_id);
  w.Key("typeName").String(m.type_name);
  w.Key("iommuGroup").IntOrNull(Opt(m.iommu_group));
  w.Key("driver").StringOrNull(m.driver);
  w.Key("numaNode").IntOrNull(NumaOrNull(m.numa_node));
  w.EndObject();
}

void WriteHost(const Inventory& inv, const std::string& host_root,
               JsonWriter& w) {
  w.Key("hostRoot").String(host_root);
  w.Key("vfioContainer").Bool(inv.vfio_container);
  w.Key("iommufd").Bool(inv.iommufd);
  w.Key("vfioGroupNodes").BeginArray();
  for (int n : inv.vfio_group_nodes) w.Int(n);
  w.EndArray();
  w.Key("vfioCdevNodes").StringArray(inv.vfio_cdev_nodes);
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

bool HasNoGpus(const Inventory& inv) {
  if (!inv.units.empty() || !inv.mdev_parents.empty()) return false;
  for (const PciFunction& fn : inv.functions) {
    if (fn.role == inventory::FunctionRole::kGpu ||
        fn.role == inventory::FunctionRole::kNvSwitch) {
      return false;
    }
  }
  return true;
}

std::string FormatJson(const Inventory& inv, const std::string& host_root) {
  JsonWriter w;
  w.BeginObject();
  w.Key("schemaVersion").Int(1);
  WriteHost(inv, host_root, w);
  w.Key("units").BeginArray();
  for (const auto& u : inv.units) WriteUnit(u, w);
  w.EndArray();
  w.Key("functions").BeginArray();
  for (const auto& fn : inv.functions) WriteFunction(fn, w);
  w.EndArray();
  w.Key("mdevParents").BeginArray();
  for (const auto& p : inv.mdev_parents) WriteMdevParent(p, w);
  w.EndArray();
  w.Key("mdevs").BeginArray();
  for (const auto& m : inv.mdevs) WriteMdev(m, w);
  w.EndArray();
  w.Key("problems").BeginArray();
  for (const auto& p : inv.problems) {
    w.BeginObject().Key("object").String(p.object);
    w.Key("reason").String(p.reason).EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

}  // namespace vgpu::vgpuctl
