// The one command-line parser of the project's binaries (vgpu-device-plugin,
// vgpuctl and each of its subcommands, vgpu-simhost, kubelet-emulator), over
// absl flags. Flags are defined with ABSL_FLAG as usual; a CommandLine names
// the ones a program accepts, so the subcommands of one binary share its
// global absl flags and each rejects the others' flags by name.
//
// absl::ParseCommandLine is not used: it exits 1 on bad usage and on --help,
// and its --help lists flags under their source file (a build path). Here
// --help prints the usage and each flag's ABSL_FLAG help text and exits 0;
// bad usage prints one line naming the flag and exits 2.
//
// Accepted: --name=value, --name value, -name, dashes or underscores alike
// (--host-root == --host_root), --name / --noname / --name=false for bools,
// "--" ending the flags. Not thread-safe: parse once, from main.
#ifndef VGPU_CMD_COMMON_FLAGS_H_
#define VGPU_CMD_COMMON_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vgpu::cmd {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// A second spelling of a flag, kept for scripts written against it.
struct FlagAlias {
  std::string alias;  // "plugin_dir"
  std::string flag;   // "device_plugin_dir", an absl flag name
};

// What one program (or one subcommand) accepts.
struct CommandLine {
  std::string program;             // "vgpuctl discover": starts every message
  std::string usage;               // --help prints it first, then the flags
  std::vector<std::string> flags;  // absl flag names, in --help order
  std::vector<FlagAlias> aliases;
  bool allow_empty_values = true;  // false: --name= is bad usage
  std::string version;             // non-empty: --version prints it
};

struct ParsedFlags {
  bool help = false;     // --help, -h, --helpshort or --helpfull
  bool version = false;  // --version, when CommandLine::version is set
};

// Sets the absl flags named in `line` from `args` (what follows the program
// or subcommand name). A std::vector<std::string> flag given several times
// collects every value; any other flag keeps the last. Parsing stops at
// --help. InvalidArgument, naming the flag as typed, for an unknown flag (or
// one `line` does not list), a missing or empty value, a value the flag's
// type rejects, and any argument that is not a flag; Internal when `line`
// lists a flag that is not defined.
absl::StatusOr<ParsedFlags> ParseFlags(const CommandLine& line,
                                       const std::vector<std::string>& args);

// `line.usage`, then a "flags:" list: spelling, default, ABSL_FLAG help.
std::string HelpText(const CommandLine& line);

// Prints "<program>: <message> (see <program> --help)" to stderr and
// returns kExitUsage.
int UsageError(const CommandLine& line, absl::string_view message);

// ParseFlags on argv[1..argc). Returns the exit code when the program is
// done: 0 after printing help or the version to stdout, kExitUsage after
// UsageError. nullopt: go on and run.
std::optional<int> ParseCommandLine(const CommandLine& line, int argc,
                                    char** argv);

}  // namespace vgpu::cmd

#endif  // VGPU_CMD_COMMON_FLAGS_H_
