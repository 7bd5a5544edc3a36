// FakeKubelet's pod side: allocation of pods and the PodResources server.
#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/kubelet/grpc_util.h"
#include "podresources/v1/api.grpc.pb.h"
#include "test/testing/fake_kubelet.h"

namespace vgpu::testing {
namespace {

constexpr absl::Duration kRpcTimeout = absl::Seconds(10);

v1::TopologyInfo ToPodTopology(const v1beta1::Device& device) {
  v1::TopologyInfo out;
  for (const auto& node : device.topology().nodes()) {
    out.add_nodes()->set_id(node.id());
  }
  return out;
}

class PodResourcesService final : public v1::PodResourcesLister::Service {
 public:
  explicit PodResourcesService(FakeKubelet& kubelet) : kubelet_(kubelet) {}

  grpc::Status List(grpc::ServerContext*, const v1::ListPodResourcesRequest*,
                    v1::ListPodResourcesResponse* response) override {
    KubeletState state = kubelet_.State();
    for (const PodAllocation& pod : kubelet_.Pods()) {
      Fill(pod, state, response->add_pod_resources());
    }
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext*,
                   const v1::GetPodResourcesRequest* request,
                   v1::GetPodResourcesResponse* response) override {
    if (!kubelet_.options().pod_resources_get_enabled) {
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          "PodResources API Get method disabled");
    }
    KubeletState state = kubelet_.State();
    for (const PodAllocation& pod : kubelet_.Pods()) {
      if (pod.name == request->pod_name() &&
          pod.namespace_name == request->pod_namespace()) {
        Fill(pod, state, response->mutable_pod_resources());
        return grpc::Status::OK;
      }
    }
    return grpc::Status(
        grpc::StatusCode::UNKNOWN,
        absl::StrFormat("pod %s in namespace %s not found", request->pod_name(),
                        request->pod_namespace()));
  }

  grpc::Status GetAllocatableResources(
      grpc::ServerContext*, const v1::AllocatableResourcesRequest*,
      v1::AllocatableResourcesResponse* response) override {
    for (const auto& [resource, rs] : kubelet_.State()) {
      for (const auto& device : rs.devices) {
        if (device.health() != "Healthy") continue;
        auto* out = response->add_devices();
        out->set_resource_name(resource);
        out->add_device_ids(device.id());
        *out->mutable_topology() = ToPodTopology(device);
      }
    }
    return grpc::Status::OK;
  }

 private:
  // One ContainerDevices per device, with its topology, as the kubelet does.
  static void Fill(const PodAllocation& pod, const KubeletState& state,
                   v1::PodResources* out) {
    out->set_name(pod.name);
    out->set_namespace_(pod.namespace_name);
    for (const ContainerAllocation& c : pod.containers) {
      auto* container = out->add_containers();
      container->set_name(c.name);
      for (const auto& [resource, ids] : c.devices) {
        auto rs = state.find(resource);
        for (const std::string& id : ids) {
          auto* devices = container->add_devices();
          devices->set_resource_name(resource);
          devices->add_device_ids(id);
          const v1beta1::Device* d =
              rs == state.end() ? nullptr : rs->second.Find(id);
          if (d != nullptr) *devices->mutable_topology() = ToPodTopology(*d);
        }
      }
    }
  }

  FakeKubelet& kubelet_;
};

}  // namespace

std::unique_ptr<grpc::Service> NewPodResourcesService(FakeKubelet& kubelet) {
  return std::make_unique<PodResourcesService>(kubelet);
}

absl::StatusOr<v1beta1::AllocateResponse> FakeKubelet::Allocate(
    const std::string& resource, const std::vector<std::string>& ids) {
  std::string endpoint = EndpointOf(resource);
  if (endpoint.empty()) {
    return absl::NotFoundError("resource " + resource + " not registered");
  }
  auto stub = v1beta1::DevicePlugin::NewStub(
      kubelet::DialUnix(options_.plugin_dir + "/" + endpoint));
  v1beta1::AllocateRequest request;
  auto* container = request.add_container_requests();
  for (const std::string& id : ids) container->add_devices_ids(id);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
  v1beta1::AllocateResponse response;
  absl::Status status = kubelet::FromGrpcStatus(
      stub->Allocate(&context, request, &response), "Allocate " + resource);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<std::vector<std::string>> FakeKubelet::GetPreferredAllocation(
    const std::string& resource, const std::vector<std::string>& available,
    const std::vector<std::string>& must_include, int size) {
  std::string endpoint = EndpointOf(resource);
  if (endpoint.empty()) {
    return absl::NotFoundError("resource " + resource + " not registered");
  }
  auto stub = v1beta1::DevicePlugin::NewStub(
      kubelet::DialUnix(options_.plugin_dir + "/" + endpoint));
  v1beta1::PreferredAllocationRequest request;
  auto* container = request.add_container_requests();
  for (const auto& id : available) container->add_available_deviceids(id);
  for (const auto& id : must_include) container->add_must_include_deviceids(id);
  container->set_allocation_size(size);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kRpcTimeout));
  v1beta1::PreferredAllocationResponse response;
  absl::Status status = kubelet::FromGrpcStatus(
      stub->GetPreferredAllocation(&context, request, &response),
      "GetPreferredAllocation " + resource);
  if (!status.ok()) return status;
  if (response.container_responses_size() != 1) {
    return absl::InternalError(absl::StrCat(
        "GetPreferredAllocation ", resource, ": ",
        response.container_responses_size(), " container responses, want 1"));
  }
  const auto& ids = response.container_responses(0).deviceids();
  return std::vector<std::string>(ids.begin(), ids.end());
}

absl::StatusOr<PodAllocation> FakeKubelet::AllocatePod(const PodSpec& pod) {
  std::set<std::string> taken;
  KubeletState state = State();
  for (const PodAllocation& p : Pods()) {
    for (const auto& c : p.containers) {
      for (const auto& [resource, ids] : c.devices) {
        for (const auto& id : ids) taken.insert(resource + "\n" + id);
      }
    }
  }
  PodAllocation result{pod.namespace_name, pod.name, {}};
  for (const ContainerSpec& spec : pod.containers) {
    ContainerAllocation container{spec.name, {}, {}};
    for (const auto& [resource, count] : spec.requests) {
      auto rs = state.find(resource);
      if (rs == state.end()) {
        return absl::NotFoundError("resource " + resource + " not registered");
      }
      std::vector<std::string> available;
      for (const auto& d : rs->second.devices) {
        if (d.health() == "Healthy" &&
            taken.count(resource + "\n" + d.id()) == 0) {
          available.push_back(d.id());
        }
      }
      if (static_cast<int>(available.size()) < count) {
        return absl::ResourceExhaustedError(
            absl::StrCat("pod ", pod.namespace_name, "/", pod.name,
                         " container ", spec.name, ": wants ", count, " ",
                         resource, ", only ", available.size(), " available"));
      }
      std::vector<std::string> chosen(available.begin(),
                                      available.begin() + count);
      if (rs->second.options.get_preferred_allocation_available()) {
        auto preferred = GetPreferredAllocation(resource, available, {}, count);
        if (!preferred.ok()) return preferred.status();
        if (static_cast<int>(preferred->size()) == count) chosen = *preferred;
      }
      auto response = Allocate(resource, chosen);
      if (!response.ok()) return response.status();
      for (const auto& id : chosen) taken.insert(resource + "\n" + id);
      container.devices[resource] = chosen;
      for (const auto& r : response->container_responses()) {
        container.responses.push_back(r);
      }
    }
    result.containers.push_back(std::move(container));
  }
  absl::MutexLock lock(&mu_);
  pods_.push_back(result);
  return result;
}

}  // namespace vgpu::testing
