// Test fixture: builds one named simhost profile in a temp dir and reads it
// back through the production HostSysfs boundary.
#ifndef VGPU_TEST_PKG_SIMHOST_PROFILE_FIXTURE_H_
#define VGPU_TEST_PKG_SIMHOST_PROFILE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"
#include "test/testing/temp_dir.h"

namespace vgpu::simhost {

class ProfileTest : public ::testing::Test {
 protected:
  // Builds `name` into a fresh root; the status is BuildProfile's.
  absl::Status Build(absl::string_view name,
                     const ProfileOptions& options = {}) {
    auto host = SimHost::Create(tmp_.path() + "/host");
    if (!host.ok()) return host.status();
    host_ = *std::move(host);
    absl::Status built = BuildProfile(*host_, name, options);
    auto sysfs = sysfs::NewHostSysfs(host_->root());
    if (!sysfs.ok()) return sysfs.status();
    sysfs_ = *std::move(sysfs);
    return built;
  }

  bool Present(const std::string& path) { return sysfs_->Lstat(path).ok(); }

  // ReadFile of sys/bus/pci/devices/<bdf>/<attr>, "<error>" on failure.
  std::string Attr(const std::string& bdf, const std::string& attr) {
    auto content = sysfs_->ReadFile("sys/bus/pci/devices/" + bdf + "/" + attr);
    return content.ok() ? *content : "<error>";
  }

  // Basename of a link under sys/bus/pci/devices/<bdf>, "" if absent.
  std::string LinkName(const std::string& bdf, const std::string& link) {
    auto target = sysfs_->ReadLink("sys/bus/pci/devices/" + bdf + "/" + link);
    return target.ok() ? std::string(sysfs::Basename(*target)) : "";
  }

  std::vector<std::string> List(const std::string& dir) {
    auto names = sysfs_->ListDir(dir);
    return names.ok() ? *names : std::vector<std::string>{"<error>"};
  }

  ::vgpu::testing::TempDir tmp_;
  std::unique_ptr<SimHost> host_;
  std::unique_ptr<sysfs::Sysfs> sysfs_;
};

}  // namespace vgpu::simhost

#endif  // VGPU_TEST_PKG_SIMHOST_PROFILE_FIXTURE_H_
