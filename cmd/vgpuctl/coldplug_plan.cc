// `vgpuctl coldplug-plan`: what Kata will cold-plug for a pod, derived the
// way Kata does it (PodResources Get -> CDI specs -> VFIO handles -> PCI
// functions -> QEMU arguments); docs/kata.md.
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cmd/vgpuctl/commands.h"
#include "pkg/base/local_file.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/coldplug/plan.h"
#include "pkg/doctor/kata_config.h"
#include "pkg/kubelet/pod_resources.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(std::string, pod, "", "the pod to ask the kubelet about (NS/NAME)");
ABSL_FLAG(std::vector<std::string>, device, {},
          "plan this CDI name (RESOURCE=ID) instead of --pod");
ABSL_FLAG(std::optional<int>, pcie_root_port, std::nullopt,
          "Kata's pcie_root_port, the minimum number of root ports (unset: "
          "the --kata-config file's, else 8 as in the NVIDIA Kata "
          "configuration)");
ABSL_FLAG(bool, strict, false,
          "exit 3 when the plan predicts that QEMU or sandbox creation fails "
          "(a group not viable, an mdev, a non-VFIO node under runtime-rs)");
ABSL_FLAG(std::string, runtime, "go",
          "Kata 4.1.0 runtime to model: go, or rs (runtime-rs; the plan also "
          "shows where it differs from go)");

namespace vgpu::vgpuctl {
namespace {

// --strict and the plan predicts a failure (main.cc: 3 is "not as wanted").
inline constexpr int kExitPredictsFailure = 3;

// pcie_root_port in kata-deploy's configuration-qemu-nvidia-gpu.toml.
inline constexpr int kNvidiaKataRootPorts = 8;

cmd::CommandLine PlanCommandLine() {
  cmd::CommandLine line;
  line.program = "vgpuctl coldplug-plan";
  line.usage =
      "usage: vgpuctl coldplug-plan --pod NAMESPACE/NAME [flags]\n"
      "       vgpuctl coldplug-plan --device RESOURCE=ID... [flags]\n"
      "         [--pcie-root-port N | --kata-config FILE]\n"
      "\n"
      "Shows what Kata (cold_plug_vfio=root-port) cold-plugs for a pod:\n"
      "asks the kubelet's PodResources Get which devices the pod got,\n"
      "resolves \"<resource>=<id>\" in the CDI specs, maps each VFIO handle\n"
      "to PCI functions (IOMMU group walk without bridges, or the vfio\n"
      "cdev's device) and prints the functions, root ports and QEMU\n"
      "-device arguments. --runtime rs models runtime-rs (Kata 4.1.0)\n"
      "and lists where it differs from the Go runtime.\n"
      "\n"
      "Exit codes: 0 planned, 1 error, 2 bad usage (a --device that is not\n"
      "RESOURCE=ID), 3 with --strict when the plan predicts a failure.";
  line.flags = {"pod",         "device",    "pod_resources_socket",
                "cdi_dir",     "host_root", "pcie_root_port",
                "kata_config", "runtime",   "json",
                "strict"};
  line.allow_empty_values = false;
  return line;
}

int Usage(const std::string& problem) {
  return cmd::UsageError(PlanCommandLine(), problem);
}

// Cross-flag checks; "" when the flags make sense together.
std::string CheckFlags(const std::string& pod,
                       const std::vector<std::string>& devices,
                       std::optional<int> root_port) {
  if (pod.empty() == devices.empty()) {
    return "give either --pod NAMESPACE/NAME or --device RESOURCE=ID";
  }
  if (!pod.empty()) {
    const size_t slash = pod.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == pod.size() ||
        pod.find('/', slash + 1) != std::string::npos) {
      return absl::StrCat("--pod \"", pod, "\": want NAMESPACE/NAME");
    }
  }
  for (const std::string& device : devices) {
    const size_t eq = device.find('=');
    if (eq == std::string::npos || eq + 1 == device.size() ||
        device.find('/') >= eq || device.find('/') == 0) {
      return absl::StrCat(
          "--device \"", device,
          "\": want RESOURCE=ID, e.g. nvidia.com/pgpu=0000:42:00.0");
    }
  }
  if (root_port.has_value() && *root_port < 0) {
    return absl::StrCat("--pcie-root-port \"", *root_port,
                        "\": want a number >= 0");
  }
  if (absl::GetFlag(FLAGS_kata_config).size() > 1) {
    return "give at most one --kata-config";
  }
  return "";
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "vgpuctl coldplug-plan: %s\n",
               std::string(status.message()).c_str());
  return kExitError;
}

// The root ports Kata starts with: --pcie-root-port, else pcie_root_port
// of the --kata-config file (absent there: Kata's default 0), else 8.
absl::StatusOr<int> RootPorts(std::optional<int> flag) {
  if (flag.has_value()) return *flag;
  const std::vector<std::string> files = absl::GetFlag(FLAGS_kata_config);
  if (files.empty()) return kNvidiaKataRootPorts;
  absl::StatusOr<std::string> content =
      ReadLocalFile(files[0], "Kata configuration");
  if (!content.ok()) return content.status();
  absl::StatusOr<doctor::KataConfig> config =
      doctor::ParseKataConfig(*content, files[0]);
  if (!config.ok()) return config.status();
  const int64_t ports = config->pcie_root_port.value_or(0);
  if (ports < 0 || ports > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(
        files[0], ": pcie_root_port = ", ports, ": want a number >= 0"));
  }
  return static_cast<int>(ports);
}

}  // namespace

int RunColdplugPlan(int argc, char** argv) {
  if (std::optional<int> done =
          cmd::ParseCommandLine(PlanCommandLine(), argc, argv)) {
    return *done;
  }
  const std::string pod = absl::GetFlag(FLAGS_pod);
  std::vector<std::string> names = absl::GetFlag(FLAGS_device);
  const std::optional<int> root_port_flag = absl::GetFlag(FLAGS_pcie_root_port);
  const std::string problem = CheckFlags(pod, names, root_port_flag);
  if (!problem.empty()) return Usage(problem);
  coldplug::PlanOptions options;
  absl::StatusOr<int> root_ports = RootPorts(root_port_flag);
  if (!root_ports.ok()) return Fail(root_ports.status());
  options.pcie_root_port = *root_ports;
  absl::StatusOr<coldplug::Runtime> runtime =
      coldplug::ParseRuntime(absl::GetFlag(FLAGS_runtime));
  if (!runtime.ok()) {
    return Usage(absl::StrCat("--runtime \"", absl::GetFlag(FLAGS_runtime),
                              "\": want go or rs"));
  }
  options.runtime = *runtime;
  if (!pod.empty()) {
    const size_t slash = pod.find('/');
    absl::StatusOr<v1::PodResources> resources =
        kubelet::GetPodResources(absl::GetFlag(FLAGS_pod_resources_socket),
                                 pod.substr(0, slash), pod.substr(slash + 1));
    if (!resources.ok()) return Fail(resources.status());
    names = coldplug::PodCdiDeviceNames(*resources);
  }
  std::vector<std::string> cdi_dirs = absl::GetFlag(FLAGS_cdi_dir);
  if (cdi_dirs.empty())
    cdi_dirs = {coldplug::kEtcCdiDir, coldplug::kVarRunCdiDir};
  absl::StatusOr<coldplug::CdiRegistry> registry =
      coldplug::LoadCdiRegistry(cdi_dirs);
  if (!registry.ok()) return Fail(registry.status());
  absl::StatusOr<std::unique_ptr<sysfs::Sysfs>> sysfs =
      sysfs::NewHostSysfs(absl::GetFlag(FLAGS_host_root));
  if (!sysfs.ok()) return Fail(sysfs.status());
  absl::StatusOr<coldplug::ColdPlugPlan> plan =
      coldplug::BuildColdPlugPlan(names, *registry, **sysfs, options);
  if (!plan.ok()) return Fail(plan.status());
  if (options.runtime == coldplug::Runtime::kRs) {
    coldplug::PlanOptions go_options = options;
    go_options.runtime = coldplug::Runtime::kGo;
    absl::StatusOr<coldplug::ColdPlugPlan> go =
        coldplug::BuildColdPlugPlan(names, *registry, **sysfs, go_options);
    if (go.ok()) plan->differences = coldplug::CompareRuntimes(*go, *plan);
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::fputs(coldplug::RenderPlanJson(*plan).c_str(), stdout);
  } else {
    if (!pod.empty()) std::printf("pod %s: ", pod.c_str());
    std::fputs(coldplug::RenderPlanTable(*plan).c_str(), stdout);
  }
  if (absl::GetFlag(FLAGS_strict) && plan->predicts_failure) {
    std::fprintf(stderr,
                 "vgpuctl coldplug-plan: the plan predicts a failure "
                 "(--strict): see the warnings\n");
    return kExitPredictsFailure;
  }
  return kExitOk;
}

}  // namespace vgpu::vgpuctl
