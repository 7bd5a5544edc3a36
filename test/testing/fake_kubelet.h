// FakeKubelet: the kubelet's side of the device-plugin and PodResources
// APIs over real unix sockets, for tests, benchmarks and the
// kubelet-emulator tool. Like the real kubelet, Register validates the
// version and the resource name, dials the plugin's endpoint and calls
// GetDevicePluginOptions before it returns, then reads ListAndWatch on its
// own thread and records every update. It drives GetPreferredAllocation and
// Allocate for pods, remembers what it allocated, and serves PodResources v1
// (List, Get, GetAllocatableResources) on a second socket. Restart() does
// what a kubelet restart does to the plugin dir. Thread-safe.
#ifndef VGPU_TEST_TESTING_FAKE_KUBELET_H_
#define VGPU_TEST_TESTING_FAKE_KUBELET_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "deviceplugin/v1beta1/api.pb.h"

namespace grpc {
class ClientContext;
class Server;
class Service;
}  // namespace grpc

namespace vgpu::testing {

struct FakeKubeletOptions {
  std::string plugin_dir;            // kubelet.sock is created here.
  std::string pod_resources_socket;  // "" = no PodResources server.
  bool pod_resources_get_enabled =
      true;  // Feature gate KubeletPodResourcesGet.
  // How long Register waits for the plugin's GetDevicePluginOptions (the
  // kubelet dials with a 10 s timeout).
  absl::Duration dial_timeout = absl::Seconds(10);
};

// What the kubelet knows about one resource.
struct ResourceState {
  std::string endpoint;                  // Socket file name in the plugin dir.
  v1beta1::DevicePluginOptions options;  // From GetDevicePluginOptions.
  int registrations = 0;                 // Successful Register calls.
  int updates = 0;                       // ListAndWatch messages received.
  bool streaming = false;                // The ListAndWatch stream is open.
  std::vector<v1beta1::Device> devices;  // The latest list.
  size_t message_bytes = 0;  // Serialized size of the latest message.
  absl::Time registered_at = absl::InfinitePast();
  absl::Time updated_at = absl::InfinitePast();

  int Count() const { return static_cast<int>(devices.size()); }
  int HealthyCount() const;
  const v1beta1::Device* Find(const std::string& id) const;
};

using KubeletState = std::map<std::string, ResourceState>;

// A container's request: resource -> device count.
struct ContainerSpec {
  std::string name;
  std::map<std::string, int> requests;
};
struct PodSpec {
  std::string namespace_name = "default";
  std::string name;
  std::vector<ContainerSpec> containers;
};

// What one container got.
struct ContainerAllocation {
  std::string name;
  std::map<std::string, std::vector<std::string>> devices;  // resource -> IDs
  std::vector<v1beta1::ContainerAllocateResponse> responses;
};
struct PodAllocation {
  std::string namespace_name;
  std::string name;
  std::vector<ContainerAllocation> containers;
};

class FakeKubelet {
 public:
  explicit FakeKubelet(FakeKubeletOptions options);
  ~FakeKubelet();  // Stop()s.
  FakeKubelet(const FakeKubelet&) = delete;
  FakeKubelet& operator=(const FakeKubelet&) = delete;

  // Serves Registration on <plugin_dir>/kubelet.sock (and PodResources).
  // Unavailable naming the socket when it cannot listen.
  absl::Status Start();
  // Stops serving, closes every ListAndWatch stream, removes kubelet.sock.
  // Recorded state and allocations are kept. Idempotent.
  void Stop();
  // Stop(), delete every socket in the plugin dir (as the kubelet's
  // CleanupPluginDirectory does), forget registrations, Start() again.
  absl::Status Restart();
  // Stop() + the same cleanup, without starting again (kubelet away).
  void StopAndCleanup();

  // A copy of everything known now.
  KubeletState State() const;
  // Waits until `condition(state)` holds; false on timeout.
  bool WaitFor(const std::function<bool(const KubeletState&)>& condition,
               absl::Duration timeout) const;
  // Shorthand: `resource` registered and streamed `count` devices.
  bool WaitForDevices(const std::string& resource, int count,
                      absl::Duration timeout) const;
  // Register calls rejected so far, with the error returned.
  std::vector<std::string> Rejections() const;

  // Allocates a pod as the kubelet does: per container and resource, picks
  // among healthy unallocated devices (asking GetPreferredAllocation when the
  // plugin offers it) and calls Allocate. ResourceExhausted when not enough
  // devices; the plugin's error otherwise. Records the pod on success.
  absl::StatusOr<PodAllocation> AllocatePod(const PodSpec& pod);
  // One raw Allocate call for one container.
  absl::StatusOr<v1beta1::AllocateResponse> Allocate(
      const std::string& resource, const std::vector<std::string>& ids);
  // One raw GetPreferredAllocation call for one container.
  absl::StatusOr<std::vector<std::string>> GetPreferredAllocation(
      const std::string& resource, const std::vector<std::string>& available,
      const std::vector<std::string>& must_include, int size);
  std::vector<PodAllocation> Pods() const;
  // Forgets a pod, as the kubelet does when it is deleted: its devices are
  // free again and PodResources no longer lists it. False if unknown.
  bool DeletePod(const std::string& pod_namespace, const std::string& name);
  const FakeKubeletOptions& options() const { return options_; }

 private:
  class RegistrationService;
  struct Stream;

  absl::Status HandleRegister(const v1beta1::RegisterRequest& request);
  void ReadStream(const std::string& resource, Stream* stream);
  void CloseStreams();
  std::string EndpointOf(const std::string& resource) const;

  // Immutable after construction.
  const FakeKubeletOptions options_;
  std::unique_ptr<RegistrationService> registration_;
  std::unique_ptr<grpc::Service> pod_resources_;

  absl::Mutex server_mu_;  // Serializes Start/Stop.
  std::unique_ptr<grpc::Server> server_ ABSL_GUARDED_BY(server_mu_);
  std::unique_ptr<grpc::Server> pod_server_ ABSL_GUARDED_BY(server_mu_);

  mutable absl::Mutex mu_;
  KubeletState state_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Stream>> retired_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> rejections_ ABSL_GUARDED_BY(mu_);
  // Dial-backs in flight inside Register; Stop() cancels them as a dying
  // kubelet would.
  std::set<grpc::ClientContext*> dialing_ ABSL_GUARDED_BY(mu_);
  std::vector<PodAllocation> pods_ ABSL_GUARDED_BY(mu_);
};

// The PodResources v1 service over `kubelet`'s pods (fake_kubelet_pods.cc).
std::unique_ptr<grpc::Service> NewPodResourcesService(FakeKubelet& kubelet);

// The kubelet's IsExtendedResourceName: "domain/name", not in
// *kubernetes.io, not "requests."-prefixed, a qualified name.
absl::Status CheckExtendedResourceName(const std::string& name);

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_FAKE_KUBELET_H_
