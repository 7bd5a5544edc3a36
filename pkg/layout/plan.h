// The vGPU layout planner: Plan(desired, inventory, in_use, owned) -> the
// ordered actions that move the node toward the layout, each with its
// reason. Pure: the state it needs is in its arguments.
//
// What it does, per GPU of the layout (GPUs the layout does not name are
// never touched):
// - keeps every existing vGPU of a wanted type, up to the count asked,
//   preferring those that cannot go anyway (made by hand, in use);
// - removes (mdev) or resets (VF vGPU) a vGPU only if the layout no longer
//   wants it AND we created it (`owned`) AND it is not in use; a vGPU made
//   by hand (or by mdevctl, or another tool) counts toward the layout and
//   against capacity and is never removed: if unwanted it is `blocked`, as
//   is an unwanted vGPU in use;
// - creates what is missing where the kernel says it fits now:
//   available_instances of the type on the parent (mdev), a free VF whose
//   nvidia/creatable_vgpu_types lists the type (VF vGPU), a free VF at all
//   on Ampere (one vGPU per VF); enables the VFs first (sriov_numvfs =
//   sriov_totalvfs) on an SR-IOV GPU that has none;
// - blocks, with the reason, what does not fit: a time-sliced NVIDIA GPU
//   before Ampere holds one type at a time, so a layout asking it for two
//   types is blocked as a whole; a type whose count the GPU cannot reach.
// It never plans "remove everything, then create". Removals come before
// creations on each GPU, since they free capacity. The actions are right for
// the state read; the applier performs one, reads sysfs again and plans
// again, so a step whose feasibility depends on an earlier one is re-checked.
#ifndef VGPU_PKG_LAYOUT_PLAN_H_
#define VGPU_PKG_LAYOUT_PLAN_H_

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "pkg/inventory/inventory.h"
#include "pkg/layout/desired.h"

namespace vgpu::layout {

enum class ActionKind {
  kEnableVfs,    // write sriov_numvfs
  kSetVfType,    // write a type id to nvidia/current_vgpu_type
  kResetVfType,  // write 0 to nvidia/current_vgpu_type
  kCreateMdev,   // write a UUID to mdev_supported_types/<type>/create
  kRemoveMdev,   // write 1 to <mdev>/remove
  kKeep,         // an existing vGPU the layout wants: nothing to do
  kBlocked,      // something the layout wants that cannot be done now
};

struct Action {
  ActionKind kind = ActionKind::kKeep;
  std::string gpu;     // The physical GPU's PCI address.
  std::string device;  // mdev UUID, VF or PF address; "" for some kBlocked.
  std::string parent;  // mdev parent (create/remove/keep of an mdev).
  VgpuType type;       // The vGPU type concerned, when one is.
  std::string reason;
  // The sysfs write that performs it (root-relative path, data); empty for
  // kKeep and kBlocked.
  std::string path;
  std::string data;
};

// Device IDs: mdev UUIDs (lower-case) and VF PCI addresses (VF vGPU).
using DeviceSet = std::set<std::string>;

std::vector<Action> Plan(const DesiredState& desired,
                         const inventory::Inventory& inventory,
                         const DeviceSet& in_use, const DeviceSet& owned);

// The write that enables every VF of SR-IOV physical function `pf`
// (sriov_numvfs = sriov_totalvfs), as the planner plans it for a GPU whose
// vGPU types live on VFs not enabled yet; `reason` is left empty.
Action EnableVfsAction(const inventory::PciFunction& pf);

// True for the kinds that write to sysfs.
bool IsChange(ActionKind kind);
// True if `actions` holds a change.
bool HasChanges(const std::vector<Action>& actions);
// "enable-vfs", "set-vf-type", "reset-vf-type", "create", "remove", "keep",
// "blocked": the names logs, metrics and JSON output use.
absl::string_view ActionKindName(ActionKind kind);

}  // namespace vgpu::layout

#endif  // VGPU_PKG_LAYOUT_PLAN_H_
