// Host checks: IOMMU, VFIO modules, passthrough units, the console GPU, the
// VFIO mode, large BARs and mdev vGPUs under Kata. Kernel facts in
// docs/sysfs.md; the causes they name in docs/troubleshooting.md.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "pkg/doctor/doctor.h"

namespace vgpu::doctor {
namespace {

// A BAR above this needs a 64-bit window that a hot-plugged root port is
// not given (kata#1704: "BAR 1: no space for [mem size 0x400000000 64bit
// pref]"); Kata sized ports from the largest BAR until 3.28.
constexpr uint64_t kLargeBarBytes = uint64_t{4} << 30;

void Add(std::vector<Finding>& out, Verdict verdict, const char* check,
         std::string message, std::string fix = "") {
  out.push_back({verdict, check, std::move(message), std::move(fix)});
}

std::string UnitName(const inventory::PassthroughUnit& unit) {
  return absl::StrCat("group ", unit.iommu_group, " (", unit.primary_bdf, ")");
}

std::string Driver(const inventory::PciFunction& f) {
  return f.driver.empty() ? std::string("no driver") : f.driver;
}

std::string BindFix(const inventory::PciFunction& f) {
  const std::string dev = absl::StrCat("/sys/bus/pci/devices/", f.bdf);
  std::string fix = absl::StrCat("echo vfio-pci > ", dev, "/driver_override");
  if (!f.driver.empty()) {
    absl::StrAppend(&fix, " && echo ", f.bdf, " > ", dev, "/driver/unbind");
  }
  absl::StrAppendFormat(&fix,
                        " && echo %s > /sys/bus/pci/drivers_probe (or boot "
                        "with vfio-pci.ids=%04x:%04x)",
                        f.bdf, f.vendor_id, f.device_id);
  return fix;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) {
    return absl::StrCat(bytes >> 30, " GiB");
  }
  return absl::StrCat(bytes >> 20, " MiB");
}

// The largest BAR (index, size) in a `resource` file: lines of
// "0x<start> 0x<end> 0x<flags>", BARs 0..5 first.
std::pair<int, uint64_t> LargestBar(const std::string& resource) {
  std::pair<int, uint64_t> best{-1, 0};
  int index = 0;
  for (absl::string_view line : absl::StrSplit(resource, '\n')) {
    if (index >= 6) break;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    uint64_t start = 0;
    uint64_t end = 0;
    if (fields.size() >= 2 &&
        absl::SimpleHexAtoi(absl::StripPrefix(fields[0], "0x"), &start) &&
        absl::SimpleHexAtoi(absl::StripPrefix(fields[1], "0x"), &end) &&
        end > start && end - start + 1 > best.second) {
      best = {index, end - start + 1};
    }
    ++index;
  }
  return best;
}

}  // namespace

bool Offered(const inventory::Inventory& inv,
             const inventory::PassthroughUnit& unit) {
  for (const std::string& bdf : unit.functions) {
    const inventory::PciFunction* f = inv.FindFunction(bdf);
    if (f == nullptr || !f->on_vfio_driver) return false;
  }
  return !unit.functions.empty();
}

void CheckIommu(sysfs::Sysfs& host, std::vector<Finding>& out) {
  absl::StatusOr<std::vector<std::string>> groups =
      host.ListDir("sys/kernel/iommu_groups");
  if (groups.ok() && !groups->empty()) {
    Add(out, Verdict::kPass, "iommu-groups",
        absl::StrCat(groups->size(),
                     " IOMMU groups in /sys/kernel/iommu_groups"));
    return;
  }
  absl::StatusOr<std::string> cmdline = host.ReadFile("proc/cmdline");
  const bool asked =
      cmdline.ok() && (absl::StrContains(*cmdline, "intel_iommu=on") ||
                       absl::StrContains(*cmdline, "amd_iommu=on"));
  if (asked) {
    Add(out, Verdict::kFail, "iommu-groups",
        "no IOMMU groups in /sys/kernel/iommu_groups although the kernel "
        "command line enables the IOMMU: it is off in the firmware.",
        "enable VT-d (Intel) or AMD-Vi/IOMMU in the firmware setup and "
        "reboot");
    return;
  }
  Add(out, Verdict::kFail, "iommu-groups",
      absl::StrCat("no IOMMU groups in /sys/kernel/iommu_groups and the "
                   "kernel command line (/proc/cmdline",
                   cmdline.ok() ? "" : ", unreadable",
                   ") has neither intel_iommu=on nor amd_iommu=on."),
      "add intel_iommu=on (Intel) or amd_iommu=on (AMD) and iommu=pt to "
      "GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot");
}

void CheckVfioModules(const inventory::Inventory& inv,
                      std::vector<Finding>& out) {
  if (inv.vfio_container || inv.iommufd) {
    std::vector<std::string> nodes;
    if (inv.vfio_container) nodes.push_back("/dev/vfio/vfio");
    if (inv.iommufd) nodes.push_back("/dev/iommu");
    Add(out, Verdict::kPass, "vfio-modules",
        absl::StrCat("VFIO is loaded (", absl::StrJoin(nodes, ", "), ")"));
    return;
  }
  Add(out, Verdict::kFail, "vfio-modules",
      "neither /dev/vfio/vfio nor /dev/iommu exists: the VFIO modules are "
      "not loaded.",
      "modprobe vfio-pci && echo vfio-pci > "
      "/etc/modules-load.d/vfio-pci.conf");
}

void CheckUnits(const inventory::Inventory& inv, std::vector<Finding>& out) {
  int offered = 0;
  int host_only = 0;
  const size_t before = out.size();
  for (const inventory::PassthroughUnit& unit : inv.units) {
    if (Offered(inv, unit)) {
      ++offered;
      continue;
    }
    std::vector<const inventory::PciFunction*> off;
    bool any_vfio = false;
    for (const std::string& bdf : unit.functions) {
      const inventory::PciFunction* f = inv.FindFunction(bdf);
      if (f == nullptr) continue;
      if (f->on_vfio_driver) {
        any_vfio = true;
      } else {
        off.push_back(f);
      }
    }
    if (!any_vfio) {
      ++host_only;
      continue;
    }
    for (const inventory::PciFunction* f : off) {
      Add(out, Verdict::kFail, "unit-viable",
          absl::StrCat(UnitName(unit), ": ", f->bdf, " is on ", Driver(*f),
                       ", not a VFIO driver, so the group cannot be passed "
                       "through and is not offered."),
          BindFix(*f));
    }
  }
  if (out.size() == before) {
    Add(out, Verdict::kPass, "unit-viable",
        absl::StrCat(offered,
                     " passthrough units with every function on a "
                     "VFIO driver (",
                     host_only, " left to host drivers)"));
  }
}

void CheckHostDisplay(sysfs::Sysfs& host, const inventory::Inventory& inv,
                      std::vector<Finding>& out) {
  std::vector<std::string> kept;
  const size_t before = out.size();
  for (const inventory::PciFunction& f : inv.functions) {
    if ((f.class_code >> 8) != 0x0300) continue;
    absl::StatusOr<std::string> boot_vga =
        host.ReadFile(absl::StrCat(f.sysfs_path, "/boot_vga"));
    if (!boot_vga.ok() || absl::StripAsciiWhitespace(*boot_vga) != "1") {
      continue;
    }
    if (!f.on_vfio_driver) {
      kept.push_back(absl::StrCat(f.bdf, " on ", Driver(f)));
      continue;
    }
    Add(out, Verdict::kFail, "host-display",
        absl::StrCat(f.bdf, " drives the host console (boot_vga=1) but is on ",
                     f.driver, ", so it is offered to pods."),
        absl::StrCat("echo > /sys/bus/pci/devices/", f.bdf,
                     "/driver_override && echo ", f.bdf,
                     " > /sys/bus/pci/devices/", f.bdf,
                     "/driver/unbind && echo ", f.bdf,
                     " > /sys/bus/pci/drivers_probe (and drop its id from "
                     "vfio-pci.ids=)"));
  }
  if (out.size() != before) return;
  Add(out, Verdict::kPass, "host-display",
      kept.empty() ? std::string("no GPU drives the host console (boot_vga=1)")
                   : absl::StrCat("console GPU not offered: ",
                                  absl::StrJoin(kept, ", ")));
}

void CheckVfioMode(const inventory::Inventory& inv, std::vector<Finding>& out) {
  int cdev_units = 0;
  int group_units = 0;
  const size_t before = out.size();
  for (const inventory::PassthroughUnit& unit : inv.units) {
    if (!Offered(inv, unit)) continue;
    std::vector<std::string> with;
    std::vector<std::string> without;
    for (const std::string& bdf : unit.functions) {
      const inventory::PciFunction* f = inv.FindFunction(bdf);
      if (f != nullptr) (f->vfio_cdev.empty() ? without : with).push_back(bdf);
    }
    if (!with.empty() && !without.empty()) {
      Add(out, Verdict::kFail, "vfio-mode",
          absl::StrCat(UnitName(unit), " mixes VFIO cdev and group nodes: ",
                       absl::StrJoin(with, ","), " have a vfio cdev, ",
                       absl::StrJoin(without, ","), " do not."),
          absl::StrCat("rebind every function of group ", unit.iommu_group,
                       " to vfio-pci on a kernel with "
                       "CONFIG_VFIO_DEVICE_CDEV=y"));
      continue;
    }
    (inv.iommufd && without.empty() ? cdev_units : group_units) += 1;
  }
  if (out.size() != before) return;
  if (cdev_units > 0 && group_units > 0) {
    Add(out, Verdict::kWarn, "vfio-mode",
        absl::StrCat(cdev_units,
                     " units use VFIO cdevs (/dev/vfio/devices) "
                     "and ",
                     group_units,
                     " use group nodes (/dev/vfio/N): Kata plugs them "
                     "differently (iommufd or not) in one pod."),
        "bind every GPU to vfio-pci the same way (vfio-pci with "
        "CONFIG_VFIO_DEVICE_CDEV=y everywhere)");
    return;
  }
  Add(out, Verdict::kPass, "vfio-mode",
      cdev_units > 0
          ? absl::StrCat(cdev_units,
                         " units, each through VFIO cdevs (iommufd)")
          : absl::StrCat(group_units, " units, each through its group node"));
}

void CheckLargeBars(sysfs::Sysfs& host, const inventory::Inventory& inv,
                    std::vector<Finding>& out) {
  int large = 0;
  for (const inventory::PassthroughUnit& unit : inv.units) {
    if (!Offered(inv, unit)) continue;
    const inventory::PciFunction* f = inv.FindFunction(unit.primary_bdf);
    absl::StatusOr<std::string> resource =
        host.ReadFile(absl::StrCat(f->sysfs_path, "/resource"));
    if (!resource.ok()) continue;
    auto [bar, size] = LargestBar(*resource);
    if (size <= kLargeBarBytes) continue;
    ++large;
    Add(out, Verdict::kInfo, "large-bar",
        absl::StrCat(f->bdf, " has a ", HumanBytes(size), " BAR", bar,
                     ": more than a hot-plugged root port can map, so Kata "
                     "must cold-plug it (cold_plug_vfio = \"root-port\")"));
  }
  if (large == 0) {
    Add(out, Verdict::kPass, "large-bar",
        absl::StrCat("no offered GPU has a BAR above ",
                     HumanBytes(kLargeBarBytes)));
  }
}

void CheckMdevWithKata(const inventory::Inventory& inv, bool kata_configured,
                       std::vector<Finding>& out) {
  if (inv.mdevs.empty()) {
    Add(out, Verdict::kPass, "mdev-kata", "no mdev vGPUs on this node");
    return;
  }
  const inventory::MdevDevice& first = inv.mdevs.front();
  const std::string what =
      absl::StrCat(inv.mdevs.size(), " mdev vGPUs (", first.uuid, " on ",
                   first.parent, inv.mdevs.size() > 1 ? ", ..." : "", ")");
  if (!kata_configured) {
    Add(out, Verdict::kInfo, "mdev-kata",
        absl::StrCat(what, " advertised; no --kata-config given"));
    return;
  }
  Add(out, Verdict::kWarn, "mdev-kata",
      absl::StrCat(what,
                   " are advertised on a Kata node, and Kata 4.1.0 cannot "
                   "cold-plug mdev devices."),
      "request them from pods of a non-Kata runtime class, or use "
      "passthrough or VF vGPUs (NVIDIA vGPU 17+) for Kata pods");
}

}  // namespace vgpu::doctor
