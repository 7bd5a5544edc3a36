#include "pkg/deviceplugin/resource_server.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/kubelet/grpc_util.h"
#include "pkg/metrics/daemon_metrics.h"
#include "pkg/metrics/metrics_server.h"
#include "test/pkg/deviceplugin/test_pools.h"
#include "test/testing/http_get.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::deviceplugin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

// Reads a ListAndWatch stream on its own thread, recording each message.
class StreamReader {
 public:
  explicit StreamReader(v1beta1::DevicePlugin::Stub& stub)
      : thread_([this, &stub] {
          auto reader = stub.ListAndWatch(&context_, v1beta1::Empty());
          v1beta1::ListAndWatchResponse msg;
          while (reader->Read(&msg)) {
            absl::MutexLock lock(&mu_);
            messages_.push_back(msg);
          }
          grpc::Status status = reader->Finish();
          absl::MutexLock lock(&mu_);
          done_ = true;
          final_code_ = status.error_code();
        }) {}
  ~StreamReader() {
    context_.TryCancel();
    thread_.join();
  }
  // Waits for a message satisfying `pred`; returns it or nullopt.
  std::optional<v1beta1::ListAndWatchResponse> WaitFor(
      const std::function<bool(const v1beta1::ListAndWatchResponse&)>& pred) {
    absl::MutexLock lock(&mu_);
    auto found = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !messages_.empty() && pred(messages_.back());
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&found), absl::Seconds(10))) {
      return std::nullopt;
    }
    return messages_.back();
  }
  bool WaitDone() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), absl::Seconds(10));
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return messages_.size();
  }

 private:
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<v1beta1::ListAndWatchResponse> messages_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::StatusCode final_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;
  std::thread thread_;
};

class ResourceServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ResourceServer>(
        ResourceServerOptions{
            dir_.path(), "nvidia.com/pgpu", {}, {}, &metrics_},
        Snap(PgpuPool()));
    ASSERT_THAT(server_->Start(), IsOk());
    stub_ = v1beta1::DevicePlugin::NewStub(
        kubelet::DialUnix(server_->socket_path()));
  }

  grpc::Status Allocate(const std::vector<std::vector<std::string>>& ids,
                        v1beta1::AllocateResponse* response) {
    v1beta1::AllocateRequest request;
    for (const auto& container : ids) {
      auto* c = request.add_container_requests();
      for (const auto& id : container) c->add_devices_ids(id);
    }
    grpc::ClientContext context;
    return stub_->Allocate(&context, request, response);
  }

  testing::TempDir dir_;
  metrics::DaemonMetrics metrics_{"0.0.0-test"};  // Outlives server_.
  std::unique_ptr<ResourceServer> server_;
  std::unique_ptr<v1beta1::DevicePlugin::Stub> stub_;
};

TEST_F(ResourceServerTest, SocketIsPrivateAndNamedForResource) {
  EXPECT_EQ(server_->socket_path(), dir_.path() + "/vgpu-nvidia.com-pgpu.sock");
  struct stat st;
  ASSERT_EQ(::stat(server_->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(server_->Start(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ResourceServerTest, OptionsOfferPreferredAllocation) {
  grpc::ClientContext context;
  v1beta1::DevicePluginOptions options;
  ASSERT_TRUE(
      stub_->GetDevicePluginOptions(&context, v1beta1::Empty(), &options).ok());
  EXPECT_FALSE(options.pre_start_required());
  EXPECT_TRUE(options.get_preferred_allocation_available());
  grpc::ClientContext pre;
  v1beta1::PreStartContainerResponse pre_response;
  EXPECT_TRUE(stub_->PreStartContainer(&pre, {}, &pre_response).ok());
}

TEST_F(ResourceServerTest, ListAndWatchSendsFullListThenChanges) {
  StreamReader reader(*stub_);
  auto first =
      reader.WaitFor([](const auto& m) { return m.devices_size() == 3; });
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->devices(0).id(), "0000:41:00.0");
  EXPECT_EQ(first->devices(0).topology().nodes(0).id(), 0);
  EXPECT_EQ(first->devices(2).health(), "Unhealthy");
  EXPECT_FALSE(first->devices(2).has_topology());

  resources::Pool changed = PgpuPool();
  changed.devices[0].healthy = false;
  server_->Update(Snap(changed));
  auto second = reader.WaitFor(
      [](const auto& m) { return m.devices(0).health() == "Unhealthy"; });
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->devices_size(), 3);
  EXPECT_EQ(reader.count(), 2u);
}

TEST_F(ResourceServerTest, UpdatesCoalesceAndEndWithNewest) {
  StreamReader reader(*stub_);
  ASSERT_TRUE(reader.WaitFor([](const auto&) { return true; }).has_value());
  for (int i = 1; i <= 200; ++i) {
    resources::Pool pool = PgpuPool();
    pool.devices.resize(1 + i % 3);
    // Only the newest snapshot has 0000:42:00.0 unhealthy.
    if (i == 200) pool.devices = {Gpu("0000:42:00.0", 25, 1, false)};
    server_->Update(Snap(pool));
  }
  auto last = reader.WaitFor([](const auto& m) {
    return m.devices_size() == 1 && m.devices(0).health() == "Unhealthy";
  });
  ASSERT_TRUE(last.has_value());
  EXPECT_LE(reader.count(), 201u);
  EXPECT_EQ(server_->LastSent()->pool.devices.size(), 1u);
  EXPECT_FALSE(server_->LastSent()->pool.devices[0].healthy);
}

TEST_F(ResourceServerTest, AllocateRejectsUnknownDuplicateUnhealthy) {
  v1beta1::AllocateResponse response;
  grpc::Status unknown = Allocate({{"0000:99:00.0"}}, &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unknown.error_message(), HasSubstr("0000:99:00.0"));

  grpc::Status duplicate =
      Allocate({{"0000:41:00.0"}, {"0000:41:00.0"}}, &response);
  EXPECT_EQ(duplicate.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(duplicate.error_message(), HasSubstr("0000:41:00.0"));

  grpc::Status unhealthy = Allocate({{"0000:61:00.0"}}, &response);
  EXPECT_EQ(unhealthy.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(unhealthy.error_message(), HasSubstr("0000:61:00.0"));
}

// The reasons docs/observability.md and monitoring/alerts_test.yaml promise,
// read back from a real scrape after real failed Allocate calls.
TEST_F(ResourceServerTest, FailedAllocateIsCountedBySnakeCaseReason) {
  v1beta1::AllocateResponse response;
  EXPECT_FALSE(Allocate({{"0000:99:00.0"}}, &response).ok());
  EXPECT_FALSE(Allocate({{"0000:41:00.0"}, {"0000:41:00.0"}}, &response).ok());
  EXPECT_FALSE(Allocate({{"0000:61:00.0"}}, &response).ok());
  EXPECT_FALSE(Allocate({{"0000:61:00.0"}}, &response).ok());
  const std::vector<std::string> no_ids;
  EXPECT_FALSE(Allocate({no_ids}, &response).ok());
  auto scrape_server =
      metrics::MetricsServer::Start("127.0.0.1:0", metrics_.registry(), {}, {});
  ASSERT_THAT(scrape_server.status(), IsOk());
  auto scrape = vgpu::testing::HttpGet((*scrape_server)->port(), "/metrics");
  ASSERT_THAT(scrape.status(), IsOk());
  const std::string series = "vgpu_device_plugin_allocation_errors_total{";
  const std::string resource = "\",resource=\"nvidia.com/pgpu\"} ";
  EXPECT_THAT(scrape->body,
              HasSubstr(series + "reason=\"unknown_device" + resource + "1\n"));
  EXPECT_THAT(scrape->body, HasSubstr(series + "reason=\"duplicate_device" +
                                      resource + "1\n"));
  EXPECT_THAT(scrape->body, HasSubstr(series + "reason=\"unhealthy_device" +
                                      resource + "2\n"));
  EXPECT_THAT(scrape->body,
              HasSubstr(series + "reason=\"empty_request" + resource + "1\n"));
  EXPECT_THAT(scrape->body, Not(HasSubstr("reason=\"INVALID_ARGUMENT\"")));
  EXPECT_THAT(scrape->body, Not(HasSubstr("reason=\"FAILED_PRECONDITION\"")));
}

TEST_F(ResourceServerTest, AllocateGivesEachContainerItsOwnDevices) {
  v1beta1::AllocateResponse response;
  ASSERT_TRUE(Allocate({{"0000:41:00.0"}, {"0000:42:00.0"}}, &response).ok());
  ASSERT_EQ(response.container_responses_size(), 2);
  auto paths = [](const v1beta1::ContainerAllocateResponse& r) {
    std::vector<std::string> out;
    for (const auto& d : r.devices()) out.push_back(d.host_path());
    return out;
  };
  EXPECT_THAT(paths(response.container_responses(0)),
              ::testing::Contains("/dev/vfio/24"));
  EXPECT_THAT(paths(response.container_responses(0)),
              ::testing::Not(::testing::Contains("/dev/vfio/25")));
  EXPECT_THAT(paths(response.container_responses(1)),
              ::testing::Contains("/dev/vfio/25"));
  EXPECT_THAT(paths(response.container_responses(1)),
              ::testing::Not(::testing::Contains("/dev/vfio/24")));
}

TEST_F(ResourceServerTest, AllocateAnswersFromWhatTheStreamSent) {
  StreamReader reader(*stub_);
  ASSERT_TRUE(
      reader.WaitFor([](const auto& m) { return m.devices_size() == 3; })
          .has_value());
  resources::Pool more = PgpuPool();
  more.devices.push_back(Gpu("0000:81:00.0", 40, 1));
  server_->Update(Snap(more));
  ASSERT_TRUE(
      reader.WaitFor([](const auto& m) { return m.devices_size() == 4; })
          .has_value());
  v1beta1::AllocateResponse response;
  EXPECT_TRUE(Allocate({{"0000:81:00.0"}}, &response).ok());
}

TEST_F(ResourceServerTest, StopEndsStreamsRemovesSocketAndRestarts) {
  StreamReader reader(*stub_);
  ASSERT_TRUE(reader.WaitFor([](const auto&) { return true; }).has_value());
  server_->Stop();
  EXPECT_TRUE(reader.WaitDone());
  struct stat st;
  EXPECT_NE(::stat(server_->socket_path().c_str(), &st), 0);
  EXPECT_FALSE(server_->serving());
  ASSERT_THAT(server_->Start(), IsOk());
  EXPECT_EQ(::stat(server_->socket_path().c_str(), &st), 0);
  auto stub =
      v1beta1::DevicePlugin::NewStub(kubelet::DialUnix(server_->socket_path()));
  StreamReader again(*stub);
  EXPECT_TRUE(again.WaitFor([](const auto& m) { return m.devices_size() == 3; })
                  .has_value());
}

}  // namespace
}  // namespace vgpu::deviceplugin
