// `vgpuctl coldplug-plan`: what Kata will cold-plug for a pod, derived the
// way Kata does it (PodResources Get -> CDI specs -> VFIO handles -> PCI
// functions -> QEMU arguments); docs/kata.md.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cmd/vgpuctl/commands.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/coldplug/plan.h"
#include "pkg/kubelet/pod_resources.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::vgpuctl {
namespace {

constexpr char kUsage[] =
    "usage: vgpuctl coldplug-plan --pod NAMESPACE/NAME [flags]\n"
    "       vgpuctl coldplug-plan --device RESOURCE=ID... [flags]\n"
    "\n"
    "Shows what Kata (cold_plug_vfio=root-port) cold-plugs for a pod: asks\n"
    "the kubelet's PodResources Get which devices the pod got, resolves\n"
    "\"<resource>=<id>\" in the CDI specs, maps each VFIO handle to PCI\n"
    "functions (IOMMU group walk without bridges, or the vfio cdev's device)\n"
    "and prints the functions, root ports and QEMU -device arguments.\n"
    "\n"
    "  --pod NS/NAME                 the pod to ask the kubelet about\n"
    "  --device RESOURCE=ID          plan these CDI names instead of --pod\n"
    "                                (repeatable)\n"
    "  --pod-resources-socket PATH   kubelet PodResources socket (default\n"
    "                                "
    "/var/lib/kubelet/pod-resources/kubelet.sock)\n"
    "  --cdi-dir DIR                 CDI spec dir, lowest priority first\n"
    "                                (repeatable; default /etc/cdi then\n"
    "                                /var/run/cdi, as Kata)\n"
    "  --host-root DIR               host root holding sys/ (default /)\n"
    "  --pcie-root-port N            Kata's pcie_root_port (default 0)\n"
    "  --json                        print the plan as JSON\n"
    "  --help                        this text\n";

struct PlanFlags {
  std::string pod;
  std::vector<std::string> devices;
  std::string socket = kubelet::kDefaultPodResourcesSocket;
  std::vector<std::string> cdi_dirs;
  std::string host_root = "/";
  std::string root_ports = "0";
  bool json = false;
};

int Usage(const std::string& problem) {
  std::fprintf(stderr, "vgpuctl coldplug-plan: %s\n%s", problem.c_str(),
               kUsage);
  return kExitUsage;
}

// Stores the value of "--name VALUE" / "--name=VALUE" at argv[i]; returns
// false when `arg` is not this flag. `missing` is set when it has no value.
bool TakeValue(absl::string_view name, int argc, char** argv, int& i,
               std::string& out, bool& missing) {
  absl::string_view arg = argv[i];
  if (arg == name) {
    if (i + 1 >= argc) {
      missing = true;
      return true;
    }
    out = argv[++i];
  } else if (absl::StartsWith(arg, absl::StrCat(name, "="))) {
    out = std::string(arg.substr(name.size() + 1));
  } else {
    return false;
  }
  missing = out.empty();
  return true;
}

// Cross-flag checks and defaults after parsing.
int CheckFlags(PlanFlags& flags) {
  if (flags.pod.empty() == flags.devices.empty()) {
    return Usage("give either --pod NAMESPACE/NAME or --device RESOURCE=ID");
  }
  if (!flags.pod.empty()) {
    const size_t slash = flags.pod.find('/');
    if (slash == std::string::npos || slash == 0 ||
        slash + 1 == flags.pod.size() ||
        flags.pod.find('/', slash + 1) != std::string::npos) {
      return Usage(
          absl::StrCat("--pod \"", flags.pod, "\": want NAMESPACE/NAME"));
    }
  }
  if (flags.cdi_dirs.empty()) {
    flags.cdi_dirs = {coldplug::kEtcCdiDir, coldplug::kVarRunCdiDir};
  }
  return kExitOk;
}

// kExitOk to run, kExitUsage on bad usage, -1 after --help.
int ParseFlags(int argc, char** argv, PlanFlags& flags) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return -1;
    }
    if (arg == "--json") {
      flags.json = true;
      continue;
    }
    std::string value;
    bool missing = false;
    const char* name = nullptr;
    for (const char* flag : {"--pod", "--device", "--pod-resources-socket",
                             "--cdi-dir", "--host-root", "--pcie-root-port"}) {
      if (TakeValue(flag, argc, argv, i, value, missing)) {
        name = flag;
        break;
      }
    }
    if (name == nullptr)
      return Usage(absl::StrCat("unknown argument \"", arg, "\""));
    if (missing) return Usage(absl::StrCat(name, " needs a value"));
    const absl::string_view n = name;
    if (n == "--pod") flags.pod = value;
    if (n == "--device") flags.devices.push_back(value);
    if (n == "--pod-resources-socket") flags.socket = value;
    if (n == "--cdi-dir") flags.cdi_dirs.push_back(value);
    if (n == "--host-root") flags.host_root = value;
    if (n == "--pcie-root-port") flags.root_ports = value;
  }
  return CheckFlags(flags);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "vgpuctl coldplug-plan: %s\n",
               std::string(status.message()).c_str());
  return kExitError;
}

}  // namespace

int RunColdplugPlan(int argc, char** argv) {
  PlanFlags flags;
  if (int rc = ParseFlags(argc, argv, flags); rc != kExitOk) {
    return rc < 0 ? kExitOk : rc;
  }
  coldplug::PlanOptions options;
  if (!absl::SimpleAtoi(flags.root_ports, &options.pcie_root_port) ||
      options.pcie_root_port < 0) {
    return Usage(absl::StrCat("--pcie-root-port \"", flags.root_ports,
                              "\": want a number >= 0"));
  }
  std::vector<std::string> names = flags.devices;
  if (!flags.pod.empty()) {
    const size_t slash = flags.pod.find('/');
    absl::StatusOr<v1::PodResources> pod = kubelet::GetPodResources(
        flags.socket, flags.pod.substr(0, slash), flags.pod.substr(slash + 1));
    if (!pod.ok()) return Fail(pod.status());
    names = coldplug::PodCdiDeviceNames(*pod);
  }
  absl::StatusOr<coldplug::CdiRegistry> registry =
      coldplug::LoadCdiRegistry(flags.cdi_dirs);
  if (!registry.ok()) return Fail(registry.status());
  absl::StatusOr<std::unique_ptr<sysfs::Sysfs>> sysfs =
      sysfs::NewHostSysfs(flags.host_root);
  if (!sysfs.ok()) return Fail(sysfs.status());
  absl::StatusOr<coldplug::ColdPlugPlan> plan =
      coldplug::BuildColdPlugPlan(names, *registry, **sysfs, options);
  if (!plan.ok()) return Fail(plan.status());
  if (flags.json) {
    std::fputs(coldplug::RenderPlanJson(*plan).c_str(), stdout);
  } else {
    if (!flags.pod.empty()) std::printf("pod %s: ", flags.pod.c_str());
    std::fputs(coldplug::RenderPlanTable(*plan).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace vgpu::vgpuctl
