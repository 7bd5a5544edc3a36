#include "pkg/deviceplugin/resource_server.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "deviceplugin/v1beta1/api.grpc.pb.h"
#include "pkg/base/errno_status.h"
#include "pkg/base/logging.h"
#include "pkg/deviceplugin/requests.h"
#include "pkg/kubelet/grpc_util.h"
#include "pkg/metrics/daemon_metrics.h"

namespace vgpu::deviceplugin {

// One ListAndWatch stream. The ResourceServer owns it from the handler until
// gRPC calls OnDone, the last reaction, which takes it back and destroys it.
// Reactions never block: they only swap pointers and start writes.
class ListAndWatchReactor
    : public grpc::ServerWriteReactor<v1beta1::ListAndWatchResponse> {
 public:
  explicit ListAndWatchReactor(ResourceServer& server) : server_(server) {}

  // Queues `snapshot` as the next write; starts it when none is in flight.
  //
  // StartWrite and Finish are called with mu_ held: gRPC never runs a
  // reaction inline from them (the callback API schedules reactions that
  // run user code), so this cannot deadlock, and it orders every use of the
  // base class's state before OnDone, which takes mu_ before destruction.
  void Push(SnapshotPtr snapshot) {
    absl::MutexLock lock(&mu_);
    if (finishing_) return;
    pending_ = std::move(snapshot);
    if (writing_) return;
    PrepareWriteLocked();
    StartWrite(&message_);
  }

  // Ends the stream (server stopping) once the write in flight is done.
  void Close(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    if (finishing_) return;
    finishing_ = true;
    final_status_ = status;
    if (writing_) return;
    Finish(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok && !finishing_) {
      finishing_ = true;
      final_status_ = grpc::Status(grpc::StatusCode::CANCELLED,
                                   "list-and-watch stream broken");
    }
    if (finishing_) {
      Finish(final_status_);
    } else if (pending_ != nullptr) {
      PrepareWriteLocked();
      StartWrite(&message_);
    }
  }

  void OnCancel() override {
    Close(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by kubelet"));
  }

  void OnDone() override {
    // gRPC runs OnDone after every other reaction but orders that with its
    // own atomics; taking mu_ makes the order visible (to TSan too) before
    // the members are destroyed.
    { absl::MutexLock lock(&mu_); }
    std::unique_ptr<ListAndWatchReactor> self = server_.Unsubscribe(this);
  }  // `self` destroys the reactor here; nothing touches it after.

 private:
  void PrepareWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    message_ = ToListAndWatchResponse(pending_->pool);
    server_.RecordSent(std::move(pending_));
    pending_ = nullptr;
    writing_ = true;
  }

  ResourceServer& server_;
  absl::Mutex mu_;
  SnapshotPtr pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status final_status_ ABSL_GUARDED_BY(mu_);  // Set once, when finishing.
  v1beta1::ListAndWatchResponse message_;  // Owned by the write in flight.
};

class DevicePluginService : public v1beta1::DevicePlugin::CallbackService {
 public:
  explicit DevicePluginService(ResourceServer& server) : server_(server) {}

  grpc::ServerUnaryReactor* GetDevicePluginOptions(
      grpc::CallbackServerContext* context, const v1beta1::Empty*,
      v1beta1::DevicePluginOptions* response) override {
    response->set_pre_start_required(false);
    response->set_get_preferred_allocation_available(true);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<v1beta1::ListAndWatchResponse>* ListAndWatch(
      grpc::CallbackServerContext*, const v1beta1::Empty*) override {
    auto owned = std::make_unique<ListAndWatchReactor>(server_);
    ListAndWatchReactor* reactor = owned.get();
    if (!server_.Subscribe(std::move(owned))) {
      reactor->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                  "device plugin is stopping"));
    }
    return reactor;
  }

  grpc::ServerUnaryReactor* GetPreferredAllocation(
      grpc::CallbackServerContext* context,
      const v1beta1::PreferredAllocationRequest* request,
      v1beta1::PreferredAllocationResponse* response) override {
    auto result = HandlePreferred(*server_.LastSent(), *request,
                                  server_.options_.vgpu_policy);
    if (result.ok()) *response = *std::move(result);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(kubelet::ToGrpcStatus(result.status()));
    return reactor;
  }

  grpc::ServerUnaryReactor* Allocate(
      grpc::CallbackServerContext* context,
      const v1beta1::AllocateRequest* request,
      v1beta1::AllocateResponse* response) override {
    absl::Time start = absl::Now();
    auto result = HandleAllocate(*server_.LastSent(), *request,
                                 server_.options_.allocate);
    absl::Duration took = absl::Now() - start;
    Report(*request, result.status(), took);
    if (result.ok()) *response = *std::move(result);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(kubelet::ToGrpcStatus(result.status()));
    return reactor;
  }

  grpc::ServerUnaryReactor* PreStartContainer(
      grpc::CallbackServerContext* context,
      const v1beta1::PreStartContainerRequest*,
      v1beta1::PreStartContainerResponse*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  void Report(const v1beta1::AllocateRequest& request,
              const absl::Status& status, absl::Duration took) {
    std::vector<std::string> ids;
    for (const auto& container : request.container_requests()) {
      for (const auto& id : container.devices_ids()) ids.push_back(id);
    }
    const std::string& resource = server_.resource_name();
    if (status.ok()) {
      VGPU_LOG(INFO)
              .With("resource", resource)
              .With("devices", absl::StrJoin(ids, ","))
              .With("duration_us", absl::ToInt64Microseconds(took))
          << "allocated";
    } else {
      VGPU_LOG(WARNING)
              .With("resource", resource)
              .With("devices", absl::StrJoin(ids, ","))
          << "allocate rejected: " << status.message();
    }
    if (server_.options_.metrics != nullptr) {
      server_.options_.metrics->RecordAllocate(
          resource, status.ok(), status.ok() ? "" : AllocateErrorReason(status),
          took);
    }
  }

  ResourceServer& server_;
};

ResourceServer::ResourceServer(ResourceServerOptions options,
                               SnapshotPtr initial)
    : options_(std::move(options)),
      socket_path_(options_.plugin_dir + "/" +
                   SocketName(options_.resource_name)),
      current_(std::move(initial)) {}

ResourceServer::~ResourceServer() { Stop(); }

absl::Status ResourceServer::Start() {
  if (server_ != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "device plugin for ", resource_name(), " already serving"));
  }
  if (::unlink(socket_path_.c_str()) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, "remove stale socket", socket_path_);
  }
  service_ = std::make_unique<DevicePluginService>(*this);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socket_path_,
                           grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  {
    absl::MutexLock lock(&mu_);
    accepting_ = true;
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    service_.reset();
    absl::MutexLock lock(&mu_);
    accepting_ = false;
    return absl::UnavailableError(
        absl::StrCat("cannot serve device plugin on ", socket_path_));
  }
  // The plugin dir is root-only already; 0600 keeps the socket so even if
  // the dir is not.
  if (::chmod(socket_path_.c_str(), 0600) != 0) {
    absl::Status status = ErrnoStatus(errno, "chmod 0600", socket_path_);
    Stop();
    return status;
  }
  struct stat st;
  if (::lstat(socket_path_.c_str(), &st) != 0) {
    absl::Status status = ErrnoStatus(errno, "stat", socket_path_);
    Stop();
    return status;
  }
  socket_inode_ = st.st_ino;
  return absl::OkStatus();
}

void ResourceServer::Stop() {
  if (server_ == nullptr) return;
  {
    absl::MutexLock lock(&mu_);
    accepting_ = false;
    // gRPC runs OnDone on its own threads, never inside Finish, so closing
    // under mu_ cannot re-enter Unsubscribe here.
    for (ListAndWatchReactor* stream : streams_) {
      stream->Close(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "device plugin is stopping"));
    }
  }
  bool ours = SocketIntact();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  server_->Wait();
  {
    // Every stream's OnDone has run by now, but gRPC ordered that on its own
    // threads; taking mu_ orders their Unsubscribe before whatever the
    // caller does next (the destructor frees streams_).
    absl::MutexLock lock(&mu_);
    if (!owned_.empty()) {
      VGPU_LOG(WARNING) << owned_.size() << " ListAndWatch stream(s) of "
                        << resource_name() << " outlived the server";
    }
  }
  server_.reset();
  service_.reset();
  // Only our own socket: never one a new server (or the kubelet) made.
  if (ours && ::unlink(socket_path_.c_str()) != 0 && errno != ENOENT) {
    VGPU_LOG(WARNING) << "cannot remove socket " << socket_path_ << ": errno "
                      << errno;
  }
}

void ResourceServer::Update(SnapshotPtr snapshot) {
  absl::MutexLock lock(&mu_);
  current_ = snapshot;
  for (ListAndWatchReactor* stream : streams_) stream->Push(snapshot);
}

bool ResourceServer::serving() const { return server_ != nullptr; }

bool ResourceServer::SocketIntact() const {
  if (server_ == nullptr) return false;
  struct stat st;
  return ::lstat(socket_path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
         st.st_ino == socket_inode_;
}

SnapshotPtr ResourceServer::current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

SnapshotPtr ResourceServer::LastSent() const {
  {
    absl::MutexLock lock(&sent_mu_);
    if (last_sent_ != nullptr) return last_sent_;
  }
  return current();
}

bool ResourceServer::Subscribe(std::unique_ptr<ListAndWatchReactor> reactor) {
  ListAndWatchReactor* stream = reactor.get();
  absl::MutexLock lock(&mu_);
  owned_.emplace(stream, std::move(reactor));
  if (!accepting_) return false;
  streams_.insert(stream);
  stream->Push(current_);
  return true;
}

std::unique_ptr<ListAndWatchReactor> ResourceServer::Unsubscribe(
    ListAndWatchReactor* reactor) {
  absl::MutexLock lock(&mu_);
  streams_.erase(reactor);
  auto it = owned_.find(reactor);
  if (it == owned_.end()) return nullptr;
  std::unique_ptr<ListAndWatchReactor> owned = std::move(it->second);
  owned_.erase(it);
  return owned;
}

void ResourceServer::RecordSent(SnapshotPtr snapshot) {
  absl::MutexLock lock(&sent_mu_);
  last_sent_ = std::move(snapshot);
}

}  // namespace vgpu::deviceplugin
