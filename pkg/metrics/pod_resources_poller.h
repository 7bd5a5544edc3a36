// PodResourcesPoller: counts the devices pods hold, per served resource, by
// polling the kubelet's PodResources v1 List on its unix socket (the kubelet
// never tells a device plugin about de-allocation), and publishes them
// through DaemonMetrics::SetAllocated. An absent socket is logged once and
// the gauge dropped; it is not an error. Owns one thread (Start/Stop; Stop
// joins and the destructor stops). Thread-safe.
#ifndef VGPU_PKG_METRICS_POD_RESOURCES_POLLER_H_
#define VGPU_PKG_METRICS_POD_RESOURCES_POLLER_H_

#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pkg/metrics/daemon_metrics.h"

namespace v1 {
class ListPodResourcesResponse;
}  // namespace v1

namespace vgpu::metrics {

// Distinct device IDs per resource in `response`, for each resource in
// `served` (0 when no pod holds one); other resources are ignored. An ID
// listed by several containers (init containers hand theirs on) counts once.
std::map<std::string, int> CountAllocated(
    const v1::ListPodResourcesResponse& response,
    const std::set<std::string>& served);

class PodResourcesPoller {
 public:
  struct Options {
    // The kubelet's PodResources socket.
    std::string socket_path = "/var/lib/kubelet/pod-resources/kubelet.sock";
    absl::Duration period = absl::Seconds(10);      // Between polls.
    absl::Duration rpc_timeout = absl::Seconds(5);  // Deadline of one List.
  };

  PodResourcesPoller(Options options, DaemonMetrics& metrics);
  ~PodResourcesPoller();
  PodResourcesPoller(const PodResourcesPoller&) = delete;
  PodResourcesPoller& operator=(const PodResourcesPoller&) = delete;

  // The resources to count (the daemon's pools); replaces the last set.
  void SetResources(std::set<std::string> resources);

  // One List and SetAllocated, now, on the caller's thread. Returns the
  // counts; NotFound when the socket is absent, Unavailable (naming the
  // socket) when List fails; either way the gauge is dropped.
  absl::StatusOr<std::map<std::string, int>> PollOnce();

  // Polls now and then every `period` until Stop. No-op when running.
  void Start();
  // Wakes and joins the thread. Idempotent.
  void Stop();

 private:
  void Run();
  // Logs `status` of a poll when it differs in kind from the last one
  // (ok / socket absent / List failed), so a steady state logs once.
  void LogOnChange(const absl::Status& status);

  // Immutable after construction.
  const Options options_;
  DaemonMetrics& metrics_;

  absl::Mutex mu_;
  std::set<std::string> resources_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  // Last outcome logged: avoids one line per poll while nothing changes.
  enum class Outcome { kNone, kOk, kAbsent, kFailed };
  Outcome last_outcome_ ABSL_GUARDED_BY(mu_) = Outcome::kNone;

  std::thread thread_;  // Touched only by Start/Stop (the owner's thread).
};

}  // namespace vgpu::metrics

#endif  // VGPU_PKG_METRICS_POD_RESOURCES_POLLER_H_
