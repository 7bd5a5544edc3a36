// ResourceServer: the kubelet DevicePlugin service for one resource, on its
// own unix socket <plugin_dir>/<SocketName(resource)> (mode 0600), with the
// gRPC callback API. Inventory arrives as immutable snapshots (Update);
// every ListAndWatch stream gets the full list at once, then the newest
// snapshot after each change, with at most one write in flight per stream
// (intermediate snapshots coalesce), so Update never blocks on a slow
// kubelet. Allocate answers from the snapshot a stream last sent.
// Thread-safe, except Start/Stop which one owner thread calls.
#ifndef VGPU_PKG_DEVICEPLUGIN_RESOURCE_SERVER_H_
#define VGPU_PKG_DEVICEPLUGIN_RESOURCE_SERVER_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "pkg/config/config.h"
#include "pkg/deviceplugin/snapshot.h"
#include "pkg/kata/allocate_response.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace vgpu::metrics {
class DaemonMetrics;
}  // namespace vgpu::metrics

namespace vgpu::deviceplugin {

struct ResourceServerOptions {
  std::string plugin_dir;     // Absolute directory of the socket.
  std::string resource_name;  // "nvidia.com/pgpu"
  kata::AllocateOptions allocate;
  config::VgpuPolicy vgpu_policy = config::VgpuPolicy::kBinpack;
  metrics::DaemonMetrics* metrics = nullptr;  // Optional, not owned.
};

class ListAndWatchReactor;
class DevicePluginService;

class ResourceServer {
 public:
  ResourceServer(ResourceServerOptions options, SnapshotPtr initial);
  ~ResourceServer();  // Stop()s.
  ResourceServer(const ResourceServer&) = delete;
  ResourceServer& operator=(const ResourceServer&) = delete;

  // Removes a stale socket file, serves, chmods the socket 0600. Returns
  // only once the server accepts calls. Unavailable (naming the path) when
  // it cannot listen; FailedPrecondition when already serving.
  absl::Status Start();
  // Ends every stream, shuts the server down and removes its socket file
  // (when it is still there). Idempotent; Start() may be called again.
  void Stop();

  // Publishes a new snapshot to every open stream.
  void Update(SnapshotPtr snapshot);

  const std::string& resource_name() const { return options_.resource_name; }
  const std::string& socket_path() const { return socket_path_; }
  bool serving() const;
  // Serving, and the socket file is still the one Start() bound (same
  // inode): false once the kubelet (or anyone) deleted or replaced it.
  bool SocketIntact() const;
  SnapshotPtr current() const;
  // What the last ListAndWatch write carried; current() when none yet.
  SnapshotPtr LastSent() const;

 private:
  friend class ListAndWatchReactor;
  friend class DevicePluginService;

  // Adds a stream and writes it the current snapshot. False if stopping.
  // Takes ownership of a new stream; false when the server is stopping (the
  // stream is still owned, and must be closed by the caller).
  bool Subscribe(std::unique_ptr<ListAndWatchReactor> reactor);
  // Gives a finished stream back to its OnDone, which destroys it.
  std::unique_ptr<ListAndWatchReactor> Unsubscribe(
      ListAndWatchReactor* reactor);
  void RecordSent(SnapshotPtr snapshot);

  // Immutable after construction.
  const ResourceServerOptions options_;
  const std::string socket_path_;

  // Guarded by the owner thread (Start/Stop).
  std::unique_ptr<DevicePluginService> service_;
  std::unique_ptr<grpc::Server> server_;
  uint64_t socket_inode_ = 0;

  mutable absl::Mutex mu_;  // Before any reactor's mutex.
  SnapshotPtr current_ ABSL_GUARDED_BY(mu_);
  std::set<ListAndWatchReactor*> streams_ ABSL_GUARDED_BY(mu_);
  // Every stream from its handler until its OnDone (the callback API's
  // lifetime), live or not.
  std::map<ListAndWatchReactor*, std::unique_ptr<ListAndWatchReactor>> owned_
      ABSL_GUARDED_BY(mu_);
  bool accepting_ ABSL_GUARDED_BY(mu_) = false;

  mutable absl::Mutex sent_mu_;  // Leaf lock.
  SnapshotPtr last_sent_ ABSL_GUARDED_BY(sent_mu_);
};

}  // namespace vgpu::deviceplugin

#endif  // VGPU_PKG_DEVICEPLUGIN_RESOURCE_SERVER_H_
