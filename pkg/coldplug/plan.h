// pkg/coldplug models what Kata does with what we hand it (pkg/kata): CDI
// resolution (cdi_resolve.h), the cold-plug plan and its renderings. It
// re-reads sysfs on purpose, independently of pkg/inventory, as Kata does:
// the plan is a check of discovery from the outside, so it must not reuse
// discovery's conclusions. Used by `vgpuctl coldplug-plan` and the tests.
//
// The cold-plug plan: what Kata (Go runtime 3.24+, q35, cold_plug_vfio =
// "root-port") puts on the QEMU command line for a pod, derived from the
// outside: CDI names -> CDI specs -> VFIO handles -> PCI functions -> QEMU
// arguments. Handles are mapped to functions through the Sysfs boundary,
// as Kata does:
//   /dev/vfio/<group>        every function in sys/kernel/iommu_groups/<group>/
//                            devices except bridges (class 0x0600, 0x0604:
//                            Kata 4.1 rules, so an NVSwitch 0x0680 is kept);
//   /dev/vfio/devices/vfioN  the one PCI function whose vfio-dev/vfioN it is.
// Nodes outside /dev/vfio/ and /dev/vfio/vfio are not VFIO devices to Kata
// (IsVFIODevice) and are skipped. Thread-compatible; reads sysfs only.
//
// Runtime::kRs models Kata 4.1.0's runtime-rs instead
// (virt_container/src/sandbox.rs, pod-resources-rs, vfio_device/core.rs,
// qemu/inner.rs): every CDI device node is a VFIO device (no /dev/vfio/vfio
// filter: any other node is a warning, sandbox creation fails), iommufd
// always, classes 0x0600/0x0604/0x0403 dropped (so a GPU's HDMI audio
// function is not plugged), all functions of one handle on one root port
// (QEMU duplicate-id risk, a warning), and the agent's pcimap holds only
// each handle's primary (first kept) function.
#ifndef VGPU_PKG_COLDPLUG_PLAN_H_
#define VGPU_PKG_COLDPLUG_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/sysfs/sysfs.h"
#include "podresources/v1/api.pb.h"

namespace vgpu::coldplug {

// Kata's maxPCIeRootPort.
inline constexpr int kMaxRootPorts = 16;

enum class Runtime { kGo, kRs };

struct PlanOptions {
  int pcie_root_port = 0;  // Kata's `pcie_root_port` (minimum root ports).
  Runtime runtime = Runtime::kGo;
};

// "go" / "rs" -> Runtime; InvalidArgument otherwise.
absl::StatusOr<Runtime> ParseRuntime(absl::string_view name);

struct PlannedFunction {
  std::string bdf;
  uint16_t vendor_id = 0;
  uint16_t device_id = 0;
  uint32_t class_code = 0;
  std::string driver;     // Bound driver, "" when unbound.
  std::string handle;     // "/dev/vfio/25" or "/dev/vfio/devices/vfio3".
  bool iommufd = false;   // Reached through a vfio cdev.
  std::string cdi_name;   // The first qualified name that reached it.
  std::string root_port;  // "rp0"
};

// An mediated device in a group: Kata has no cold-plug path for it.
struct PlannedMdev {
  std::string uuid;
  std::string parent;  // Parent BDF ("" if not a PCI parent).
  std::string handle;
  std::string cdi_name;
};

struct ColdPlugPlan {
  std::vector<std::string> cdi_names;      // Requested, deduplicated, in order.
  std::vector<PlannedFunction> functions;  // Deduplicated, in order.
  std::vector<PlannedMdev> mdevs;
  int root_ports = 0;
  bool iommufd = false;  // Any function through a cdev.
  // QEMU argv: "-object", "iommufd,id=iommufd0", "-device", "...", ...
  std::vector<std::string> qemu_args;
  std::vector<std::string> warnings;
  // Some warning predicts that QEMU or sandbox creation fails (a group not
  // viable, an mdev, a non-VFIO node under runtime-rs).
  bool predicts_failure = false;
  Runtime runtime = Runtime::kGo;
  // The host BDFs the agent can translate in PCIDEVICE_* (its pcimap).
  std::vector<std::string> pcimap;
  // Where this plan differs from the other runtime's (CompareRuntimes).
  std::vector<std::string> differences;
};

// The qualified names Kata forms from a PodResources answer
// (containerd-shim-v2 getDeviceSpec): "<resource_name>=<device_id>" of every
// device of every container, in answer order, without repeats. Only
// `containers[].devices` count; dynamic_resources (DRA) are ignored, as
// Kata ignores them.
std::vector<std::string> PodCdiDeviceNames(const v1::PodResources& pod);

// Builds the plan for `cdi_names` ("<resource>=<id>"). Errors name the
// name, file, group or handle:
//  - NotFound "unresolvable CDI devices nvidia.com/pgpu=X (...)";
//  - NotFound when a group has no devices dir, or no PCI function owns a
//    vfio cdev; FailedPrecondition when a group has no passthrough-capable
//    function, or one function is reached through two different handles
//    (QEMU: "device is already attached");
//  - InvalidArgument for a handle under /dev/vfio/ of no known form;
//  - ResourceExhausted when more than kMaxRootPorts root ports are needed.
absl::StatusOr<ColdPlugPlan> BuildColdPlugPlan(
    const std::vector<std::string>& cdi_names, const CdiRegistry& registry,
    sysfs::Sysfs& sysfs, const PlanOptions& options);

// One line per difference between the Go and the runtime-rs plan of the
// same devices: functions only one plugs, root-port sharing, iommufd,
// pcimap entries. Pure.
std::vector<std::string> CompareRuntimes(const ColdPlugPlan& go,
                                         const ColdPlugPlan& rs);

// Aligned text table plus QEMU arguments and warnings, for people.
std::string RenderPlanTable(const ColdPlugPlan& plan);
// The plan as a JSON document (stable field order).
std::string RenderPlanJson(const ColdPlugPlan& plan);

}  // namespace vgpu::coldplug

#endif  // VGPU_PKG_COLDPLUG_PLAN_H_
