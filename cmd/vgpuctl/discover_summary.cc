// `vgpuctl discover --summary`: the counts a script or a dashboard wants
// from one host, as a few lines or as a JSON object (docs/vgpuctl.md).
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cmd/vgpuctl/discover_output.h"
#include "pkg/base/json.h"

namespace vgpu::vgpuctl {
namespace {

struct Summary {
  int units = 0;
  int healthy = 0;
  int unhealthy = 0;
  int not_advertised = 0;
  int mdev_vgpus = 0;
  int vf_vgpus = 0;
  int discovery_problems = 0;
  std::map<std::string, int> by_reason;  // HealthText -> units.
};

Summary Summarize(const inventory::Inventory& inv, const DiscoverView& view) {
  Summary s;
  for (const inventory::PassthroughUnit& unit : inv.units) {
    ++s.units;
    const auto it = view.health.find(unit.primary_bdf);
    const UnitHealth health =
        it == view.health.end() ? UnitHealth{} : it->second;
    switch (health.state) {
      case UnitHealth::State::kHealthy:
        ++s.healthy;
        continue;
      case UnitHealth::State::kUnhealthy:
        ++s.unhealthy;
        break;
      case UnitHealth::State::kNotAdvertised:
        ++s.not_advertised;
        break;
    }
    ++s.by_reason[HealthText(health)];
  }
  s.mdev_vgpus = static_cast<int>(inv.mdevs.size());
  for (const inventory::PciFunction& fn : inv.functions) {
    if (fn.nvidia_vgpu.has_value() && fn.nvidia_vgpu->current_type != 0) {
      ++s.vf_vgpus;
    }
  }
  s.discovery_problems = static_cast<int>(inv.problems.size());
  return s;
}

}  // namespace

std::string FormatSummaryTable(const inventory::Inventory& inv,
                               const DiscoverView& view) {
  const Summary s = Summarize(inv, view);
  std::string out = absl::StrFormat(
      "Host root %s\n"
      "units     %d (%d healthy, %d unhealthy, %d not advertised)\n"
      "vGPUs     %d (%d mdev, %d VF vGPU)\n"
      "problems  %d units not healthy, %d discovery problems\n",
      view.host_root, s.units, s.healthy, s.unhealthy, s.not_advertised,
      s.mdev_vgpus + s.vf_vgpus, s.mdev_vgpus, s.vf_vgpus,
      s.unhealthy + s.not_advertised, s.discovery_problems);
  for (const auto& [reason, count] : s.by_reason) {
    absl::StrAppend(&out, absl::StrFormat("  %d  %s\n", count, reason));
  }
  return out;
}

std::string FormatSummaryJson(const inventory::Inventory& inv,
                              const DiscoverView& view) {
  const Summary s = Summarize(inv, view);
  Json reasons = Json::array();
  for (const auto& [reason, count] : s.by_reason) {
    reasons.push_back(Json::object({{"reason", reason}, {"units", count}}));
  }
  Json summary = Json::object();
  summary["units"] = s.units;
  summary["healthyUnits"] = s.healthy;
  summary["unhealthyUnits"] = s.unhealthy;
  summary["notAdvertisedUnits"] = s.not_advertised;
  summary["vgpus"] = s.mdev_vgpus + s.vf_vgpus;
  summary["mdevVgpus"] = s.mdev_vgpus;
  summary["vfVgpus"] = s.vf_vgpus;
  summary["discoveryProblems"] = s.discovery_problems;
  summary["unitsNotHealthyByReason"] = std::move(reasons);
  Json o = Json::object();
  o["schemaVersion"] = 1;
  o["hostRoot"] = view.host_root;
  o["summary"] = std::move(summary);
  return DumpJson(o);
}

}  // namespace vgpu::vgpuctl
