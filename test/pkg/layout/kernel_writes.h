// Test double: a SysfsWrapper over a SimHost tree that turns the applier's
// writes into tree changes, roughly as the kernel would (unit tests only;
// the kernel-faithful simulated host is vgpu-simhost --serve):
// - <parent>/mdev_supported_types/<type>/create: EEXIST for a used UUID,
//   EUSERS when available_instances reads 0; else the instance appears,
//   the type's count drops by one and every other type of that parent
//   reads 0 (NVIDIA's homogeneous rule; one vGPU per Ampere VF);
// - <parent>/<uuid>/remove: the instance goes, its type's count rises; once
//   the parent is empty every type reads what it read at construction;
// - <vf>/nvidia/current_vgpu_type: EINVAL unless creatable (or 0).
// `Fail(path, errno)` makes the next write to `path` fail; `on_write` runs
// before each write (to look at the state file at that moment).
#ifndef VGPU_TEST_PKG_LAYOUT_KERNEL_WRITES_H_
#define VGPU_TEST_PKG_LAYOUT_KERNEL_WRITES_H_

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pkg/base/errno_status.h"
#include "pkg/simhost/sim_host.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::layout {

class KernelWrites : public sysfs::SysfsWrapper {
 public:
  KernelWrites(sysfs::Sysfs& target, simhost::SimHost& host)
      : SysfsWrapper(target), host_(host) {}

  void Fail(const std::string& path, int err) { failures_[path] = err; }
  std::function<void(const std::string& path)> on_write;
  std::vector<std::string> writes;  // Paths written, in order.

  absl::Status WriteFile(absl::string_view path_view,
                         absl::string_view data) override {
    const std::string path(path_view);
    writes.push_back(path);
    if (on_write) on_write(path);
    if (auto it = failures_.find(path); it != failures_.end()) {
      const int err = it->second;
      failures_.erase(it);
      return Errno(err, path);
    }
    std::vector<std::string> p = absl::StrSplit(path, '/');
    if (absl::EndsWith(path, "/create") && p.size() == 7) {
      return Create(path, p[3], p[5], std::string(data));
    }
    if (absl::EndsWith(path, "/remove") && p.size() == 6) {
      return Remove(path, p[3], p[4]);
    }
    if (absl::EndsWith(path, "/nvidia/current_vgpu_type")) {
      return SetVfType(path, p[4], std::string(data));
    }
    return Errno(EACCES, path);
  }

 private:
  static absl::Status Errno(int err, const std::string& path) {
    return ErrnoStatus(err, "write", path);
  }

  std::string TypesDir(const std::string& parent) {
    return absl::StrCat("sys/class/mdev_bus/", parent, "/mdev_supported_types");
  }
  int Avail(const std::string& parent, const std::string& type) {
    absl::StatusOr<std::string> text = ReadFile(
        absl::StrCat(TypesDir(parent), "/", type, "/available_instances"));
    int n = 0;
    return text.ok() && absl::SimpleAtoi(*text, &n) ? n : 0;
  }
  std::vector<std::string> Types(const std::string& parent) {
    absl::StatusOr<std::vector<std::string>> t = ListDir(TypesDir(parent));
    return t.ok() ? *t : std::vector<std::string>{};
  }
  void Snapshot(const std::string& parent) {
    if (original_.count(parent)) return;
    for (const std::string& t : Types(parent)) {
      original_[parent][t] = Avail(parent, t);
    }
  }

  absl::Status Create(const std::string& path, const std::string& parent,
                      const std::string& type, const std::string& uuid) {
    Snapshot(parent);
    if (Lstat(absl::StrCat("sys/bus/mdev/devices/", uuid)).ok()) {
      return Errno(EEXIST, path);
    }
    const int avail = Avail(parent, type);
    if (avail <= 0) return Errno(EUSERS, path);
    absl::Status s =
        host_.AddMdev(uuid, parent, type, host_.NextFreeIommuGroup());
    if (!s.ok()) return Errno(EINVAL, path);
    for (const std::string& t : Types(parent)) {
      (void)host_.SetAvailableInstances(parent, t, t == type ? avail - 1 : 0);
    }
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path, const std::string& parent,
                      const std::string& uuid) {
    Snapshot(parent);
    absl::StatusOr<std::string> type_link = ReadLink(
        absl::StrCat("sys/class/mdev_bus/", parent, "/", uuid, "/mdev_type"));
    if (!type_link.ok()) return Errno(ENOENT, path);
    const std::string type(sysfs::Basename(*type_link));
    if (!host_.RemoveMdev(uuid).ok()) return Errno(ENODEV, path);
    (void)host_.SetAvailableInstances(parent, type, Avail(parent, type) + 1);
    bool empty = true;
    for (const std::string& t : Types(parent)) {
      auto d = ListDir(absl::StrCat(TypesDir(parent), "/", t, "/devices"));
      if (d.ok() && !d->empty()) empty = false;
    }
    if (empty) {
      for (const auto& [t, n] : original_[parent]) {
        (void)host_.SetAvailableInstances(parent, t, n);
      }
    }
    return absl::OkStatus();
  }

  absl::Status SetVfType(const std::string& path, const std::string& vf,
                         const std::string& data) {
    int id = 0;
    if (!absl::SimpleAtoi(data, &id)) return Errno(EINVAL, path);
    const std::map<int, std::string> kType = {{1148, "NVIDIA L40S-2Q"}};
    if (id == 0) {
      return host_.SetNvidiaVgpu(vf, kType, 0).ok() ? absl::OkStatus()
                                                    : Errno(EINVAL, path);
    }
    absl::StatusOr<std::string> list = ReadFile(absl::StrCat(
        "sys/bus/pci/devices/", vf, "/nvidia/creatable_vgpu_types"));
    if (!list.ok() || !absl::StrContains(*list, absl::StrCat("\n", id, " "))) {
      return Errno(EINVAL, path);
    }
    return host_.SetNvidiaVgpu(vf, {}, id).ok() ? absl::OkStatus()
                                                : Errno(EINVAL, path);
  }

  simhost::SimHost& host_;
  std::map<std::string, int> failures_;
  std::map<std::string, std::map<std::string, int>> original_;
};

}  // namespace vgpu::layout

#endif  // VGPU_TEST_PKG_LAYOUT_KERNEL_WRITES_H_
