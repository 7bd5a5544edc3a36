#include "pkg/kata/cdi_spec.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pkg/base/atomic_file.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/json.h"
#include "pkg/base/local_file.h"
#include "pkg/base/status_macros.h"

namespace vgpu::kata {
namespace {

constexpr char kFilePrefix[] = "vgpu-device-plugin_";
constexpr char kFileSuffix[] = ".json";
// Temp files end in ".tmp": CDI registries read only *.json and *.yaml, so a
// half-written file is never parsed.
constexpr char kTempPrefix[] = ".vgpu-device-plugin_";
constexpr char kTempSuffix[] = ".tmp";

bool IsAlnum(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c));
}
bool IsAlpha(char c) {
  return absl::ascii_isalpha(static_cast<unsigned char>(c));
}

// Checks `s`: `first` for the first char, alnum at the end, `middle` chars in
// between. Returns "" when valid, else why not.
template <typename First, typename Middle>
std::string CheckName(absl::string_view s, First first, Middle middle,
                      absl::string_view first_rule) {
  if (s.empty()) return "is empty";
  if (!first(s.front())) return absl::StrCat("must start with ", first_rule);
  if (!IsAlnum(s.back())) return "must end with a letter or digit";
  for (char c : s) {
    if (!IsAlnum(c) && !middle(c)) {
      return absl::StrCat("has invalid character '", std::string(1, c), "'");
    }
  }
  return "";
}

bool IsOwnedSpec(absl::string_view name) {
  return absl::StartsWith(name, kFilePrefix) &&
         absl::EndsWith(name, kFileSuffix);
}

bool IsOwnedTemp(absl::string_view name) {
  return absl::StartsWith(name, kTempPrefix) &&
         absl::EndsWith(name, kTempSuffix);
}

absl::StatusOr<std::vector<std::string>> ListOwned(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return ErrnoStatus(ec.value(), "list", dir);
  std::vector<std::string> names;
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (IsOwnedSpec(name) || IsOwnedTemp(name))
      names.push_back(std::move(name));
  }
  return names;
}

// Removes owned files not in `keep`; returns whether any was removed.
absl::StatusOr<bool> RemoveOwnedExcept(const std::string& dir,
                                       const std::set<std::string>& keep) {
  VGPU_ASSIGN_OR_RETURN(std::vector<std::string> names, ListOwned(dir));
  bool removed = false;
  for (const std::string& name : names) {
    if (keep.count(name) != 0) continue;
    const std::string path = absl::StrCat(dir, "/", name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "remove", path);
    }
    removed = true;
  }
  return removed;
}

absl::Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoStatus(ec.value(), "create directory", dir);
  return absl::OkStatus();
}

Json DeviceJson(const resources::PoolDevice& device) {
  Json nodes = Json::array();
  std::set<std::string> seen;
  for (const std::string& node : device.vfio_nodes) {
    if (!seen.insert(node).second) continue;
    nodes.push_back(Json::object({{"path", node}}));
  }
  Json out = Json::object();
  out["name"] = device.id;
  out["containerEdits"] = Json::object({{"deviceNodes", std::move(nodes)}});
  return out;
}

bool HasListedDevice(const resources::Pool& pool) {
  for (const resources::PoolDevice& d : pool.devices) {
    if (CdiListsDevice(d)) return true;
  }
  return false;
}

}  // namespace

absl::Status ValidateCdiKind(absl::string_view kind) {
  const size_t slash = kind.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CDI kind \"", kind, "\": want vendor/class"));
  }
  const absl::string_view vendor = kind.substr(0, slash);
  const absl::string_view cls = kind.substr(slash + 1);
  std::string why = CheckName(
      vendor, IsAlpha, [](char c) { return c == '_' || c == '.' || c == '-'; },
      "a letter");
  if (!why.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid CDI kind \"", kind, "\": vendor \"", vendor, "\" ", why));
  }
  why = CheckName(
      cls, IsAlpha, [](char c) { return c == '_' || c == '-'; }, "a letter");
  if (!why.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid CDI kind \"", kind, "\": class \"", cls, "\" ", why));
  }
  return absl::OkStatus();
}

absl::Status ValidateCdiDeviceName(absl::string_view name) {
  const std::string why = CheckName(
      name, IsAlnum,
      [](char c) { return c == '_' || c == '.' || c == ':' || c == '-'; },
      "a letter or digit");
  if (!why.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CDI device name \"", name, "\": ", why));
  }
  return absl::OkStatus();
}

bool CdiListsDevice(const resources::PoolDevice& device) {
  return !device.vfio_nodes.empty() && ValidateCdiDeviceName(device.id).ok();
}

std::string RenderCdiSpec(const resources::Pool& pool) {
  Json devices = Json::array();
  for (const resources::PoolDevice& device : pool.devices) {
    if (CdiListsDevice(device)) devices.push_back(DeviceJson(device));
  }
  Json spec = Json::object();
  spec["cdiVersion"] = kCdiVersion;
  spec["kind"] = pool.resource_name;
  spec["devices"] = std::move(devices);
  return DumpJson(spec);
}

std::string CdiSpecFileName(const std::string& resource_name) {
  std::string name = kFilePrefix;
  for (char c : resource_name) {
    name.push_back(IsAlnum(c) || c == '.' || c == '-' || c == '_' ? c : '_');
  }
  return name + kFileSuffix;
}

absl::Status CdiWriter::Sync(const resources::PoolSet& pools) {
  failed_.clear();
  if (absl::Status dir = EnsureDir(dir_); !dir.ok()) {
    for (const resources::Pool& pool : pools.pools) {
      if (HasListedDevice(pool)) {
        failed_[pool.resource_name] = std::string(dir.message());
      }
    }
    return dir;
  }
  std::set<std::string> wanted;
  std::vector<std::string> errors;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  for (const resources::Pool& pool : pools.pools) {
    if (absl::Status s = ValidateCdiKind(pool.resource_name); !s.ok()) {
      failed_[pool.resource_name] = std::string(s.message());
      errors.push_back(std::string(s.message()));
      continue;
    }
    if (!HasListedDevice(pool)) continue;
    const std::string name = CdiSpecFileName(pool.resource_name);
    const std::string path = absl::StrCat(dir_, "/", name);
    const std::string content = RenderCdiSpec(pool);
    wanted.insert(name);
    absl::StatusOr<std::string> old = ReadLocalFile(path);
    if (old.ok() && *old == content) continue;
    if (absl::Status s = WriteFileAtomically(path, content, 0644); !s.ok()) {
      failed_[pool.resource_name] = std::string(s.message());
      errors.push_back(std::string(s.message()));
      code = s.code();
    }
  }
  absl::StatusOr<bool> removed = RemoveOwnedExcept(dir_, wanted);
  if (!removed.ok()) {
    errors.push_back(std::string(removed.status().message()));
    code = removed.status().code();
  } else if (*removed) {
    if (absl::Status s = FsyncDirectory(dir_); !s.ok()) {
      errors.push_back(std::string(s.message()));
      code = s.code();
    }
  }
  written_ = std::move(wanted);
  if (!errors.empty()) {
    return absl::Status(code, absl::StrCat("CDI specs not written: ",
                                           absl::StrJoin(errors, "; ")));
  }
  return absl::OkStatus();
}

absl::Status CdiWriter::RemoveAll() {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return absl::OkStatus();
  VGPU_ASSIGN_OR_RETURN(bool removed, RemoveOwnedExcept(dir_, {}));
  written_.clear();
  if (removed) VGPU_RETURN_IF_ERROR(FsyncDirectory(dir_));
  return absl::OkStatus();
}

}  // namespace vgpu::kata
