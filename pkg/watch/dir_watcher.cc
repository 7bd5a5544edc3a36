#include "pkg/watch/dir_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "pkg/base/errno_status.h"
#include "pkg/base/logging.h"

namespace vgpu::watch {
namespace {

constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
                           IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

DirWatcher::DirWatcher(Callback callback) : callback_(std::move(callback)) {}

DirWatcher::~DirWatcher() { Stop(); }

absl::Status DirWatcher::Start() {
  absl::MutexLock lock(&mu_);
  if (inotify_fd_ >= 0) {
    return absl::FailedPreconditionError("dir watcher already started");
  }
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "inotify_init1", "");
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "eventfd", "");
  }
  inotify_fd_ = fd;
  wake_fd_ = wake;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

absl::Status DirWatcher::AddDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  if (inotify_fd_ < 0) {
    return absl::FailedPreconditionError("dir watcher not started");
  }
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kMask);
  if (wd < 0) return ErrnoStatus(errno, "inotify_add_watch", dir);
  dirs_[wd] = dir;
  return absl::OkStatus();
}

void DirWatcher::Stop() {
  int wake;
  {
    absl::MutexLock lock(&mu_);
    wake = wake_fd_;
  }
  if (wake < 0) return;
  uint64_t one = 1;
  if (::write(wake, &one, sizeof(one)) < 0) {
    VGPU_LOG(ERROR) << "dir watcher: cannot wake thread: errno " << errno;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&mu_);
  ::close(inotify_fd_);
  ::close(wake_fd_);
  inotify_fd_ = -1;
  wake_fd_ = -1;
  dirs_.clear();
}

void DirWatcher::Loop() {
  int inotify_fd, wake_fd;
  {
    absl::MutexLock lock(&mu_);
    inotify_fd = inotify_fd_;
    wake_fd = wake_fd_;
  }
  for (;;) {
    pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      VGPU_LOG(ERROR) << "dir watcher: poll failed: errno " << errno;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents != 0) Drain();
  }
}

void DirWatcher::Drain() {
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    int fd;
    {
      absl::MutexLock lock(&mu_);
      fd = inotify_fd_;
    }
    ssize_t len = ::read(fd, buf, sizeof(buf));
    if (len <= 0) return;  // EAGAIN: drained.
    std::vector<DirEvent> events;
    for (ssize_t off = 0; off < len;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += sizeof(inotify_event) + ev->len;
      DirEvent out;
      if (ev->mask & IN_Q_OVERFLOW) {
        out.kind = DirEvent::Kind::kOverflow;
        events.push_back(out);
        continue;
      }
      {
        absl::MutexLock lock(&mu_);
        auto it = dirs_.find(ev->wd);
        if (it == dirs_.end()) continue;
        out.dir = it->second;
        if (ev->mask & IN_IGNORED) dirs_.erase(it);
      }
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        out.kind = DirEvent::Kind::kDirGone;
      } else if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
        out.kind = DirEvent::Kind::kCreated;
        out.name = ev->len > 0 ? std::string(ev->name) : "";
      } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
        out.kind = DirEvent::Kind::kDeleted;
        out.name = ev->len > 0 ? std::string(ev->name) : "";
      } else {
        continue;
      }
      events.push_back(std::move(out));
    }
    for (const DirEvent& e : events) callback_(e);
  }
}

}  // namespace vgpu::watch
