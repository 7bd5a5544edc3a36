// gRPC helpers shared by the kubelet emulator's translation units.
#ifndef VGPU_TEST_TESTING_GRPC_UTIL_H_
#define VGPU_TEST_TESTING_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vgpu::testing {

// A channel to a unix socket with its own subchannel pool, so that a plugin
// socket re-created under the same path is dialled afresh.
inline std::shared_ptr<grpc::Channel> DialUnixSocket(const std::string& path) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("unix:" + path,
                                   grpc::InsecureChannelCredentials(), args);
}

// A failed RPC as an absl::Status prefixed with `what`.
inline absl::Status FromGrpc(const grpc::Status& status,
                             const std::string& what) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

}  // namespace vgpu::testing

#endif  // VGPU_TEST_TESTING_GRPC_UTIL_H_
