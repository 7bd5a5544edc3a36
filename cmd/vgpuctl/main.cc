// vgpuctl: the operator CLI. Subcommands are rows of kCommands; each parses
// its own flags (commands.h). Exit codes: 0 ok, 1 error, 2 bad usage, 3 not
// converged (plan, apply).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
    {"plan", "show what apply would do to reach a vGPU layout", &RunPlan},
    {"apply", "create/remove vGPUs until the node matches a layout", &RunApply},
    {"doctor", "check that a GPU pod can start on this node under Kata",
     &RunDoctor},
    {"status", "show the daemon's vGPU layout status", &RunStatus},
    {"version", "print the version", &RunVersion},
    {"help", "print this help", &RunHelp},
};

std::string Usage() {
  std::string out = "usage: vgpuctl <command> [flags]\n\ncommands:\n";
  for (const Command& c : kCommands) {
    absl::StrAppendFormat(&out, "  %-14s %s\n", c.name, c.summary);
  }
  absl::StrAppend(
      &out,
      "\n'vgpuctl help <command>' (or 'vgpuctl <command> --help') describes\n"
      "a command's flags.\n");
  return out;
}

std::string Version() { return absl::StrCat("vgpuctl ", VGPU_VERSION); }

int RunVersion(int argc, char** argv) {
  cmd::CommandLine line;
  line.program = "vgpuctl version";
  line.usage = "usage: vgpuctl version\n\nPrints the version.";
  if (std::optional<int> done = cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  std::printf("%s\n", Version().c_str());
  return kExitOk;
}

// `vgpuctl help` prints the overview; `vgpuctl help CMD` what
// `vgpuctl CMD --help` prints.
int RunHelp(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(Usage().c_str(), stdout);
    return kExitOk;
  }
  const std::string name = argv[1];
  if (argc > 2) {
    std::fprintf(stderr, "vgpuctl help: one command at a time\n");
    return kExitUsage;
  }
  for (const Command& c : kCommands) {
    if (name != c.name || name == "help") continue;
    std::string help_flag = "--help";
    std::vector<char*> args = {argv[1], help_flag.data(), nullptr};
    return c.run(2, args.data());
  }
  if (name == "help") {
    std::fputs(Usage().c_str(), stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "vgpuctl help: unknown command \"%s\"\n\n%s",
               name.c_str(), Usage().c_str());
  return kExitUsage;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(Usage().c_str(), stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name.size() > 1 && name[0] == '-') {
    // Before a command only --help and --version mean anything.
    cmd::CommandLine line;
    line.program = "vgpuctl";
    line.usage = Usage();
    line.version = Version();
    if (std::optional<int> done = cmd::ParseCommandLine(line, argc, argv)) {
      return *done;
    }
  }
  for (const Command& c : kCommands) {
    if (name == c.name) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "vgpuctl: unknown command \"%s\"\n\n%s", name.c_str(),
               Usage().c_str());
  return kExitUsage;
}

}  // namespace
}  // namespace vgpu::vgpuctl

int main(int argc, char** argv) { return vgpu::vgpuctl::Main(argc, argv); }
