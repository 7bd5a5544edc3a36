#include "pkg/base/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "pkg/base/errno_status.h"

namespace vgpu {
namespace {

constexpr char kTempSuffix[] = ".tmp";

absl::Status WriteAll(int fd, absl::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FsyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "open", dir);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, "fsync", dir);
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view content, unsigned int mode) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = absl::StrCat(dir, "/.", base, ".XXXXXX", kTempSuffix);
  const int fd = ::mkstemps(tmp.data(), sizeof(kTempSuffix) - 1);
  if (fd < 0) return ErrnoStatus(errno, "create temp file in", dir);
  absl::Status status = WriteAll(fd, content, tmp);
  if (status.ok() && ::fchmod(fd, mode) != 0) {
    status = ErrnoStatus(errno, "chmod", tmp);
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status = ErrnoStatus(errno, "fsync", tmp);
  }
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoStatus(errno, "close", tmp);
  }
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus(errno, "rename to " + path, tmp);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  return FsyncDirectory(dir);
}

}  // namespace vgpu
