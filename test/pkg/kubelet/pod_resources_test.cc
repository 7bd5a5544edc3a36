#include "pkg/kubelet/pod_resources.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "podresources/v1/api.grpc.pb.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::kubelet {
namespace {

using ::testing::ElementsAre;
using ::vgpu::testing::StatusIs;

// Answers Get like the kubelet: the pod when known, NotFound otherwise, or
// the feature-gate error when Get is disabled. List answers the one pod.
class FakePodResources final : public v1::PodResourcesLister::Service {
 public:
  explicit FakePodResources(v1::PodResources pod, bool enabled = true)
      : pod_(std::move(pod)), enabled_(enabled) {}

  grpc::Status Get(grpc::ServerContext*, const v1::GetPodResourcesRequest* req,
                   v1::GetPodResourcesResponse* resp) override {
    if (!enabled_) {
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          "PodResources API Get method disabled");
    }
    if (req->pod_name() != pod_.name() ||
        req->pod_namespace() != pod_.namespace_()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "pod " + req->pod_name() + " in namespace " +
                              req->pod_namespace() + " not found");
    }
    *resp->mutable_pod_resources() = pod_;
    return grpc::Status::OK;
  }

  grpc::Status List(grpc::ServerContext*, const v1::ListPodResourcesRequest*,
                    v1::ListPodResourcesResponse* resp) override {
    *resp->add_pod_resources() = pod_;
    return grpc::Status::OK;
  }

 private:
  const v1::PodResources pod_;
  const bool enabled_;
};

v1::PodResources TwoContainerPod() {
  v1::PodResources pod;
  pod.set_name("cuda");
  pod.set_namespace_("ml");
  v1::ContainerResources* a = pod.add_containers();
  a->set_name("a");
  v1::ContainerDevices* d = a->add_devices();
  d->set_resource_name("nvidia.com/pgpu");
  d->add_device_ids("0000:42:00.0");
  d->add_device_ids("0000:61:00.0");
  v1::ContainerResources* b = pod.add_containers();
  b->set_name("b");
  d = b->add_devices();
  d->set_resource_name("nvidia.com/nvswitch");
  d->add_device_ids("0000:07:00.0");
  // DRA claims are not cold-plugged by Kata.
  b->add_dynamic_resources()
      ->add_claim_resources()
      ->add_cdi_devices()
      ->set_name("example.com/dra=1");
  return pod;
}

class PodResourcesTest : public ::testing::Test {
 protected:
  void Serve(bool enabled = true) {
    service_ = std::make_unique<FakePodResources>(TwoContainerPod(), enabled);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + Socket(),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }
  std::string Socket() const { return tmp_.path() + "/kubelet.sock"; }

  vgpu::testing::TempDir tmp_;
  std::unique_ptr<FakePodResources> service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(PodResourcesTest, GetsThePodOverTheSocket) {
  Serve();
  auto pod = GetPodResources(Socket(), "ml", "cuda");
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(pod->name(), "cuda");
  ASSERT_EQ(pod->containers_size(), 2);
  EXPECT_THAT(pod->containers(0).devices(0).device_ids(),
              ElementsAre("0000:42:00.0", "0000:61:00.0"));
}

TEST_F(PodResourcesTest, ListsEveryPodOverTheSocket) {
  Serve();
  auto list = ListPodResources(Socket());
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->pod_resources_size(), 1);
  EXPECT_EQ(list->pod_resources(0).name(), "cuda");
}

TEST_F(PodResourcesTest, KubeletErrorsKeepTheirCodeAndSayWhatWasAsked) {
  Serve();
  EXPECT_THAT(GetPodResources(Socket(), "ml", "other"),
              StatusIs(absl::StatusCode::kNotFound,
                       "podresources Get ml/other via " + Socket() +
                           ": pod other in namespace ml not found"));
}

TEST_F(PodResourcesTest, DisabledGetIsReported) {
  Serve(/*enabled=*/false);
  EXPECT_THAT(GetPodResources(Socket(), "ml", "cuda"),
              StatusIs(absl::StatusCode::kUnknown,
                       "podresources Get ml/cuda via " + Socket() +
                           ": PodResources API Get method disabled"));
}

TEST_F(PodResourcesTest, NoServerIsUnavailable) {
  EXPECT_THAT(GetPodResources(Socket(), "ml", "cuda", absl::Seconds(5)),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ListPodResources(Socket(), absl::Seconds(5)),
              StatusIs(absl::StatusCode::kUnavailable,
                       ::testing::StartsWith("podresources List via " +
                                             Socket() + ": ")));
}

}  // namespace
}  // namespace vgpu::kubelet
