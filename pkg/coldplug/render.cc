// Text and JSON renderings of a ColdPlugPlan (declared in plan.h).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "pkg/base/json.h"
#include "pkg/coldplug/plan.h"

namespace vgpu::coldplug {
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

Json FunctionJson(const PlannedFunction& f) {
  Json o = Json::object();
  o["bdf"] = f.bdf;
  o["vendorId"] = "0x" + Hex4(f.vendor_id);
  o["deviceId"] = "0x" + Hex4(f.device_id);
  o["class"] = Class6(f.class_code);
  o["handle"] = f.handle;
  o["iommufd"] = f.iommufd;
  o["cdiDevice"] = f.cdi_name;
  o["rootPort"] = f.root_port;
  return o;
}

Json MdevJson(const PlannedMdev& m) {
  Json o = Json::object();
  o["uuid"] = m.uuid;
  o["parent"] = m.parent;
  o["handle"] = m.handle;
  o["cdiDevice"] = m.cdi_name;
  o["coldPluggable"] = false;
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
  if (plan.runtime == Runtime::kRs) {
    out += "runtime-rs (Kata 4.1.0): pcimap " +
           (plan.pcimap.empty() ? std::string("empty")
                                : absl::StrJoin(plan.pcimap, ",")) +
           "\n";
    if (plan.differences.empty()) out += "same as the Go runtime\n";
    for (const std::string& d : plan.differences) {
      out += "differs from go: " + d + "\n";
    }
  }
  if (!plan.qemu_args.empty()) out += "QEMU arguments:\n";
  for (size_t i = 0; i + 1 < plan.qemu_args.size(); i += 2) {
    out +=
        absl::StrCat("  ", plan.qemu_args[i], " ", plan.qemu_args[i + 1], "\n");
  }
  for (const std::string& w : plan.warnings) out += "warning: " + w + "\n";
  return out;
}

std::string RenderPlanJson(const ColdPlugPlan& plan) {
  Json o = Json::object();
  o["cdiDevices"] = plan.cdi_names;
  o["functions"] = Json::array();
  for (const PlannedFunction& f : plan.functions) {
    o["functions"].push_back(FunctionJson(f));
  }
  o["mdevs"] = Json::array();
  for (const PlannedMdev& m : plan.mdevs) o["mdevs"].push_back(MdevJson(m));
  o["rootPorts"] = plan.root_ports;
  o["iommufd"] = plan.iommufd;
  o["qemuArgs"] = plan.qemu_args;
  o["warnings"] = plan.warnings;
  // Go plans keep the document they always had (golden files).
  if (plan.runtime == Runtime::kRs) {
    o["runtime"] = "rs";
    o["pcimap"] = plan.pcimap;
    o["differencesFromGo"] = plan.differences;
  }
  return DumpJson(o);
}

}  // namespace vgpu::coldplug
