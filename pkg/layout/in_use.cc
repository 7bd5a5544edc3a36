// In-use detection; see in_use.h. Links in /proc/<pid>/fd read as the
// absolute path the process opened, in its own mount namespace, whatever the
// root of our Sysfs: "/dev/vfio/25" for a process of the real host, and
// "<root>/dev/vfio/25" for one that opened the node through a host root
// (a simulated host, a node's root mounted elsewhere). Both forms are
// compared as text, never resolved: resolving would follow a link out of
// the root.
#include "pkg/layout/in_use.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vgpu::layout {
namespace {

bool IsPid(absl::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void Mark(InUse& out, const std::string& device, std::string why) {
  if (out.devices.insert(device).second) out.why[device] = std::move(why);
}

}  // namespace

std::map<std::string, std::vector<std::string>> VfioNodesOfVgpus(
    const inventory::Inventory& inventory) {
  std::map<std::string, std::vector<std::string>> out;
  for (const inventory::MdevDevice& m : inventory.mdevs) {
    if (m.iommu_group) {
      out[m.uuid].push_back(absl::StrCat("/dev/vfio/", *m.iommu_group));
    }
  }
  for (const inventory::PciFunction& fn : inventory.functions) {
    if (!fn.nvidia_vgpu || fn.nvidia_vgpu->current_type == 0) continue;
    std::vector<std::string>& nodes = out[fn.bdf];
    if (fn.iommu_group) {
      nodes.push_back(absl::StrCat("/dev/vfio/", *fn.iommu_group));
    }
    if (!fn.vfio_cdev.empty()) {
      nodes.push_back(absl::StrCat("/dev/vfio/devices/", fn.vfio_cdev));
    }
  }
  return out;
}

absl::StatusOr<InUse> FindInUse(sysfs::Sysfs& host,
                                const inventory::Inventory& inventory,
                                const DeviceSet& allocated) {
  InUse out;
  const auto nodes = VfioNodesOfVgpus(inventory);
  for (const auto& [device, paths] : nodes) {
    if (allocated.count(device)) Mark(out, device, "allocated to a pod");
  }
  std::map<std::string, std::string> device_of_node;
  const std::string& root = host.root();
  for (const auto& [device, paths] : nodes) {
    for (const std::string& p : paths) {
      device_of_node[p] = device;
      if (root != "/") device_of_node[absl::StrCat(root, p)] = device;
    }
  }
  absl::StatusOr<std::vector<std::string>> pids = host.ListDir("proc");
  if (absl::IsNotFound(pids.status())) return out;  // A host without procfs.
  if (!pids.ok()) return pids.status();
  for (const std::string& pid : *pids) {
    if (!IsPid(pid)) continue;
    const std::string dir = absl::StrCat("proc/", pid, "/fd");
    absl::StatusOr<std::vector<std::string>> fds = host.ListDir(dir);
    if (!fds.ok()) {
      if (!absl::IsNotFound(fds.status())) out.unreadable.push_back(pid);
      continue;
    }
    for (const std::string& fd : *fds) {
      absl::StatusOr<std::string> target =
          host.ReadLink(absl::StrCat(dir, "/", fd));
      if (!target.ok()) continue;  // Closed meanwhile.
      auto it = device_of_node.find(*target);
      if (it != device_of_node.end()) {
        Mark(out, it->second, absl::StrCat("open by pid ", pid));
      }
    }
  }
  if (!out.unreadable.empty()) {
    for (const auto& [device, paths] : nodes) {
      Mark(out, device,
           absl::StrCat("cannot read the fds of pid ", out.unreadable[0]));
    }
  }
  return out;
}

}  // namespace vgpu::layout
