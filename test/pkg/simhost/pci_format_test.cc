// Pure formatting helpers behind SimHost (kernel text formats, BDF parsing,
// relative symlink targets).
#include "pkg/simhost/pci_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pkg/simhost/tree_ops.h"
#include "test/testing/status_matchers.h"

namespace vgpu::simhost::internal {
namespace {

using ::testing::HasSubstr;
using ::vgpu::testing::IsOk;
using ::vgpu::testing::IsOkAndHolds;
using ::vgpu::testing::StatusIs;

TEST(PciFormatTest, ParsesAndFormatsBdfs) {
  auto bdf = ParseBdf("10000:e1:1f.7");
  ASSERT_THAT(bdf, IsOk());
  EXPECT_EQ(bdf->domain, 0x10000u);
  EXPECT_EQ(bdf->bus, 0xe1u);
  EXPECT_EQ(bdf->dev, 0x1fu);
  EXPECT_EQ(bdf->fn, 7u);
  EXPECT_EQ(FormatBdf(*bdf), "10000:e1:1f.7");
  EXPECT_EQ(RootBusDir(*bdf), "pci10000:e1");
  EXPECT_EQ(RoutingId(*bdf), 0xe1ff);
  for (const char* bad :
       {"000:00:00.0", "000000000:00:00.0", "0000:0:00.0", "0000:00:20.0",
        "0000:00:00.8", "0000:00:00", "0000:AB:00.0", "0000:00:00.0 ", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParseBdf(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("bad pci address")));
  }
}

TEST(PciFormatTest, KernelAttributeFormats) {
  EXPECT_EQ(Hex4(0x10de), "0x10de\n");
  EXPECT_EQ(Hex4(0x0e1b), "0x0e1b\n");
  EXPECT_EQ(ClassText(0x068000), "0x068000\n");
  EXPECT_EQ(Hex2(0x02), "0x02\n");
  EXPECT_EQ(IntLine(-1), "-1\n");
  EXPECT_EQ(LocalCpuList(1), "32-63,96-127\n");
  EXPECT_EQ(LocalCpuMask(0), "00000000,ffffffff,00000000,ffffffff\n");
}

TEST(PciFormatTest, UeventAndModaliasAreUpperCase) {
  FunctionSpec spec;
  spec.bdf = "0000:07:00.0";
  spec.vendor = 0x10de;
  spec.device = 0x22a3;
  spec.subsystem_vendor = 0x10de;
  spec.subsystem_device = 0x1796;
  spec.class_code = 0x068000;
  EXPECT_EQ(Modalias(spec),
            "pci:v000010DEd000022A3sv000010DEsd00001796bc06sc80i00");
  EXPECT_EQ(UeventText(spec, ""),
            "PCI_CLASS=68000\nPCI_ID=10DE:22A3\nPCI_SUBSYS_ID=10DE:1796\n"
            "PCI_SLOT_NAME=0000:07:00.0\n"
            "MODALIAS=pci:v000010DEd000022A3sv000010DEsd00001796bc06sc80i00\n");
  EXPECT_THAT(UeventText(spec, "vfio-pci"),
              ::testing::StartsWith("DRIVER=vfio-pci\nPCI_CLASS=68000\n"));
}

TEST(PciFormatTest, CanonicalUuid) {
  EXPECT_THAT(CanonicalUuid("C0FFEE00-AAAA-4BBB-8CCC-DDDDEEEEFFFF"),
              IsOkAndHolds("c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff"));
  EXPECT_THAT(CanonicalUuid("c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CanonicalUuid("c0ffee00aaaa-4bbb-8ccc-ddddeeeeffff0"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TreeOpsTest, RelativeTargetsLikeTheKernel) {
  EXPECT_EQ(RelativeTarget("sys/bus/pci/devices",
                           "sys/devices/pci0000:00/0000:00:02.0"),
            "../../../devices/pci0000:00/0000:00:02.0");
  EXPECT_EQ(RelativeTarget("sys/devices/pci0000:00/0000:00:02.0",
                           "sys/kernel/iommu_groups/2"),
            "../../../kernel/iommu_groups/2");
  EXPECT_EQ(RelativeTarget("sys/devices/pci0000:41/0000:41:00.4",
                           "sys/devices/pci0000:41/0000:41:00.0"),
            "../0000:41:00.0");
  EXPECT_EQ(RelativeTarget("a/b", "a/b/c"), "c");
  // An ancestor: kernfs goes up to the common ancestor of its parent.
  EXPECT_EQ(RelativeTarget("sys/devices/pci0000:41/0000:41:00.5/vfio-dev/vfio3",
                           "sys/devices/pci0000:41/0000:41:00.5"),
            "../../../0000:41:00.5");
  EXPECT_EQ(ParentOf("a/b/c"), "a/b");
  EXPECT_EQ(ParentOf("a"), "");
}

}  // namespace
}  // namespace vgpu::simhost::internal
