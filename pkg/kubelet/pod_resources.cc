#include "pkg/kubelet/pod_resources.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "pkg/kubelet/grpc_util.h"
#include "podresources/v1/api.grpc.pb.h"

namespace vgpu::kubelet {
namespace {

// Kata's limit; a node with many pods answers List with a large message.
constexpr int kMaxReceiveBytes = 16 << 20;

std::unique_ptr<v1::PodResourcesLister::Stub> DialPodResources(
    const std::string& socket) {
  return v1::PodResourcesLister::NewStub(
      DialUnix(socket, {.max_receive_bytes = kMaxReceiveBytes}));
}

}  // namespace

absl::StatusOr<v1::PodResources> GetPodResources(
    const std::string& socket, const std::string& pod_namespace,
    const std::string& pod_name, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::GetPodResourcesRequest request;
  request.set_pod_name(pod_name);
  request.set_pod_namespace(pod_namespace);
  v1::GetPodResourcesResponse response;
  absl::Status status = FromGrpcStatus(
      DialPodResources(socket)->Get(&context, request, &response),
      absl::StrCat("podresources Get ", pod_namespace, "/", pod_name, " via ",
                   socket));
  if (!status.ok()) return status;
  return response.pod_resources();
}

absl::StatusOr<v1::ListPodResourcesResponse> ListPodResources(
    const std::string& socket, absl::Duration timeout) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  v1::ListPodResourcesResponse response;
  absl::Status status =
      FromGrpcStatus(DialPodResources(socket)->List(
                         &context, v1::ListPodResourcesRequest(), &response),
                     absl::StrCat("podresources List via ", socket));
  if (!status.ok()) return status;
  return response;
}

}  // namespace vgpu::kubelet
