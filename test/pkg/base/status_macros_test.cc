#include "pkg/base/status_macros.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu {
namespace {

using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

absl::StatusOr<std::unique_ptr<int>> MakeInt(bool ok, int v) {
  if (!ok) return absl::NotFoundError("no int");
  return std::make_unique<int>(v);
}

absl::StatusOr<int> Twice(bool ok) {
  VGPU_ASSIGN_OR_RETURN(std::unique_ptr<int> p, MakeInt(ok, 21));
  return *p * 2;
}

absl::Status Check(bool ok) {
  VGPU_RETURN_IF_ERROR(MakeInt(ok, 1).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnMovesValueOrPropagates) {
  EXPECT_THAT(Twice(true), IsOkAndHolds(42));
  EXPECT_THAT(Twice(false), StatusIs(absl::StatusCode::kNotFound));
}

TEST(StatusMacrosTest, ReturnIfErrorPropagates) {
  EXPECT_TRUE(Check(true).ok());
  EXPECT_THAT(Check(false), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace vgpu
