// vgpuctl: the operator CLI. Subcommands are rows of kCommands; each parses
// its own flags (commands.h). Exit codes: 0 ok, 1 error, 2 bad usage.
#include <cstdio>
#include <cstring>

#include "cmd/vgpuctl/commands.h"

namespace vgpu::vgpuctl {
namespace {

int RunVersion(int argc, char** argv);
int RunHelp(int argc, char** argv);

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

constexpr Command kCommands[] = {
    {"discover", "list GPUs, IOMMU groups, mdev types and instances",
     &RunDiscover},
    {"coldplug-plan", "show what Kata cold-plugs for a pod", &RunColdplugPlan},
    {"version", "print the version", &RunVersion},
    {"help", "print this help", &RunHelp},
};

void PrintUsage(std::FILE* out) {
  std::fputs("usage: vgpuctl <command> [flags]\n\ncommands:\n", out);
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-14s %s\n", c.name, c.summary);
  }
  std::fputs("\n'vgpuctl <command> --help' describes a command's flags.\n",
             out);
}

int RunVersion(int argc, char** argv) {
  if (argc > 1) {
    std::fprintf(stderr, "vgpuctl version: unexpected argument \"%s\"\n",
                 argv[1]);
    return kExitUsage;
  }
  std::printf("vgpuctl %s\n", VGPU_VERSION);
  return kExitOk;
}

int RunHelp(int argc, char** argv) {
  (void)argc;
  (void)argv;
  PrintUsage(stdout);
  return kExitOk;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  const char* name = argv[1];
  if (std::strcmp(name, "--help") == 0 || std::strcmp(name, "-h") == 0) {
    return RunHelp(argc - 1, argv + 1);
  }
  if (std::strcmp(name, "--version") == 0) return RunVersion(1, argv + 1);
  for (const Command& c : kCommands) {
    if (std::strcmp(name, c.name) == 0) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "vgpuctl: unknown command \"%s\"\n\n", name);
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace
}  // namespace vgpu::vgpuctl

int main(int argc, char** argv) { return vgpu::vgpuctl::Main(argc, argv); }
