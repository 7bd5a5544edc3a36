// Flag spelling shared by the project's binaries: flags are written with
// dashes (--host-root) as in every Kubernetes component, while absl names
// them with underscores.
#ifndef VGPU_CMD_COMMON_FLAG_NAMES_H_
#define VGPU_CMD_COMMON_FLAG_NAMES_H_

#include <string>
#include <vector>

namespace vgpu::cmd {

// Rewrites each "--a-b[=v]" in argv to "--a_b[=v]" (arguments after "--"
// untouched) and returns argv for absl::ParseCommandLine, backed by
// `storage`. An unknown flag is reported as the user typed it and the
// process exits 1 (bad flags at startup: log and exit).
std::vector<char*> NormalizeFlags(int argc, char** argv,
                                  std::vector<std::string>& storage);

}  // namespace vgpu::cmd

#endif  // VGPU_CMD_COMMON_FLAG_NAMES_H_
