// `vgpuctl discover`: runs Discover() on a host root and prints the
// inventory as a table or as JSON (docs/vgpuctl.md).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "cmd/vgpuctl/commands.h"
#include "cmd/vgpuctl/discover_output.h"
#include "pkg/config/config.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/pci_ids.h"
#include "pkg/resources/pools.h"
#include "pkg/sysfs/sysfs.h"

ABSL_DECLARE_FLAG(std::string, config);

ABSL_FLAG(std::string, pci_ids, "",
          "pci.ids for model names (default: the first of "
          "/usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids, "
          "/usr/share/pci.ids); numeric ids without one");
ABSL_FLAG(bool, summary, false,
          "print only the counts: units by health, vGPUs, units not "
          "healthy by reason (with --json: a summary object)");

namespace vgpu::vgpuctl {
namespace {

cmd::CommandLine DiscoverCommandLine() {
  cmd::CommandLine line;
  line.program = "vgpuctl discover";
  line.usage =
      "usage: vgpuctl discover [--host-root DIR] [--json] [--pci-ids FILE]\n"
      "                        [--config FILE] [--summary]\n"
      "\n"
      "Lists GPUs, NVSwitches, their IOMMU groups (passthrough units, sorted\n"
      "by BDF, with the health the daemon would advertise each with), mdev\n"
      "parents, types and instances, NVIDIA VF vGPUs, and anything that\n"
      "could not be read. --config FILE: the daemon's config, for the\n"
      "resource name each unit would be advertised under. --summary: only\n"
      "the counts of units, vGPUs and units not healthy (by reason).";
  line.flags = {"host_root", "json", "pci_ids", "config", "summary"};
  line.allow_empty_values = false;
  return line;
}

// Model names; a missing pci.ids is only a warning.
std::unique_ptr<inventory::PciIds> LoadPciIds(const std::string& flag) {
  if (!flag.empty()) {
    auto ids = inventory::PciIds::Load(flag);
    if (ids.ok()) return std::make_unique<inventory::PciIds>(*std::move(ids));
    std::fprintf(stderr, "vgpuctl discover: warning: %s; numeric ids only\n",
                 std::string(ids.status().message()).c_str());
    return nullptr;
  }
  for (const char* path : inventory::kDefaultPciIdsPaths) {
    auto ids = inventory::PciIds::Load(path);
    if (ids.ok()) return std::make_unique<inventory::PciIds>(*std::move(ids));
  }
  return nullptr;
}

// Domain, then bus:device.function: "10000:e1:00.0" after "0000:ff:1f.7".
bool BdfLess(const std::string& a, const std::string& b) {
  const size_t da = a.find(':');
  const size_t db = b.find(':');
  if (da != db) return da < db;
  return a < b;
}

}  // namespace

int RunDiscover(int argc, char** argv) {
  if (std::optional<int> done =
          cmd::ParseCommandLine(DiscoverCommandLine(), argc, argv)) {
    return *done;
  }
  auto sysfs = sysfs::NewHostSysfs(absl::GetFlag(FLAGS_host_root));
  if (!sysfs.ok()) {
    std::fprintf(stderr, "vgpuctl discover: %s\n",
                 std::string(sysfs.status().message()).c_str());
    return kExitError;
  }
  std::unique_ptr<inventory::PciIds> ids =
      LoadPciIds(absl::GetFlag(FLAGS_pci_ids));
  inventory::DiscoverOptions options;
  options.pci_ids = ids.get();
  auto inv = inventory::Discover(**sysfs, options);
  if (!inv.ok()) {
    std::fprintf(stderr, "vgpuctl discover: %s\n",
                 std::string(inv.status().message()).c_str());
    return kExitError;
  }
  config::Config config;
  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (!config_path.empty()) {
    auto loaded = config::LoadConfigFile(config_path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "vgpuctl discover: %s\n",
                   std::string(loaded.status().message()).c_str());
      return kExitError;
    }
    config = *std::move(loaded);
  }
  auto pools = resources::BuildPools(*inv, config);
  if (!pools.ok()) {
    std::fprintf(stderr, "vgpuctl discover: %s\n",
                 std::string(pools.status().message()).c_str());
    return kExitError;
  }
  if (std::string cause = inventory::NoGpuCause(**sysfs, *inv);
      !cause.empty()) {
    std::fprintf(stderr, "vgpuctl discover: warning: %s\n", cause.c_str());
  }
  std::sort(inv->units.begin(), inv->units.end(),
            [](const inventory::PassthroughUnit& a,
               const inventory::PassthroughUnit& b) {
              return BdfLess(a.primary_bdf, b.primary_bdf);
            });
  DiscoverView view;
  view.host_root = (*sysfs)->root();
  view.health = HealthOfUnits(*inv, *pools);
  view.show_resource = !config_path.empty();
  const bool json = absl::GetFlag(FLAGS_json);
  std::string out;
  if (absl::GetFlag(FLAGS_summary)) {
    out = json ? FormatSummaryJson(*inv, view) : FormatSummaryTable(*inv, view);
  } else {
    out = json ? FormatJson(*inv, view) : FormatTable(*inv, view);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

}  // namespace vgpu::vgpuctl
