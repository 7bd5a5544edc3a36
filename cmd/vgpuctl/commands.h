// Entry points of the vgpuctl subcommands, dispatched by main.cc's table.
// Each receives the arguments after "vgpuctl" (argv[0] is the subcommand
// name) and returns the process exit code: 0 ok, 1 error, 2 bad usage.
#ifndef VGPU_CMD_VGPUCTL_COMMANDS_H_
#define VGPU_CMD_VGPUCTL_COMMANDS_H_

namespace vgpu::vgpuctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// vgpuctl discover [--host-root DIR] [--json] [--pci-ids FILE]
int RunDiscover(int argc, char** argv);

// vgpuctl coldplug-plan ... (cmd/vgpuctl/coldplug_plan.cc)
int RunColdplugPlan(int argc, char** argv);

}  // namespace vgpu::vgpuctl

#endif  // VGPU_CMD_VGPUCTL_COMMANDS_H_
