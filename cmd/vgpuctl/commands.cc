#include "cmd/vgpuctl/commands.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, host_root, "/",
          "host root holding sys/ and dev/ (a simulated host from "
          "vgpu-simhost, or /host inside a container)");
ABSL_FLAG(bool, json, false, "print JSON instead of the table");
