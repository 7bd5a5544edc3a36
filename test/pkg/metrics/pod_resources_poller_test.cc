#include "pkg/metrics/pod_resources_poller.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "pkg/base/logging.h"
#include "podresources/v1/api.grpc.pb.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

void AddDevices(v1::ContainerResources* container, const std::string& resource,
                std::initializer_list<const char*> ids) {
  v1::ContainerDevices* devices = container->add_devices();
  devices->set_resource_name(resource);
  for (const char* id : ids) devices->add_device_ids(id);
}

// pod a: init container and app container share pgpu 0000:41:00.0, the app
// also holds one GRID device and one foreign device; pod b: pgpu 42:00.0.
v1::ListPodResourcesResponse SampleResponse() {
  v1::ListPodResourcesResponse response;
  v1::PodResources* a = response.add_pod_resources();
  a->set_name("a");
  a->set_namespace_("default");
  AddDevices(a->add_containers(), "nvidia.com/pgpu", {"0000:41:00.0"});
  v1::ContainerResources* app = a->add_containers();
  AddDevices(app, "nvidia.com/pgpu", {"0000:41:00.0"});
  AddDevices(app, "nvidia.com/GRID_A100-4C", {"uuid-1"});
  AddDevices(app, "example.com/nic", {"nic0", "nic1"});
  v1::PodResources* b = response.add_pod_resources();
  b->set_name("b");
  b->set_namespace_("default");
  AddDevices(b->add_containers(), "nvidia.com/pgpu", {"0000:42:00.0"});
  return response;
}

class FakePodResources final : public v1::PodResourcesLister::Service {
 public:
  grpc::Status List(grpc::ServerContext* /*context*/,
                    const v1::ListPodResourcesRequest* /*request*/,
                    v1::ListPodResourcesResponse* response) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    *response = response_;
    return status_;
  }
  void Set(v1::ListPodResourcesResponse response, grpc::Status status) {
    absl::MutexLock lock(&mu_);
    response_ = std::move(response);
    status_ = std::move(status);
  }

 private:
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  v1::ListPodResourcesResponse response_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

class PodResourcesPollerTest : public ::testing::Test {
 protected:
  void StartKubelet() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_,
                             grpc::InsecureServerCredentials());
    builder.RegisterService(&fake_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }
  std::string Exposition() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, metrics_.registry()->Collect());
    return out.str();
  }
  PodResourcesPoller::Options Options(absl::Duration period) {
    PodResourcesPoller::Options options;
    options.socket_path = socket_;
    options.period = period;
    return options;
  }
  // Polls the exposition (not the poller) with a deadline.
  bool WaitForExposition(const std::string& needle) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (Exposition().find(needle) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return false;
  }

  vgpu::testing::TempDir dir_;
  const std::string socket_ = dir_.path() + "/kubelet.sock";
  FakePodResources fake_;
  std::unique_ptr<grpc::Server> server_;
  DaemonMetrics metrics_{"test"};
};

TEST(CountAllocatedTest, CountsDistinctDevicesOfServedResources) {
  EXPECT_THAT(
      CountAllocated(
          SampleResponse(),
          {"nvidia.com/pgpu", "nvidia.com/GRID_A100-4C", "nvidia.com/unused"}),
      ElementsAre(Pair("nvidia.com/GRID_A100-4C", 1),
                  Pair("nvidia.com/pgpu", 2), Pair("nvidia.com/unused", 0)));
  EXPECT_THAT(CountAllocated(SampleResponse(), {}), ElementsAre());
}

TEST_F(PodResourcesPollerTest, PublishesCountsFromList) {
  ASSERT_NO_FATAL_FAILURE(StartKubelet());
  fake_.Set(SampleResponse(), grpc::Status::OK);
  PodResourcesPoller poller(Options(absl::Hours(1)), metrics_);
  poller.SetResources({"nvidia.com/pgpu", "nvidia.com/GRID_A100-4C"});
  EXPECT_THAT(poller.PollOnce(),
              IsOkAndHolds(ElementsAre(Pair("nvidia.com/GRID_A100-4C", 1),
                                       Pair("nvidia.com/pgpu", 2))));
  const std::string text = Exposition();
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                              "\"nvidia.com/pgpu\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("vgpu_device_plugin_allocated_devices{resource="
                              "\"nvidia.com/GRID_A100-4C\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("example.com/nic")));
}

TEST_F(PodResourcesPollerTest, AbsentSocketIsNotFoundAndDropsTheGauge) {
  metrics_.SetAllocated({{"nvidia.com/pgpu", 3}}, true);
  PodResourcesPoller poller(Options(absl::Hours(1)), metrics_);
  poller.SetResources({"nvidia.com/pgpu"});
  EXPECT_THAT(poller.PollOnce().status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(socket_)));
  EXPECT_THAT(poller.PollOnce().status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Exposition(), Not(HasSubstr("allocated_devices{")));
}

TEST_F(PodResourcesPollerTest, LogsAnAbsentSocketOnce) {
  const std::string log_path = dir_.path() + "/log";
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  logging::SetOutputFdForTest(fd);
  PodResourcesPoller poller(Options(absl::Hours(1)), metrics_);
  for (int i = 0; i < 3; ++i) poller.PollOnce().IgnoreError();
  ASSERT_NO_FATAL_FAILURE(StartKubelet());  // The socket appears.
  for (int i = 0; i < 2; ++i) poller.PollOnce().IgnoreError();
  logging::SetOutputFdForTest(2);
  ::close(fd);
  std::ifstream in(log_path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string log = text.str();
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  EXPECT_THAT(log, HasSubstr("pod resources socket " + socket_ + " is absent"));
  EXPECT_THAT(log, HasSubstr("reading allocations from the kubelet"));
}

TEST_F(PodResourcesPollerTest, FailedListIsUnavailableAndDropsTheGauge) {
  ASSERT_NO_FATAL_FAILURE(StartKubelet());
  fake_.Set(SampleResponse(), grpc::Status::OK);
  PodResourcesPoller poller(Options(absl::Hours(1)), metrics_);
  poller.SetResources({"nvidia.com/pgpu"});
  ASSERT_THAT(poller.PollOnce().status(), IsOk());
  fake_.Set({}, grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "nope"));
  EXPECT_THAT(poller.PollOnce().status(),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("podresources List via " + socket_)));
  EXPECT_THAT(Exposition(), Not(HasSubstr("allocated_devices{")));
}

TEST_F(PodResourcesPollerTest, ThreadFollowsAllocationsUntilStopped) {
  ASSERT_NO_FATAL_FAILURE(StartKubelet());
  fake_.Set(SampleResponse(), grpc::Status::OK);
  PodResourcesPoller poller(Options(absl::Milliseconds(10)), metrics_);
  poller.SetResources({"nvidia.com/pgpu"});
  poller.Start();
  EXPECT_TRUE(
      WaitForExposition("allocated_devices{resource=\"nvidia.com/pgpu\"} 2\n"));
  fake_.Set({}, grpc::Status::OK);  // Both pods ended.
  EXPECT_TRUE(
      WaitForExposition("allocated_devices{resource=\"nvidia.com/pgpu\"} 0\n"));
  poller.Stop();
  poller.Stop();
}

}  // namespace
}  // namespace vgpu::metrics
