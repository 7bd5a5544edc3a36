#include "pkg/kubelet/grpc_util.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::kubelet {
namespace {

using ::vgpu::testing::StatusIs;

TEST(GrpcUtilTest, ToGrpcStatusKeepsCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError("bad id x"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "bad id x");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(GrpcUtilTest, FromGrpcStatusKeepsCodeAndSaysWhat) {
  EXPECT_THAT(
      FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no pod"),
                     "podresources Get ns/p"),
      StatusIs(absl::StatusCode::kNotFound, "podresources Get ns/p: no pod"));
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, "anything").ok());
}

TEST(GrpcUtilTest, DialUnixTargetsTheSocketPath) {
  std::shared_ptr<grpc::Channel> channel = DialUnix("/nonexistent/x.sock");
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->GetState(/*try_to_connect=*/false), GRPC_CHANNEL_IDLE);
}

}  // namespace
}  // namespace vgpu::kubelet
