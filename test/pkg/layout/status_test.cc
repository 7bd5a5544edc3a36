#include "pkg/layout/status.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"

namespace vgpu::layout {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::StatusIs;

Action Make(ActionKind kind, const std::string& device,
            const std::string& type_name) {
  Action a;
  a.kind = kind;
  a.gpu = "0000:3b:00.0";
  a.device = device;
  a.parent = "0000:3b:00.0";
  a.type = {"nvidia-232", type_name};
  a.reason = "why";
  return a;
}

TEST(LayoutStatusTest, RoundTrips) {
  LayoutStatus s;
  s.layout = "t4-4q";
  s.state = kStatePending;
  s.outcome = "blocked";
  s.updated = absl::FromUnixSeconds(1764900000);
  s.actions = {Make(ActionKind::kKeep, "a", "GRID T4-4Q"),
               Make(ActionKind::kBlocked, "b", "GRID T4-4Q"),
               Make(ActionKind::kCreateMdev, "c", "GRID T4-4Q")};
  s.withdrawn = {"b"};
  s.counts = CountByType(s.actions);
  const std::string text = FormatStatus(s);
  EXPECT_THAT(text, HasSubstr("\"layout\": \"t4-4q\""));
  absl::StatusOr<LayoutStatus> back = ParseStatus(text);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->layout, "t4-4q");
  EXPECT_EQ(back->state, kStatePending);
  EXPECT_EQ(back->outcome, "blocked");
  EXPECT_EQ(back->updated, s.updated);
  ASSERT_EQ(back->actions.size(), 3u);
  EXPECT_EQ(back->actions[1].kind, ActionKind::kBlocked);
  EXPECT_EQ(back->actions[2].type.name, "GRID T4-4Q");
  EXPECT_EQ(back->withdrawn, s.withdrawn);
  EXPECT_EQ(FormatStatus(*back), text);
}

TEST(LayoutStatusTest, CountsWhatExists) {
  // Keeps and blocked vGPUs exist; a create and a capacity block do not.
  EXPECT_EQ(CountByType({Make(ActionKind::kKeep, "a", "GRID T4-4Q"),
                         Make(ActionKind::kBlocked, "b", "GRID T4-4Q"),
                         Make(ActionKind::kBlocked, "", "GRID T4-4Q"),
                         Make(ActionKind::kCreateMdev, "c", "GRID T4-4Q"),
                         Make(ActionKind::kKeep, "d", "")}),
            (std::map<std::string, int>{{"GRID T4-4Q", 2}, {"nvidia-232", 1}}));
}

TEST(LayoutStatusTest, RejectsWhatItDoesNotWrite) {
  EXPECT_THAT(ParseStatus("[]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStatus("{\"layout\": 1}"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  LayoutStatus s;
  s.layout = "x";
  s.state = kStateSuccess;
  s.outcome = "converged";
  s.actions = {Make(ActionKind::kKeep, "a", "T")};
  const std::string bad =
      absl::StrReplaceAll(FormatStatus(s), {{"\"keep\"", "\"frobnicate\""}});
  EXPECT_THAT(ParseStatus(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("unknown action")));
}

}  // namespace
}  // namespace vgpu::layout
