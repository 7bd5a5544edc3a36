#include "pkg/doctor/doctor.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/base/json.h"
#include "pkg/inventory/discovery.h"

namespace vgpu::doctor {

const char* VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kInfo:
      return "INFO";
    case Verdict::kWarn:
      return "WARN";
    case Verdict::kFail:
      return "FAIL";
  }
  return "FAIL";
}

bool Report::HasFailure() const {
  for (const Finding& f : findings) {
    if (f.verdict == Verdict::kFail) return true;
  }
  return false;
}

Report RunChecks(sysfs::Sysfs& host, const Inputs& inputs) {
  Report report;
  report.host_root = host.root();
  std::vector<Finding>& out = report.findings;
  CheckIommu(host, out);
  absl::StatusOr<inventory::Inventory> inv =
      inventory::Discover(host, inventory::DiscoverOptions());
  if (!inv.ok()) {
    out.push_back(
        {Verdict::kFail, "discover",
         absl::StrCat("cannot scan the host: ", inv.status().message(), "."),
         "check --host-root"});
    return report;
  }
  CheckVfioModules(*inv, out);
  CheckUnits(*inv, out);
  CheckHostDisplay(host, *inv, out);
  CheckVfioMode(*inv, out);
  CheckLargeBars(host, *inv, out);
  CheckCdi(inputs.cdi, inputs.device_plugins, out);
  CheckPodResources(inputs.pod_resources, out);
  if (inputs.kata_configs.empty()) {
    out.push_back({Verdict::kInfo, "kata-config",
                   "no --kata-config given: Kata configuration not checked",
                   ""});
  }
  for (const KataConfigInput& config : inputs.kata_configs) {
    CheckKataConfig(host, *inv, config, out);
  }
  CheckMdevWithKata(*inv, !inputs.kata_configs.empty(), out);
  return report;
}

std::string FormatFinding(const Finding& f) {
  std::string line = absl::StrFormat("%-4s  %-23s %s", VerdictName(f.verdict),
                                     f.check, f.message);
  if (!f.fix.empty()) absl::StrAppend(&line, " Fix: ", f.fix);
  return line;
}

std::string RenderTable(const Report& report) {
  std::string text;
  int counts[4] = {0, 0, 0, 0};
  for (const Finding& f : report.findings) {
    ++counts[static_cast<int>(f.verdict)];
    absl::StrAppend(&text, FormatFinding(f), "\n");
  }
  absl::StrAppendFormat(&text, "%d passed, %d info, %d warnings, %d failed\n",
                        counts[0], counts[1], counts[2], counts[3]);
  return text;
}

std::string RenderJson(const Report& report) {
  Json doc = Json::object();
  doc["host_root"] = report.host_root;
  Json checks = Json::array();
  int counts[4] = {0, 0, 0, 0};
  for (const Finding& f : report.findings) {
    ++counts[static_cast<int>(f.verdict)];
    Json item = Json::object();
    item["verdict"] = VerdictName(f.verdict);
    item["check"] = f.check;
    item["message"] = f.message;
    item["fix"] = f.fix;
    checks.push_back(std::move(item));
  }
  doc["checks"] = std::move(checks);
  Json summary = Json::object();
  summary["pass"] = counts[0];
  summary["info"] = counts[1];
  summary["warn"] = counts[2];
  summary["fail"] = counts[3];
  doc["summary"] = std::move(summary);
  return DumpJson(doc);
}

}  // namespace vgpu::doctor
