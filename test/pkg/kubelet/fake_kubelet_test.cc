// The kubelet emulator itself: registration checks, the dial-back, pods and
// the PodResources v1 API, restart semantics.
#include "test/testing/fake_kubelet.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/deviceplugin/resource_server.h"
#include "pkg/kubelet/grpc_util.h"
#include "pkg/kubelet/registrar.h"
#include "podresources/v1/api.grpc.pb.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

resources::Pool Pool(const std::string& name) {
  resources::Pool pool;
  pool.resource_name = name;
  for (int i = 0; i < 3; ++i) {
    resources::PoolDevice d;
    d.id = "0000:4" + std::to_string(i) + ":00.0";
    d.healthy = i != 2;
    d.unhealthy_reason = d.healthy ? "" : "dev/vfio/2 missing";
    d.numa_node = i == 0 ? 1 : -1;
    d.bdfs = {d.id};
    d.vfio_nodes = {"/dev/vfio/" + std::to_string(i)};
    d.iommu_groups = {i};
    pool.devices.push_back(d);
  }
  return pool;
}

class FakeKubeletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kubelet_ = std::make_unique<FakeKubelet>(FakeKubeletOptions{
        dir_.path(), dir_.path() + "/pod-resources.sock", true});
    ASSERT_THAT(kubelet_->Start(), IsOk());
    server_ = std::make_unique<deviceplugin::ResourceServer>(
        deviceplugin::ResourceServerOptions{
            dir_.path(), "example.com/gpu", {}, {}, nullptr},
        std::make_shared<const deviceplugin::ResourceSnapshot>(
            deviceplugin::ResourceSnapshot{Pool("example.com/gpu")}));
    ASSERT_THAT(server_->Start(), IsOk());
  }

  absl::Status Register(const std::string& version, const std::string& name) {
    grpc::ClientContext context;
    auto stub = v1beta1::Registration::NewStub(
        kubelet::DialUnix(dir_.path() + "/kubelet.sock"));
    v1beta1::RegisterRequest request;
    request.set_version(version);
    request.set_endpoint("vgpu-example.com-gpu.sock");
    request.set_resource_name(name);
    v1beta1::Empty empty;
    return kubelet::FromGrpcStatus(stub->Register(&context, request, &empty),
                                   "register");
  }

  std::unique_ptr<v1::PodResourcesLister::Stub> PodStub() {
    return v1::PodResourcesLister::NewStub(
        kubelet::DialUnix(dir_.path() + "/pod-resources.sock"));
  }

  TempDir dir_;
  std::unique_ptr<FakeKubelet> kubelet_;
  std::unique_ptr<deviceplugin::ResourceServer> server_;
};

TEST(CheckExtendedResourceNameTest, KubeletRules) {
  struct Case {
    std::string name;
    bool ok;
  };
  for (const Case& c : std::vector<Case>{
           {"nvidia.com/pgpu", true},
           {"nvidia.com/NVIDIA_A10-4Q", true},
           {"pgpu", false},
           {"kubernetes.io/gpu", false},
           {"foo.kubernetes.io/gpu", false},
           {"requests.nvidia.com/gpu", false},
           {"nvidia.com/" + std::string(64, 'a'), false},
           {"nvidia.com/-bad", false},
           {"Nvidia.com/gpu", false},
           {"a/b/c", false},
       }) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(CheckExtendedResourceName(c.name).ok(), c.ok);
  }
}

TEST_F(FakeKubeletTest, RegisterDialsBackAndStreams) {
  ASSERT_THAT(Register("v1beta1", "example.com/gpu"), IsOk());
  // GetDevicePluginOptions happened inside Register.
  KubeletState state = kubelet_->State();
  ASSERT_EQ(state.count("example.com/gpu"), 1u);
  EXPECT_TRUE(
      state["example.com/gpu"].options.get_preferred_allocation_available());
  ASSERT_TRUE(kubelet_->WaitForDevices("example.com/gpu", 3, kWait));
  state = kubelet_->State();
  EXPECT_EQ(state["example.com/gpu"].HealthyCount(), 2);
  EXPECT_EQ(state["example.com/gpu"].registrations, 1);
  // The size of the message as it came off the wire.
  v1beta1::ListAndWatchResponse sent;
  for (const v1beta1::Device& d : state["example.com/gpu"].devices) {
    *sent.add_devices() = d;
  }
  EXPECT_EQ(state["example.com/gpu"].message_bytes, sent.ByteSizeLong());
  EXPECT_GT(sent.ByteSizeLong(), 0u);
}

TEST_F(FakeKubeletTest, RejectsBadVersionAndName) {
  EXPECT_THAT(
      Register("v1alpha", "example.com/gpu"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("v1alpha")));
  EXPECT_THAT(Register("v1beta1", "gpu"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("gpu")));
  EXPECT_EQ(kubelet_->Rejections().size(), 2u);
  EXPECT_TRUE(kubelet_->State().empty());
}

TEST_F(FakeKubeletTest, RegisterFailsWhenEndpointDoesNotAnswer) {
  kubelet_->Stop();
  kubelet_ = std::make_unique<FakeKubelet>(
      FakeKubeletOptions{dir_.path(), "", true, absl::Milliseconds(200)});
  ASSERT_THAT(kubelet_->Start(), IsOk());
  server_->Stop();
  absl::Status s = Register("v1beta1", "example.com/gpu");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("GetDevicePluginOptions"));
}

TEST_F(FakeKubeletTest, AllocatesPodsAndServesPodResources) {
  ASSERT_THAT(Register("v1beta1", "example.com/gpu"), IsOk());
  ASSERT_TRUE(kubelet_->WaitForDevices("example.com/gpu", 3, kWait));
  auto pod =
      kubelet_->AllocatePod({"ns", "vm", {{"ctr", {{"example.com/gpu", 1}}}}});
  ASSERT_THAT(pod, IsOk());
  // GetPreferredAllocation's choice, deterministic.
  EXPECT_THAT(pod->containers[0].devices["example.com/gpu"],
              ElementsAre("0000:41:00.0"));
  // One healthy device left; two more cannot fit.
  EXPECT_THAT(
      kubelet_->AllocatePod({"ns", "vm2", {{"ctr", {{"example.com/gpu", 2}}}}}),
      StatusIs(absl::StatusCode::kResourceExhausted));

  auto stub = PodStub();
  grpc::ClientContext list_ctx;
  v1::ListPodResourcesResponse list;
  ASSERT_TRUE(stub->List(&list_ctx, {}, &list).ok());
  ASSERT_EQ(list.pod_resources_size(), 1);
  const auto& c = list.pod_resources(0).containers(0);
  EXPECT_EQ(c.name(), "ctr");
  EXPECT_EQ(c.devices(0).resource_name(), "example.com/gpu");
  EXPECT_EQ(c.devices(0).device_ids(0), "0000:41:00.0");
  EXPECT_EQ(c.devices(0).topology().nodes_size(), 0);  // numa -1.

  grpc::ClientContext get_ctx;
  v1::GetPodResourcesRequest get;
  get.set_pod_name("vm");
  get.set_pod_namespace("ns");
  v1::GetPodResourcesResponse got;
  ASSERT_TRUE(stub->Get(&get_ctx, get, &got).ok());
  EXPECT_EQ(got.pod_resources().name(), "vm");

  grpc::ClientContext missing_ctx;
  get.set_pod_name("nope");
  grpc::Status missing = stub->Get(&missing_ctx, get, &got);
  EXPECT_EQ(missing.error_message(), "pod nope in namespace ns not found");

  grpc::ClientContext alloc_ctx;
  v1::AllocatableResourcesResponse allocatable;
  ASSERT_TRUE(stub->GetAllocatableResources(&alloc_ctx, {}, &allocatable).ok());
  EXPECT_EQ(allocatable.devices_size(), 2);  // Healthy devices only.
}

TEST_F(FakeKubeletTest, GetCanBeDisabled) {
  kubelet_->Stop();
  kubelet_ = std::make_unique<FakeKubelet>(FakeKubeletOptions{
      dir_.path(), dir_.path() + "/pod-resources.sock", false});
  ASSERT_THAT(kubelet_->Start(), IsOk());
  grpc::ClientContext ctx;
  v1::GetPodResourcesRequest get;
  v1::GetPodResourcesResponse got;
  grpc::Status s = PodStub()->Get(&ctx, get, &got);
  EXPECT_EQ(s.error_message(), "PodResources API Get method disabled");
}

TEST_F(FakeKubeletTest, RestartDeletesPluginSocketsAndForgets) {
  ASSERT_THAT(Register("v1beta1", "example.com/gpu"), IsOk());
  ASSERT_TRUE(kubelet_->WaitForDevices("example.com/gpu", 3, kWait));
  ASSERT_THAT(kubelet_->Restart(), IsOk());
  struct stat st;
  EXPECT_NE(::stat(server_->socket_path().c_str(), &st), 0);
  EXPECT_EQ(::stat((dir_.path() + "/kubelet.sock").c_str(), &st), 0);
  EXPECT_TRUE(kubelet_->State().empty());
}

}  // namespace
}  // namespace vgpu::testing
