// Daemon's observability wiring: the /metrics + /healthz + /readyz listener
// and the kubelet PodResources poller (written by the metrics module).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/daemon/daemon.h"
#include "pkg/deviceplugin/plugin_manager.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/metrics_server.h"
#include "pkg/metrics/pod_resources_poller.h"

namespace vgpu::daemon {
namespace {

// The loop wakes at least once per rescan period; allow for a slow scan.
absl::Duration LivenessWindow(absl::Duration rescan_period) {
  return std::max(3 * rescan_period, absl::Seconds(30));
}

}  // namespace

absl::Status Daemon::StartObservability() {
  if (!options_.metrics_address.empty()) {
    const absl::Duration window = LivenessWindow(options_.config.rescan_period);
    auto server = metrics::MetricsServer::Start(
        options_.metrics_address, metrics_->registry(),
        [this]() -> absl::Status {
          if (Ready()) return absl::OkStatus();
          if (std::string cdi = CdiUnreadyReason(); !cdi.empty()) {
            return absl::UnavailableError(absl::StrCat("not ready: ", cdi));
          }
          std::vector<std::string> waiting = manager_->Unregistered();
          if (waiting.empty()) {
            return absl::UnavailableError("not ready: first scan pending");
          }
          return absl::UnavailableError(
              absl::StrCat("not ready: not registered with the kubelet: ",
                           absl::StrJoin(waiting, ", ")));
        },
        [this, window]() -> absl::Status {
          const absl::Time tick = LastLoopTick();
          // Before the loop starts, Start() itself is making progress.
          if (tick == absl::InfinitePast() || absl::Now() - tick < window) {
            return absl::OkStatus();
          }
          return absl::UnavailableError(
              absl::StrCat("daemon loop last woke ",
                           absl::FormatDuration(absl::Now() - tick), " ago"));
        });
    if (!server.ok()) return server.status();
    metrics_server_ = *std::move(server);
  }
  if (!options_.pod_resources_socket.empty()) {
    metrics::PodResourcesPoller::Options poller_options;
    poller_options.socket_path = options_.pod_resources_socket;
    poller_options.period = options_.config.rescan_period;
    pod_resources_ = std::make_unique<metrics::PodResourcesPoller>(
        poller_options, *metrics_);
    pod_resources_->Start();
  } else {
    metrics_->SetAllocated({}, /*known=*/false);
  }
  return absl::OkStatus();
}

void Daemon::UpdatePolledResources() {
  if (pod_resources_ == nullptr) return;
  std::set<std::string> names;
  for (const resources::Pool& pool : published_.pools) {
    names.insert(pool.resource_name);
  }
  pod_resources_->SetResources(std::move(names));
}

void Daemon::StopObservability() {
  if (pod_resources_ != nullptr) pod_resources_->Stop();
  metrics_server_.reset();
}

}  // namespace vgpu::daemon
