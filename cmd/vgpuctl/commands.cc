#include "cmd/vgpuctl/commands.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "pkg/kubelet/pod_resources.h"

ABSL_FLAG(std::string, host_root, "/",
          "host root holding sys/ and dev/ (a simulated host from "
          "vgpu-simhost, or /host inside a container)");
ABSL_FLAG(bool, json, false, "print JSON instead of the table");
ABSL_FLAG(std::string, pod_resources_socket,
          vgpu::kubelet::kDefaultPodResourcesSocket,
          "kubelet PodResources socket");
ABSL_FLAG(std::vector<std::string>, cdi_dir, {},
          "CDI spec dir, repeatable, lowest priority first (default "
          "/etc/cdi then /var/run/cdi, as Kata; doctor: under --host-root)");
ABSL_FLAG(std::vector<std::string>, kata_config, {},
          "Kata configuration TOML (e.g. /opt/kata/share/defaults/"
          "kata-containers/configuration-qemu-nvidia-gpu.toml); doctor: "
          "checks each, repeatable; coldplug-plan: one, for its "
          "pcie_root_port");
