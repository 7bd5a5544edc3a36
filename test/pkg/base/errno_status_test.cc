#include "pkg/base/errno_status.h"

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::StatusIs;

TEST(ErrnoStatusTest, MapsCodesAndNamesPath) {
  EXPECT_THAT(
      ErrnoStatus(ENOENT, "read", "sys/x/vendor"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("read sys/x/vendor: ")));
  EXPECT_THAT(ErrnoStatus(EACCES, "read", "p"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ErrnoStatus(EBUSY, "write", "p"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(ErrnoStatusTest, MessageHasErrorTextOnce) {
  EXPECT_EQ(ErrnoStatus(ENOENT, "read", "sys/x").message(),
            "read sys/x: No such file or directory");
}

TEST(ErrnoStatusTest, KeepsExactErrno) {
  EXPECT_EQ(StatusErrno(ErrnoStatus(EEXIST, "write", "create")), EEXIST);
  EXPECT_EQ(StatusErrno(ErrnoStatus(ENOSPC, "write", "create")), ENOSPC);
  EXPECT_EQ(StatusErrno(absl::InternalError("x")), 0);
}

}  // namespace
}  // namespace vgpu
