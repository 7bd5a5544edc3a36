#include "pkg/layout/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pkg/base/atomic_file.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/local_file.h"

namespace vgpu::layout {
namespace {

constexpr char kHeader[] = "# vgpu-device-plugin layout state v1";

bool Exists(const OwnedVgpu& v, const inventory::Inventory& inv) {
  if (v.kind == OwnedVgpu::Kind::kMdev) {
    // On the parent we made it on: the same UUID elsewhere (our intent's
    // write refused with EEXIST, then a crash) is somebody else's.
    const inventory::MdevDevice* m = inv.FindMdev(v.device);
    return m != nullptr && (v.parent.empty() || m->parent == v.parent);
  }
  const inventory::PciFunction* vf = inv.FindFunction(v.device);
  return vf != nullptr && vf->nvidia_vgpu && vf->nvidia_vgpu->current_type != 0;
}

}  // namespace

DeviceSet OwnershipState::Owned() const {
  DeviceSet out;
  for (const auto& [device, v] : by_device) out.insert(device);
  return out;
}

bool OwnershipState::Prune(const inventory::Inventory& inventory) {
  bool changed = false;
  for (auto it = by_device.begin(); it != by_device.end();) {
    if (Exists(it->second, inventory)) {
      it->second.phase = OwnedVgpu::Phase::kCreated;
      ++it;
    } else {
      it = by_device.erase(it);
      changed = true;
    }
  }
  return changed;
}

bool OwnershipState::LearnTypeNames(const inventory::Inventory& inventory) {
  bool changed = false;
  for (const inventory::PciFunction& fn : inventory.functions) {
    if (!fn.nvidia_vgpu) continue;
    for (const auto& [id, name] : fn.nvidia_vgpu->creatable_types) {
      if (name.empty() || name.find('\n') != std::string::npos) continue;
      auto [it, fresh] = vf_type_names.emplace(id, name);
      if (!fresh && it->second != name) it->second = name;
      changed |= fresh;
    }
  }
  return changed;
}

void OwnershipState::FillTypeNames(inventory::Inventory& inventory) const {
  for (inventory::PciFunction& fn : inventory.functions) {
    if (!fn.nvidia_vgpu || fn.nvidia_vgpu->current_type == 0 ||
        !fn.nvidia_vgpu->current_type_name.empty()) {
      continue;
    }
    auto it = vf_type_names.find(fn.nvidia_vgpu->current_type);
    if (it != vf_type_names.end()) {
      fn.nvidia_vgpu->current_type_name = it->second;
    }
  }
}

std::string FormatState(const OwnershipState& state) {
  std::string out = absl::StrCat(kHeader, "\n");
  for (const auto& [device, v] : state.by_device) {
    absl::StrAppend(
        &out, v.phase == OwnedVgpu::Phase::kCreated ? "created" : "creating",
        " ", v.kind == OwnedVgpu::Kind::kMdev ? "mdev" : "vf", " ", v.device,
        " ", v.parent.empty() ? "-" : v.parent, " ", v.type_id, "\n");
  }
  for (const auto& [id, name] : state.vf_type_names) {
    absl::StrAppend(&out, "vf-type ", id, " ", name, "\n");
  }
  return out;
}

absl::StatusOr<OwnershipState> ParseState(absl::string_view text) {
  OwnershipState state;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (absl::StartsWith(line, "vf-type ")) {
      std::vector<std::string> f =
          absl::StrSplit(line, absl::MaxSplits(' ', 2));
      int id = 0;
      if (f.size() != 3 || !absl::SimpleAtoi(f[1], &id) || f[2].empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("layout state line ", line_no, ": \"", line, "\""));
      }
      state.vf_type_names[id] = f[2];
      continue;
    }
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() != 5 || (f[0] != "created" && f[0] != "creating") ||
        (f[1] != "mdev" && f[1] != "vf") || f[2].empty() || f[4].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("layout state line ", line_no, ": \"", line, "\""));
    }
    OwnedVgpu v;
    v.phase = f[0] == "created" ? OwnedVgpu::Phase::kCreated
                                : OwnedVgpu::Phase::kCreating;
    v.kind = f[1] == "mdev" ? OwnedVgpu::Kind::kMdev : OwnedVgpu::Kind::kVf;
    v.device = f[2];
    v.parent = f[3] == "-" ? "" : f[3];
    v.type_id = f[4];
    state.by_device[v.device] = v;
  }
  return state;
}

StateLock::StateLock(StateLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);  // Closing releases the flock.
}

absl::StatusOr<StateDir> StateDir::Open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "create state dir", dir);
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", dir);
  if (!S_ISDIR(st.st_mode)) return ErrnoStatus(ENOTDIR, "state dir", dir);
  return StateDir(dir);
}

absl::StatusOr<StateLock> StateDir::Lock() const {
  const std::string path = absl::StrCat(dir_, "/", kLockFileName);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "open", path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is held by another applier"));
    }
    return ErrnoStatus(err, "flock", path);
  }
  return StateLock(fd);
}

absl::StatusOr<OwnershipState> StateDir::Load() const {
  const std::string path = absl::StrCat(dir_, "/", kStateFileName);
  absl::StatusOr<std::string> text = ReadLocalFile(path, "layout state");
  if (absl::IsNotFound(text.status())) return OwnershipState{};
  if (!text.ok()) return text.status();
  absl::StatusOr<OwnershipState> state = ParseState(*text);
  if (!state.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", state.status().message()));
  }
  return state;
}

absl::Status StateDir::Save(const OwnershipState& state) const {
  return WriteFileAtomically(absl::StrCat(dir_, "/", kStateFileName),
                             FormatState(state), 0600);
}

}  // namespace vgpu::layout
