#include "pkg/metrics/pod_resources_poller.h"

#include <sys/stat.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "pkg/base/logging.h"
#include "pkg/kubelet/pod_resources.h"

namespace vgpu::metrics {
namespace {

// One List call on a fresh channel: the kubelet re-creates its socket when
// it restarts, and a poll every few seconds can afford the connect.
absl::StatusOr<v1::ListPodResourcesResponse> List(
    const PodResourcesPoller::Options& options) {
  struct stat st;
  if (::stat(options.socket_path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("pod resources socket ",
                                            options.socket_path, " is absent"));
  }
  absl::StatusOr<v1::ListPodResourcesResponse> response =
      kubelet::ListPodResources(options.socket_path, options.rpc_timeout);
  if (!response.ok()) {
    return absl::UnavailableError(response.status().message());
  }
  return response;
}

}  // namespace

std::map<std::string, int> CountAllocated(
    const v1::ListPodResourcesResponse& response,
    const std::set<std::string>& served) {
  std::map<std::string, std::set<std::string>> ids;
  for (const std::string& resource : served) ids[resource];
  for (const v1::PodResources& pod : response.pod_resources()) {
    for (const v1::ContainerResources& container : pod.containers()) {
      for (const v1::ContainerDevices& devices : container.devices()) {
        auto it = ids.find(devices.resource_name());
        if (it == ids.end()) continue;
        // The kubelet hands an init container's devices on to the app
        // containers, so one device may be listed twice.
        it->second.insert(devices.device_ids().begin(),
                          devices.device_ids().end());
      }
    }
  }
  std::map<std::string, int> counts;
  for (const auto& [resource, set] : ids) {
    counts[resource] = static_cast<int>(set.size());
  }
  return counts;
}

PodResourcesPoller::PodResourcesPoller(Options options, DaemonMetrics& metrics)
    : options_(std::move(options)), metrics_(metrics) {}

PodResourcesPoller::~PodResourcesPoller() { Stop(); }

void PodResourcesPoller::SetResources(std::set<std::string> resources) {
  absl::MutexLock lock(&mu_);
  resources_ = std::move(resources);
}

absl::StatusOr<std::map<std::string, int>> PodResourcesPoller::PollOnce() {
  std::set<std::string> served;
  {
    absl::MutexLock lock(&mu_);
    served = resources_;
  }
  absl::StatusOr<v1::ListPodResourcesResponse> response = List(options_);
  LogOnChange(response.status());
  if (!response.ok()) {
    metrics_.SetAllocated({}, /*known=*/false);
    return response.status();
  }
  std::map<std::string, int> counts = CountAllocated(*response, served);
  metrics_.SetAllocated(counts, /*known=*/true);
  return counts;
}

void PodResourcesPoller::LogOnChange(const absl::Status& status) {
  const Outcome outcome = status.ok()                ? Outcome::kOk
                          : absl::IsNotFound(status) ? Outcome::kAbsent
                                                     : Outcome::kFailed;
  {
    absl::MutexLock lock(&mu_);
    if (outcome == last_outcome_) return;
    last_outcome_ = outcome;
  }
  if (status.ok()) {
    VGPU_LOG(INFO).With("socket", options_.socket_path)
        << "reading allocations from the kubelet PodResources API";
  } else {
    VGPU_LOG(WARNING).With("socket", options_.socket_path)
        << status.message()
        << "; allocated_devices is not exported until it answers";
  }
}

void PodResourcesPoller::Start() {
  if (thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void PodResourcesPoller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void PodResourcesPoller::Run() {
  while (true) {
    // Failures are logged (once per change) and exported as a dropped
    // gauge by PollOnce itself.
    PollOnce().IgnoreError();
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.period)) {
      return;
    }
  }
}

}  // namespace vgpu::metrics
