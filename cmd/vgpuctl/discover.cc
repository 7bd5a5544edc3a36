// `vgpuctl discover`: runs Discover() on a host root and prints the
// inventory as a table or as JSON (docs/vgpuctl.md).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "cmd/vgpuctl/commands.h"
#include "cmd/vgpuctl/discover_output.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/pci_ids.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(std::string, pci_ids, "",
          "pci.ids for model names (default: the first of "
          "/usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids, "
          "/usr/share/pci.ids); numeric ids without one");

namespace vgpu::vgpuctl {
namespace {

cmd::CommandLine DiscoverCommandLine() {
  cmd::CommandLine line;
  line.program = "vgpuctl discover";
  line.usage =
      "usage: vgpuctl discover [--host-root DIR] [--json] [--pci-ids FILE]\n"
      "\n"
      "Lists GPUs, NVSwitches, their IOMMU groups (passthrough units and\n"
      "whether they are viable for VFIO), mdev parents, types and\n"
      "instances, NVIDIA VF vGPUs, and anything that could not be read.";
  line.flags = {"host_root", "json", "pci_ids"};
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
  const std::string out = absl::GetFlag(FLAGS_json)
                              ? FormatJson(*inv, (*sysfs)->root())
                              : FormatTable(*inv, (*sysfs)->root());
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

}  // namespace vgpu::vgpuctl
