#include "pkg/kubelet/grpc_util.h"

#include "absl/strings/str_cat.h"

namespace vgpu::kubelet {

std::shared_ptr<grpc::Channel> DialUnix(const std::string& path,
                                        const DialOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (options.max_receive_bytes > 0) {
    args.SetMaxReceiveMessageSize(options.max_receive_bytes);
  }
  if (options.fast_reconnect) {
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 1);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  }
  return grpc::CreateCustomChannel("unix:" + path,
                                   grpc::InsecureChannelCredentials(), args);
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status,
                            absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

}  // namespace vgpu::kubelet
