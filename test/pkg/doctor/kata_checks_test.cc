// The Kata TOML parser (pkg/doctor/kata_config.cc) and the Kata checks
// (kata_checks.cc): one file under test/testdata/doctor/ per broken case,
// asserting the exact line.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/base/local_file.h"
#include "pkg/doctor/doctor.h"
#include "pkg/doctor/kata_config.h"
#include "test/pkg/doctor/doctor_fixture.h"
#include "test/testing/status_matchers.h"

namespace vgpu::doctor {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using ::vgpu::testing::StatusIs;

std::string TestData(const std::string& name) {
  return std::string(VGPU_DOCTOR_TESTDATA) + "/" + name;
}

KataConfigInput Load(const std::string& name) {
  const std::string path = TestData(name);
  absl::StatusOr<std::string> content = ReadLocalFile(path);
  EXPECT_TRUE(content.ok()) << content.status();
  return {path, content.ok() ? ParseKataConfig(*content, path)
                             : absl::StatusOr<KataConfig>(content.status())};
}

class KataChecksTest : public DoctorFixture {
 protected:
  // The workstation, with the kubelet's PodResources socket in place.
  void SetUp() override {
    Build("workstation");
    ASSERT_TRUE(
        host().WriteRaw("var/lib/kubelet/pod-resources/kubelet.sock", "").ok());
  }

  std::vector<std::string> Check(const std::string& file) {
    std::vector<Finding> out;
    CheckKataConfig(sysfs(), Discover(), Load(file), out);
    return Lines(out);
  }
};

TEST(KataConfigTest, ParsesTheGoRuntimeFile) {
  KataConfigInput in = Load("configuration-qemu-nvidia-gpu.toml");
  ASSERT_TRUE(in.config.ok()) << in.config.status();
  EXPECT_EQ(in.config->runtime, KataRuntime::kGo);
  EXPECT_EQ(in.config->hypervisor, "qemu");
  EXPECT_EQ(in.config->cold_plug_vfio, "root-port");
  EXPECT_EQ(in.config->hot_plug_vfio, "no-port");
  EXPECT_EQ(in.config->pcie_root_port, 8);
  EXPECT_EQ(in.config->pod_resource_api_sock,
            "/var/lib/kubelet/pod-resources/kubelet.sock");
  EXPECT_THAT(
      *in.config->enable_annotations,
      ElementsAre("enable_iommu", "kernel_params", "kernel_verity_params"));
}

TEST(KataConfigTest, DetectsRuntimeRs) {
  KataConfigInput in = Load("configuration-qemu-runtime-rs.toml");
  ASSERT_TRUE(in.config.ok()) << in.config.status();
  EXPECT_EQ(in.config->runtime, KataRuntime::kRs);
  EXPECT_EQ(in.config->runtime_evidence, "[runtime] name = \"virt_container\"");
  EXPECT_FALSE(in.config->hot_plug_vfio.has_value());
}

TEST(KataConfigTest, SyntaxErrorNamesLineAndColumn) {
  EXPECT_THAT(Load("bad-syntax.toml").config,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("bad-syntax.toml:4:")));
}

TEST(KataConfigTest, WrongTypeNamesTheKey) {
  EXPECT_THAT(Load("wrong-type.toml").config,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::EndsWith(
                           "wrong-type.toml: [hypervisor.qemu] pcie_root_port "
                           "must be an integer")));
}

TEST(KataConfigTest, NoHypervisorTableIsNotAKataFile) {
  EXPECT_THAT(ParseKataConfig("[runtime]\n", "x.toml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "x.toml: no [hypervisor.<name>] table: not a Kata "
                       "configuration file"));
}

TEST_F(KataChecksTest, HealthyGoRuntimeFile) {
  EXPECT_THAT(
      Check("configuration-qemu-nvidia-gpu.toml"),
      ElementsAre(
          "INFO  kata-runtime            configuration-qemu-nvidia-gpu.toml: "
          "configures the Go runtime, hypervisor qemu",
          "PASS  kata-cold-plug-vfio     configuration-qemu-nvidia-gpu.toml: "
          "cold_plug_vfio = \"root-port\"",
          "PASS  kata-hot-plug-vfio      configuration-qemu-nvidia-gpu.toml: "
          "hot_plug_vfio = \"no-port\"",
          "PASS  kata-pod-resources-sock configuration-qemu-nvidia-gpu.toml: "
          "pod_resource_api_sock = "
          "\"/var/lib/kubelet/pod-resources/kubelet.sock\" exists",
          "PASS  kata-pcie-root-port     configuration-qemu-nvidia-gpu.toml: "
          "pcie_root_port = 8 covers the largest unit (2 functions)",
          "PASS  kata-annotations        configuration-qemu-nvidia-gpu.toml: "
          "enable_annotations lets no pod change the VFIO ports (cold-plug "
          "needs none)"));
}

TEST_F(KataChecksTest, ColdPlugOff) {
  EXPECT_THAT(Check("cold-plug-no-port.toml"),
              Contains("FAIL  kata-cold-plug-vfio     cold-plug-no-port.toml: "
                       "cold_plug_vfio is \"no-port\", so Kata cold-plugs no "
                       "device-plugin device. Fix: cold_plug_vfio = "
                       "\"root-port\" under [hypervisor.qemu]"));
}

TEST_F(KataChecksTest, HotPlugTogetherWithColdPlug) {
  EXPECT_THAT(Check("hot-plug-root-port.toml"),
              Contains("FAIL  kata-hot-plug-vfio      hot-plug-root-port.toml: "
                       "hot_plug_vfio is \"root-port\": Kata rejects hot and "
                       "cold plug together (checkPCIeConfig). Fix: "
                       "hot_plug_vfio = \"no-port\" under [hypervisor.qemu]"));
}

TEST_F(KataChecksTest, PodResourceSockNotSet) {
  EXPECT_THAT(
      Check("no-pod-resource-sock.toml"),
      Contains("FAIL  kata-pod-resources-sock no-pod-resource-sock.toml: "
               "pod_resource_api_sock is not set, so Kata never asks the "
               "kubelet which devices a pod got. Fix: pod_resource_api_sock = "
               "\"/var/lib/kubelet/pod-resources/kubelet.sock\" under "
               "[runtime] (the kubelet's root dir)"));
}

TEST_F(KataChecksTest, PodResourceSockMissingOnTheHost) {
  EXPECT_THAT(
      Check("missing-pod-resource-sock.toml"),
      Contains("FAIL  kata-pod-resources-sock missing-pod-resource-sock.toml: "
               "pod_resource_api_sock = "
               "\"/var/lib/k0s/kubelet/pod-resources/kubelet.sock\" does not "
               "exist on this host (Go runtime: sandbox creation fails; "
               "runtime-rs: no cold-plug). Fix: pod_resource_api_sock = "
               "\"/var/lib/kubelet/pod-resources/kubelet.sock\" under "
               "[runtime] (the kubelet's root dir)"));
}

TEST_F(KataChecksTest, TooFewRootPortsAndVfioAnnotationsWarn) {
  std::vector<std::string> lines = Check("small-root-port.toml");
  EXPECT_THAT(lines,
              Contains("WARN  kata-pcie-root-port     small-root-port.toml: "
                       "pcie_root_port = 1 is below the largest unit on this "
                       "node (group 25, 2 functions, one root port each). "
                       "Fix: pcie_root_port = 2 under [hypervisor.qemu]"));
  EXPECT_THAT(lines,
              Contains("WARN  kata-annotations        small-root-port.toml: "
                       "enable_annotations lets pods set cold_plug_vfio and "
                       "hot_plug_vfio, and one such annotation switches the "
                       "other port to no-port for that pod. Fix: remove the "
                       "patterns matching cold_plug_vfio, hot_plug_vfio from "
                       "enable_annotations under [hypervisor.qemu]"));
}

TEST_F(KataChecksTest, MoreRootPortsThanKataAllows) {
  EXPECT_THAT(
      Check("too-many-root-ports.toml"),
      Contains("FAIL  kata-pcie-root-port     too-many-root-ports.toml: "
               "pcie_root_port = 20 and the largest unit (2 "
               "functions) must stay within Kata's 16 root ports. "
               "Fix: pcie_root_port = 2 under [hypervisor.qemu]"));
}

TEST_F(KataChecksTest, BadTomlFails) {
  std::vector<std::string> lines = Check("bad-syntax.toml");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], ::testing::MatchesRegex(
                            "FAIL  kata-config             bad-syntax.toml: "
                            ".*bad-syntax.toml:4:[0-9]+: .* Fix: fix the TOML "
                            "in .*bad-syntax.toml"));
}

// runtime-rs on the workstation: no /dev/iommu, and group 25 is a GPU with
// its HDMI audio function.
TEST_F(KataChecksTest, RuntimeRsCaveatsWhereTheyBite) {
  std::vector<std::string> lines = Check("configuration-qemu-runtime-rs.toml");
  EXPECT_THAT(lines, Contains("INFO  kata-runtime            "
                              "configuration-qemu-runtime-rs.toml: configures "
                              "runtime-rs ([runtime] name = "
                              "\"virt_container\"), hypervisor qemu"));
  EXPECT_THAT(
      lines,
      Contains("FAIL  kata-rs-iommufd         "
               "configuration-qemu-runtime-rs.toml: runtime-rs always "
               "cold-plugs through iommufd, and /dev/iommu does not exist. "
               "Fix: modprobe iommufd (kernel 6.6+ with CONFIG_IOMMUFD=y and "
               "CONFIG_VFIO_DEVICE_CDEV=y)"));
  EXPECT_THAT(
      lines,
      Contains("WARN  kata-rs-audio           "
               "configuration-qemu-runtime-rs.toml: runtime-rs drops class "
               "0x0403 functions, so the audio function 0000:42:00.1 (group "
               "25) stays on the host, unplugged. Fix: use the Go runtime (a "
               "configuration-qemu-*.toml without [runtime] name) if the guest "
               "needs it"));
}

// Multi-function devices other than GPU + audio (a GPU with its USB-C
// controller) share one root port under runtime-rs.
TEST_F(KataChecksTest, RuntimeRsSeveralFunctionsPerDevice) {
  simhost::FunctionSpec usb;
  usb.bdf = "0000:42:00.2";
  usb.vendor = 0x10de;
  usb.device = 0x1ad6;
  usb.class_code = 0x0c0330;
  usb.driver = "vfio-pci";
  usb.iommu_group = 25;
  usb.parent_bridges = {"0000:40:03.1"};
  ASSERT_TRUE(host().AddFunction(usb).ok());
  EXPECT_THAT(
      Check("configuration-qemu-runtime-rs.toml"),
      Contains("WARN  kata-rs-functions       "
               "configuration-qemu-runtime-rs.toml: runtime-rs puts every "
               "function of one device on one root port, and group 25 (2 "
               "functions) has several: QEMU can abort on a duplicate device "
               "id. Fix: use the Go runtime for multi-function devices"));
}

TEST_F(KataChecksTest, GoRuntimeGetsNoRuntimeRsCaveats) {
  std::vector<std::string> lines = Check("configuration-qemu-nvidia-gpu.toml");
  for (const std::string& line : lines) {
    EXPECT_THAT(line, Not(::testing::HasSubstr("kata-rs-")));
  }
}

}  // namespace
}  // namespace vgpu::doctor
