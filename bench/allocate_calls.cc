#include "bench/allocate_calls.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/kubelet/grpc_util.h"

namespace vgpu::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

}  // namespace

absl::StatusOr<AllocateSamples> TimeAllocateCalls(
    const std::string& socket, const std::vector<std::string>& ids, int calls) {
  if (ids.empty()) return absl::InvalidArgumentError("no device to allocate");
  auto stub = v1beta1::DevicePlugin::NewStub(kubelet::DialUnix(socket));
  grpc::ClientContext watch_ctx;
  auto watch = stub->ListAndWatch(&watch_ctx, v1beta1::Empty());
  v1beta1::ListAndWatchResponse first;
  if (!watch->Read(&first)) {
    return absl::UnavailableError("ListAndWatch: no first message");
  }
  AllocateSamples out;
  constexpr int kWarmup = 200;
  for (int i = 0; i < kWarmup + calls; ++i) {
    v1beta1::AllocateRequest req;
    req.add_container_requests()->add_devices_ids(ids[i % ids.size()]);
    v1beta1::AllocateResponse resp;
    v1beta1::DevicePluginOptions opts;
    grpc::ClientContext c1, c2;
    Clock::time_point start = Clock::now();
    grpc::Status s1 =
        stub->GetDevicePluginOptions(&c1, v1beta1::Empty(), &opts);
    const double trivial = MicrosSince(start);
    start = Clock::now();
    grpc::Status s2 = stub->Allocate(&c2, req, &resp);
    const double alloc = MicrosSince(start);
    if (!s1.ok() || !s2.ok()) {
      return absl::InternalError(absl::StrCat(
          "rpc failed: ", s1.error_message(), " ", s2.error_message()));
    }
    if (i < kWarmup) continue;
    out.trivial_us.push_back(trivial);
    out.alloc_us.push_back(alloc);
  }
  watch_ctx.TryCancel();
  (void)watch->Finish();
  return out;
}

}  // namespace vgpu::bench
