// `vgpuctl doctor`: the node preflight that names every known cause of a GPU
// pod that will not start under Kata (docs/troubleshooting.md). Each check
// yields findings (PASS / INFO / WARN / FAIL, the cause in one sentence and
// a fix). Pure over the Sysfs boundary (rooted at the host root; proc/cmdline
// is read under it too) plus inputs the caller has read and parsed: Kata
// TOML files, CDI specs, the plugin sockets present, a PodResources probe.
// Thread-compatible: RunChecks only reads.
#ifndef VGPU_PKG_DOCTOR_DOCTOR_H_
#define VGPU_PKG_DOCTOR_DOCTOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/doctor/kata_config.h"
#include "pkg/inventory/inventory.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::doctor {

// Ordered by severity: the worst finding decides the exit code.
enum class Verdict { kPass, kInfo, kWarn, kFail };

// "PASS", "INFO", "WARN", "FAIL".
const char* VerdictName(Verdict verdict);

struct Finding {
  Verdict verdict = Verdict::kPass;
  std::string check;    // Stable id: "iommu-groups", "kata-cold-plug-vfio".
  std::string message;  // What was found; for WARN/FAIL the cause.
  std::string fix;      // A command or config line; "" for PASS/INFO.
};

// One CDI spec file found in a CDI dir, with its parse result.
struct CdiFileInput {
  std::string dir;
  std::string path;
  absl::StatusOr<coldplug::CdiSpecFile> spec;
};

struct CdiInput {
  std::vector<std::string> dirs;      // Searched, lowest priority first.
  std::vector<CdiFileInput> files;    // *.json and *.yaml, by dir then name.
  std::vector<std::string> problems;  // Dirs that could not be listed.
};

// Resource name -> device IDs (advertised, or named in a CDI spec).
using DeviceIdsByResource = std::map<std::string, std::vector<std::string>>;

// The kubelet's device-plugin dir as the caller listed it.
struct DevicePluginDirInput {
  std::string dir;
  absl::Status listed;               // Why it could not be listed.
  std::vector<std::string> sockets;  // Entry names "vgpu-*.sock".
  // Socket name -> the device IDs of its first ListAndWatch answer, or why
  // none came (a socket absent here did not answer either).
  std::map<std::string, absl::StatusOr<std::vector<std::string>>> advertised;
};

// What asking the kubelet's PodResources socket gave.
struct PodResourcesProbe {
  std::string socket;
  bool present = false;  // The socket path exists.
  // The answer to Get for a pod that does not exist: NotFound (or OK) when
  // Get is enabled; the kubelet's error otherwise.
  absl::Status get;
};

struct KataConfigInput {
  std::string path;
  absl::StatusOr<KataConfig> config;  // InvalidArgument: unreadable/bad TOML.
};

struct Inputs {
  std::vector<KataConfigInput> kata_configs;
  CdiInput cdi;
  DevicePluginDirInput device_plugins;
  PodResourcesProbe pod_resources;
};

// Everything one run found, in check order.
struct Report {
  std::string host_root;
  std::vector<Finding> findings;

  bool HasFailure() const;
};

// Runs every check. Discovery problems never stop it: what cannot be read
// is reported as a finding.
Report RunChecks(sysfs::Sysfs& host, const Inputs& inputs);

// Check groups (host_checks.cc, kata_checks.cc, cdi_checks.cc,
// kubelet_checks.cc); each appends its findings. Exposed for the tests.
void CheckIommu(sysfs::Sysfs& host, std::vector<Finding>& out);
void CheckVfioModules(const inventory::Inventory& inv,
                      std::vector<Finding>& out);
void CheckUnits(const inventory::Inventory& inv, std::vector<Finding>& out);
void CheckHostDisplay(sysfs::Sysfs& host, const inventory::Inventory& inv,
                      std::vector<Finding>& out);
void CheckVfioMode(const inventory::Inventory& inv, std::vector<Finding>& out);
void CheckLargeBars(sysfs::Sysfs& host, const inventory::Inventory& inv,
                    std::vector<Finding>& out);
void CheckMdevWithKata(const inventory::Inventory& inv, bool kata_configured,
                       std::vector<Finding>& out);
void CheckKataConfig(sysfs::Sysfs& host, const inventory::Inventory& inv,
                     const KataConfigInput& input, std::vector<Finding>& out);
void CheckCdi(const CdiInput& cdi, const DevicePluginDirInput& plugins,
              std::vector<Finding>& out);
// The device half of `cdi-advertised`, per resource of `advertised`: FAIL
// when an advertised ID is not in `in_spec` (Kata cannot resolve it), INFO
// when the spec names IDs not advertised (the daemon keeps a withdrawn
// device's entry while the device exists); PASS when nothing FAILs.
void CheckAdvertisedDevices(const DeviceIdsByResource& advertised,
                            const DeviceIdsByResource& in_spec,
                            std::vector<Finding>& out);
void CheckPodResources(const PodResourcesProbe& probe,
                       std::vector<Finding>& out);

// True when every endpoint function of `unit` is on a VFIO driver: the
// daemon offers it (a unit no function of which is on VFIO stays on the
// host and is not checked further).
bool Offered(const inventory::Inventory& inv,
             const inventory::PassthroughUnit& unit);

// One finding as a table line, without the newline:
// "FAIL  iommu-groups            <message> Fix: <fix>" (verdict padded to 4
// columns, check id to 23).
std::string FormatFinding(const Finding& finding);
// FormatFinding of each finding, one per line, then a summary line
// "N passed, N info, N warnings, N failed".
std::string RenderTable(const Report& report);
// {"host_root", "checks": [{verdict, check, message, fix}], "summary"}.
std::string RenderJson(const Report& report);

}  // namespace vgpu::doctor

#endif  // VGPU_PKG_DOCTOR_DOCTOR_H_
