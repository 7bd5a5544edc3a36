// The gRPC glue every kubelet-facing piece shares: dialling a unix socket,
// and absl::Status <-> grpc::Status (both use the google.rpc code
// numbering, so codes map one to one). Pure; thread-safe.
#ifndef VGPU_PKG_KUBELET_GRPC_UTIL_H_
#define VGPU_PKG_KUBELET_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vgpu::kubelet {

struct DialOptions {
  // Largest message the channel accepts; 0 keeps gRPC's 4 MiB default.
  int max_receive_bytes = 0;
  // Reconnect within 1..100 ms instead of gRPC's backoff (seconds): for
  // sockets that are re-created while we wait on them (kubelet.sock).
  bool fast_reconnect = false;
};

// A channel to unix socket `path` ("unix:" + path) with its own subchannel
// pool, so a socket re-created under the same path is dialled afresh and a
// channel that saw the old one fail does not make this one wait.
std::shared_ptr<grpc::Channel> DialUnix(const std::string& path,
                                        const DialOptions& options = {});

// `status` with the same code and message; OK stays OK.
grpc::Status ToGrpcStatus(const absl::Status& status);

// A failed RPC as an absl::Status with the same code, its message prefixed
// by `what` ("what: message"); OK stays OK.
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view what);

}  // namespace vgpu::kubelet

#endif  // VGPU_PKG_KUBELET_GRPC_UTIL_H_
