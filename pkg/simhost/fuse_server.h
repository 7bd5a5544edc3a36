// ServeHost: serves a simulated host's directory over itself through FUSE
// (libfuse3), with kernel semantics on its control files: writes to
// `create`, `remove`, `sriov_numvfs` and `nvidia/current_vgpu_type` go to a
// KernelModel (kernel_model.h) and the writer's write(2) gets its errno;
// every other operation passes through to the directory underneath (kept
// reachable through an O_PATH fd opened before mounting). Other processes
// use the mount point as their --host-root. Single-threaded, so the model
// sees one write at a time. Needs /dev/fuse and root (or fusermount3).
//
// Fault hooks, for tests that need the kernel to refuse (each write to a
// hook is one command; a bad one gets EINVAL):
//   .vgpu-simhost/in-use  "UUID" or "VF-BDF": a VMM holds that vGPU open
//     (remove, or 0 to current_vgpu_type, get EBUSY); "-UUID" releases it.
//   .vgpu-simhost/race    "PATH DATA": another process writes DATA to the
//     control file PATH just before the next kernel write reaches the
//     model (between a planner's read and its write). A file whose device
//     went away while open then answers ENODEV, as kernfs does.
#ifndef VGPU_PKG_SIMHOST_FUSE_SERVER_H_
#define VGPU_PKG_SIMHOST_FUSE_SERVER_H_

#include <functional>

#include "absl/status/status.h"
#include "pkg/simhost/sim_host.h"

namespace vgpu::simhost {

// Mounts over host.root(), calls `on_ready` once the mount answers, serves
// until SIGTERM, SIGINT or SIGHUP, then unmounts. `host` keeps its root
// afterwards. OK after a signal; Unavailable when the mount fails (no
// /dev/fuse, no privilege), Internal when serving fails.
absl::Status ServeHost(SimHost& host, const std::function<void()>& on_ready);

}  // namespace vgpu::simhost

#endif  // VGPU_PKG_SIMHOST_FUSE_SERVER_H_
