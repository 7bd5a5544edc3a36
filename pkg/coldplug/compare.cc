// CompareRuntimes (declared in plan.h): where Kata 4.1.0's Go runtime and
// runtime-rs differ on the same devices.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/coldplug/plan.h"

namespace vgpu::coldplug {
namespace {

std::map<std::string, const PlannedFunction*> ByBdf(const ColdPlugPlan& p) {
  std::map<std::string, const PlannedFunction*> out;
  for (const PlannedFunction& f : p.functions) out[f.bdf] = &f;
  return out;
}

}  // namespace

std::vector<std::string> CompareRuntimes(const ColdPlugPlan& go,
                                         const ColdPlugPlan& rs) {
  std::vector<std::string> out;
  const auto go_fns = ByBdf(go);
  const auto rs_fns = ByBdf(rs);
  for (const PlannedFunction& f : go.functions) {
    if (rs_fns.count(f.bdf) == 0) {
      out.push_back(absl::StrFormat(
          "%s (class 0x%06x): go plugs it, rs drops it", f.bdf, f.class_code));
    }
  }
  for (const PlannedFunction& f : rs.functions) {
    auto it = go_fns.find(f.bdf);
    if (it == go_fns.end()) {
      out.push_back(absl::StrCat(f.bdf, ": rs plugs it, go does not"));
      continue;
    }
    if (it->second->root_port != f.root_port) {
      out.push_back(absl::StrCat(f.bdf, ": go on ", it->second->root_port,
                                 ", rs on ", f.root_port));
    }
    if (it->second->iommufd != f.iommufd) {
      out.push_back(absl::StrCat(
          f.bdf, ": go through ", it->second->iommufd ? "iommufd" : "the group",
          ", rs through ", f.iommufd ? "iommufd" : "the group"));
    }
  }
  if (go.root_ports != rs.root_ports) {
    out.push_back(
        absl::StrCat("root ports: go ", go.root_ports, ", rs ", rs.root_ports));
  }
  std::map<std::string, bool> rs_map;
  for (const std::string& bdf : rs.pcimap) rs_map[bdf] = true;
  for (const std::string& bdf : go.pcimap) {
    if (rs_map.count(bdf) == 0) {
      out.push_back(absl::StrCat(
          bdf,
          ": in the go pcimap, not in the rs pcimap (a PCIDEVICE_* "
          "value naming it stays untranslated under rs)"));
    }
  }
  return out;
}

}  // namespace vgpu::coldplug
