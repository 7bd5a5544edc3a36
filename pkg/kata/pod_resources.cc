#include "pkg/kata/pod_resources.h"

#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "podresources/v1/api.grpc.pb.h"

namespace vgpu::kata {

std::vector<std::string> PodCdiDeviceNames(const v1::PodResources& pod) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const v1::ContainerResources& container : pod.containers()) {
    for (const v1::ContainerDevices& devices : container.devices()) {
      for (const std::string& id : devices.device_ids()) {
        std::string name = absl::StrCat(devices.resource_name(), "=", id);
        if (seen.insert(name).second) names.push_back(std::move(name));
      }
    }
  }
  return names;
}

absl::StatusOr<v1::PodResources> GetPodResources(
    const std::string& socket, const std::string& pod_namespace,
    const std::string& pod_name, absl::Duration timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      "unix:" + socket, grpc::InsecureChannelCredentials(), args);
  std::unique_ptr<v1::PodResourcesLister::Stub> stub =
      v1::PodResourcesLister::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetPodResourcesRequest request;
  request.set_pod_name(pod_name);
  request.set_pod_namespace(pod_namespace);
  v1::GetPodResourcesResponse response;
  const grpc::Status status = stub->Get(&context, request, &response);
  if (!status.ok()) {
    // gRPC and absl share the google.rpc code numbering.
    return absl::Status(
        static_cast<absl::StatusCode>(status.error_code()),
        absl::StrCat("podresources Get ", pod_namespace, "/", pod_name, " via ",
                     socket, ": ", status.error_message()));
  }
  return response.pod_resources();
}

}  // namespace vgpu::kata
