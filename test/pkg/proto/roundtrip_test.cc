// Round-trips every message of the kubelet APIs with every field set, and pins
// the wire contract (packages, field names and numbers, service methods).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/message_differencer.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "deviceplugin/v1beta1/api.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "podresources/v1/api.grpc.pb.h"
#include "podresources/v1/api.pb.h"

namespace vgpu {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void Fill(Message& m, int depth);

void SetScalar(Message& m, const FieldDescriptor* f, int depth) {
  const Reflection* r = m.GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(&m, f, "s-" + f->name())
          : r->SetString(&m, f, "s-" + f->name());
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      rep ? r->AddBool(&m, f, true) : r->SetBool(&m, f, true);
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      rep ? r->AddInt32(&m, f, -7) : r->SetInt32(&m, f, -7);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      rep ? r->AddInt64(&m, f, 1LL << 40) : r->SetInt64(&m, f, 1LL << 40);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      rep ? r->AddUInt64(&m, f, 1ULL << 50) : r->SetUInt64(&m, f, 1ULL << 50);
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(&m, f) : r->MutableMessage(&m, f);
      if (f->is_map()) {
        // Map entries: key and value are strings in these APIs.
        Fill(*sub, depth + 1);
      } else if (depth < 4) {
        Fill(*sub, depth + 1);
      }
      break;
    }
    default:
      FAIL() << "unexpected field type in " << f->full_name();
  }
}

void Fill(Message& m, int depth) {
  const Descriptor* d = m.GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    SetScalar(m, d->field(i), depth);
  }
}

void RoundTripAll(const FileDescriptor* file) {
  google::protobuf::DynamicMessageFactory factory;
  ASSERT_GT(file->message_type_count(), 0);
  for (int i = 0; i < file->message_type_count(); ++i) {
    const Descriptor* d = file->message_type(i);
    SCOPED_TRACE(d->full_name());
    std::unique_ptr<Message> in(factory.GetPrototype(d)->New());
    Fill(*in, 0);
    std::string wire;
    ASSERT_TRUE(in->SerializeToString(&wire));
    std::unique_ptr<Message> out(factory.GetPrototype(d)->New());
    ASSERT_TRUE(out->ParseFromString(wire));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*in, *out));
    if (d->field_count() > 0) {
      EXPECT_FALSE(wire.empty());
    }
  }
}

TEST(ProtoRoundTripTest, EveryDevicePluginMessage) {
  RoundTripAll(v1beta1::Device::descriptor()->file());
}

TEST(ProtoRoundTripTest, EveryPodResourcesMessage) {
  RoundTripAll(v1::PodResources::descriptor()->file());
}

// "Message.field" -> number, from the published API surface.
void ExpectFieldNumbers(const FileDescriptor* file,
                        const std::map<std::string, int>& want) {
  for (const auto& [name, number] : want) {
    SCOPED_TRACE(name);
    size_t dot = name.find('.');
    const Descriptor* d = file->FindMessageTypeByName(name.substr(0, dot));
    ASSERT_NE(d, nullptr);
    const FieldDescriptor* f = d->FindFieldByName(name.substr(dot + 1));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->number(), number);
  }
}

TEST(ProtoContractTest, DevicePluginFieldNumbers) {
  const FileDescriptor* file = v1beta1::Device::descriptor()->file();
  EXPECT_EQ(file->package(), "v1beta1");
  ExpectFieldNumbers(
      file, {{"DevicePluginOptions.pre_start_required", 1},
             {"DevicePluginOptions.get_preferred_allocation_available", 2},
             {"RegisterRequest.version", 1},
             {"RegisterRequest.endpoint", 2},
             {"RegisterRequest.resource_name", 3},
             {"RegisterRequest.options", 4},
             {"ListAndWatchResponse.devices", 1},
             {"TopologyInfo.nodes", 1},
             {"NUMANode.ID", 1},
             {"Device.ID", 1},
             {"Device.health", 2},
             {"Device.topology", 3},
             {"PreStartContainerRequest.devices_ids", 1},
             {"PreferredAllocationRequest.container_requests", 1},
             {"ContainerPreferredAllocationRequest.available_deviceIDs", 1},
             {"ContainerPreferredAllocationRequest.must_include_deviceIDs", 2},
             {"ContainerPreferredAllocationRequest.allocation_size", 3},
             {"PreferredAllocationResponse.container_responses", 1},
             {"ContainerPreferredAllocationResponse.deviceIDs", 1},
             {"AllocateRequest.container_requests", 1},
             {"ContainerAllocateRequest.devices_ids", 1},
             {"CDIDevice.name", 1},
             {"AllocateResponse.container_responses", 1},
             {"ContainerAllocateResponse.envs", 1},
             {"ContainerAllocateResponse.mounts", 2},
             {"ContainerAllocateResponse.devices", 3},
             {"ContainerAllocateResponse.annotations", 4},
             {"ContainerAllocateResponse.cdi_devices", 5},
             {"Mount.container_path", 1},
             {"Mount.host_path", 2},
             {"Mount.read_only", 3},
             {"DeviceSpec.container_path", 1},
             {"DeviceSpec.host_path", 2},
             {"DeviceSpec.permissions", 3}});
}

TEST(ProtoContractTest, PodResourcesFieldNumbers) {
  const FileDescriptor* file = v1::PodResources::descriptor()->file();
  EXPECT_EQ(file->package(), "v1");
  ExpectFieldNumbers(file, {{"AllocatableResourcesResponse.devices", 1},
                            {"AllocatableResourcesResponse.cpu_ids", 2},
                            {"AllocatableResourcesResponse.memory", 3},
                            {"ListPodResourcesResponse.pod_resources", 1},
                            {"PodResources.name", 1},
                            {"PodResources.namespace", 2},
                            {"PodResources.containers", 3},
                            {"ContainerResources.name", 1},
                            {"ContainerResources.devices", 2},
                            {"ContainerResources.cpu_ids", 3},
                            {"ContainerResources.memory", 4},
                            {"ContainerResources.dynamic_resources", 5},
                            {"ContainerMemory.memory_type", 1},
                            {"ContainerMemory.size", 2},
                            {"ContainerMemory.topology", 3},
                            {"ContainerDevices.resource_name", 1},
                            {"ContainerDevices.device_ids", 2},
                            {"ContainerDevices.topology", 3},
                            {"NUMANode.ID", 1},
                            {"DynamicResource.claim_name", 2},
                            {"DynamicResource.claim_namespace", 3},
                            {"DynamicResource.claim_resources", 4},
                            {"ClaimResource.cdi_devices", 1},
                            {"ClaimResource.driver_name", 2},
                            {"ClaimResource.pool_name", 3},
                            {"ClaimResource.device_name", 4},
                            {"CDIDevice.name", 1},
                            {"GetPodResourcesRequest.pod_name", 1},
                            {"GetPodResourcesRequest.pod_namespace", 2},
                            {"GetPodResourcesResponse.pod_resources", 1}});
}

std::vector<std::string> MethodPaths(
    const google::protobuf::ServiceDescriptor* s) {
  std::vector<std::string> out;
  for (int i = 0; i < s->method_count(); ++i) {
    out.push_back("/" + s->full_name() + "/" + s->method(i)->name());
  }
  return out;
}

TEST(ProtoContractTest, ServicePaths) {
  using ::testing::ElementsAre;
  const FileDescriptor* dp = v1beta1::Device::descriptor()->file();
  EXPECT_THAT(MethodPaths(dp->FindServiceByName("Registration")),
              ElementsAre("/v1beta1.Registration/Register"));
  EXPECT_THAT(MethodPaths(dp->FindServiceByName("DevicePlugin")),
              ElementsAre("/v1beta1.DevicePlugin/GetDevicePluginOptions",
                          "/v1beta1.DevicePlugin/ListAndWatch",
                          "/v1beta1.DevicePlugin/GetPreferredAllocation",
                          "/v1beta1.DevicePlugin/Allocate",
                          "/v1beta1.DevicePlugin/PreStartContainer"));
  EXPECT_TRUE(dp->FindServiceByName("DevicePlugin")
                  ->FindMethodByName("ListAndWatch")
                  ->server_streaming());
  const FileDescriptor* pr = v1::PodResources::descriptor()->file();
  EXPECT_THAT(MethodPaths(pr->FindServiceByName("PodResourcesLister")),
              ElementsAre("/v1.PodResourcesLister/List",
                          "/v1.PodResourcesLister/GetAllocatableResources",
                          "/v1.PodResourcesLister/Get"));
}

}  // namespace
}  // namespace vgpu
