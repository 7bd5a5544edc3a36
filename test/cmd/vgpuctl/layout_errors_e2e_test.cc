// `vgpuctl apply` end to end when the kernel refuses (layout_e2e_fixture.h):
// the simulator's fault hooks make another writer race the plan or hold a
// vGPU open, and each errno reaches the operator with its name and the
// path, exit 1, with nothing lost: what was created stays recorded, what
// failed is not, and the next apply converges.
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/json.h"
#include "test/cmd/vgpuctl/layout_e2e_fixture.h"
#include "test/testing/run_command.h"

namespace vgpu::vgpuctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::ReadWholeFile;

constexpr char kGpu0Types[] =
    "sys/bus/pci/devices/0000:3b:00.0/mdev_supported_types";
constexpr char kGpu1Types[] =
    "sys/bus/pci/devices/0000:d8:00.0/mdev_supported_types";
constexpr char kOtherUuid[] = "0b7c2d1e-4f3a-4b5c-8d6e-7f8091a2b3c4";

class LayoutErrorsE2eTest : public LayoutE2eTest {
 protected:
  // The first change `vgpuctl plan --json` lists: {device, path}.
  std::pair<std::string, std::string> FirstChange(const std::string& layout) {
    CommandResult plan = Vgpuctl("plan", layout, {"--json"});
    absl::StatusOr<Json> j = ParseJson(plan.output);
    if (!j.ok()) return {};
    for (const Json& a : (*j)["actions"]) {
      if (a["path"].get<std::string>().empty()) continue;
      return {a["device"].get<std::string>(), a["path"].get<std::string>()};
    }
    return {};
  }

  std::string State() { return ReadWholeFile(state_ + "/vgpu-layout.state"); }
};

// Another writer creates the UUID we are about to create, on the other GPU.
TEST_F(LayoutErrorsE2eTest, UuidCreatedBehindOurBackIsEexist) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  const auto [uuid, path] = FirstChange("t4-4q");
  ASSERT_FALSE(uuid.empty());
  ASSERT_TRUE(Hook(
      "race", RealRelative(std::string(kGpu1Types) + "/nvidia-232/create") +
                  " " + uuid));
  CommandResult apply = Vgpuctl("apply", "t4-4q");
  EXPECT_EQ(apply.exit_code, 1) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("error (1 writes)"));
  EXPECT_THAT(apply.output,
              HasSubstr("write " + path + ": File exists (EEXIST)"));
  EXPECT_THAT(State(), Not(HasSubstr(uuid)));
  // The other writer's instance is not ours and stays; ours avoid its UUID.
  CommandResult again = Vgpuctl("apply", "t4-4q");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(Mdevs().size(), 8u);  // Its one counts toward GPU 1's four.
  EXPECT_EQ(Mdevs().count(uuid), 1u);
  EXPECT_TRUE(Stop());
}

// Another writer takes GPU 0 with another type first (one type per T4).
TEST_F(LayoutErrorsE2eTest, NoAvailableInstanceIsEnospc) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_TRUE(Hook(
      "race", RealRelative(std::string(kGpu0Types) + "/nvidia-233/create") +
                  " " + kOtherUuid));
  CommandResult apply = Vgpuctl("apply", "t4-4q", {"--json"});
  EXPECT_EQ(apply.exit_code, 1) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("\"errno\": \"ENOSPC\""));
  EXPECT_THAT(apply.output, HasSubstr("No space left on device (ENOSPC)"));
  EXPECT_THAT(apply.output, HasSubstr("nvidia-232/create"));
  EXPECT_EQ(Mdevs().size(), 1u);
  // GPU 0 now holds a type the layout does not want: blocked; GPU 1 fills.
  CommandResult again = Vgpuctl("apply", "t4-4q");
  EXPECT_EQ(again.exit_code, 3) << again.output;
  EXPECT_EQ(Mdevs().size(), 5u);
  EXPECT_TRUE(Stop());
}

// A VMM holds our instances open; the kernel refuses their removal.
TEST_F(LayoutErrorsE2eTest, RemovingAnInstanceHeldOpenIsEbusy) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_EQ(Vgpuctl("apply", "t4-4q").exit_code, 0);
  const std::set<std::string> ours = Mdevs();
  for (const std::string& uuid : ours) ASSERT_TRUE(Hook("in-use", uuid));
  CommandResult apply = Vgpuctl("apply", "t4-mixed");
  EXPECT_EQ(apply.exit_code, 1) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("/remove: Device or resource busy "
                                      "(EBUSY)"));
  EXPECT_EQ(Mdevs(), ours);
  for (const std::string& uuid : ours) EXPECT_THAT(State(), HasSubstr(uuid));
  for (const std::string& uuid : ours) ASSERT_TRUE(Hook("in-use", "-" + uuid));
  EXPECT_EQ(Vgpuctl("apply", "t4-mixed").exit_code, 0);
  EXPECT_EQ(Mdevs().size(), 6u);
  EXPECT_TRUE(Stop());
}

// Another writer enabled a different number of VFs first.
TEST_F(LayoutErrorsE2eTest, ChangingSriovNumvfsWhileEnabledIsEbusy) {
  ASSERT_NO_FATAL_FAILURE(Serve("ada-vf-vgpu"));
  const std::string numvfs =
      RealRelative("sys/bus/pci/devices/0000:81:00.0/sriov_numvfs");
  ASSERT_TRUE(Hook("race", numvfs + " 4"));
  CommandResult apply = Vgpuctl("apply", "ada-gpu1");
  EXPECT_EQ(apply.exit_code, 1) << apply.output << apply.error;
  EXPECT_THAT(apply.output,
              HasSubstr("sriov_numvfs: Device or resource busy (EBUSY)"));
  // The four VFs there now take the types.
  CommandResult again = Vgpuctl("apply", "ada-gpu1");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(ReadWholeFile(host_ + "/" + numvfs), "4\n");
  EXPECT_TRUE(Stop());
}

// A VMM holds our VF vGPUs open; resetting their type is refused.
TEST_F(LayoutErrorsE2eTest, ResettingAVfTypeHeldOpenIsEbusy) {
  ASSERT_NO_FATAL_FAILURE(Serve("ada-vf-vgpu"));
  ASSERT_EQ(Vgpuctl("apply", "ada").exit_code, 0);
  for (const char* vf : {"0000:01:00.6", "0000:01:00.7"}) {
    ASSERT_TRUE(Hook("in-use", vf));
  }
  CommandResult apply = Vgpuctl("apply", "ada-2");
  EXPECT_EQ(apply.exit_code, 1) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("reset-vf-type"));
  EXPECT_THAT(apply.output,
              HasSubstr("current_vgpu_type: Device or resource busy (EBUSY)"));
  EXPECT_THAT(State(), HasSubstr("0000:01:00.6"));
  EXPECT_TRUE(Stop());
}

// Another writer disables the VFs between our open and our write.
TEST_F(LayoutErrorsE2eTest, ParentGoneIsEnodev) {
  ASSERT_NO_FATAL_FAILURE(Serve("ada-vf-vgpu"));
  const auto [vf, path] = FirstChange("ada");
  ASSERT_FALSE(vf.empty());
  ASSERT_TRUE(Hook(
      "race",
      RealRelative("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs") + " 0"));
  CommandResult apply = Vgpuctl("apply", "ada");
  EXPECT_EQ(apply.exit_code, 1) << apply.output << apply.error;
  EXPECT_THAT(apply.output,
              HasSubstr("write " + path + ": No such device (ENODEV)"));
  EXPECT_THAT(State(), Not(HasSubstr(vf)));
  EXPECT_TRUE(Stop());
}

// The hooks refuse what they cannot do.
TEST_F(LayoutErrorsE2eTest, HooksRejectBadCommands) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  EXPECT_FALSE(Hook("race", "sys/not-a-control-file 1"));
  EXPECT_FALSE(Hook("race", "no-data"));
  EXPECT_TRUE(Stop());
}

}  // namespace
}  // namespace vgpu::vgpuctl
