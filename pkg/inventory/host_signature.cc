#include "pkg/inventory/host_signature.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vgpu::inventory {
namespace {

// Appends "<path>:<names>;" (ListDir sorts them) or "<path>:-;" when the
// directory is missing.
absl::Status AppendListing(sysfs::Sysfs& sysfs, const std::string& path,
                           std::string& out,
                           std::vector<std::string>* names_out = nullptr) {
  absl::StatusOr<std::vector<std::string>> names = sysfs.ListDir(path);
  if (!names.ok()) {
    if (!absl::IsNotFound(names.status())) return names.status();
    absl::StrAppend(&out, path, ":-;");
    return absl::OkStatus();
  }
  absl::StrAppend(&out, path, ":");
  for (const std::string& name : *names) absl::StrAppend(&out, name, ",");
  out.push_back(';');
  if (names_out != nullptr) *names_out = *std::move(names);
  return absl::OkStatus();
}

// Every driver directory of a bus, each listed: the bound devices are its
// entries named by device.
absl::Status AppendBindings(sysfs::Sysfs& sysfs, const std::string& drivers,
                            std::string& out) {
  std::vector<std::string> names;
  absl::Status status = AppendListing(sysfs, drivers, out, &names);
  if (!status.ok()) return status;
  for (const std::string& driver : names) {
    status = AppendListing(sysfs, absl::StrCat(drivers, "/", driver), out);
    // A driver unloaded between the two listings: part of the change.
    if (!status.ok() && !absl::IsNotFound(status)) return status;
  }
  return absl::OkStatus();
}

constexpr absl::string_view kVfioNodesStart = "dev/vfio:";
constexpr absl::string_view kVfioNodesEnd = "sys/bus/pci/drivers:";

// The part RelistVfioNodes() replaces: from kVfioNodesStart up to
// kVfioNodesEnd, the listing that follows.
absl::Status AppendVfioNodes(sysfs::Sysfs& sysfs, std::string& out) {
  for (const char* dir : {"dev/vfio", "dev/vfio/devices"}) {
    absl::Status status = AppendListing(sysfs, dir, out);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> HostSignature(
    sysfs::Sysfs& sysfs, absl::Span<const std::string> nvidia_vfs) {
  std::string out;
  out.reserve(64 * 1024);
  for (const char* dir : {"sys/bus/pci/devices", "sys/bus/mdev/devices"}) {
    absl::Status status = AppendListing(sysfs, dir, out);
    if (!status.ok()) return status;
  }
  if (absl::Status status = AppendVfioNodes(sysfs, out); !status.ok()) {
    return status;
  }
  for (const char* drivers : {"sys/bus/pci/drivers", "sys/bus/mdev/drivers"}) {
    absl::Status status = AppendBindings(sysfs, drivers, out);
    if (!status.ok()) return status;
  }
  for (const std::string& bdf : nvidia_vfs) {
    absl::StatusOr<std::string> type = sysfs.ReadFile(
        absl::StrCat("sys/bus/pci/devices/", bdf, "/nvidia/current_vgpu_type"));
    absl::StrAppend(&out, bdf, "=", type.ok() ? *type : "-", ";");
  }
  return out;
}

absl::StatusOr<std::string> RelistVfioNodes(sysfs::Sysfs& sysfs,
                                            absl::string_view signature) {
  const size_t start = signature.find(absl::StrCat(";", kVfioNodesStart));
  const size_t end = signature.find(absl::StrCat(";", kVfioNodesEnd));
  if (start == absl::string_view::npos || end == absl::string_view::npos ||
      end < start) {
    return absl::InvalidArgumentError("not a host signature");
  }
  std::string out(signature.substr(0, start + 1));
  out.reserve(signature.size() + 64);
  if (absl::Status status = AppendVfioNodes(sysfs, out); !status.ok()) {
    return status;
  }
  absl::StrAppend(&out, signature.substr(end + 1));
  return out;
}

std::vector<std::string> NvidiaVfs(const Inventory& inventory) {
  std::vector<std::string> out;
  for (const PciFunction& fn : inventory.functions) {
    if (fn.nvidia_vgpu.has_value()) out.push_back(fn.bdf);
  }
  return out;
}

}  // namespace vgpu::inventory
