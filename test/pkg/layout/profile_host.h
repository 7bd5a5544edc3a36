// Test helper: a simulated host of a named profile in a temp dir, with its
// Sysfs and a Discover() of it.
#ifndef VGPU_TEST_PKG_LAYOUT_PROFILE_HOST_H_
#define VGPU_TEST_PKG_LAYOUT_PROFILE_HOST_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "pkg/inventory/discovery.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/temp_dir.h"

namespace vgpu::layout {

class ProfileHost {
 public:
  // Builds `profile`; check ok() (gtest ASSERTs cannot run in constructors).
  explicit ProfileHost(const std::string& profile) {
    auto host = simhost::SimHost::Create(dir_.path() + "/host");
    if (!host.ok()) return;
    host_ = *std::move(host);
    if (!simhost::BuildProfile(*host_, profile).ok()) return;
    auto sysfs = sysfs::NewHostSysfs(host_->root());
    if (sysfs.ok()) sysfs_ = *std::move(sysfs);
  }
  bool ok() const { return sysfs_ != nullptr; }
  simhost::SimHost& host() { return *host_; }
  sysfs::Sysfs& sysfs() { return *sysfs_; }
  const std::string& dir() const { return dir_.path(); }

  inventory::Inventory Discover() {
    absl::StatusOr<inventory::Inventory> inv =
        inventory::Discover(*sysfs_, inventory::DiscoverOptions{});
    EXPECT_TRUE(inv.ok()) << inv.status();
    return inv.ok() ? *std::move(inv) : inventory::Inventory{};
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<simhost::SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

}  // namespace vgpu::layout

#endif  // VGPU_TEST_PKG_LAYOUT_PROFILE_HOST_H_
