#include "pkg/kubelet/plugin_client.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::kubelet {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

// A plugin as the kubelet sees one: ListAndWatch sends the full list, then
// keeps the stream open until the client goes; or ends it unanswered.
class FakePlugin final : public v1beta1::DevicePlugin::Service {
 public:
  FakePlugin(std::vector<std::string> ids, bool answer)
      : ids_(std::move(ids)), answer_(answer) {}

  grpc::Status ListAndWatch(
      grpc::ServerContext* context, const v1beta1::Empty*,
      grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) override {
    if (!answer_) return grpc::Status::OK;
    v1beta1::ListAndWatchResponse list;
    for (const std::string& id : ids_) {
      v1beta1::Device* d = list.add_devices();
      d->set_id(id);
      d->set_health("Healthy");
    }
    writer->Write(list);
    while (!context->IsCancelled()) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return grpc::Status::CANCELLED;
  }

 private:
  const std::vector<std::string> ids_;
  const bool answer_;
};

class PluginClientTest : public ::testing::Test {
 protected:
  void Serve(bool answer) {
    plugin_ = std::make_unique<FakePlugin>(
        std::vector<std::string>{"0000:42:00.0", "0000:61:00.0"}, answer);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + Socket(),
                             grpc::InsecureServerCredentials());
    builder.RegisterService(plugin_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }
  std::string Socket() const { return tmp_.path() + "/vgpu-pgpu.sock"; }

  vgpu::testing::TempDir tmp_;
  std::unique_ptr<FakePlugin> plugin_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(PluginClientTest, ReturnsTheFirstAnswersIdsAndLetsTheStreamGo) {
  Serve(/*answer=*/true);
  absl::StatusOr<std::vector<std::string>> ids = FirstListAndWatch(Socket());
  ASSERT_THAT(ids, IsOk());
  EXPECT_THAT(*ids, ElementsAre("0000:42:00.0", "0000:61:00.0"));
  // Cancelled, not left open: a second read answers as well.
  EXPECT_THAT(FirstListAndWatch(Socket()), IsOk());
}

TEST_F(PluginClientTest, StreamEndedUnansweredIsUnavailable) {
  Serve(/*answer=*/false);
  EXPECT_THAT(FirstListAndWatch(Socket()),
              StatusIs(absl::StatusCode::kUnavailable,
                       "ListAndWatch via " + Socket() +
                           ": the stream ended unanswered"));
}

TEST_F(PluginClientTest, NoServerIsUnavailableAndNamesTheSocket) {
  EXPECT_THAT(FirstListAndWatch(Socket(), absl::Seconds(5)),
              StatusIs(absl::StatusCode::kUnavailable,
                       StartsWith("ListAndWatch via " + Socket() + ": ")));
}

}  // namespace
}  // namespace vgpu::kubelet
