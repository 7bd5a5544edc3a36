#include "pkg/kubelet/registrar.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::kubelet {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

// A Registration server that records requests and fails the first
// `failures` calls.
class RecordingKubelet : public v1beta1::Registration::Service {
 public:
  explicit RecordingKubelet(int failures = 0) : failures_(failures) {}

  grpc::Status Register(grpc::ServerContext*,
                        const v1beta1::RegisterRequest* request,
                        v1beta1::Empty*) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(*request);
    if (failures_ > 0) {
      --failures_;
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not yet");
    }
    return grpc::Status::OK;
  }

  std::vector<v1beta1::RegisterRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

  std::unique_ptr<grpc::Server> Serve(const std::string& path) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
    builder.RegisterService(this);
    return builder.BuildAndStart();
  }

 private:
  absl::Mutex mu_;
  int failures_ ABSL_GUARDED_BY(mu_);
  std::vector<v1beta1::RegisterRequest> requests_ ABSL_GUARDED_BY(mu_);
};

class Registered {
 public:
  void Add(const std::string& r) {
    absl::MutexLock lock(&mu_);
    names_.push_back(r);
  }
  bool WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return names_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<std::string> names() {
    absl::MutexLock lock(&mu_);
    return names_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
};

TEST(RegisterOnceTest, SendsVersionEndpointNameAndOptions) {
  testing::TempDir dir;
  RecordingKubelet kubelet;
  auto server = kubelet.Serve(dir.path() + "/kubelet.sock");
  ASSERT_NE(server, nullptr);
  ASSERT_THAT(
      RegisterOnce(dir.path() + "/kubelet.sock",
                   {"nvidia.com/pgpu", "vgpu-nvidia.com-pgpu.sock", true},
                   absl::Seconds(5)),
      IsOk());
  auto requests = kubelet.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].version(), "v1beta1");
  EXPECT_EQ(requests[0].endpoint(), "vgpu-nvidia.com-pgpu.sock");
  EXPECT_EQ(requests[0].resource_name(), "nvidia.com/pgpu");
  EXPECT_FALSE(requests[0].options().pre_start_required());
  EXPECT_TRUE(requests[0].options().get_preferred_allocation_available());
  server->Shutdown();
}

TEST(RegisterOnceTest, NoKubeletIsUnavailableNamingTheSocket) {
  testing::TempDir dir;
  EXPECT_THAT(
      RegisterOnce(dir.path() + "/kubelet.sock",
                   {"nvidia.com/pgpu", "x.sock", true}, absl::Seconds(5)),
      StatusIs(absl::StatusCode::kUnavailable,
               HasSubstr(dir.path() + "/kubelet.sock")));
}

TEST(RegisterOnceTest, KubeletErrorKeepsCodeAndNamesResource) {
  testing::TempDir dir;
  RecordingKubelet kubelet(/*failures=*/1);
  auto server = kubelet.Serve(dir.path() + "/kubelet.sock");
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(
      RegisterOnce(dir.path() + "/kubelet.sock",
                   {"nvidia.com/pgpu", "x.sock", true}, absl::Seconds(5)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("nvidia.com/pgpu")));
  server->Shutdown();
}

TEST(ShouldLogRetryTest, LogsOnChangeThenAtMostEveryInterval) {
  RetryWarning state;
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const absl::Duration interval = absl::Minutes(5);
  EXPECT_TRUE(ShouldLogRetry(state, "no kubelet", t0, interval));
  EXPECT_FALSE(
      ShouldLogRetry(state, "no kubelet", t0 + absl::Seconds(1), interval));
  EXPECT_FALSE(
      ShouldLogRetry(state, "no kubelet", t0 + absl::Minutes(4), interval));
  EXPECT_EQ(state.suppressed, 2);
  // Another error is logged at once.
  EXPECT_TRUE(
      ShouldLogRetry(state, "rejected", t0 + absl::Minutes(4), interval));
  EXPECT_EQ(state.suppressed, 0);
  EXPECT_FALSE(
      ShouldLogRetry(state, "rejected", t0 + absl::Minutes(8), interval));
  // The same error again once the interval has passed.
  EXPECT_TRUE(
      ShouldLogRetry(state, "rejected", t0 + absl::Minutes(9), interval));
  EXPECT_EQ(state.last_logged, t0 + absl::Minutes(9));
}

TEST(RegistrarTest, RetriesUntilKubeletAppears) {
  testing::TempDir dir;
  Registered registered;
  Registrar registrar({dir.path() + "/kubelet.sock"},
                      [&](const std::string& r) { registered.Add(r); });
  registrar.Start();
  registrar.Request({"nvidia.com/pgpu", "a.sock", true});
  registrar.Request({"nvidia.com/nvswitch", "b.sock", true});
  RecordingKubelet kubelet;
  auto server = kubelet.Serve(dir.path() + "/kubelet.sock");
  ASSERT_NE(server, nullptr);
  registrar.RetryNow();
  ASSERT_TRUE(registered.WaitFor(2, absl::Seconds(10)));
  EXPECT_THAT(registered.names(),
              ::testing::UnorderedElementsAre("nvidia.com/pgpu",
                                              "nvidia.com/nvswitch"));
  registrar.Stop();
  server->Shutdown();
}

TEST(RegistrarTest, BacksOffOnRejectionThenSucceeds) {
  testing::TempDir dir;
  RecordingKubelet kubelet(/*failures=*/3);
  auto server = kubelet.Serve(dir.path() + "/kubelet.sock");
  ASSERT_NE(server, nullptr);
  Registered registered;
  RegistrarOptions options{dir.path() + "/kubelet.sock"};
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(20);
  Registrar registrar(options,
                      [&](const std::string& r) { registered.Add(r); });
  registrar.Start();
  registrar.Request({"nvidia.com/pgpu", "a.sock", true});
  ASSERT_TRUE(registered.WaitFor(1, absl::Seconds(10)));
  EXPECT_EQ(kubelet.requests().size(), 4u);
  EXPECT_EQ(registered.names().size(), 1u);
  registrar.Stop();
  server->Shutdown();
}

TEST(RegistrarTest, CancelledRegistrationIsNeverSent) {
  testing::TempDir dir;
  RecordingKubelet kubelet;
  auto server = kubelet.Serve(dir.path() + "/kubelet.sock");
  ASSERT_NE(server, nullptr);
  Registered registered;
  Registrar registrar({dir.path() + "/kubelet.sock"},
                      [&](const std::string& r) { registered.Add(r); });
  // Queued before Start, so the first attempt cannot race the Cancel; the
  // cancelled one would be due first.
  registrar.Request({"nvidia.com/pgpu", "a.sock", true});
  registrar.Cancel("nvidia.com/pgpu");
  registrar.Request({"nvidia.com/vgpu", "b.sock", true});
  registrar.Start();
  ASSERT_TRUE(registered.WaitFor(1, absl::Seconds(10)));
  registrar.Stop();
  EXPECT_THAT(registered.names(), ::testing::ElementsAre("nvidia.com/vgpu"));
  EXPECT_EQ(kubelet.requests().size(), 1u);
  server->Shutdown();
}

TEST(RegistrarTest, StopDropsPendingAndJoins) {
  testing::TempDir dir;
  Registrar registrar({dir.path() + "/kubelet.sock"}, nullptr);
  registrar.Start();
  registrar.Request({"nvidia.com/vgpu", "b.sock", true});
  registrar.Stop();
  registrar.Stop();  // Idempotent.
}

}  // namespace
}  // namespace vgpu::kubelet
