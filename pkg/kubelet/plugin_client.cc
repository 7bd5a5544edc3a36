// Reading a device plugin's advertised devices; see plugin_client.h.
#include "pkg/kubelet/plugin_client.h"

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/kubelet/grpc_util.h"

namespace vgpu::kubelet {

absl::StatusOr<std::vector<std::string>> FirstListAndWatch(
    const std::string& socket, absl::Duration timeout) {
  const std::string what = absl::StrCat("ListAndWatch via ", socket);
  std::unique_ptr<v1beta1::DevicePlugin::Stub> stub =
      v1beta1::DevicePlugin::NewStub(DialUnix(socket));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  std::unique_ptr<grpc::ClientReader<v1beta1::ListAndWatchResponse>> reader =
      stub->ListAndWatch(&context, v1beta1::Empty());
  v1beta1::ListAndWatchResponse answer;
  if (!reader->Read(&answer)) {
    absl::Status status = FromGrpcStatus(reader->Finish(), what);
    if (status.ok()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": the stream ended unanswered"));
    }
    return status;
  }
  context.TryCancel();
  grpc::Status cancelled = reader->Finish();
  (void)cancelled;  // CANCELLED, as asked.
  std::vector<std::string> ids;
  ids.reserve(answer.devices_size());
  for (const v1beta1::Device& device : answer.devices()) {
    ids.push_back(device.id());
  }
  return ids;
}

}  // namespace vgpu::kubelet
