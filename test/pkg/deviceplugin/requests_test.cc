#include "pkg/deviceplugin/requests.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/pkg/deviceplugin/test_pools.h"
#include "test/testing/status_matchers.h"

namespace vgpu::deviceplugin {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

v1beta1::AllocateRequest Request(
    const std::vector<std::vector<std::string>>& ids) {
  v1beta1::AllocateRequest request;
  for (const auto& container : ids) {
    auto* c = request.add_container_requests();
    for (const auto& id : container) c->add_devices_ids(id);
  }
  return request;
}

TEST(HandleAllocateTest, ValidationNamesTheDevice) {
  ResourceSnapshot snap{PgpuPool()};
  EXPECT_THAT(HandleAllocate(snap, Request({{"0000:41:00.0", "nope"}}), {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown device \"nope\" for resource "
                                 "nvidia.com/pgpu")));
  EXPECT_THAT(
      HandleAllocate(snap, Request({{"0000:41:00.0"}, {"0000:41:00.0"}}), {}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("\"0000:41:00.0\" requested twice")));
  EXPECT_THAT(HandleAllocate(snap, Request({{"0000:61:00.0"}}), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("\"0000:61:00.0\" of resource "
                                 "nvidia.com/pgpu is unhealthy: group 30 "
                                 "not viable")));
}

TEST(HandleAllocateTest, OneResponsePerContainer) {
  ResourceSnapshot snap{PgpuPool()};
  auto response =
      HandleAllocate(snap, Request({{"0000:41:00.0"}, {"0000:42:00.0"}}), {});
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->container_responses_size(), 2);
  EXPECT_EQ(response->container_responses(0).cdi_devices(0).name(),
            "nvidia.com/pgpu=0000:41:00.0");
  EXPECT_EQ(response->container_responses(1).cdi_devices(0).name(),
            "nvidia.com/pgpu=0000:42:00.0");
}

TEST(HandlePreferredTest, HonoursSizeAndMustInclude) {
  ResourceSnapshot snap{PgpuPool()};
  v1beta1::PreferredAllocationRequest request;
  auto* c = request.add_container_requests();
  c->add_available_deviceids("0000:41:00.0");
  c->add_available_deviceids("0000:42:00.0");
  c->add_must_include_deviceids("0000:42:00.0");
  c->set_allocation_size(1);
  auto response = HandlePreferred(snap, request, config::VgpuPolicy::kBinpack);
  ASSERT_THAT(response, IsOk());
  ASSERT_EQ(response->container_responses_size(), 1);
  EXPECT_THAT(response->container_responses(0).deviceids(),
              UnorderedElementsAre("0000:42:00.0"));
}

}  // namespace
}  // namespace vgpu::deviceplugin
