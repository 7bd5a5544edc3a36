#include "pkg/base/local_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "pkg/base/errno_status.h"

namespace vgpu {

absl::StatusOr<std::string> ReadLocalFile(const std::string& path,
                                          absl::string_view what) {
  auto op = [what](absl::string_view verb) {
    return what.empty() ? std::string(verb) : absl::StrCat(verb, " ", what);
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, op("open"), path);
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoStatus(err, op("read"), path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace vgpu
