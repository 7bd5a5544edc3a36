// Registrar: registers device-plugin endpoints with the kubelet's
// Registration service (<plugin-dir>/kubelet.sock, API version v1beta1).
// The kubelet dials the endpoint back and calls GetDevicePluginOptions
// inside Register, so a registration is requested only once its server is
// serving. While there is no kubelet, attempts retry with exponential
// backoff (initial_backoff doubling up to max_backoff); RetryNow() (called
// when kubelet.sock is re-created) makes every pending one due at once.
// One worker thread, owned here (Start/Stop; the destructor stops).
// Thread-safe.
#ifndef VGPU_PKG_KUBELET_REGISTRAR_H_
#define VGPU_PKG_KUBELET_REGISTRAR_H_

#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace vgpu::kubelet {

inline constexpr char kApiVersion[] = "v1beta1";
inline constexpr char kKubeletSocketName[] = "kubelet.sock";

struct Registration {
  std::string resource_name;  // "nvidia.com/pgpu"
  std::string endpoint;       // Socket file name in the plugin dir.
  bool preferred_allocation = true;
};

struct RegistrarOptions {
  std::string kubelet_socket;  // Absolute path of kubelet.sock.
  // Backoff between failed attempts: starts here, doubles, capped.
  absl::Duration initial_backoff = absl::Milliseconds(1);
  absl::Duration max_backoff = absl::Seconds(1);
  // Deadline of one Register RPC (the kubelet dials us back inside it).
  absl::Duration rpc_timeout = absl::Seconds(10);
  // A failed attempt is logged when its error differs from the last one
  // logged for the resource, else at most once per this interval.
  absl::Duration retry_warning_interval = absl::Minutes(5);
};

// When a failed registration attempt is logged (one per resource).
struct RetryWarning {
  std::string last_error;                         // Last one logged.
  absl::Time last_logged = absl::InfinitePast();  // When.
  int suppressed = 0;  // Failures not logged since then.
};
// True, and `state` updated, when the failure with message `error` at `now`
// is to be logged: the first, one whose error differs from the last logged,
// or one at least `interval` after the last logged. False counts it in
// `state.suppressed`. Pure.
bool ShouldLogRetry(RetryWarning& state, const std::string& error,
                    absl::Time now, absl::Duration interval);

// One Register RPC. Unavailable when no kubelet listens; the kubelet's own
// error otherwise; messages name the socket and the resource. `context`
// (optional) lets another thread cancel the call.
absl::Status RegisterOnce(const std::string& kubelet_socket,
                          const Registration& registration,
                          absl::Duration timeout,
                          grpc::ClientContext* context = nullptr);

class Registrar {
 public:
  // `on_registered` runs on the worker thread after each success.
  using Callback = std::function<void(const std::string& resource)>;

  Registrar(RegistrarOptions options, Callback on_registered);
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  void Start();
  // Joins the worker; pending registrations are dropped. Idempotent.
  void Stop();

  // Queues `registration`, due now, replacing any pending or in-flight one
  // for the same resource (an in-flight attempt is cancelled: the kubelet
  // may be stuck dialing a socket that was just replaced).
  void Request(const Registration& registration);
  // Drops a pending registration.
  void Cancel(const std::string& resource_name);
  // Makes every pending registration due now with the backoff reset.
  void RetryNow();

 private:
  struct Pending {
    Registration registration;
    absl::Time due;
    absl::Duration backoff;
    uint64_t generation = 0;
    int failures = 0;
    RetryWarning warning;
  };

  void Loop();
  void CancelInflightLocked(const std::string& resource_name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Attempts one due registration; returns false when none is due.
  bool AttemptOne() ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  const RegistrarOptions options_;
  const Callback on_registered_;

  mutable absl::Mutex mu_;
  std::map<std::string, Pending> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  // The attempt in flight, cancelled when superseded or on Stop().
  std::string inflight_resource_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* inflight_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;  // Touched only by Start/Stop.
};

}  // namespace vgpu::kubelet

#endif  // VGPU_PKG_KUBELET_REGISTRAR_H_
