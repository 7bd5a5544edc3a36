// Entry points of the vgpuctl subcommands, dispatched by main.cc's table.
// Each receives the arguments after "vgpuctl" (argv[0] is the subcommand
// name), parses its flags with cmd/common/flags.h and returns the process
// exit code: 0 ok, 1 error, 2 bad usage.
#ifndef VGPU_CMD_VGPUCTL_COMMANDS_H_
#define VGPU_CMD_VGPUCTL_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "cmd/common/flags.h"

// Flags more than one subcommand accepts (commands.cc).
ABSL_DECLARE_FLAG(std::string, host_root);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, pod_resources_socket);
ABSL_DECLARE_FLAG(std::vector<std::string>, cdi_dir);
ABSL_DECLARE_FLAG(std::vector<std::string>, kata_config);

namespace vgpu::vgpuctl {

using cmd::kExitError;
using cmd::kExitOk;
using cmd::kExitUsage;

// vgpuctl discover [--host-root DIR] [--json] [--pci-ids FILE]
int RunDiscover(int argc, char** argv);

// vgpuctl coldplug-plan ... (cmd/vgpuctl/coldplug_plan.cc)
int RunColdplugPlan(int argc, char** argv);

// vgpuctl plan / vgpuctl apply: vGPU layouts (cmd/vgpuctl/layout.cc).
// Exit 3: not converged.
int RunPlan(int argc, char** argv);
int RunApply(int argc, char** argv);
// vgpuctl status: the daemon's layout status (cmd/vgpuctl/status.cc).
int RunStatus(int argc, char** argv);

// vgpuctl doctor: the node preflight (cmd/vgpuctl/doctor.cc). Exit 0 when
// no check FAILs, 1 otherwise, 2 bad usage.
int RunDoctor(int argc, char** argv);

}  // namespace vgpu::vgpuctl

#endif  // VGPU_CMD_VGPUCTL_COMMANDS_H_
