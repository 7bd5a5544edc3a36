// Kata configuration checks: the keys cold-plug needs (docs/kata-node-guide.md
// §6), and where runtime-rs (Kata 4.1.0) bites on this node's devices.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/doctor/doctor.h"
#include "pkg/sysfs/sysfs.h"
#include "re2/re2.h"

namespace vgpu::doctor {
namespace {

// Kata's maxPCIeRootPort.
constexpr int kMaxRootPorts = 16;

struct Ctx {
  sysfs::Sysfs& host;
  const inventory::Inventory& inv;
  const KataConfig& config;
  std::string file;   // Basename, starts every message.
  std::string table;  // "[hypervisor.qemu]"
  std::vector<Finding>& out;

  void Add(Verdict verdict, const char* check, const std::string& message,
           std::string fix = "") const {
    out.push_back(
        {verdict, check, absl::StrCat(file, ": ", message), std::move(fix)});
  }
};

void CheckColdPlug(const Ctx& c) {
  const std::string value = c.config.cold_plug_vfio.value_or("no-port");
  if (value == "root-port") {
    c.Add(Verdict::kPass, "kata-cold-plug-vfio",
          "cold_plug_vfio = \"root-port\"");
    return;
  }
  c.Add(Verdict::kFail, "kata-cold-plug-vfio",
        absl::StrCat("cold_plug_vfio is \"", value,
                     "\", so Kata cold-plugs no device-plugin device."),
        absl::StrCat("cold_plug_vfio = \"root-port\" under ", c.table));
}

void CheckHotPlug(const Ctx& c) {
  const std::string value = c.config.hot_plug_vfio.value_or("no-port");
  if (value == "no-port") {
    c.Add(Verdict::kPass, "kata-hot-plug-vfio", "hot_plug_vfio = \"no-port\"");
    return;
  }
  c.Add(Verdict::kFail, "kata-hot-plug-vfio",
        absl::StrCat("hot_plug_vfio is \"", value,
                     "\": Kata rejects hot and cold plug together "
                     "(checkPCIeConfig)."),
        absl::StrCat("hot_plug_vfio = \"no-port\" under ", c.table));
}

void CheckPodResourcesSock(const Ctx& c) {
  const std::string fix =
      "pod_resource_api_sock = "
      "\"/var/lib/kubelet/pod-resources/kubelet.sock\" under [runtime] (the "
      "kubelet's root dir)";
  const std::string sock = c.config.pod_resource_api_sock.value_or("");
  if (sock.empty()) {
    c.Add(Verdict::kFail, "kata-pod-resources-sock",
          "pod_resource_api_sock is not set, so Kata never asks the kubelet "
          "which devices a pod got.",
          fix);
    return;
  }
  const size_t start = sock.find_first_not_of('/');
  absl::StatusOr<sysfs::FileInfo> info =
      c.host.Stat(start == std::string::npos ? "" : sock.substr(start));
  if (!info.ok()) {
    c.Add(Verdict::kFail, "kata-pod-resources-sock",
          absl::StrCat("pod_resource_api_sock = \"", sock,
                       "\" does not exist on this host (Go runtime: sandbox "
                       "creation fails; runtime-rs: no cold-plug)."),
          fix);
    return;
  }
  c.Add(Verdict::kPass, "kata-pod-resources-sock",
        absl::StrCat("pod_resource_api_sock = \"", sock, "\" exists"));
}

// Functions Kata plugs for one offered unit, one root port each (Go); the
// largest unit sets how many ports a one-device pod needs.
void CheckRootPorts(const Ctx& c) {
  int largest = 0;
  int group = -1;
  for (const inventory::PassthroughUnit& unit : c.inv.units) {
    if (!Offered(c.inv, unit)) continue;
    const int n = static_cast<int>(unit.functions.size());
    if (n > largest) {
      largest = n;
      group = unit.iommu_group;
    }
  }
  const int64_t ports = c.config.pcie_root_port.value_or(0);
  if (ports > kMaxRootPorts || largest > kMaxRootPorts) {
    c.Add(Verdict::kFail, "kata-pcie-root-port",
          absl::StrCat("pcie_root_port = ", ports, " and the largest unit (",
                       largest, " functions) must stay within Kata's ",
                       kMaxRootPorts, " root ports."),
          absl::StrCat(
              "pcie_root_port = ",
              std::min<int64_t>(std::max<int64_t>(largest, 1), kMaxRootPorts),
              " under ", c.table));
    return;
  }
  if (ports < largest) {
    c.Add(Verdict::kWarn, "kata-pcie-root-port",
          absl::StrCat("pcie_root_port = ", ports,
                       " is below the largest unit on this node (group ", group,
                       ", ", largest, " functions, one root port each)."),
          absl::StrCat("pcie_root_port = ", largest, " under ", c.table));
    return;
  }
  c.Add(Verdict::kPass, "kata-pcie-root-port",
        absl::StrCat("pcie_root_port = ", ports, " covers the largest unit (",
                     largest, " functions)"));
}

// Go's checkAnnotationNameIsValid: a key is enabled when any regex matches
// part of it. A pod annotation on the VFIO port keys forces the other port
// to no-port (addHypervisorHotColdPlugVfioOverrides); cold-plug needs none.
void CheckAnnotations(const Ctx& c) {
  std::vector<std::string> enabled;
  for (const std::string& pattern :
       c.config.enable_annotations.value_or(std::vector<std::string>())) {
    // Go's regexp is RE2's syntax; RE2 itself reads the pattern the same way.
    const re2::RE2 re(pattern, re2::RE2::Quiet);
    if (!re.ok())
      continue;  // Kata rejects the file; not ours to parse further.
    for (const char* key : {"cold_plug_vfio", "hot_plug_vfio"}) {
      if (re2::RE2::PartialMatch(key, re)) enabled.push_back(key);
    }
  }
  if (enabled.empty()) {
    c.Add(Verdict::kPass, "kata-annotations",
          "enable_annotations lets no pod change the VFIO ports (cold-plug "
          "needs none)");
    return;
  }
  c.Add(Verdict::kWarn, "kata-annotations",
        absl::StrCat("enable_annotations lets pods set ",
                     absl::StrJoin(enabled, " and "),
                     ", and one such annotation switches the other port to "
                     "no-port for that pod."),
        absl::StrCat("remove the patterns matching ",
                     absl::StrJoin(enabled, ", "),
                     " from enable_annotations under ", c.table));
}

// Kata 4.1.0 runtime-rs: iommufd always, class 0x0403 dropped, all
// functions of one device on one root port (docs/kata.md §5).
void CheckRuntimeRs(const Ctx& c) {
  if (!c.inv.iommufd) {
    c.Add(Verdict::kFail, "kata-rs-iommufd",
          "runtime-rs always cold-plugs through iommufd, and /dev/iommu "
          "does not exist.",
          "modprobe iommufd (kernel 6.6+ with CONFIG_IOMMUFD=y and "
          "CONFIG_VFIO_DEVICE_CDEV=y)");
  }
  std::string audio;
  std::string multi;
  for (const inventory::PassthroughUnit& unit : c.inv.units) {
    if (!Offered(c.inv, unit)) continue;
    int kept = 0;
    for (const std::string& bdf : unit.functions) {
      const inventory::PciFunction* f = c.inv.FindFunction(bdf);
      if (f != nullptr && (f->class_code >> 8) == 0x0403) {
        if (audio.empty()) {
          audio = absl::StrCat(bdf, " (group ", unit.iommu_group, ")");
        }
        continue;
      }
      ++kept;
    }
    if (kept > 1 && multi.empty()) {
      multi =
          absl::StrCat("group ", unit.iommu_group, " (", kept, " functions)");
    }
  }
  if (!audio.empty()) {
    c.Add(Verdict::kWarn, "kata-rs-audio",
          absl::StrCat("runtime-rs drops class 0x0403 functions, so the "
                       "audio function ",
                       audio, " stays on the host, unplugged."),
          "use the Go runtime (a configuration-qemu-*.toml without "
          "[runtime] name) if the guest needs it");
  }
  if (!multi.empty()) {
    c.Add(Verdict::kWarn, "kata-rs-functions",
          absl::StrCat("runtime-rs puts every function of one device on one "
                       "root port, and ",
                       multi,
                       " has several: QEMU can abort on a duplicate "
                       "device id."),
          "use the Go runtime for multi-function devices");
  }
}

}  // namespace

void CheckKataConfig(sysfs::Sysfs& host, const inventory::Inventory& inv,
                     const KataConfigInput& input, std::vector<Finding>& out) {
  const std::string file(sysfs::Basename(input.path));
  if (!input.config.ok()) {
    out.push_back({Verdict::kFail, "kata-config",
                   absl::StrCat(file, ": ", input.config.status().message()),
                   absl::StrCat("fix the TOML in ", input.path)});
    return;
  }
  const KataConfig& config = *input.config;
  const Ctx c{host,
              inv,
              config,
              file,
              absl::StrCat("[hypervisor.", config.hypervisor, "]"),
              out};
  if (config.runtime == KataRuntime::kRs) {
    c.Add(Verdict::kInfo, "kata-runtime",
          absl::StrCat("configures runtime-rs (", config.runtime_evidence,
                       "), hypervisor ", config.hypervisor));
  } else {
    c.Add(Verdict::kInfo, "kata-runtime",
          absl::StrCat("configures the Go runtime, hypervisor ",
                       config.hypervisor));
  }
  CheckColdPlug(c);
  CheckHotPlug(c);
  CheckPodResourcesSock(c);
  CheckRootPorts(c);
  CheckAnnotations(c);
  if (config.runtime == KataRuntime::kRs) CheckRuntimeRs(c);
}

}  // namespace vgpu::doctor
