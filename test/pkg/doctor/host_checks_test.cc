// Host checks (pkg/doctor/host_checks.cc): each healthy case, and one broken
// fixture per check (a profile, or a profile mutated as a real host goes
// wrong), asserting the exact line.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/doctor/doctor.h"
#include "test/pkg/doctor/doctor_fixture.h"

namespace vgpu::doctor {
namespace {

using ::testing::ElementsAre;

class HostChecksTest : public DoctorFixture {};

TEST_F(HostChecksTest, IommuGroupsPass) {
  Build("workstation");
  std::vector<Finding> out;
  CheckIommu(sysfs(), out);
  EXPECT_THAT(Lines(out),
              ElementsAre("PASS  iommu-groups            6 IOMMU groups in "
                          "/sys/kernel/iommu_groups"));
}

TEST_F(HostChecksTest, NoIommuGroupsNamesTheKernelCommandLine) {
  Build("");
  ASSERT_TRUE(
      host().WriteRaw("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n").ok());
  std::vector<Finding> out;
  CheckIommu(sysfs(), out);
  EXPECT_THAT(
      Lines(out),
      ElementsAre(
          "FAIL  iommu-groups            no IOMMU groups in "
          "/sys/kernel/iommu_groups and the kernel command line "
          "(/proc/cmdline) has neither intel_iommu=on nor amd_iommu=on. Fix: "
          "add intel_iommu=on (Intel) or amd_iommu=on (AMD) and iommu=pt to "
          "GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, reboot"));
}

TEST_F(HostChecksTest, NoIommuGroupsDespiteTheCommandLineBlamesFirmware) {
  Build("");
  ASSERT_TRUE(
      host().WriteRaw("proc/cmdline", "ro intel_iommu=on iommu=pt\n").ok());
  std::vector<Finding> out;
  CheckIommu(sysfs(), out);
  EXPECT_THAT(Lines(out),
              ElementsAre("FAIL  iommu-groups            no IOMMU groups in "
                          "/sys/kernel/iommu_groups although the kernel "
                          "command line enables the IOMMU: it is off in the "
                          "firmware. Fix: enable VT-d (Intel) or AMD-Vi/IOMMU "
                          "in the firmware setup and reboot"));
}

TEST_F(HostChecksTest, VfioModules) {
  Build("h100-hgx");
  std::vector<Finding> out;
  CheckVfioModules(Discover(), out);
  EXPECT_THAT(Lines(out), ElementsAre("PASS  vfio-modules            VFIO is "
                                      "loaded (/dev/vfio/vfio, /dev/iommu)"));
}

TEST_F(HostChecksTest, NoVfioNodesFail) {
  Build("broken");  // No dev/vfio/vfio, no dev/iommu.
  std::vector<Finding> out;
  CheckVfioModules(Discover(), out);
  EXPECT_THAT(
      Lines(out),
      ElementsAre("FAIL  vfio-modules            neither /dev/vfio/vfio "
                  "nor /dev/iommu exists: the VFIO modules are not "
                  "loaded. Fix: modprobe vfio-pci && echo vfio-pci > "
                  "/etc/modules-load.d/vfio-pci.conf"));
}

TEST_F(HostChecksTest, ViableUnitsPass) {
  Build("h100-hgx");
  std::vector<Finding> out;
  CheckUnits(Discover(), out);
  EXPECT_THAT(Lines(out),
              ElementsAre("PASS  unit-viable             12 passthrough units "
                          "with every function on a VFIO driver (0 left to "
                          "host drivers)"));
}

// The workstation's group 10: the GPU on vfio-pci, its audio function still
// on snd_hda_intel.
TEST_F(HostChecksTest, HalfBoundGroupNamesTheFunctionAndDriver) {
  Build("workstation");
  std::vector<Finding> out;
  CheckUnits(Discover(), out);
  EXPECT_THAT(
      Lines(out),
      ElementsAre(
          "FAIL  unit-viable             group 10 (0000:61:00.0): "
          "0000:61:00.1 is on snd_hda_intel, not a VFIO driver, so the group "
          "cannot be passed through and is not offered. Fix: echo vfio-pci > "
          "/sys/bus/pci/devices/0000:61:00.1/driver_override && echo "
          "0000:61:00.1 > /sys/bus/pci/devices/0000:61:00.1/driver/unbind && "
          "echo 0000:61:00.1 > /sys/bus/pci/drivers_probe (or boot with "
          "vfio-pci.ids=10de:1aef)"));
}

TEST_F(HostChecksTest, ConsoleGpuOnItsHostDriverPasses) {
  Build("workstation");
  std::vector<Finding> out;
  CheckHostDisplay(sysfs(), Discover(), out);
  EXPECT_THAT(Lines(out),
              ElementsAre("PASS  host-display            console GPU not "
                          "offered: 0000:41:00.0 on nvidia"));
}

// The K420 that drives the console, moved to vfio-pci with its audio.
TEST_F(HostChecksTest, ConsoleGpuOnVfioFails) {
  Build("workstation");
  for (const char* bdf : {"0000:41:00.0", "0000:41:00.1"}) {
    ASSERT_TRUE(host().UnbindDriver(bdf).ok());
    ASSERT_TRUE(host().BindDriver(bdf, "vfio-pci").ok());
  }
  std::vector<Finding> out;
  CheckHostDisplay(sysfs(), Discover(), out);
  EXPECT_THAT(
      Lines(out),
      ElementsAre(
          "FAIL  host-display            0000:41:00.0 drives the host console "
          "(boot_vga=1) but is on vfio-pci, so it is offered to pods. Fix: "
          "echo > /sys/bus/pci/devices/0000:41:00.0/driver_override && echo "
          "0000:41:00.0 > /sys/bus/pci/devices/0000:41:00.0/driver/unbind && "
          "echo 0000:41:00.0 > /sys/bus/pci/drivers_probe (and drop its id "
          "from vfio-pci.ids=)"));
}

TEST_F(HostChecksTest, VfioModeCdevEverywherePasses) {
  Build("h100-hgx");
  std::vector<Finding> out;
  CheckVfioMode(Discover(), out);
  EXPECT_THAT(Lines(out), ElementsAre("PASS  vfio-mode               12 units, "
                                      "each through VFIO cdevs (iommufd)"));
}

// A GPU whose display function has a vfio cdev and whose audio function
// has none: Kata would get a cdev for one and a group node for the other.
TEST_F(HostChecksTest, CdevAndGroupNodesMixedInOneDeviceFail) {
  Build("");
  ASSERT_TRUE(host().SetIommufd(true).ok());
  simhost::FunctionSpec gpu;
  gpu.bdf = "0000:42:00.0";
  gpu.vendor = 0x10de;
  gpu.device = 0x2230;
  gpu.class_code = 0x030000;
  gpu.driver = "vfio-pci";
  gpu.iommu_group = 25;
  gpu.vfio_cdev = 0;
  simhost::FunctionSpec audio = gpu;
  audio.bdf = "0000:42:00.1";
  audio.device = 0x1aef;
  audio.class_code = 0x040300;
  audio.vfio_cdev.reset();
  ASSERT_TRUE(host().AddFunction(gpu).ok());
  ASSERT_TRUE(host().AddFunction(audio).ok());
  std::vector<Finding> out;
  CheckVfioMode(Discover(), out);
  EXPECT_THAT(
      Lines(out),
      ElementsAre("FAIL  vfio-mode               group 25 (0000:42:00.0) mixes "
                  "VFIO cdev and group nodes: 0000:42:00.0 have a vfio cdev, "
                  "0000:42:00.1 do not. Fix: rebind every function of group "
                  "25 to vfio-pci on a kernel with CONFIG_VFIO_DEVICE_CDEV=y"));
}

TEST_F(HostChecksTest, LargeBarIsInfo) {
  Build("h100-hgx");
  std::vector<Finding> out;
  CheckLargeBars(sysfs(), Discover(), out);
  ASSERT_EQ(out.size(), 8u);  // The eight H100s; NVSwitches have no BARs.
  EXPECT_EQ(FormatFinding(out[0]),
            "INFO  large-bar               0000:1b:00.0 has a 128 GiB BAR1: "
            "more than a hot-plugged root port can map, so Kata must "
            "cold-plug it (cold_plug_vfio = \"root-port\")");
}

TEST_F(HostChecksTest, SmallBarsPass) {
  Build("workstation");
  std::vector<Finding> out;
  CheckLargeBars(sysfs(), Discover(), out);
  EXPECT_THAT(Lines(out), ElementsAre("PASS  large-bar               no "
                                      "offered GPU has a BAR above 4 GiB"));
}

TEST_F(HostChecksTest, MdevOnAKataNodeWarns) {
  Build("t4-vgpu");
  std::vector<Finding> out;
  CheckMdevWithKata(Discover(), /*kata_configured=*/true, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].verdict, Verdict::kWarn);
  EXPECT_THAT(
      FormatFinding(out[0]),
      ::testing::MatchesRegex(
          "WARN  mdev-kata               2 mdev vGPUs \\([0-9a-f-]+ on "
          "0000:3b:00.0, \\.\\.\\.\\) are advertised on a Kata node, and Kata "
          "4.1.0 cannot cold-plug mdev devices. Fix: request them from pods "
          "of a non-Kata runtime class, or use passthrough or VF vGPUs "
          "\\(NVIDIA vGPU 17\\+\\) for Kata pods"));
}

TEST_F(HostChecksTest, MdevWithoutKataConfigIsInfo) {
  Build("intel-gvt");
  std::vector<Finding> out;
  CheckMdevWithKata(Discover(), /*kata_configured=*/false, out);
  EXPECT_THAT(Lines(out),
              ElementsAre("INFO  mdev-kata               1 mdev vGPUs "
                          "(f1c3a6e2-5d4b-4c8e-9a7f-0b2d3e4f5a61 on "
                          "0000:00:02.0) advertised; no --kata-config given"));
}

TEST_F(HostChecksTest, NoMdevPasses) {
  Build("h100-hgx");
  std::vector<Finding> out;
  CheckMdevWithKata(Discover(), /*kata_configured=*/true, out);
  EXPECT_THAT(Lines(out), ElementsAre("PASS  mdev-kata               no mdev "
                                      "vGPUs on this node"));
}

}  // namespace
}  // namespace vgpu::doctor
