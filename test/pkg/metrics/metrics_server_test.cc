#include "pkg/metrics/metrics_server.h"

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/metrics/daemon_metrics.h"
#include "prometheus/registry.h"
#include "test/testing/http_get.h"
#include "test/testing/sample_host.h"
#include "test/testing/status_matchers.h"

namespace vgpu::metrics {
namespace {

using ::testing::HasSubstr;
using testing::HttpGet;
using testing::HttpResponse;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

class MetricsServerTest : public ::testing::Test {
 protected:
  void StartServer() {
    absl::StatusOr<std::unique_ptr<MetricsServer>> server =
        MetricsServer::Start(
            "127.0.0.1:0", metrics_.registry(),
            [this]() -> absl::Status {
              if (ready_.load()) return absl::OkStatus();
              return absl::UnavailableError("nvidia.com/pgpu not registered");
            },
            [this]() -> absl::Status {
              if (alive_.load()) return absl::OkStatus();
              return absl::UnavailableError("daemon loop stalled");
            });
    ASSERT_THAT(server.status(), IsOk());
    server_ = std::move(*server);
    ASSERT_GT(server_->port(), 0);
  }

  HttpResponse Get(const std::string& path) {
    absl::StatusOr<HttpResponse> response = HttpGet(server_->port(), path);
    EXPECT_THAT(response.status(), IsOk());
    return response.ok() ? *response : HttpResponse{};
  }

  DaemonMetrics metrics_{"0.1.0"};
  std::atomic<bool> ready_{false};
  std::atomic<bool> alive_{true};
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, ServesTheRegistryAtMetrics) {
  metrics_.UpdateInventory(testing::SampleInventory(), testing::SamplePools());
  ASSERT_NO_FATAL_FAILURE(StartServer());
  HttpResponse response = Get("/metrics");
  EXPECT_EQ(response.code, 200);
  EXPECT_THAT(response.headers,
              HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(response.body,
              HasSubstr("\nvgpu_device_plugin_build_info{version=\"0.1.0\"} "
                        "1\n"));
  EXPECT_THAT(response.body,
              HasSubstr("\nvgpu_device_plugin_devices{health=\"unhealthy\","
                        "resource=\"nvidia.com/pgpu\"} 1\n"));
  EXPECT_THAT(response.body, HasSubstr("\n# TYPE process_open_fds gauge\n"));
  EXPECT_THAT(response.body, HasSubstr("\nprocess_resident_memory_bytes "));
  EXPECT_THAT(response.body, HasSubstr("\nprocess_start_time_seconds "));
  metrics_.RecordRegistration("nvidia.com/pgpu");
  EXPECT_THAT(Get("/metrics").body,
              HasSubstr("vgpu_device_plugin_kubelet_registrations_total{"
                        "resource=\"nvidia.com/pgpu\"} 1\n"));
}

TEST_F(MetricsServerTest, ReadyzFollowsTheReadinessProbe) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  HttpResponse response = Get("/readyz");
  EXPECT_EQ(response.code, 503);
  EXPECT_EQ(response.body, "nvidia.com/pgpu not registered\n");
  ready_ = true;
  response = Get("/readyz");
  EXPECT_EQ(response.code, 200);
  EXPECT_EQ(response.body, "ok\n");
}

TEST_F(MetricsServerTest, HealthzFollowsTheLivenessProbe) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  HttpResponse response = Get("/healthz");
  EXPECT_EQ(response.code, 200);
  EXPECT_EQ(response.body, "ok\n");
  alive_ = false;
  response = Get("/healthz");
  EXPECT_EQ(response.code, 503);
  EXPECT_EQ(response.body, "daemon loop stalled\n");
}

TEST_F(MetricsServerTest, UnknownPathIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(Get("/nope").code, 404);
}

TEST_F(MetricsServerTest, EmptyProbesAreOk) {
  absl::StatusOr<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(
      "127.0.0.1:0", metrics_.registry(), nullptr, nullptr);
  ASSERT_THAT(server.status(), IsOk());
  absl::StatusOr<HttpResponse> response = HttpGet((*server)->port(), "/readyz");
  ASSERT_THAT(response.status(), IsOk());
  EXPECT_EQ(response->code, 200);
}

TEST_F(MetricsServerTest, BusyPortIsUnavailableNamingTheAddress) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string address = "127.0.0.1:" + std::to_string(server_->port());
  EXPECT_THAT(
      MetricsServer::Start(address, metrics_.registry(), nullptr, nullptr)
          .status(),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr("metrics server on " + address +
                         ": address already in use")));
}

TEST(MetricsServerAddressTest, TranslatesAddresses) {
  EXPECT_THAT(MetricsServer::ToListeningPorts(":9402"), IsOkAndHolds("9402"));
  EXPECT_THAT(MetricsServer::ToListeningPorts("127.0.0.1:0"),
              IsOkAndHolds("127.0.0.1:0"));
  EXPECT_THAT(MetricsServer::ToListeningPorts("0.0.0.0:9402"),
              IsOkAndHolds("0.0.0.0:9402"));
  for (const char* bad : {"9402", ":", ":http", "host:99999", ":-1"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(MetricsServer::ToListeningPorts(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(std::string("\"") + bad + "\"")));
  }
}

TEST(MetricsServerStartTest, RejectsNullRegistry) {
  EXPECT_THAT(
      MetricsServer::Start("127.0.0.1:0", nullptr, nullptr, nullptr).status(),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace vgpu::metrics
