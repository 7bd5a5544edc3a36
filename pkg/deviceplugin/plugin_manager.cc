#include "pkg/deviceplugin/plugin_manager.h"

#include <algorithm>

#include "pkg/base/logging.h"
#include "pkg/metrics/daemon_metrics.h"

namespace vgpu::deviceplugin {

PluginManager::PluginManager(PluginManagerOptions options,
                             kubelet::Registrar& registrar)
    : options_(std::move(options)), registrar_(registrar) {}

PluginManager::~PluginManager() { StopAll(); }

absl::Status PluginManager::Apply(const resources::PoolSet& pools) {
  absl::Status first_error;
  std::set<std::string> seen;
  for (const resources::Pool& pool : pools.pools) {
    seen.insert(pool.resource_name);
    auto snapshot =
        std::make_shared<const ResourceSnapshot>(ResourceSnapshot{pool});
    auto it = servers_.find(pool.resource_name);
    if (it == servers_.end()) {
      ResourceServerOptions server_options{
          options_.plugin_dir, pool.resource_name, options_.allocate,
          options_.vgpu_policy, options_.metrics};
      it = servers_
               .emplace(pool.resource_name,
                        std::make_unique<ResourceServer>(
                            std::move(server_options), snapshot))
               .first;
      absl::MutexLock lock(&mu_);
      sockets_[SocketName(pool.resource_name)] = pool.resource_name;
    } else {
      it->second->Update(snapshot);
    }
    if (!it->second->serving()) {
      absl::Status status = StartAndRegister(*it->second);
      if (!status.ok() && first_error.ok()) first_error = status;
    }
  }
  for (auto& [name, server] : servers_) {
    if (seen.count(name) != 0) continue;
    SnapshotPtr old = server->current();
    if (old != nullptr && old->pool.devices.empty()) continue;
    resources::Pool empty;
    empty.resource_name = name;
    server->Update(std::make_shared<const ResourceSnapshot>(
        ResourceSnapshot{std::move(empty)}));
  }
  return first_error;
}

absl::Status PluginManager::StartAndRegister(ResourceServer& server) {
  MarkUnregistered(server.resource_name());
  absl::Status status = server.Start();
  if (!status.ok()) {
    VGPU_LOG(ERROR).With("resource", server.resource_name())
        << "cannot start device plugin server: " << status.message();
    return status;
  }
  VGPU_LOG(INFO)
          .With("resource", server.resource_name())
          .With("socket", server.socket_path())
      << "serving";
  registrar_.Request(kubelet::Registration{
      server.resource_name(), SocketName(server.resource_name()), true});
  return absl::OkStatus();
}

absl::Status PluginManager::Restart(const std::string& resource_name) {
  auto it = servers_.find(resource_name);
  if (it == servers_.end()) {
    return absl::NotFoundError("no device plugin server for " + resource_name);
  }
  registrar_.Cancel(resource_name);
  it->second->Stop();
  return StartAndRegister(*it->second);
}

bool PluginManager::RestartIfSocketLost(const std::string& resource_name) {
  auto it = servers_.find(resource_name);
  if (it == servers_.end() || it->second->SocketIntact()) return false;
  VGPU_LOG(INFO).With("resource", resource_name)
      << "socket " << it->second->socket_path()
      << " gone (kubelet restart?); restarting";
  absl::Status status = Restart(resource_name);
  if (!status.ok()) VGPU_LOG(ERROR) << status.message();
  return true;
}

int PluginManager::RestartMissingAndReregister() {
  int restarted = 0;
  for (auto& [name, server] : servers_) {
    if (!server->SocketIntact()) {
      registrar_.Cancel(name);
      server->Stop();
      if (StartAndRegister(*server).ok()) ++restarted;
      continue;
    }
    MarkUnregistered(name);
    registrar_.Request(kubelet::Registration{name, SocketName(name), true});
  }
  return restarted;
}

void PluginManager::StopAll() {
  for (auto& [name, server] : servers_) {
    registrar_.Cancel(name);
    server->Stop();
  }
  absl::MutexLock lock(&mu_);
  registered_.clear();
}

void PluginManager::MarkUnregistered(const std::string& resource_name) {
  {
    absl::MutexLock lock(&mu_);
    registered_.erase(resource_name);
  }
  if (options_.metrics != nullptr) {
    options_.metrics->RecordUnregistered(resource_name);
  }
}

void PluginManager::MarkRegistered(const std::string& resource_name) {
  {
    absl::MutexLock lock(&mu_);
    registered_.insert(resource_name);
  }
  if (options_.metrics != nullptr) {
    options_.metrics->RecordRegistration(resource_name);
  }
}

bool PluginManager::AllRegistered() const {
  absl::MutexLock lock(&mu_);
  return registered_.size() == sockets_.size();
}

std::vector<std::string> PluginManager::Unregistered() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [socket, resource] : sockets_) {
    if (registered_.count(resource) == 0) out.push_back(resource);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string PluginManager::ResourceForSocket(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = sockets_.find(name);
  return it == sockets_.end() ? "" : it->second;
}

std::vector<std::string> PluginManager::ResourceNames() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> names;
  for (const auto& [socket, resource] : sockets_) names.push_back(resource);
  return names;
}

}  // namespace vgpu::deviceplugin
