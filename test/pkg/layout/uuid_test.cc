#include "pkg/layout/uuid.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::layout {
namespace {

using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

TEST(UuidTest, V5MatchesRfc4122KnownVector) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com").
  absl::StatusOr<UuidBytes> dns =
      ParseUuid("6BA7B810-9DAD-11D1-80B4-00C04FD430C8");
  ASSERT_THAT(dns, IsOk());
  EXPECT_EQ(UuidV5(*dns, "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

TEST(UuidTest, MdevUuidIsStableAndDistinctPerSlot) {
  EXPECT_EQ(FormatUuid(kMdevUuidNamespace),
            "41afff90-cd10-40cd-b569-76de3cd14fe1");
  // Python: uuid.uuid5(ns, "0000:3b:00.0/nvidia-222/0"); fixed forever.
  EXPECT_EQ(MdevUuid("0000:3b:00.0", "nvidia-222", 0),
            "fb56ac92-3539-53d5-91d6-56603c954b02");
  std::set<std::string> seen;
  for (int slot = 0; slot < 16; ++slot) {
    seen.insert(MdevUuid("0000:3b:00.0", "nvidia-230", slot));
  }
  seen.insert(MdevUuid("0000:d8:00.0", "nvidia-230", 0));
  seen.insert(MdevUuid("0000:3b:00.0", "nvidia-231", 0));
  EXPECT_EQ(seen.size(), 18u);
}

TEST(UuidTest, ParseRejectsMalformedText) {
  for (const char* bad : {"", "6ba7b810-9dad-11d1-80b4-00c04fd430c", "{x}",
                          "6ba7b810x9dad-11d1-80b4-00c04fd430c8",
                          "6ba7b810-9dad-11d1-80b4-00c04fd430cg"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseUuid(bad), StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

}  // namespace
}  // namespace vgpu::layout
