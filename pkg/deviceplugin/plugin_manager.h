// PluginManager: owns one ResourceServer per pool, keeps them in step with
// each new PoolSet, and asks the Registrar to register a server only once
// it serves. A pool that vanishes keeps its server with an empty device
// list, so the kubelet sees capacity 0 instead of a broken stream.
// Apply/Restart*/StopAll are called from one thread (the daemon loop);
// MarkRegistered/AllRegistered are thread-safe.
#ifndef VGPU_PKG_DEVICEPLUGIN_PLUGIN_MANAGER_H_
#define VGPU_PKG_DEVICEPLUGIN_PLUGIN_MANAGER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "pkg/deviceplugin/resource_server.h"
#include "pkg/kubelet/registrar.h"
#include "pkg/resources/pools.h"

namespace vgpu::deviceplugin {

struct PluginManagerOptions {
  std::string plugin_dir;
  kata::AllocateOptions allocate;
  config::VgpuPolicy vgpu_policy = config::VgpuPolicy::kBinpack;
  metrics::DaemonMetrics* metrics = nullptr;  // Optional, not owned.
};

class PluginManager {
 public:
  // `registrar` must outlive the manager.
  PluginManager(PluginManagerOptions options, kubelet::Registrar& registrar);
  ~PluginManager();  // StopAll()s.
  PluginManager(const PluginManager&) = delete;
  PluginManager& operator=(const PluginManager&) = delete;

  // Pushes each pool's snapshot to its server; starts (and registers) a
  // server for each new pool. Returns the first start error, after trying
  // every pool; a failed server is retried by the next Apply.
  absl::Status Apply(const resources::PoolSet& pools);
  // Restarts one server and registers it again.
  absl::Status Restart(const std::string& resource_name);
  // Restarts the server only when its socket is gone or replaced (a
  // deletion event may be our own Stop()'s). Returns whether it restarted.
  bool RestartIfSocketLost(const std::string& resource_name);
  // Restarts servers whose socket file is gone; re-registers every server
  // (kubelet.sock re-created). Returns the number restarted.
  int RestartMissingAndReregister();
  // Stops every server and removes its socket.
  void StopAll();

  // Registrar callback.
  void MarkRegistered(const std::string& resource_name);
  bool AllRegistered() const;
  // Resources served but not (or no longer) registered, sorted.
  std::vector<std::string> Unregistered() const;
  // Resource whose socket file is `name`, or "" when none of ours.
  std::string ResourceForSocket(const std::string& name) const;
  std::vector<std::string> ResourceNames() const;

 private:
  // Forgets a registration (server restarting, kubelet restarted) and sets
  // the kubelet_registered gauge to 0.
  void MarkUnregistered(const std::string& resource_name);
  absl::Status StartAndRegister(ResourceServer& server);

  // Immutable after construction.
  const PluginManagerOptions options_;
  kubelet::Registrar& registrar_;

  // Touched only by the owner thread.
  std::map<std::string, std::unique_ptr<ResourceServer>> servers_;

  mutable absl::Mutex mu_;
  std::map<std::string, std::string> sockets_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> registered_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vgpu::deviceplugin

#endif  // VGPU_PKG_DEVICEPLUGIN_PLUGIN_MANAGER_H_
