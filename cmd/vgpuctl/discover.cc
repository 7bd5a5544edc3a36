// `vgpuctl discover`: runs Discover() on a host root and prints the
// inventory as a table or as JSON (docs/vgpuctl.md).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cmd/vgpuctl/commands.h"
#include "cmd/vgpuctl/discover_output.h"
#include "pkg/inventory/discovery.h"
#include "pkg/inventory/pci_ids.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::vgpuctl {
namespace {

constexpr char kUsage[] =
    "usage: vgpuctl discover [--host-root DIR] [--json] [--pci-ids FILE]\n"
    "\n"
    "Lists GPUs, NVSwitches, their IOMMU groups (passthrough units and\n"
    "whether they are viable for VFIO), mdev parents, types and instances,\n"
    "NVIDIA VF vGPUs, and anything that could not be read.\n"
    "\n"
    "  --host-root DIR  host root holding sys/ and dev/ (default /)\n"
    "  --json           print the JSON document (schemaVersion 1)\n"
    "  --pci-ids FILE   pci.ids for model names (default: the first of\n"
    "                   /usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids,\n"
    "                   /usr/share/pci.ids); numeric ids without one\n"
    "  --help           this text\n";

struct DiscoverFlags {
  std::string host_root = "/";
  bool json = false;
  std::string pci_ids;
};

// Value of "--name VALUE" or "--name=VALUE" at argv[i]; advances i.
std::optional<std::string> FlagValue(absl::string_view name, int argc,
                                     char** argv, int& i) {
  absl::string_view arg = argv[i];
  if (arg == name) {
    if (i + 1 >= argc) return std::nullopt;
    return std::string(argv[++i]);
  }
  return std::string(arg.substr(name.size() + 1));
}

// kExitOk to run, kExitUsage on bad usage, -1 after --help.
int ParseFlags(int argc, char** argv, DiscoverFlags& flags) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    }
    if (arg == "--json") {
      flags.json = true;
      continue;
    }
    for (auto [name, target] : {std::make_pair("--host-root", &flags.host_root),
                                std::make_pair("--pci-ids", &flags.pci_ids)}) {
      if (arg != name && !absl::StartsWith(arg, absl::StrCat(name, "="))) {
        continue;
      }
      std::optional<std::string> value = FlagValue(name, argc, argv, i);
      if (!value.has_value() || value->empty()) {
        std::fprintf(stderr, "vgpuctl discover: %s needs a value\n%s", name,
                     kUsage);
        return kExitUsage;
      }
      *target = *value;
      arg = "";
      break;
    }
    if (arg.empty()) continue;
    std::fprintf(stderr, "vgpuctl discover: unknown argument \"%s\"\n%s",
                 std::string(arg).c_str(), kUsage);
    return kExitUsage;
  }
  return kExitOk;
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
  DiscoverFlags flags;
  const int parsed = ParseFlags(argc, argv, flags);
  if (parsed != kExitOk) return parsed < 0 ? kExitOk : parsed;
  auto sysfs = sysfs::NewHostSysfs(flags.host_root);
  if (!sysfs.ok()) {
    std::fprintf(stderr, "vgpuctl discover: %s\n",
                 std::string(sysfs.status().message()).c_str());
    return kExitError;
  }
  std::unique_ptr<inventory::PciIds> ids = LoadPciIds(flags.pci_ids);
  inventory::DiscoverOptions options;
  options.pci_ids = ids.get();
  auto inv = inventory::Discover(**sysfs, options);
  if (!inv.ok()) {
    std::fprintf(stderr, "vgpuctl discover: %s\n",
                 std::string(inv.status().message()).c_str());
    return kExitError;
  }
  const std::string out = flags.json ? FormatJson(*inv, (*sysfs)->root())
                                     : FormatTable(*inv, (*sysfs)->root());
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitError;
}

}  // namespace vgpu::vgpuctl
