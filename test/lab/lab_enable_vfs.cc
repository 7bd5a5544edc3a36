// lab-enable-vfs HOST_ROOT PF [NUMVFS]: the real-kernel lab's driver for the
// layout engine's VF enabling (test/lab/guest.sh, scenario s). The lab's
// SR-IOV device is QEMU's igb, a network card the engine never plans for,
// so this tool discovers the host, takes the physical function PF and
// writes the action the planner plans for a GPU whose VFs are not enabled
// (layout::EnableVfsAction: sriov_numvfs = sriov_totalvfs), or NUMVFS to
// the same file, through the sysfs boundary: one write(), the kernel's
// errno back. Prints "ok <path> <data>" and exits 0, or "error <message>
// (<ERRNO>)" and exits 1; 2 on bad usage.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pkg/base/errno_status.h"
#include "pkg/inventory/discovery.h"
#include "pkg/layout/plan.h"
#include "pkg/sysfs/sysfs.h"

namespace {

int Error(const absl::Status& status) {
  std::string text(status.message());
  const int err = vgpu::StatusErrno(status);
  if (const char* name = err != 0 ? ::strerrorname_np(err) : nullptr) {
    absl::StrAppend(&text, " (", name, ")");
  }
  std::printf("error %s\n", text.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int numvfs = -1;
  if ((argc != 3 && argc != 4) ||
      (argc == 4 && !absl::SimpleAtoi(argv[3], &numvfs))) {
    std::fprintf(stderr, "usage: %s HOST_ROOT PF [NUMVFS]\n", argv[0]);
    return 2;
  }
  absl::StatusOr<std::unique_ptr<vgpu::sysfs::Sysfs>> host =
      vgpu::sysfs::NewHostSysfs(argv[1]);
  if (!host.ok()) return Error(host.status());
  absl::StatusOr<vgpu::inventory::Inventory> inv =
      vgpu::inventory::Discover(**host, vgpu::inventory::DiscoverOptions{});
  if (!inv.ok()) return Error(inv.status());
  const vgpu::inventory::PciFunction* pf = inv->FindFunction(argv[2]);
  if (pf == nullptr || pf->sriov_totalvfs == 0) {
    std::fprintf(stderr, "%s: %s is not an SR-IOV physical function here\n",
                 argv[0], argv[2]);
    return 2;
  }
  vgpu::layout::Action action = vgpu::layout::EnableVfsAction(*pf);
  if (numvfs >= 0) action.data = absl::StrCat(numvfs);
  if (absl::Status s = (*host)->WriteFile(action.path, action.data); !s.ok()) {
    return Error(s);
  }
  std::printf("ok %s %s\n", action.path.c_str(), action.data.c_str());
  return 0;
}
