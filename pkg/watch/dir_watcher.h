// DirWatcher: inotify on whole directories (never on single files, which
// lose their watch when replaced), reporting entries created or deleted.
// Used for the kubelet plugin dir (kubelet.sock re-created, our socket
// deleted) and for dev/vfio. One thread, owned here: Start() spawns it,
// Stop() wakes it through an eventfd and joins; the destructor calls Stop().
// The callback runs on that thread and must not block: it only posts events.
// Thread-safe.
#ifndef VGPU_PKG_WATCH_DIR_WATCHER_H_
#define VGPU_PKG_WATCH_DIR_WATCHER_H_

#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace vgpu::watch {

struct DirEvent {
  enum class Kind {
    kCreated,   // IN_CREATE or IN_MOVED_TO
    kDeleted,   // IN_DELETE or IN_MOVED_FROM
    kDirGone,   // the watched directory itself was removed or moved
    kOverflow,  // the kernel queue overflowed: events were lost, rescan
  };
  Kind kind = Kind::kCreated;
  std::string dir;   // As passed to AddDir; "" for kOverflow.
  std::string name;  // Entry name; "" for kDirGone and kOverflow.
};

class DirWatcher {
 public:
  using Callback = std::function<void(const DirEvent&)>;

  explicit DirWatcher(Callback callback);
  ~DirWatcher();
  DirWatcher(const DirWatcher&) = delete;
  DirWatcher& operator=(const DirWatcher&) = delete;

  // Creates the inotify instance and the thread. FailedPrecondition if
  // already started; the errno status if inotify is unavailable.
  absl::Status Start();
  // Watches `dir` (absolute path); before or after Start(). NotFound if it
  // does not exist. Watching the same directory twice is a no-op.
  absl::Status AddDir(const std::string& dir);
  // Wakes and joins the thread, closes descriptors. Idempotent.
  void Stop();

 private:
  void Loop();
  void Drain();

  // Immutable after construction.
  const Callback callback_;

  absl::Mutex mu_;
  int inotify_fd_ ABSL_GUARDED_BY(mu_) = -1;
  int wake_fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::map<int, std::string> dirs_ ABSL_GUARDED_BY(mu_);  // wd -> dir
  std::thread thread_;  // Touched only by Start/Stop (one caller).
};

}  // namespace vgpu::watch

#endif  // VGPU_PKG_WATCH_DIR_WATCHER_H_
