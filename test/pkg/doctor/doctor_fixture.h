// What the pkg/doctor tests share: a simulated host written from a profile
// (pkg/simhost) that a test may mutate, the Sysfs over it, discovery, and
// findings as the exact table lines users see.
#ifndef VGPU_TEST_PKG_DOCTOR_DOCTOR_FIXTURE_H_
#define VGPU_TEST_PKG_DOCTOR_DOCTOR_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pkg/doctor/doctor.h"
#include "pkg/inventory/discovery.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/temp_dir.h"

namespace vgpu::doctor {

// Findings as the table lines users see.
inline std::vector<std::string> Lines(const std::vector<Finding>& found) {
  std::vector<std::string> lines;
  for (const Finding& f : found) lines.push_back(FormatFinding(f));
  return lines;
}

class DoctorFixture : public ::testing::Test {
 protected:
  // Writes `profile` ("" = an empty host) under a fresh root.
  void Build(const std::string& profile) {
    auto host = simhost::SimHost::Create(root());
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = std::move(*host);
    if (!profile.empty()) {
      ASSERT_TRUE(simhost::BuildProfile(*host_, profile).ok());
    }
    auto sysfs = sysfs::NewHostSysfs(root());
    ASSERT_TRUE(sysfs.ok()) << sysfs.status();
    sysfs_ = std::move(*sysfs);
  }

  std::string root() const { return tmp_.path() + "/host"; }
  simhost::SimHost& host() { return *host_; }
  sysfs::Sysfs& sysfs() { return *sysfs_; }

  inventory::Inventory Discover() {
    auto inv = inventory::Discover(*sysfs_, inventory::DiscoverOptions());
    EXPECT_TRUE(inv.ok()) << inv.status();
    return inv.ok() ? *inv : inventory::Inventory();
  }

  ::vgpu::testing::TempDir tmp_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

}  // namespace vgpu::doctor

#endif  // VGPU_TEST_PKG_DOCTOR_DOCTOR_FIXTURE_H_
