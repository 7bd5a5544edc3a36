#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/status_macros.h"
#include "pkg/sysfs/sysfs.h"

namespace vgpu::sysfs {
namespace {

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

FileInfo ToFileInfo(const struct stat& st) {
  FileInfo info;
  info.mode = st.st_mode & 07777;
  if (S_ISREG(st.st_mode)) {
    info.type = FileType::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileType::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileType::kSymlink;
  } else if (S_ISCHR(st.st_mode)) {
    info.type = FileType::kCharDevice;
    info.rdev_major = major(st.st_rdev);
    info.rdev_minor = minor(st.st_rdev);
  }
  return info;
}

class HostSysfs : public Sysfs {
 public:
  HostSysfs(std::string root, Fd root_fd)
      : root_(std::move(root)), root_fd_(std::move(root_fd)) {}

  absl::StatusOr<std::string> ReadFile(absl::string_view path) override {
    VGPU_ASSIGN_OR_RETURN(Fd fd, Open(path, O_RDONLY | O_CLOEXEC, "read"));
    std::string out;
    char buf[4096];
    while (true) {
      ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "read", path);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      absl::string_view path) override {
    VGPU_ASSIGN_OR_RETURN(
        Fd fd, Open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, "list"));
    DIR* dir = ::fdopendir(fd.get());
    if (dir == nullptr) return ErrnoStatus(errno, "list", path);
    fd.Release();  // Now owned by `dir`.
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, &::closedir);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      struct dirent* ent = ::readdir(dir);
      if (ent == nullptr) {
        if (errno != 0) return ErrnoStatus(errno, "list", path);
        break;
      }
      absl::string_view name(ent->d_name);
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::StatusOr<std::string> ReadLink(absl::string_view path) override {
    VGPU_ASSIGN_OR_RETURN(Fd dir, OpenParent(path, "readlink"));
    std::string base(Basename(path));
    char buf[PATH_MAX];
    ssize_t n = ::readlinkat(dir.get(), base.c_str(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINVAL) {
        return absl::InvalidArgumentError(
            absl::StrCat("readlink ", path, ": not a symlink"));
      }
      return ErrnoStatus(errno, "readlink", path);
    }
    return std::string(buf, static_cast<size_t>(n));
  }

  absl::Status WriteFile(absl::string_view path,
                         absl::string_view data) override {
    VGPU_ASSIGN_OR_RETURN(Fd fd,
                          Open(path, O_WRONLY | O_TRUNC | O_CLOEXEC, "write"));
    ssize_t n;
    do {
      n = ::write(fd.get(), data.data(), data.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoStatus(errno, "write", path);
    if (static_cast<size_t>(n) != data.size()) {
      return absl::DataLossError(absl::StrCat("write ", path, ": wrote ", n,
                                              " of ", data.size(), " bytes"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<FileInfo> Lstat(absl::string_view path) override {
    VGPU_ASSIGN_OR_RETURN(Fd fd,
                          Open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC, "lstat"));
    return FstatInfo(fd, path, "lstat");
  }

  absl::StatusOr<FileInfo> Stat(absl::string_view path) override {
    VGPU_ASSIGN_OR_RETURN(Fd fd, Open(path, O_PATH | O_CLOEXEC, "stat"));
    return FstatInfo(fd, path, "stat");
  }

  absl::StatusOr<std::string> RealPath(absl::string_view path) override {
    VGPU_ASSIGN_OR_RETURN(Fd fd, Open(path, O_PATH | O_CLOEXEC, "realpath"));
    std::string proc = absl::StrCat("/proc/self/fd/", fd.get());
    char buf[PATH_MAX];
    ssize_t n = ::readlink(proc.c_str(), buf, sizeof(buf));
    if (n < 0) return ErrnoStatus(errno, "realpath", path);
    absl::string_view abs(buf, static_cast<size_t>(n));
    if (root_ == "/") {
      abs.remove_prefix(1);
      return std::string(abs);
    }
    if (abs == root_) return std::string();
    if (!absl::StartsWith(abs, root_) || abs.size() <= root_.size() ||
        abs[root_.size()] != '/') {
      return absl::PermissionDeniedError(
          absl::StrCat("realpath ", path, ": escapes host root ", root_));
    }
    abs.remove_prefix(root_.size() + 1);
    return std::string(abs);
  }

  std::string HostPath(absl::string_view path) const override {
    if (path.empty()) return root_;
    if (root_ == "/") return absl::StrCat("/", path);
    return absl::StrCat(root_, "/", path);
  }

  const std::string& root() const override { return root_; }

 private:
  absl::StatusOr<Fd> Open(absl::string_view path, int flags,
                          absl::string_view op) const {
    if (absl::StartsWith(path, "/")) {
      return absl::InvalidArgumentError(absl::StrCat(
          op, " ", path, ": path must be relative to the host root"));
    }
    std::string p = path.empty() ? std::string(".") : std::string(path);
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd;
    do {
      fd = ::syscall(SYS_openat2, root_fd_.get(), p.c_str(), &how, sizeof(how));
    } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
    if (fd < 0) {
      if (errno == EXDEV) {
        return absl::PermissionDeniedError(
            absl::StrCat(op, " ", path, ": escapes host root ", root_));
      }
      return ErrnoStatus(errno, op, path);
    }
    return Fd(static_cast<int>(fd));
  }

  absl::StatusOr<Fd> OpenParent(absl::string_view path,
                                absl::string_view op) const {
    absl::string_view base = Basename(path);
    if (base.empty() || base == "." || base == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(op, " ", path, ": no final component"));
    }
    absl::StatusOr<Fd> dir =
        Open(Dirname(path), O_PATH | O_DIRECTORY | O_CLOEXEC, op);
    if (!dir.ok() && absl::IsNotFound(dir.status())) {
      // Report the path asked for, not its parent.
      return ErrnoStatus(ENOENT, op, path);
    }
    return dir;
  }

  static absl::StatusOr<FileInfo> FstatInfo(const Fd& fd,
                                            absl::string_view path,
                                            absl::string_view op) {
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, op, path);
    return ToFileInfo(st);
  }

  // Immutable after construction.
  const std::string root_;
  const Fd root_fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sysfs>> NewHostSysfs(absl::string_view root) {
  std::string r(root.empty() ? "/" : root);
  char buf[PATH_MAX];
  if (::realpath(r.c_str(), buf) == nullptr) {
    return ErrnoStatus(errno, "open host root", r);
  }
  std::string canonical(buf);
  int fd = ::open(canonical.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open host root", canonical);
  return std::make_unique<HostSysfs>(canonical, Fd(fd));
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return absl::StrCat(a, "/", b);
}

absl::StatusOr<std::string> ResolveRelative(absl::string_view dir,
                                            absl::string_view target) {
  if (absl::StartsWith(target, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("symlink target ", target, " in ", dir, " is absolute"));
  }
  std::vector<absl::string_view> parts;
  for (absl::string_view p : absl::StrSplit(dir, '/', absl::SkipEmpty())) {
    parts.push_back(p);
  }
  for (absl::string_view p : absl::StrSplit(target, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    if (p == "..") {
      if (parts.empty()) {
        return absl::OutOfRangeError(absl::StrCat(
            "symlink target ", target, " in ", dir, " escapes host root"));
      }
      parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  return absl::StrJoin(parts, "/");
}

absl::string_view Basename(absl::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return path;
  return path.substr(slash + 1);
}

absl::string_view Dirname(absl::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == absl::string_view::npos) return absl::string_view();
  return path.substr(0, slash);
}

}  // namespace vgpu::sysfs
