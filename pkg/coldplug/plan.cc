#include "pkg/coldplug/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "pkg/base/status_macros.h"
#include "pkg/inventory/vfio_driver.h"

namespace vgpu::coldplug {
namespace {

constexpr char kVfioDir[] = "/dev/vfio/";
constexpr char kVfioContainer[] = "/dev/vfio/vfio";
constexpr char kVfioCdevDir[] = "/dev/vfio/devices/";

bool IsUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-'
             : !absl::ascii_isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

// Kata 4.1 pciClassesIgnoredForPassthrough: host and PCI-PCI bridges.
bool IsBridge(uint32_t class_code) {
  const uint32_t base_sub = class_code >> 8;
  return base_sub == 0x0600 || base_sub == 0x0604;
}

// runtime-rs 4.0.0+ IOMMU_IGNORE_CLASSES adds audio (403fc1400a).
bool IgnoredByRs(uint32_t class_code) {
  return IsBridge(class_code) || (class_code >> 8) == 0x0403;
}

// Kata 3.x checkIgnorePCIClass(class, bdf, 0x0600) tests bits, not values.
bool DroppedByKata3(uint32_t class_code) {
  return ((class_code >> 8) & 0x0600) == 0x0600;
}

absl::StatusOr<uint32_t> ReadHex(sysfs::Sysfs& sysfs, const std::string& path) {
  VGPU_ASSIGN_OR_RETURN(std::string text, sysfs.ReadFile(path));
  uint32_t value = 0;
  if (!absl::SimpleHexAtoi(absl::StripAsciiWhitespace(text), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("read ", path, ": not a hex number: \"",
                     absl::StripAsciiWhitespace(text), "\""));
  }
  return value;
}

absl::StatusOr<PlannedFunction> ReadFunction(sysfs::Sysfs& sysfs,
                                             const std::string& bdf) {
  const std::string dir = "sys/bus/pci/devices/" + bdf;
  PlannedFunction f;
  f.bdf = bdf;
  VGPU_ASSIGN_OR_RETURN(uint32_t vendor, ReadHex(sysfs, dir + "/vendor"));
  VGPU_ASSIGN_OR_RETURN(uint32_t device, ReadHex(sysfs, dir + "/device"));
  VGPU_ASSIGN_OR_RETURN(f.class_code, ReadHex(sysfs, dir + "/class"));
  f.vendor_id = static_cast<uint16_t>(vendor);
  f.device_id = static_cast<uint16_t>(device);
  if (absl::StatusOr<std::string> link = sysfs.ReadLink(dir + "/driver");
      link.ok()) {
    f.driver = std::string(sysfs::Basename(*link));
  }
  return f;
}

// Re-reads the function's vfio-dev/ entry (an independent check of what the
// daemon advertised) and decides with the daemon's one rule.
bool OnVfioDriver(sysfs::Sysfs& sysfs, const PlannedFunction& f) {
  const bool has_vfio_dev =
      sysfs.Lstat("sys/bus/pci/devices/" + f.bdf + "/vfio-dev").ok();
  return inventory::IsVfioDriver(f.driver, has_vfio_dev);
}

class PlanBuilder {
 public:
  PlanBuilder(sysfs::Sysfs& sysfs, ColdPlugPlan& plan)
      : sysfs_(sysfs), plan_(plan), rs_(plan.runtime == Runtime::kRs) {}

  absl::Status AddHandle(const std::string& handle, const std::string& name) {
    if (!handled_.insert(handle).second) return absl::OkStatus();
    const std::string where = absl::StrCat(handle, " of ", name);
    if (!absl::StartsWith(handle, kVfioDir)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported VFIO handle ", where,
                       ": host path not under /dev/vfio/"));
    }
    if (absl::StartsWith(handle, kVfioCdevDir)) {
      return AddCdev(handle.substr(sizeof(kVfioCdevDir) - 1), handle, where,
                     name);
    }
    int group = -1;
    const std::string rest = handle.substr(sizeof(kVfioDir) - 1);
    if (!absl::SimpleAtoi(rest, &group) || group < 0 ||
        rest != absl::StrCat(group)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported VFIO handle ", where,
                       ": want /dev/vfio/<group> or /dev/vfio/devices/vfioN"));
    }
    return AddGroup(group, handle, where, name);
  }

 private:
  absl::Status AddGroup(int group, const std::string& handle,
                        const std::string& where, const std::string& name) {
    const std::string dir =
        absl::StrCat("sys/kernel/iommu_groups/", group, "/devices");
    absl::StatusOr<std::vector<std::string>> entries = sysfs_.ListDir(dir);
    if (absl::IsNotFound(entries.status())) {
      return absl::NotFoundError(
          absl::StrCat("iommu group ", group, " (", where, "): no ", dir));
    }
    VGPU_RETURN_IF_ERROR(entries.status());
    int passable = 0;
    for (const std::string& entry : *entries) {
      if (IsUuid(entry)) {
        VGPU_RETURN_IF_ERROR(AddMdev(dir, entry, handle, name));
        ++passable;
        continue;
      }
      VGPU_ASSIGN_OR_RETURN(PlannedFunction f, ReadFunction(sysfs_, entry));
      if (rs_ ? IgnoredByRs(f.class_code) : IsBridge(f.class_code)) continue;
      if (DroppedByKata3(f.class_code)) {
        plan_.warnings.push_back(absl::StrFormat(
            "%s (class 0x%06x) is dropped as a bridge by Kata before 4.1 "
            "(kata#11912): use Kata 4.1 or later",
            f.bdf, f.class_code));
      }
      if (!OnVfioDriver(sysfs_, f)) {
        plan_.predicts_failure = true;
        plan_.warnings.push_back(
            absl::StrCat(f.bdf, " in iommu group ", group, " is ",
                         f.driver.empty() ? "unbound" : "bound to " + f.driver,
                         ", not to a VFIO driver: QEMU fails with \"group ",
                         group, " is not viable\""));
      }
      VGPU_RETURN_IF_ERROR(AddFunction(std::move(f), handle, false, name));
      ++passable;
    }
    if (passable == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("iommu group ", group, " (", where,
                       ") has no passthrough-capable devices"));
    }
    return absl::OkStatus();
  }

  absl::Status AddMdev(const std::string& dir, const std::string& uuid,
                       const std::string& handle, const std::string& name) {
    PlannedMdev m{uuid, "", handle, name};
    absl::StatusOr<std::string> real = sysfs_.RealPath(dir + "/" + uuid);
    if (real.ok()) {
      const std::string parent(sysfs::Basename(sysfs::Dirname(*real)));
      if (sysfs_.Lstat("sys/bus/pci/devices/" + parent).ok()) m.parent = parent;
    }
    plan_.predicts_failure = true;
    plan_.warnings.push_back(absl::StrCat(
        "mdev ", uuid, " (", handle, " of ", name,
        ") cannot be cold-plugged by Kata: mediated devices have no "
        "cold-plug path"));
    plan_.mdevs.push_back(std::move(m));
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> CdevBdf(const std::string& cdev,
                                      const std::string& where) {
    const std::string cls = "sys/class/vfio-dev/" + cdev;
    if (absl::StatusOr<std::string> link = sysfs_.ReadLink(cls + "/device");
        link.ok()) {
      return std::string(sysfs::Basename(*link));
    }
    if (absl::StatusOr<std::string> real = sysfs_.RealPath(cls); real.ok()) {
      const absl::string_view parent = sysfs::Dirname(*real);
      if (sysfs::Basename(parent) == "vfio-dev") {
        return std::string(sysfs::Basename(sysfs::Dirname(parent)));
      }
    }
    absl::StatusOr<std::vector<std::string>> bdfs =
        sysfs_.ListDir("sys/bus/pci/devices");
    if (bdfs.ok()) {
      for (const std::string& bdf : *bdfs) {
        if (sysfs_
                .Lstat(absl::StrCat("sys/bus/pci/devices/", bdf, "/vfio-dev/",
                                    cdev))
                .ok()) {
          return bdf;
        }
      }
    }
    return absl::NotFoundError(absl::StrCat("vfio cdev ", cdev, " (", where,
                                            "): no PCI device has vfio-dev/",
                                            cdev));
  }

  absl::Status AddCdev(const std::string& cdev, const std::string& handle,
                       const std::string& where, const std::string& name) {
    if (!absl::StartsWith(cdev, "vfio") || cdev.size() == 4 ||
        cdev.find_first_not_of("0123456789", 4) != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported VFIO handle ", where,
                       ": want /dev/vfio/devices/vfio<N>"));
    }
    VGPU_ASSIGN_OR_RETURN(std::string bdf, CdevBdf(cdev, where));
    VGPU_ASSIGN_OR_RETURN(PlannedFunction f, ReadFunction(sysfs_, bdf));
    if (rs_ && IgnoredByRs(f.class_code)) return absl::OkStatus();
    return AddFunction(std::move(f), handle, true, name);
  }

  absl::Status AddFunction(PlannedFunction f, const std::string& handle,
                           bool iommufd, const std::string& name) {
    auto it = index_.find(f.bdf);
    if (it != index_.end()) {
      const PlannedFunction& old = plan_.functions[it->second];
      if (old.handle == handle) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          "function ", f.bdf, " is reached through both ", old.handle, " (",
          old.cdi_name, ") and ", handle, " (", name,
          "): QEMU would fail with \"device is already attached\""));
    }
    f.handle = handle;
    f.iommufd = iommufd || rs_;
    f.cdi_name = name;
    index_[f.bdf] = plan_.functions.size();
    plan_.functions.push_back(std::move(f));
    return absl::OkStatus();
  }

  sysfs::Sysfs& sysfs_;
  ColdPlugPlan& plan_;
  const bool rs_;
  std::set<std::string> handled_;
  std::map<std::string, size_t> index_;  // BDF -> plan_.functions index.
};

// The root port of each function: one per function (Go), one per handle
// (runtime-rs re-uses the device's bus_port_id for every function).
std::vector<int> PortOfFunction(const ColdPlugPlan& plan) {
  std::vector<int> ports;
  int next = 0;
  for (size_t k = 0; k < plan.functions.size(); ++k) {
    const bool same_device =
        plan.runtime == Runtime::kRs && k > 0 &&
        plan.functions[k - 1].handle == plan.functions[k].handle;
    ports.push_back(same_device ? ports.back() : next++);
  }
  return ports;
}

absl::Status AddQemuArgs(const PlanOptions& options, ColdPlugPlan& plan) {
  const std::vector<int> ports = PortOfFunction(plan);
  const int needed = ports.empty() ? 0 : ports.back() + 1;
  plan.root_ports = std::max(needed, options.pcie_root_port);
  if (plan.root_ports > kMaxRootPorts) {
    return absl::ResourceExhaustedError(
        absl::StrCat(plan.root_ports, " root ports needed (", needed,
                     " functions, pcie_root_port=", options.pcie_root_port,
                     "): Kata allows at most ", kMaxRootPorts));
  }
  for (const PlannedFunction& f : plan.functions) plan.iommufd |= f.iommufd;
  if (plan.iommufd) {
    plan.qemu_args.insert(plan.qemu_args.end(),
                          {"-object", "iommufd,id=iommufd0"});
  }
  for (int i = 0; i < plan.root_ports; ++i) {
    plan.qemu_args.push_back("-device");
    plan.qemu_args.push_back(absl::StrFormat(
        "pcie-root-port,id=rp%d,bus=pcie.0,chassis=0,slot=%d,multifunction=off",
        i, i));
  }
  for (size_t k = 0; k < plan.functions.size(); ++k) {
    PlannedFunction& f = plan.functions[k];
    f.root_port = absl::StrCat("rp", ports[k]);
    const bool primary = k == 0 || ports[k] != ports[k - 1];
    if (plan.runtime == Runtime::kGo || primary) plan.pcimap.push_back(f.bdf);
    if (!primary) {
      plan.warnings.push_back(absl::StrCat(
          f.bdf, " shares root port ", f.root_port, " with ",
          plan.functions[k - 1].bdf,
          " (runtime-rs plugs every function of a device on one port): QEMU "
          "may abort with a duplicate device id; its guest address is not in "
          "the agent's pcimap"));
    }
    plan.qemu_args.push_back("-device");
    plan.qemu_args.push_back(absl::StrFormat(
        "vfio-pci,host=%s,x-pci-vendor-id=0x%04x,x-pci-device-id=0x%04x,"
        "bus=%s%s",
        f.bdf, f.vendor_id, f.device_id, f.root_port,
        f.iommufd ? ",iommufd=iommufd0" : ""));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> PodCdiDeviceNames(const v1::PodResources& pod) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const v1::ContainerResources& container : pod.containers()) {
    for (const v1::ContainerDevices& devices : container.devices()) {
      for (const std::string& id : devices.device_ids()) {
        std::string name = absl::StrCat(devices.resource_name(), "=", id);
        if (seen.insert(name).second) names.push_back(std::move(name));
      }
    }
  }
  return names;
}

absl::StatusOr<ColdPlugPlan> BuildColdPlugPlan(
    const std::vector<std::string>& cdi_names, const CdiRegistry& registry,
    sysfs::Sysfs& sysfs, const PlanOptions& options) {
  ColdPlugPlan plan;
  std::set<std::string> seen;
  for (const std::string& name : cdi_names) {
    if (seen.insert(name).second) plan.cdi_names.push_back(name);
  }
  plan.warnings = registry.warnings;
  plan.runtime = options.runtime;
  const bool rs = options.runtime == Runtime::kRs;
  PlanBuilder builder(sysfs, plan);
  for (const std::string& name : plan.cdi_names) {
    VGPU_ASSIGN_OR_RETURN(const CdiDevice* device, registry.Resolve(name));
    int handles = 0;
    for (const CdiDeviceNode& node : device->device_nodes) {
      // Kata's IsVFIODevice looks at the container path; runtime-rs's
      // handle_cdi_devices takes every node as a VFIO device.
      const bool vfio =
          absl::StartsWith(node.path, kVfioDir) && node.path != kVfioContainer;
      if (rs && !vfio) {
        plan.predicts_failure = true;
        plan.warnings.push_back(absl::StrCat(
            node.path, " of ", name,
            " is not a VFIO device, but runtime-rs (Kata 4.1.0) plugs every "
            "CDI device node as one: sandbox creation fails"));
      }
      if (!vfio) continue;
      ++handles;
      VGPU_RETURN_IF_ERROR(builder.AddHandle(node.host_path, name));
    }
    if (handles == 0) {
      plan.warnings.push_back(absl::StrCat(name, " (", device->spec_file,
                                           ") lists no VFIO handle: nothing "
                                           "to cold-plug"));
    }
  }
  VGPU_RETURN_IF_ERROR(AddQemuArgs(options, plan));
  return plan;
}

absl::StatusOr<Runtime> ParseRuntime(absl::string_view name) {
  if (name == "go") return Runtime::kGo;
  if (name == "rs") return Runtime::kRs;
  return absl::InvalidArgumentError(
      absl::StrCat("runtime \"", name, "\": want go or rs"));
}

}  // namespace vgpu::coldplug
