// vgpu-device-plugin: flags -> DaemonOptions, signals, Daemon::Run().
// Signals are blocked in every thread and taken by one thread with
// sigwait(), so no work ever runs in an async signal handler.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cmd/common/flags.h"
#include "pkg/base/logging.h"
#include "pkg/config/config.h"
#include "pkg/daemon/daemon.h"

ABSL_FLAG(std::string, host_root, "/",
          "Root of the host's /sys and /dev (a simulated host in tests)");
ABSL_FLAG(std::string, device_plugin_dir, "/var/lib/kubelet/device-plugins",
          "Kubelet device-plugin directory (kubelet.sock and our sockets)");
ABSL_FLAG(std::string, config, "",
          "Optional YAML config file (version: v1); defaults without it");
ABSL_FLAG(std::string, log_level, "info", "debug | info | warning | error");
ABSL_FLAG(std::string, log_format, "text", "text | json");
ABSL_FLAG(std::string, cdi_dir, "/var/run/cdi",
          "Directory for the CDI specs this daemon writes");
ABSL_FLAG(std::string, pci_ids, "",
          "pci.ids file for model names (default: the usual system paths)");
ABSL_FLAG(std::string, metrics_address, ":9402",
          "Listen address for /metrics, /healthz and /readyz (host:port or "
          ":port; port 0 picks a free one; '' disables)");
ABSL_FLAG(
    std::string, pod_resources_socket,
    "/var/lib/kubelet/pod-resources/kubelet.sock",
    "Kubelet PodResources socket polled for allocated_devices ('' = off)");
ABSL_FLAG(std::string, state_dir, "/var/lib/vgpu-device-plugin",
          "vGPU layout state (ownership record, lock, status) when "
          "vgpu.manage is true; shared with vgpuctl apply");
ABSL_FLAG(std::string, vgpu_layout, "",
          "vGPU layout for this node (overrides VGPU_CONFIG and vgpu.layout)");

namespace {

constexpr int kWakeSignal = SIGUSR1;

vgpu::cmd::CommandLine DaemonCommandLine() {
  vgpu::cmd::CommandLine line;
  line.program = "vgpu-device-plugin";
  line.usage =
      "Kubernetes device plugin for passthrough GPUs and vGPUs in Kata "
      "VMs.\n"
      "usage: vgpu-device-plugin [--host-root=/] [--config=FILE] ...\n"
      "Flags may be spelled with dashes (--host-root) or underscores.";
  line.flags = {"host_root", "device_plugin_dir", "config",
                "log_level", "log_format",        "cdi_dir",
                "pci_ids",   "metrics_address",   "pod_resources_socket",
                "state_dir", "vgpu_layout"};
  line.version = absl::StrCat("vgpu-device-plugin ", VGPU_VERSION);
  return line;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "vgpu-device-plugin: %s\n", message.c_str());
  return 1;
}

// Takes SIGTERM/SIGINT (stop), SIGHUP (restart servers) until Run() ends
// and main wakes it with kWakeSignal.
void SignalLoop(const sigset_t& set, vgpu::daemon::Daemon& daemon) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == kWakeSignal) return;
    if (sig == SIGHUP) {
      VGPU_LOG(INFO) << "SIGHUP: restarting device plugin servers";
      daemon.RequestRestart();
      continue;
    }
    VGPU_LOG(INFO) << "signal " << sig << ": shutting down";
    daemon.Stop();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const absl::Time started_at = absl::Now();
  // One malloc arena for every thread: the daemon allocates little and
  // rarely, and each of glibc's per-thread arenas (up to 8 per CPU) keeps
  // pages of its own resident (0.4-0.5 MiB on `large`); each thread's
  // tcache still serves small allocations without the arena lock.
  ::mallopt(M_ARENA_MAX, 1);
  // A stray word (a flag missing its "--") is bad usage, so it never
  // starts the daemon against the default paths.
  const vgpu::cmd::CommandLine command_line = DaemonCommandLine();
  if (std::optional<int> done =
          vgpu::cmd::ParseCommandLine(command_line, argc, argv)) {
    return *done;
  }
  auto level = vgpu::logging::ParseLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) {
    return vgpu::cmd::UsageError(
        command_line, absl::StrCat("--log-level: ", level.status().message()));
  }
  auto format = vgpu::logging::ParseFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) {
    return vgpu::cmd::UsageError(
        command_line,
        absl::StrCat("--log-format: ", format.status().message()));
  }
  vgpu::logging::SetMinLevel(*level);
  vgpu::logging::SetFormat(*format);

  vgpu::daemon::DaemonOptions options;
  options.started_at = started_at;
  options.host_root = absl::GetFlag(FLAGS_host_root);
  options.device_plugin_dir = absl::GetFlag(FLAGS_device_plugin_dir);
  options.cdi_dir = absl::GetFlag(FLAGS_cdi_dir);
  options.pci_ids_path = absl::GetFlag(FLAGS_pci_ids);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  options.pod_resources_socket = absl::GetFlag(FLAGS_pod_resources_socket);
  options.state_dir = absl::GetFlag(FLAGS_state_dir);
  options.vgpu_layout_flag = absl::GetFlag(FLAGS_vgpu_layout);
  if (const char* env = std::getenv("VGPU_CONFIG")) {
    options.vgpu_layout_env = env;
  }
  std::string config_path = absl::GetFlag(FLAGS_config);
  options.config_path = config_path;
  if (!config_path.empty()) {
    auto config = vgpu::config::LoadConfigFile(config_path);
    if (!config.ok()) {
      return Fail("--config " + config_path + ": " +
                  std::string(config.status().message()));
    }
    options.config = *std::move(config);
  }
  // Blocked before the first log line: a SIGTERM that arrives while the
  // daemon starts waits for SignalLoop and ends in a clean exit 0.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, kWakeSignal}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // Inherited by every thread.

  VGPU_LOG(INFO)
          .With("version", VGPU_VERSION)
          .With("host_root", options.host_root)
          .With("device_plugin_dir", options.device_plugin_dir)
          .With("cdi_dir", options.cdi_dir)
          .With("config_file", config_path.empty() ? "(none)" : config_path)
      << "starting; effective config: "
      << vgpu::config::ConfigLogSummary(options.config);
  VGPU_LOG(DEBUG) << "effective config as YAML:\n"
                  << vgpu::config::ToYaml(options.config);

  vgpu::daemon::Daemon daemon(options);
  std::thread signals([&] { SignalLoop(set, daemon); });
  absl::Status status = daemon.Run();
  pthread_kill(signals.native_handle(), kWakeSignal);
  signals.join();
  if (!status.ok()) {
    // Logging is set up by now: the fatal error follows --log-format.
    VGPU_LOG(ERROR) << "exiting: " << status.message();
    return 1;
  }
  return 0;
}
