// `vgpuctl doctor`: reads what the checks need (Kata TOML files, CDI specs,
// the plugin sockets present and what each advertises, a PodResources probe)
// and runs pkg/doctor over the host root; docs/vgpuctl.md,
// docs/troubleshooting.md.
#include "pkg/doctor/doctor.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cmd/vgpuctl/commands.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/local_file.h"
#include "pkg/coldplug/cdi_resolve.h"
#include "pkg/kubelet/plugin_client.h"
#include "pkg/kubelet/pod_resources.h"
#include "pkg/sysfs/sysfs.h"

ABSL_FLAG(std::string, device_plugin_dir, "/var/lib/kubelet/device-plugins",
          "the kubelet's device-plugin dir, where the daemon's sockets are");

namespace vgpu::vgpuctl {
namespace {

// The pod Get is asked about: absent, so an enabled Get answers NotFound.
constexpr char kProbeNamespace[] = "vgpuctl-doctor";
constexpr char kProbePod[] = "probe";

cmd::CommandLine DoctorCommandLine() {
  cmd::CommandLine line;
  line.program = "vgpuctl doctor";
  line.usage =
      "usage: vgpuctl doctor [--host-root DIR] [--kata-config FILE]...\n"
      "         [--cdi-dir DIR]... [--pod-resources-socket PATH]\n"
      "         [--device-plugin-dir DIR] [--json]\n"
      "\n"
      "Checks that a GPU pod can start on this node under Kata: IOMMU,\n"
      "VFIO, each passthrough unit, the console GPU, the VFIO mode, CDI\n"
      "specs, the kubelet's PodResources Get, the Kata configuration\n"
      "(Go runtime or runtime-rs), mdev vGPUs, large BARs. One line per\n"
      "check: PASS, INFO, WARN or FAIL with the cause and the fix.\n"
      "Exit 0 when nothing FAILs, 1 otherwise, 2 bad usage.";
  line.flags = {"host_root",         "kata_config",
                "cdi_dir",           "pod_resources_socket",
                "device_plugin_dir", "json"};
  line.allow_empty_values = false;
  return line;
}

doctor::CdiInput ReadCdiDirs(const std::vector<std::string>& dirs) {
  doctor::CdiInput cdi;
  cdi.dirs = dirs;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;  // Kata skips it.
    std::vector<std::string> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_directory(ec) || (ext != ".json" && ext != ".yaml")) {
        continue;
      }
      paths.push_back(entry.path().string());
    }
    if (ec) {
      cdi.problems.push_back(
          std::string(ErrnoStatus(ec.value(), "list", dir).message()));
      continue;
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
      absl::StatusOr<std::string> content = ReadLocalFile(path, "CDI spec");
      cdi.files.push_back(
          {dir, path,
           content.ok()
               ? coldplug::ParseCdiSpecFile(*content, path)
               : absl::StatusOr<coldplug::CdiSpecFile>(content.status())});
    }
  }
  return cdi;
}

doctor::DevicePluginDirInput ReadPluginDir(const std::string& dir) {
  doctor::DevicePluginDirInput out;
  out.dir = dir;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    out.listed = ErrnoStatus(ec.value(), "list", dir);
    return out;
  }
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "vgpu-") && absl::EndsWith(name, ".sock")) {
      out.sockets.push_back(name);
    }
  }
  std::sort(out.sockets.begin(), out.sockets.end());
  for (const std::string& socket : out.sockets) {
    out.advertised.emplace(
        socket, kubelet::FirstListAndWatch(absl::StrCat(dir, "/", socket)));
  }
  return out;
}

doctor::PodResourcesProbe ProbePodResources(const std::string& socket) {
  doctor::PodResourcesProbe probe;
  probe.socket = socket;
  std::error_code ec;
  probe.present = std::filesystem::exists(socket, ec);
  if (probe.present) {
    probe.get = kubelet::GetPodResources(socket, kProbeNamespace, kProbePod,
                                         absl::Seconds(5))
                    .status();
  }
  return probe;
}

}  // namespace

int RunDoctor(int argc, char** argv) {
  const cmd::CommandLine line = DoctorCommandLine();
  if (std::optional<int> done = cmd::ParseCommandLine(line, argc, argv)) {
    return *done;
  }
  const std::string host_root = absl::GetFlag(FLAGS_host_root);
  absl::StatusOr<std::unique_ptr<sysfs::Sysfs>> host =
      sysfs::NewHostSysfs(host_root);
  if (!host.ok()) {
    return cmd::UsageError(
        line, absl::StrCat("--host-root: ", host.status().message()));
  }
  std::vector<std::string> cdi_dirs = absl::GetFlag(FLAGS_cdi_dir);
  if (cdi_dirs.empty()) {
    // Kata's order: /etc/cdi, then /var/run/cdi (which wins).
    for (const char* dir : {coldplug::kEtcCdiDir, coldplug::kVarRunCdiDir}) {
      cdi_dirs.push_back(host_root == "/" ? std::string(dir)
                                          : absl::StrCat(host_root, dir));
    }
  }
  doctor::Inputs inputs;
  for (const std::string& path : absl::GetFlag(FLAGS_kata_config)) {
    absl::StatusOr<std::string> content =
        ReadLocalFile(path, "Kata configuration");
    inputs.kata_configs.push_back(
        {path, content.ok()
                   ? doctor::ParseKataConfig(*content, path)
                   : absl::StatusOr<doctor::KataConfig>(content.status())});
  }
  inputs.cdi = ReadCdiDirs(cdi_dirs);
  inputs.device_plugins = ReadPluginDir(absl::GetFlag(FLAGS_device_plugin_dir));
  inputs.pod_resources =
      ProbePodResources(absl::GetFlag(FLAGS_pod_resources_socket));
  const doctor::Report report = doctor::RunChecks(**host, inputs);
  const std::string text = absl::GetFlag(FLAGS_json)
                               ? doctor::RenderJson(report)
                               : doctor::RenderTable(report);
  std::fputs(text.c_str(), stdout);
  return report.HasFailure() ? kExitError : kExitOk;
}

}  // namespace vgpu::vgpuctl
