// Text and JSON renderings of a ColdPlugPlan (declared in coldplug_plan.h).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/kata/coldplug_plan.h"
#include "pkg/kata/json.h"

namespace vgpu::kata {
namespace {

std::string Hex4(uint16_t v) { return absl::StrFormat("%04x", v); }
std::string Class6(uint32_t v) { return absl::StrFormat("0x%06x", v); }

// Left-aligned columns separated by two spaces, no trailing blanks.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

JsonValue FunctionJson(const PlannedFunction& f) {
  JsonValue o = JsonValue::Object();
  o.Set("bdf", JsonValue::String(f.bdf));
  o.Set("vendorId", JsonValue::String("0x" + Hex4(f.vendor_id)));
  o.Set("deviceId", JsonValue::String("0x" + Hex4(f.device_id)));
  o.Set("class", JsonValue::String(Class6(f.class_code)));
  o.Set("handle", JsonValue::String(f.handle));
  o.Set("iommufd", JsonValue::Bool(f.iommufd));
  o.Set("cdiDevice", JsonValue::String(f.cdi_name));
  o.Set("rootPort", JsonValue::String(f.root_port));
  return o;
}

JsonValue MdevJson(const PlannedMdev& m) {
  JsonValue o = JsonValue::Object();
  o.Set("uuid", JsonValue::String(m.uuid));
  o.Set("parent", JsonValue::String(m.parent));
  o.Set("handle", JsonValue::String(m.handle));
  o.Set("cdiDevice", JsonValue::String(m.cdi_name));
  o.Set("coldPluggable", JsonValue::Bool(false));
  return o;
}

}  // namespace

std::string RenderPlanTable(const ColdPlugPlan& plan) {
  std::string out =
      absl::StrCat(plan.cdi_names.size(), " CDI devices, ",
                   plan.functions.size(), " functions, ", plan.root_ports,
                   " root ports", plan.iommufd ? ", iommufd" : "", "\n");
  if (plan.cdi_names.empty()) {
    out += "no devices in Pod Resources: Kata skips cold plug\n";
  }
  std::vector<std::vector<std::string>> rows = {
      {"CDI DEVICE", "HANDLE", "FUNCTION", "ID", "CLASS", "ROOT PORT"}};
  for (const PlannedFunction& f : plan.functions) {
    rows.push_back({f.cdi_name, f.handle, f.bdf,
                    Hex4(f.vendor_id) + ":" + Hex4(f.device_id),
                    Class6(f.class_code), f.root_port});
  }
  for (const PlannedMdev& m : plan.mdevs) {
    rows.push_back({m.cdi_name, m.handle, "mdev " + m.uuid, "-", "-",
                    "not cold-pluggable"});
  }
  if (rows.size() > 1) out += Table(rows);
  if (!plan.qemu_args.empty()) out += "QEMU arguments:\n";
  for (size_t i = 0; i + 1 < plan.qemu_args.size(); i += 2) {
    out +=
        absl::StrCat("  ", plan.qemu_args[i], " ", plan.qemu_args[i + 1], "\n");
  }
  for (const std::string& w : plan.warnings) out += "warning: " + w + "\n";
  return out;
}

std::string RenderPlanJson(const ColdPlugPlan& plan) {
  JsonValue o = JsonValue::Object();
  o.Set("cdiDevices", JsonValue::StringArray(plan.cdi_names));
  JsonValue& functions = o.Set("functions", JsonValue::Array());
  for (const PlannedFunction& f : plan.functions)
    functions.Append(FunctionJson(f));
  JsonValue& mdevs = o.Set("mdevs", JsonValue::Array());
  for (const PlannedMdev& m : plan.mdevs) mdevs.Append(MdevJson(m));
  o.Set("rootPorts", JsonValue::Number(plan.root_ports));
  o.Set("iommufd", JsonValue::Bool(plan.iommufd));
  o.Set("qemuArgs", JsonValue::StringArray(plan.qemu_args));
  o.Set("warnings", JsonValue::StringArray(plan.warnings));
  return SerializeJson(o);
}

}  // namespace vgpu::kata
