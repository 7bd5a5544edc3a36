// `vgpuctl plan` / `vgpuctl apply` end to end (layout_e2e_fixture.h):
// converging, keeping what matches, reboots, hand-made mdevs, mdevctl, and
// every vGPU profile.
#include <unistd.h>

#include <fstream>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/cmd/vgpuctl/layout_e2e_fixture.h"
#include "test/testing/run_command.h"
#include "test/testing/status_matchers.h"

namespace vgpu::vgpuctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::vgpu::testing::CommandResult;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::ReadWholeFile;

TEST_F(LayoutE2eTest, PlanChangesNothingThenApplyConvergesOnce) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  CommandResult plan = Vgpuctl("plan", "t4-4q");
  EXPECT_EQ(plan.exit_code, 3) << plan.error;
  EXPECT_THAT(plan.output, HasSubstr("layout t4-4q: not converged"));
  EXPECT_THAT(plan.output, HasSubstr("create  0000:3b:00.0"));
  EXPECT_THAT(plan.error, HasSubstr("no PodResources socket"));
  EXPECT_TRUE(Mdevs().empty());

  CommandResult apply = Vgpuctl("apply", "t4-4q");
  EXPECT_EQ(apply.exit_code, 0) << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("converged (8 writes)"));
  EXPECT_EQ(Mdevs().size(), 8u);

  CommandResult again = Vgpuctl("apply", "t4-4q", {"--json"});
  EXPECT_EQ(again.exit_code, 0) << again.error;
  EXPECT_THAT(again.output, HasSubstr("\"steps\": []"));
  EXPECT_THAT(again.output, HasSubstr("\"outcome\": \"converged\""));
  EXPECT_EQ(Vgpuctl("plan", "t4-4q").exit_code, 0);
  EXPECT_TRUE(Stop());
}

TEST_F(LayoutE2eTest, ChangedLayoutKeepsWhatStillMatches) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_EQ(Vgpuctl("apply", "t4-4q").exit_code, 0);
  const std::set<std::string> before = Mdevs();

  CommandResult apply = Vgpuctl("apply", "t4-mixed");
  EXPECT_EQ(apply.exit_code, 0) << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("converged (2 writes)"));
  EXPECT_THAT(apply.output, Not(HasSubstr("create")));
  const std::set<std::string> after = Mdevs();
  EXPECT_EQ(after.size(), 6u);
  for (const std::string& uuid : after) EXPECT_EQ(before.count(uuid), 1u);
  EXPECT_TRUE(Stop());
}

TEST_F(LayoutE2eTest, RebootBringsBackTheSameUuids) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_EQ(Vgpuctl("apply", "t4-4q").exit_code, 0);
  const std::set<std::string> before = Mdevs();
  ASSERT_TRUE(Stop());

  // A fresh host from the same profile (vgpu-simhost writes a new
  // directory), the same state dir.
  host_ = tmp_.path() + "/rebooted";
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_TRUE(Mdevs().empty());
  CommandResult apply = Vgpuctl("apply", "t4-4q");
  EXPECT_EQ(apply.exit_code, 0) << apply.error;
  EXPECT_EQ(Mdevs(), before);
  EXPECT_TRUE(Stop());
}

TEST_F(LayoutE2eTest, TypeNoGpuHoldsIsAnErrorBeforeAnyWrite) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  CommandResult apply = Vgpuctl("apply", "a100");
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_THAT(apply.error, HasSubstr("GPU 0 (0000:3b:00.0) offers no vGPU "
                                     "type \"A100-4C\"; it offers: "));
  EXPECT_THAT(apply.error, HasSubstr("GRID T4-1Q (nvidia-230)"));
  EXPECT_TRUE(Mdevs().empty());
  EXPECT_TRUE(Stop());
}

TEST_F(LayoutE2eTest, HandMadeMdevCountsTowardTheLayoutAndStays) {
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  // By hand, on GPU 0: one T4-4Q whose UUID is the one the planner derives
  // for GPU 1's slot 0. It is not ours; it counts toward GPU 0's four, and
  // GPU 1 gets a slot whose UUID is free (no EEXIST from the kernel).
  const std::string hand = "70541833-40e3-5755-8763-a06b90449075";
  std::ofstream(host_ +
                "/sys/bus/pci/devices/0000:3b:00.0/mdev_supported_types/"
                "nvidia-232/create")
      << hand;
  ASSERT_EQ(Mdevs().count(hand), 1u);
  CommandResult apply = Vgpuctl("apply", "t4-4q");
  EXPECT_EQ(apply.exit_code, 0) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("converged (7 writes)"));
  EXPECT_EQ(Mdevs().size(), 8u);

  // A layout wanting less leaves the hand-made one and reports it.
  CommandResult less = Vgpuctl("apply", "t4-mixed");
  EXPECT_EQ(Mdevs().count(hand), 1u);
  EXPECT_THAT(less.output, Not(HasSubstr("remove  0000:3b:00.0  " + hand)));
  EXPECT_TRUE(Stop());
}

// Debian's mdevctl has no root option: it reads /sys/bus/mdev and
// /etc/mdevctl.d. In a private mount namespace with the served tree's sys/
// bound over /sys (and an empty /etc/mdevctl.d with the callout dirs it
// insists on), `mdevctl list --dumpjson` sees what apply created.
TEST_F(LayoutE2eTest, MdevctlListSeesOurInstances) {
  if (::access("/usr/bin/mdevctl", X_OK) != 0) {
    GTEST_SKIP() << "mdevctl is not installed (scripts/extra-packages.txt)";
  }
  ASSERT_NO_FATAL_FAILURE(Serve("t4-empty"));
  ASSERT_EQ(Vgpuctl("apply", "t4-mixed").exit_code, 0);
  const std::string etc = tmp_.path() + "/mdevctl.d";
  const std::string script =
      "set -e; mkdir -p " + etc + "/scripts.d/callouts " + etc +
      "/scripts.d/notifiers; mount --make-rprivate /; mount --bind " + host_ +
      "/sys /sys; mkdir -p /etc/mdevctl.d; mount --bind " + etc +
      " /etc/mdevctl.d; exec mdevctl list --dumpjson";
  absl::StatusOr<CommandResult> r = ::vgpu::testing::RunCommand(
      {"/usr/bin/unshare", "-m", "/bin/sh", "-c", script}, "",
      tmp_.path() + "/mdevctl.out", tmp_.path() + "/mdevctl.err");
  ASSERT_THAT(r.status(), IsOk());
  if (r->exit_code != 0 && r->error.find("unshare") != std::string::npos) {
    GTEST_SKIP() << "no mount namespace here: " << r->error;
  }
  EXPECT_EQ(r->exit_code, 0) << r->error;
  for (const std::string& uuid : Mdevs()) {
    EXPECT_THAT(r->output, HasSubstr("\"" + uuid + "\": {"));
  }
  EXPECT_THAT(r->output, HasSubstr("\"mdev_type\": \"nvidia-232\""));
  EXPECT_THAT(r->output, HasSubstr("\"0000:d8:00.0\": ["));
  EXPECT_TRUE(Stop());
}

// Bug: GPU 1 has no VFs; its VFs are enabled, then take the type GPU 0's
// VFs offer (same board).
TEST_F(LayoutE2eTest, AllGpusOfAnAdaNodeEnableVfsWhereNeededAndConverge) {
  ASSERT_NO_FATAL_FAILURE(Serve("ada-vf-vgpu"));
  CommandResult apply = Vgpuctl("apply", "ada-all");
  EXPECT_EQ(apply.exit_code, 0) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr("converged (7 writes)"));
  EXPECT_EQ(ReadWholeFile(host_ + "/sys/bus/pci/devices/0000:81:00.0/"
                                  "sriov_numvfs"),
            "32\n");
  EXPECT_THAT(Vgpuctl("apply", "ada-all").output, HasSubstr("(0 writes)"));
  EXPECT_TRUE(Stop());
}

// A type no GPU of the model offers fails before sriov_numvfs is written.
TEST_F(LayoutE2eTest, TypeAGpuWithoutVfsCannotHoldFailsBeforeEnablingThem) {
  ASSERT_NO_FATAL_FAILURE(Serve("ada-vf-vgpu"));
  CommandResult apply = Vgpuctl("apply", "ada-a10");
  EXPECT_EQ(apply.exit_code, 1) << apply.output;
  EXPECT_THAT(apply.error, HasSubstr("GPU 1 (0000:81:00.0) has no VFs enabled "
                                     "and no GPU of its model (10de:26b9) "
                                     "offers \"A10-4Q\""));
  EXPECT_EQ(ReadWholeFile(host_ + "/sys/bus/pci/devices/0000:81:00.0/"
                                  "sriov_numvfs"),
            "0\n");
  EXPECT_TRUE(Stop());
}

struct ProfileCase {
  const char* profile;
  const char* layout;
  int exit_code;       // Of the first apply.
  const char* output;  // Its first line.
  std::vector<std::string> serve_flags = {};
};

void PrintTo(const ProfileCase& c, std::ostream* os) {
  *os << c.profile << " " << c.layout;
}

class LayoutProfileTest : public LayoutE2eTest,
                          public ::testing::WithParamInterface<ProfileCase> {};

// Each vGPU profile: apply, then a second apply that writes nothing.
TEST_P(LayoutProfileTest, ApplyThenApplyAgainDoesNothing) {
  const ProfileCase& c = GetParam();
  ASSERT_NO_FATAL_FAILURE(Serve(c.profile, c.serve_flags));
  const std::set<std::string> before = Mdevs();
  CommandResult apply = Vgpuctl("apply", c.layout);
  EXPECT_EQ(apply.exit_code, c.exit_code) << apply.output << apply.error;
  EXPECT_THAT(apply.output, HasSubstr(c.output));
  // Nothing that was there (made by hand) was removed.
  const std::set<std::string> after = Mdevs();
  for (const std::string& uuid : before) EXPECT_EQ(after.count(uuid), 1u);
  CommandResult again = Vgpuctl("apply", c.layout);
  EXPECT_EQ(again.exit_code, c.exit_code) << again.output;
  EXPECT_THAT(again.output, HasSubstr("(0 writes)"));
  EXPECT_TRUE(Stop());
}

// The mdevs and the VFs with a vGPU type set.
std::set<std::string> Vgpus(const std::string& host) {
  std::set<std::string> out = ListDir(host + "/sys/bus/mdev/devices");
  const std::string pci = host + "/sys/bus/pci/devices/";
  for (const std::string& fn : ListDir(pci)) {
    const std::string type =
        ReadWholeFile(pci + fn + "/nvidia/current_vgpu_type");
    if (!type.empty() && type != "0\n") out.insert(fn);
  }
  return out;
}

// Each vGPU profile: a "reboot" (a fresh host from the profile, the same
// state dir) brings back the same vGPUs, UUIDs included.
TEST_P(LayoutProfileTest, RebootBringsBackTheSameVgpus) {
  const ProfileCase& c = GetParam();
  ASSERT_NO_FATAL_FAILURE(Serve(c.profile, c.serve_flags));
  EXPECT_EQ(Vgpuctl("apply", c.layout).exit_code, c.exit_code);
  const std::set<std::string> before = Vgpus(host_);
  ASSERT_TRUE(Stop());
  host_ = tmp_.path() + "/rebooted";
  ASSERT_NO_FATAL_FAILURE(Serve(c.profile, c.serve_flags));
  EXPECT_EQ(Vgpuctl("apply", c.layout).exit_code, c.exit_code);
  EXPECT_EQ(Vgpus(host_), before);
  EXPECT_TRUE(Stop());
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, LayoutProfileTest,
    ::testing::Values(
        // Two T4-1Q made by hand on GPU 0 count toward its four.
        ProfileCase{"t4-vgpu", "t4-1q", 0,
                    "layout t4-1q: converged (6 writes)"},
        // A100-4C already there on GPU 0; two A10-4Q on GPU 1's VFs.
        ProfileCase{"a100-sriov", "ampere", 0,
                    "layout ampere: converged (2 writes)"},
        // Two L40S-2Q VFs exist; two more VFs get their type set.
        ProfileCase{"ada-vf-vgpu", "ada", 0,
                    "layout ada: converged (2 writes)"},
        // Small `large`: every VF already holds a hand-made A100-4C; they
        // count, nothing is written or removed.
        ProfileCase{"large",
                    "large",
                    0,
                    "layout large: converged (0 writes)",
                    {"--gpus", "4", "--vfs", "4"}},
        // The hand-made GVTg_V5_8 counts; one more.
        ProfileCase{"intel-gvt", "gvt-8", 0,
                    "layout gvt-8: converged (1 writes)"},
        // The hand-made GVTg_V5_8 takes the capacity V5_4 needs: blocked.
        ProfileCase{"intel-gvt", "gvt-4", 3,
                    "layout gvt-4: blocked (0 writes)"}),
    [](const ::testing::TestParamInfo<ProfileCase>& info) {
      std::string name =
          std::string(info.param.profile) + "_" + info.param.layout;
      for (char& ch : name) {
        if (ch == '-') ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace vgpu::vgpuctl
