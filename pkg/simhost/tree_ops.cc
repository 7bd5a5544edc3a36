#include "pkg/simhost/tree_ops.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "pkg/base/errno_status.h"

namespace vgpu::simhost::internal {
namespace {

std::string Abs(const std::string& root, absl::string_view rel) {
  if (rel.empty()) return root;
  return absl::StrCat(root, "/", rel);
}

std::vector<absl::string_view> Parts(absl::string_view path) {
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

}  // namespace

absl::Status MakeDirs(const std::string& root, absl::string_view rel) {
  std::error_code ec;
  std::filesystem::create_directories(Abs(root, rel), ec);
  if (ec) return ErrnoStatus(ec.value(), "mkdir", rel);
  return absl::OkStatus();
}

absl::Status WriteFileMode(const std::string& root, absl::string_view rel,
                           absl::string_view content, uint32_t mode) {
  const std::string path = Abs(root, rel);
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0 && errno == EACCES && ::unlink(path.c_str()) == 0) {
    // A read-only (0444) or 0000 file rewritten without root privileges.
    fd = ::open(path.c_str(), flags, 0600);
  }
  if (fd < 0) return ErrnoStatus(errno, "create", rel);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoStatus(err, "write", rel);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "chmod", rel);
  }
  if (::close(fd) != 0) return ErrnoStatus(errno, "close", rel);
  return absl::OkStatus();
}

absl::Status MakeSymlink(const std::string& root, absl::string_view rel,
                         absl::string_view target) {
  const std::string path = Abs(root, rel);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", rel);
  }
  if (::symlink(std::string(target).c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, "symlink", rel);
  }
  return absl::OkStatus();
}

absl::Status MakeRelativeSymlink(const std::string& root,
                                 absl::string_view link_rel,
                                 absl::string_view target_rel) {
  return MakeSymlink(root, link_rel,
                     RelativeTarget(ParentOf(link_rel), target_rel));
}

absl::Status RemoveTree(const std::string& root, absl::string_view rel) {
  std::error_code ec;
  std::filesystem::remove_all(Abs(root, rel), ec);
  if (ec) return ErrnoStatus(ec.value(), "remove", rel);
  return absl::OkStatus();
}

bool Exists(const std::string& root, absl::string_view rel) {
  struct stat st;
  return ::lstat(Abs(root, rel).c_str(), &st) == 0;
}

absl::Status ChangeMode(const std::string& root, absl::string_view rel,
                        uint32_t mode) {
  if (::chmod(Abs(root, rel).c_str(), static_cast<mode_t>(mode)) != 0) {
    return ErrnoStatus(errno, "chmod", rel);
  }
  return absl::OkStatus();
}

std::string RelativeTarget(absl::string_view from_dir, absl::string_view to) {
  std::vector<absl::string_view> from = Parts(from_dir);
  std::vector<absl::string_view> dest = Parts(to);
  // kernfs climbs to a common ancestor of the target's parent, so a link
  // to an ancestor reads "../../../<name>", not "../..".
  size_t common = 0;
  while (common < from.size() && common + 1 < dest.size() &&
         from[common] == dest[common]) {
    ++common;
  }
  std::vector<absl::string_view> out;
  for (size_t i = common; i < from.size(); ++i) out.push_back("..");
  for (size_t i = common; i < dest.size(); ++i) out.push_back(dest[i]);
  if (out.empty()) return ".";
  return absl::StrJoin(out, "/");
}

std::string ParentOf(absl::string_view rel) {
  size_t slash = rel.rfind('/');
  if (slash == absl::string_view::npos) return "";
  return std::string(rel.substr(0, slash));
}

}  // namespace vgpu::simhost::internal
