#include "pkg/inventory/pci_ids.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test/testing/status_matchers.h"
#include "test/testing/temp_dir.h"

namespace vgpu::inventory {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using ::vgpu::testing::StatusIs;

constexpr char kSample[] =
    "#\tList of PCI ID's\n"
    "\n"
    "10de  NVIDIA Corporation\n"
    "# a comment inside a vendor\n"
    "\t2230  GA102GL [RTX A6000]\n"
    "\t\t10de 1459  RTX A6000\n"
    "\t1aef  GA102 High Definition Audio Controller\r\n"
    "1002  Advanced Micro Devices, Inc. [AMD/ATI]\n"
    "\t740f  Aldebaran/MI200 [Instinct MI210]\n"
    "\tzzzz  garbled device\n"
    "\t74b5 one space only\n"
    "1x02  garbled vendor\n"
    "\t1234  device of a garbled vendor\n"
    "8086  Intel Corporation\n"
    "C 03  Display controller\n"
    "\t00  VGA compatible controller\n"
    "\t02  3D controller\n";

TEST(PciIdsTest, ParsesVendorsAndDevicesSkippingTheRest) {
  PciIds ids = PciIds::Parse(kSample);
  EXPECT_EQ(ids.vendor_count(), 3u);
  EXPECT_THAT(ids.VendorName(0x10de),
              Optional(std::string("NVIDIA Corporation")));
  EXPECT_THAT(ids.DeviceName(0x10de, 0x2230),
              Optional(std::string("GA102GL [RTX A6000]")));
  EXPECT_THAT(ids.DeviceName(0x10de, 0x1aef),
              Optional(std::string("GA102 High Definition Audio Controller")));
  EXPECT_THAT(ids.DeviceName(0x1002, 0x740f),
              Optional(std::string("Aldebaran/MI200 [Instinct MI210]")));
  EXPECT_EQ(ids.DeviceName(0x1002, 0x74b5), std::nullopt);
  EXPECT_EQ(ids.DeviceName(0x10de, 0x1459), std::nullopt);  // Subsystem.
  EXPECT_EQ(ids.DeviceName(0x1002, 0x1234), std::nullopt);
  EXPECT_EQ(ids.DeviceName(0x8086, 0x0000), std::nullopt);  // Class 03 00.
  EXPECT_EQ(ids.DeviceName(0x8086, 0x0002), std::nullopt);
  EXPECT_EQ(ids.VendorName(0x0c03), std::nullopt);
}

TEST(PciIdsTest, OnlyVendorsKeepsThoseVendorsAndTheirDevices) {
  PciIds ids = PciIds::Parse(kSample, std::set<uint16_t>{0x1002, 0x8086});
  EXPECT_EQ(ids.vendor_count(), 2u);
  EXPECT_EQ(ids.device_count(), 1u);  // 1002:740f; Intel has none here.
  EXPECT_THAT(ids.DeviceName(0x1002, 0x740f),
              Optional(std::string("Aldebaran/MI200 [Instinct MI210]")));
  EXPECT_EQ(ids.VendorName(0x10de), std::nullopt);
  EXPECT_EQ(ids.DeviceName(0x10de, 0x2230), std::nullopt);
  EXPECT_TRUE(ids.Covers(0x1002));
  EXPECT_TRUE(ids.Covers(0x8086));
  EXPECT_FALSE(ids.Covers(0x10de));
  // A vendor the file does not know is still covered when asked for.
  PciIds unknown = PciIds::Parse(kSample, std::set<uint16_t>{0xabcd});
  EXPECT_EQ(unknown.vendor_count(), 0u);
  EXPECT_TRUE(unknown.Covers(0xabcd));
}

TEST(PciIdsTest, UnfilteredCoversEveryVendor) {
  PciIds ids = PciIds::Parse(kSample);
  EXPECT_TRUE(ids.Covers(0x10de));
  EXPECT_TRUE(ids.Covers(0xabcd));
  EXPECT_EQ(ids.device_count(), 3u);
}

TEST(PciIdsTest, GarbageNeverFails) {
  PciIds empty = PciIds::Parse("");
  EXPECT_EQ(empty.vendor_count(), 0u);
  PciIds junk = PciIds::Parse(std::string("\0\xff\t\t\n\tabcd  x\nC\n", 16));
  EXPECT_EQ(junk.vendor_count(), 0u);
}

TEST(PciIdsTest, LoadNamesTheMissingPath) {
  ::vgpu::testing::TempDir dir;
  const std::string path = dir.path() + "/nope.ids";
  EXPECT_THAT(PciIds::Load(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(PciIdsTest, LoadReadsAFile) {
  ::vgpu::testing::TempDir dir;
  const std::string path = dir.path() + "/pci.ids";
  std::ofstream(path) << kSample;
  auto ids = PciIds::Load(path);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(ids->DeviceName(0x10de, 0x2230),
              Optional(std::string("GA102GL [RTX A6000]")));
}

TEST(PciIdsTest, DebianFileWhenInstalled) {
  const char* path = "/usr/share/misc/pci.ids";
  if (::access(path, R_OK) != 0) GTEST_SKIP() << path << " not installed";
  auto ids = PciIds::Load(path);
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_GT(ids->vendor_count(), 1000u);
  EXPECT_THAT(ids->VendorName(0x10de),
              Optional(std::string("NVIDIA Corporation")));
  EXPECT_THAT(ids->DeviceName(0x10de, 0x2230),
              Optional(std::string("GA102GL [RTX A6000]")));
  // What the daemon keeps for an NVIDIA-only host: a small part of it.
  auto nvidia = PciIds::Load(path, std::set<uint16_t>{0x10de});
  ASSERT_TRUE(nvidia.ok()) << nvidia.status();
  EXPECT_EQ(nvidia->vendor_count(), 1u);
  EXPECT_THAT(nvidia->DeviceName(0x10de, 0x2230),
              Optional(std::string("GA102GL [RTX A6000]")));
  EXPECT_LT(nvidia->device_count() * 5, ids->device_count());
}

}  // namespace
}  // namespace vgpu::inventory
